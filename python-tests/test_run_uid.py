# SPDX-License-Identifier: Apache-2.0
"""Whose uid a TEE job runs under (docs/view.md): run by root, a job gets a dynamic uid of its
own, which no other job shares while it runs and which nothing a former job left behind keeps;
the spec's "user" names another; not root, bptee run runs the job as itself and refuses any
other user. The job's files live in world-readable directories here: a dynamic uid cannot
enter pytest's private temp directories."""
import json
import os
import pwd
import subprocess
import sys
import tempfile
import time

import pytest

from hostcaps import USERNS_REASON, user_namespaces
from test_run import CLI, Job, base_env, config_json

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="dynamic uids are for root")

DYN_MIN, DYN_MAX = 61184, 65519


@pytest.fixture
def pub_dir():
    """A directory any uid may read and write (sticky, like /tmp)."""
    d = tempfile.mkdtemp(prefix="bptee-uid-")
    os.chmod(d, 0o1777)
    yield d
    subprocess.run(["rm", "-rf", d])


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("sim") / "state"


def run_job(tmp_path, sim_dir, spec, *cmd, **kw):
    spec = dict(spec)
    spec.setdefault("user", None)  # None: the spec names no user (Job removes the key)
    job = Job(tmp_path, sim_dir, mode="direct", spec=spec)
    return subprocess.run(job.args(*cmd), capture_output=True, text=True, timeout=60,
                          env=base_env(), **kw)


ID = ("import json, os; print(json.dumps({'uid': os.getuid(), 'gid': os.getgid(), "
      "'groups': os.getgroups(), 'euid': os.geteuid()}))")


def test_root_gives_the_job_a_dynamic_uid_of_its_own(tmp_path, sim_dir):
    r = run_job(tmp_path, sim_dir, {"job_id": "dyn-1", "fresh_attestation": True},
                sys.executable, "-c", ID)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert DYN_MIN <= out["uid"] <= DYN_MAX and out["uid"] == out["euid"]
    assert out["gid"] == out["uid"] and out["groups"] in ([], [out["gid"]])
    with pytest.raises(KeyError):
        pwd.getpwuid(out["uid"])  # nobody's uid: not a user of this machine


def test_two_jobs_at_once_never_share_a_uid(tmp_path, sim_dir, pub_dir):
    marker = os.path.join(pub_dir, "go")
    code = ("import os, sys, time\n"
            f"open(os.path.join({pub_dir!r}, sys.argv[1]), 'w').write(str(os.getuid()))\n"
            f"while not os.path.exists({marker!r}): time.sleep(0.02)\n"
            "print('{}')\n")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    procs = []
    for name in ("a", "b"):
        job = Job(tmp_path / name, sim_dir, mode="direct",
                  spec={"job_id": f"dyn-{name}", "fresh_attestation": True, "user": None,
                        "sandbox": {"writable": [pub_dir]}})
        procs.append(subprocess.Popen(job.args(sys.executable, "-c", code, name), env=base_env(),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    # both are running at once: each has written its uid and waits for the marker
    files = [os.path.join(pub_dir, n) for n in ("a", "b")]
    for _ in range(1500):
        if all(os.path.exists(f) and open(f).read() for f in files):
            break
        time.sleep(0.02)
    uids = [int(open(f).read()) for f in files]
    open(marker, "w").close()
    for p in procs:
        p.communicate(timeout=60)
        assert p.returncode == 0
    assert uids[0] != uids[1] and all(DYN_MIN <= u <= DYN_MAX for u in uids)


def test_what_a_job_leaves_running_is_killed_with_it(tmp_path, sim_dir, pub_dir):
    """A daemon the job starts (double fork, out of bptee run's reach) shares the job's dynamic
    uid: it must not outlive the job, or a later job given that uid would share it. The job
    sees pids of its own PID namespace, so the daemon is found on the host by a marker in its
    command line."""
    marker = f"bptee-daemon-{os.getpid()}-{time.monotonic_ns()}"
    code = ("import os, sys, time\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            "    if os.fork() == 0:\n"
            f"        os.execv(sys.executable, [sys.executable, '-c', 'import time; "
            f"time.sleep(300)', {marker!r}])\n"
            "    os._exit(0)\n"
            # the job sees its daemon running (its own /proc) before it ends
            "def running():\n"
            "    for p in filter(str.isdigit, os.listdir('/proc')):\n"
            "        try:\n"
            f"            if {marker.encode()!r} in open(f'/proc/{{p}}/cmdline', 'rb').read():\n"
            "                return True\n"
            "        except OSError:\n"
            "            pass\n"
            "for _ in range(500):\n"
            "    if running(): break\n"
            "    time.sleep(0.01)\n"
            "else: sys.exit(3)\n"
            "print('{}')\n")
    r = run_job(tmp_path, sim_dir, {"job_id": "dyn-d", "fresh_attestation": True},
                sys.executable, "-c", code)
    assert r.returncode == 0, f"the job did not see its daemon run: {r.stderr}"

    def daemons():
        found = []
        for p in os.listdir("/proc"):
            try:
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    if marker.encode() in f.read().split(b"\0"):
                        found.append(int(p))
            except (OSError, ValueError):
                pass
        return found

    for _ in range(100):
        alive = [p for p in daemons()
                 if open(f"/proc/{p}/stat").read().split()[2] != "Z"]
        if not alive:
            break
        time.sleep(0.02)
    else:
        for p in alive:
            os.kill(p, 9)
        pid = alive[0]
        pytest.fail(f"the job's daemon {pid} outlived the job")


def test_spec_user_is_honoured(tmp_path, sim_dir):
    r = run_job(tmp_path, sim_dir, {"job_id": "u-1", "fresh_attestation": True,
                                    "user": "nobody"}, sys.executable, "-c", ID)
    assert r.returncode == 0, r.stderr
    nobody = pwd.getpwnam("nobody")
    out = json.loads(r.stdout)
    assert (out["uid"], out["gid"]) == (nobody.pw_uid, nobody.pw_gid)
    r = run_job(tmp_path, sim_dir, {"job_id": "u-2", "fresh_attestation": True, "user": "root"},
                sys.executable, "-c", ID)
    assert r.returncode == 0 and json.loads(r.stdout)["uid"] == 0, r.stderr


@pytest.mark.parametrize("user,why", [
    ("no-such-user-here", "no user named 'no-such-user-here'"),
    ("9bad", "expected a user name or a decimal uid"),
    ("a b", "expected a user name or a decimal uid"),
])
def test_bad_spec_user_is_refused_before_running(tmp_path, sim_dir, user, why):
    r = run_job(tmp_path, sim_dir, {"job_id": "u-3", "user": user}, "/bin/echo", "ran")
    assert r.returncode == 125 and r.stdout == ""
    assert why in r.stderr


@pytest.mark.skipif(not user_namespaces(), reason="not root, bptee run confines a job in a user "
                    "namespace, and " + USERNS_REASON)
def test_not_root_runs_the_job_as_itself_only(tmp_path, sim_dir, pub_dir):
    """As nobody, a spec naming root is refused; naming nobody (itself) is fine."""
    os.chmod(tmp_path, 0o755)
    for user, ok in (("root", False), ("nobody", True)):
        d = tempfile.mkdtemp(dir=pub_dir)
        os.chmod(d, 0o777)
        cfg, spec = os.path.join(d, "tee.json"), os.path.join(d, "job.json")
        with open(cfg, "w") as f:
            json.dump(config_json("direct", os.path.join(d, "sim")), f)
        with open(spec, "w") as f:
            json.dump({"job_id": "nr-1", "user": user, "fresh_attestation": True}, f)
        r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                            CLI, "run", "--config", cfg, "--spec", spec, "--",
                            sys.executable, "-c", ID],
                           capture_output=True, text=True, timeout=60, env=base_env(), cwd=d)
        if ok:
            assert r.returncode == 0, r.stderr
            assert json.loads(r.stdout)["uid"] == pwd.getpwnam("nobody").pw_uid
        else:
            assert r.returncode == 125 and "bptee run is not root" in r.stderr


HOLD_LOCKS = r"""
import fcntl, os, resource, sys
keep = set(int(u) for u in sys.argv[1:])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
os.makedirs("/run/bptee/dynamic-uid", 0o700, exist_ok=True)
fds = []
for uid in range(61184, 65520):
    if uid in keep:
        continue
    fd = os.open(f"/run/bptee/dynamic-uid/{uid}", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pass  # a running job's: taken either way
    fds.append(fd)
print("held", flush=True)
sys.stdin.read()
"""


def test_a_uid_that_passwd_group_or_systemd_claims_is_never_handed_out(tmp_path, sim_dir):
    """Every dynamic uid but three is held by another "job" (its lock); of the three, /etc/group
    names one and systemd's dynamic-user registry holds another: the job gets the third."""
    in_group, by_systemd, free = 65517, 65518, 65519
    for uid in (in_group, by_systemd, free):
        with pytest.raises(KeyError):
            pwd.getpwuid(uid)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCKS, str(in_group), str(by_systemd),
                               str(free)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    registry = "/run/systemd/dynamic-uid"
    made_registry = not os.path.isdir(registry)
    group = open("/etc/group").read()
    try:
        assert holder.stdout.readline().strip() == "held"
        os.makedirs(registry, exist_ok=True)
        open(os.path.join(registry, str(by_systemd)), "w").close()
        with open("/etc/group", "a") as f:
            f.write(f"bptee-test-claimed:x:{in_group}:\n")
        r = run_job(tmp_path, sim_dir, {"job_id": "dyn-claimed", "fresh_attestation": True},
                    sys.executable, "-c", ID)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["uid"] == free
    finally:
        with open("/etc/group", "w") as f:
            f.write(group)
        os.unlink(os.path.join(registry, str(by_systemd)))
        if made_registry:
            os.rmdir(registry)
        holder.communicate("", timeout=60)
