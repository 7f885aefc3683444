# SPDX-License-Identifier: Apache-2.0
"""The hardened sandbox of a TEE job (docs/sandbox.md), seen from inside a job of `bptee run`.

A probe (progs-free: python3) reports what it can and cannot do; each fact is asserted inside
the sandbox, and its twin runs the same probe outside it (the same user, no bptee) to show the
check can fail: what the sandbox forbids works there.
"""
import json
import os
import subprocess
import sys

import pytest

from hostcaps import memory_cgroup_possible, user_namespaces
from view_util import Agent, View, job_env, outcome, run_job

PROBE = r"""
import ctypes, errno, json, os, sys
libc = ctypes.CDLL(None, use_errno=True)
def err(rc):
    return "ok" if rc == 0 else errno.errorcode[ctypes.get_errno()]
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return line.split()[1]
def write_in(d):
    p = os.path.join(d, ".bptee-sandbox-probe-%d" % os.getpid())
    try:
        open(p, "w").close()
        os.unlink(p)
        return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]
def in_child(fn):
    # in a child: what it does must not change the probe itself
    pid = os.fork()
    if pid == 0:
        os._exit(fn())
    _, ws = os.waitpid(pid, 0)
    return os.WEXITSTATUS(ws)
def mount_in_own_namespace():
    # an ordinary user may mount in a user namespace of its own: only the filter stops it
    if libc.unshare(0x10000000 | 0x00020000) != 0:
        return 200
    rc = libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)
    return 0 if rc == 0 else ctypes.get_errno()
def traceme():
    return 0 if libc.ptrace(0, 0, None, None) == 0 else ctypes.get_errno()
def io_uring():
    params = ctypes.create_string_buffer(120)
    fd = libc.syscall(425, 1, params)
    return 0 if fd >= 0 else ctypes.get_errno()
code = lambda n: "ok" if n == 0 else ("no-userns" if n == 200 else errno.errorcode[n])
out = {"write_root": write_in("/"), "write_usr": write_in("/usr"),
       "write_tmp": write_in("/tmp"),
       "cap_eff": status("CapEff"), "no_new_privs": status("NoNewPrivs"),
       "seccomp": status("Seccomp"), "pid": os.getpid(), "ppid": os.getppid(),
       "uid": os.getuid(), "mount": code(in_child(mount_in_own_namespace)),
       "ptrace": code(in_child(traceme)), "io_uring": code(in_child(io_uring)),
       "tmp_entries": sorted(os.listdir("/tmp")),
       "dev": sorted(os.listdir("/dev"))}
for path in sys.argv[1:]:
    try:
        out.setdefault("secrets", []).append(open(path, "rb").read().decode())
    except OSError as e:
        out.setdefault("secrets", []).append(errno.errorcode[e.errno])
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    a = Agent(tmp_path_factory.mktemp("sandbox-sim") / "state")
    yield a
    a.cleanup()


@pytest.fixture
def view(request, agent):
    v = View(agent, request.node.name[5:40].replace("[", "-").strip("]"))
    yield v
    v.cleanup()


def probe_in_job(view, spec=None, paths=()):
    r = run_job(view, [sys.executable, "-c", PROBE, *paths], spec=spec)
    assert r.returncode == 0, outcome(r)
    return json.loads(r.stdout)


def probe_outside():
    """The twin: the same probe as this test's own user, not sandboxed."""
    r = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_job_is_confined_and_still_reads_its_secret(view):
    got = probe_in_job(view, paths=view.paths())
    assert got["write_root"] in ("EROFS", "EACCES") and got["write_usr"] in ("EROFS", "EACCES")
    assert got["cap_eff"] == "0000000000000000", got
    assert got["no_new_privs"] == "1" and got["seccomp"] == "2", got
    assert got["pid"] == 2 and got["ppid"] == 1, "the job is not PID 1's child in its own " \
        f"PID namespace: {got}"
    assert got["uid"] != 0
    assert got["ptrace"] == "EPERM", got
    assert got["mount"] in ("EPERM", "no-userns"), got
    assert got["io_uring"] == "EPERM", got
    assert got["secrets"] == [view.secret(n).decode() for n in view.names], got
    # an attested result: bptee run injected the metadata into the job's JSON stdout
    assert got["tee"]["job"]["binary_sha256"] and got["tee"]["signature"], got["tee"]


def test_root_filesystem_is_readonly_even_for_a_job_run_as_root(view):
    """Named "root": no capability, so the read-only root and the filter still hold."""
    if os.geteuid() != 0:
        pytest.skip("only root may name the user root")
    got = probe_in_job(view, spec=view.spec(user="root"))
    assert got["uid"] == 0 and got["cap_eff"] == "0000000000000000", got
    assert got["write_root"] == "EROFS" and got["write_usr"] == "EROFS", got


def test_twin_unsandboxed_the_same_probe_may_do_what_the_sandbox_forbids():
    got = probe_outside()
    assert got["seccomp"] == "0" and got["no_new_privs"] == "0", got
    assert got["ptrace"] == "ok", got
    if os.geteuid() == 0:
        assert got["write_usr"] == "ok" and got["cap_eff"] != "0000000000000000", got
    if user_namespaces():
        assert got["mount"] == "ok", f"an unsandboxed user cannot mount here either: {got}"
    if open("/proc/sys/kernel/io_uring_disabled").read().strip() == "0":
        assert got["io_uring"] == "ok", got


def test_private_tmp_and_dev(view):
    """No secrets declared: a secret's missing directory under /tmp would make the job's /tmp
    a read-only overlay (docs/view.md)."""
    marker = "/tmp/bptee-sandbox-host-marker"
    with open(marker, "w") as f:
        f.write("host")
    try:
        got = probe_in_job(view, spec=view.spec(secrets={}))
    finally:
        os.unlink(marker)
    assert "bptee-sandbox-host-marker" not in got["tmp_entries"], got
    assert got["write_tmp"] == "ok", got
    assert set(got["dev"]) <= {"null", "zero", "full", "random", "urandom", "tty", "fd",
                               "stdin", "stdout", "stderr", "shm"}, got["dev"]


# ---- widening: each option explicit, each tested against its default


def test_writable_path_is_writable_only_when_asked(view):
    out = view.out
    cmd = ["/bin/sh", "-c", 'echo x > "$1/w" && echo wrote', "sh", out]
    spec = view.spec(sandbox={})
    r = run_job(view, cmd, spec=spec)
    assert r.returncode != 0 and b"wrote" not in r.stdout, outcome(r)
    spec["sandbox"] = {"writable": [out]}
    r = run_job(view, cmd, spec=spec)
    assert r.returncode == 0 and r.stdout.strip() == b"wrote", outcome(r)


def interfaces(text):
    """The interface names in /proc/net/dev (the reader's own network namespace)."""
    return sorted(line.split(":")[0].strip() for line in text.splitlines()[2:])


def test_network_only_when_asked(view):
    cmd = ["/bin/cat", "/proc/net/dev"]
    r = run_job(view, cmd)
    assert r.returncode == 0 and interfaces(r.stdout.decode()) == ["lo"], outcome(r)
    r = run_job(view, cmd, spec=view.spec(sandbox={"network": True}))
    with open("/proc/net/dev") as f:
        host = interfaces(f.read())
    assert host != ["lo"], "the twin needs a host with an interface besides lo"
    assert r.returncode == 0 and interfaces(r.stdout.decode()) == host, outcome(r)


def test_io_uring_only_when_asked(view):
    if open("/proc/sys/kernel/io_uring_disabled").read().strip() != "0":
        pytest.skip("io_uring is disabled on this host (kernel.io_uring_disabled)")
    got = probe_in_job(view, spec=view.spec(sandbox={"io_uring": True}))
    assert got["io_uring"] == "ok", got


def test_limits_apply(view):
    cmd = [sys.executable, "-c", "import resource as r; print(r.getrlimit(r.RLIMIT_NOFILE)[0],"
           " r.getrlimit(r.RLIMIT_CPU)[0])"]
    r = run_job(view, cmd, spec=view.spec(limits={"open_files": 64, "cpu_seconds": 30}))
    assert r.returncode == 0 and r.stdout.split() == [b"64", b"30"], outcome(r)


def test_memory_limit_stops_a_hungry_job(view):
    """Where bptee run can make a memory cgroup (root here), the kernel stops the job at its
    limit and bptee run says so; elsewhere the address-space limit makes the allocation fail."""
    cmd = [sys.executable, "-c", "b = bytearray(512 << 20)\nfor i in range(0, len(b), 4096): "
           "b[i] = 1\nprint('allocated')"]
    r = run_job(view, cmd, spec=view.spec(limits={"memory_bytes": 256 << 20}))
    assert r.returncode != 0 and b"allocated" not in r.stdout, outcome(r)
    if memory_cgroup_possible():
        assert r.returncode == -9, outcome(r)  # bptee run dies of the job's SIGKILL
        assert r.stderr.decode().strip().endswith(
            "bptee: run: memory limit exceeded: the kernel stopped the job at its limit of "
            "268435456 bytes"), outcome(r)
    else:
        assert b"MemoryError" in r.stderr, outcome(r)


def test_tee_backend_selects_or_refuses(view):
    """TEE_BACKEND (blueprint-tee's variable): the job runs only on a backend listed for the
    local TEE the config accepts, the simulator here."""
    env = job_env(view.root, TEE_BACKEND="direct-sim")
    r = run_job(view, ["cat", view.path(view.names[0])], env=env)
    assert r.returncode == 0 and r.stdout == view.secret(view.names[0]), outcome(r)
    for value, want in (("direct-tdx", "bptee: run: unsupported tee provider: no backend "
                                       "registered for amd_sev_snp on the simulator"),
                        ("kvm", "bptee: run: tee config error: unknown TEE_BACKEND value: "
                                "'kvm'; valid options: direct, direct-tdx,")):
        marker = os.path.join(view.root, f"ran-{value}")
        r = run_job(view, ["sh", "-c", f"touch {marker}"],
                    env=job_env(view.root, TEE_BACKEND=value))
        err = r.stderr.decode()
        assert r.returncode == 125 and err.startswith(want) and len(err.splitlines()) == 1, \
            outcome(r)
        assert not os.path.exists(marker), "the refused job ran"


@pytest.mark.parametrize("extra, what", [
    ({"sandbox": {"privileged": True}}, "unknown option 'privileged'"),
    ({"sandbox": {"writable": ["relative"]}}, "sandbox.writable[0]"),
    ({"sandbox": {"network": "yes"}}, "sandbox.network"),
    ({"limits": {"memory": 1}}, "unknown limit 'memory'"),
    ({"limits": {"pids": 0}}, "limits.pids"),
])
def test_unknown_or_bad_widening_is_refused(view, extra, what):
    r = run_job(view, ["/bin/true"], spec=view.spec(**extra))
    err = r.stderr.decode()
    assert r.returncode == 125 and what in err and len(err.splitlines()) == 1, outcome(r)
