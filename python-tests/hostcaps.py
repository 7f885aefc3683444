# SPDX-License-Identifier: Apache-2.0
"""What this host lets a test do, probed once per process.

The suite also runs inside a fresh Debian root entered with chroot (../shared/tools/
fresh-debian-check). There the kernel refuses to create a user namespace for any process, root
included (a chrooted caller gets EPERM), and a core_pattern pipe handler runs in the init
process's root, outside the chroot. A test that needs either skips there with that reason; on an
ordinary host the probes succeed and every such test runs.
"""
import functools
import os
import subprocess

import pytest

USERNS_REASON = "this host refuses user namespaces (a chroot, or user.max_user_namespaces 0)"
VIEW_REASON = ("bptee run needs root or a user namespace to confine a TEE-path job (its sandbox "
               "and secret view), and " + USERNS_REASON)


@functools.lru_cache(maxsize=None)
def user_namespaces():
    """True when this process may create a user namespace (as `bptee run` does when not root)."""
    try:
        return subprocess.run(["unshare", "--user", "true"], capture_output=True,
                              timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@functools.lru_cache(maxsize=None)
def chrooted():
    """True when "/" is not the root of this mount namespace.

    /proc/1/root would say so directly, but it is often unreadable (another pid namespace, or
    ptrace rules). A chroot's directory is no mount point, and mountinfo lists only the mounts a
    process can name from its root: so no entry is mounted at "/" (a chroot into a mount point
    goes unseen, which the suite's own runner, fresh-debian-check, never does)."""
    with open("/proc/self/mountinfo") as f:
        return not any(len(fields) > 4 and fields[4] == "/" for fields in map(str.split, f))


@functools.lru_cache(maxsize=None)
def memory_cgroup_possible():
    """True when this process may create a child of its own memory cgroup (v1's memory
    hierarchy, or v2's with the memory controller): where bptee's sandbox limits a job's memory
    with a cgroup instead of RLIMIT_AS (docs/sandbox.md)."""
    base = None
    with open("/proc/self/cgroup") as f:
        lines = f.read().splitlines()
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            base = "/sys/fs/cgroup/memory" + path
    if base is None:
        v2 = [line[3:] for line in lines if line.startswith("0::")]
        if not v2 or not os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
            return False
        base = "/sys/fs/cgroup" + v2[0]
    probe = os.path.join(base, f"bptee-probe-{os.getpid()}")
    try:
        os.mkdir(probe)
    except OSError:
        return False
    try:
        if not os.path.exists(os.path.join(probe, "memory.limit_in_bytes")) and \
                not os.path.exists(os.path.join(probe, "memory.max")):
            try:  # v2: bptee enables the controller for its children where it may
                with open(os.path.join(base, "cgroup.subtree_control"), "w") as f:
                    f.write("+memory")
            except OSError:
                pass
        return os.path.exists(os.path.join(probe, "memory.limit_in_bytes")) or \
            os.path.exists(os.path.join(probe, "memory.max"))
    finally:
        os.rmdir(probe)


def skip_if_refused_unconfined(r):
    """Skip the calling test when r is `bptee run`'s refusal to run a TEE-path job it cannot
    confine, where that refusal is right (not root, no user namespaces): the refusal itself is
    tested on its own (test_view.py). Anything else, r included elsewhere, is left to the test."""
    err = r.stderr if isinstance(r.stderr, str) else r.stderr.decode(errors="replace")
    if os.geteuid() != 0 and not user_namespaces() and r.returncode == 125 and \
            "no user namespace" in err:
        pytest.skip(VIEW_REASON)


def skip_unless_view_possible():
    """Skip the calling test where `bptee run` must refuse a job with secrets (not root and no
    user namespaces): that refusal is tested on its own (test_view.py)."""
    if os.geteuid() != 0 and not user_namespaces():
        pytest.skip(VIEW_REASON)


# The interposer makes a job that declares secrets non-dumpable, so only a root agent can read
# its /proc/PID/exe: an agent run by an ordinary user (as this suite's agents are when it runs as
# one) serves such a job unmeasured, and an owner's allow list by measurement refuses it.
AGENT_MEASURES_JOBS = os.geteuid() == 0
MEASURE_REASON = "an agent that is not root cannot measure a job the interposer made non-dumpable"


def check_job_measurement(entry, expected):
    """An audit entry about a job carries its measurement when the agent can take it, none
    otherwise (never another one)."""
    if AGENT_MEASURES_JOBS:
        assert entry.get("measurement") == expected, entry
    else:
        assert "measurement" not in entry, entry
