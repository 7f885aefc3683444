# SPDX-License-Identifier: Apache-2.0
"""The interposer across threads, fork, vfork and exec, with descriptors handed down by
`bptee run` instead of the agent, and with a broken hand-down (docs/interposer.md)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

import bptee

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "c"))
from fake_agent import FakeAgent, preload_env, py, run, sealed_memfd  # noqa: E402

SECRET = b"threads-and-forks\n"
TESTC = bptee.TESTC


@pytest.fixture
def agent():
    d = tempfile.mkdtemp(prefix="bptee-agent-")
    a = FakeAgent(os.path.join(d, "job.sock"))
    a.put("token", SECRET)
    yield a
    a.close()
    shutil.rmtree(d)


@pytest.fixture
def secret_path(tmp_path):
    return tmp_path / "secrets" / "token"


@pytest.mark.parametrize("extra", ["", "fork", "vfork"])
def test_eight_threads_open_secrets_concurrently(tmp_path, agent, secret_path, extra):
    other = tmp_path / "plain"
    other.write_bytes(b"plain file\n")
    env = preload_env([("token", secret_path)], agent)
    args = [f"{TESTC}/job_threads", secret_path, SECRET.decode(), other, "8", "300"]
    r = run(args + ([extra] if extra else []), env)
    assert (r.returncode, r.stdout, r.stderr) == (0, b"ok\n", b"")
    # Once per process: the threads and fork children share one fetch; a vfork child shares
    # our memory but not our descriptors, so it fetches its own and does not cache it.
    assert agent.count("token") == (2 if extra == "vfork" else 1)
    # The twin: the job does notice wrong bytes.
    r = run([f"{TESTC}/job_threads", secret_path, "not it", other, "8", "3"], env)
    assert r.returncode == 1 and r.stdout.startswith(b"8 thread failure(s)")


CHILDREN = r"""
import json, os, subprocess, sys
p = sys.argv[1]
pid = os.fork()
if pid == 0:
    os._exit(0 if open(p, "rb").read() == sys.argv[2].encode() else 1)
_, status = os.waitpid(pid, 0)
cat = subprocess.run(["/bin/cat", p], capture_output=True)
env = subprocess.run(["/usr/bin/env"], capture_output=True).stdout.decode().splitlines()
print(json.dumps({"fork": status, "cat_rc": cat.returncode, "cat": cat.stdout.decode(),
                  "mine": sorted(k for k in os.environ if k.startswith("BPTEE_")),
                  "child": sorted(l.split("=")[0] for l in env if l.startswith("BPTEE_")),
                  "preload": [l for l in env if l.startswith("LD_PRELOAD=")]}))
"""


@pytest.mark.parametrize("inherit", [False, True])
def test_fork_and_exec_children(agent, secret_path, inherit):
    env = preload_env([("token", secret_path)], agent, inherit=inherit, debug=False)
    r = py(CHILDREN, env, secret_path, SECRET.decode())
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["fork"] == 0  # a fork child keeps the cached memfd
    if inherit:
        assert (out["cat_rc"], out["cat"]) == (0, SECRET.decode())
        assert out["child"] == ["BPTEE_AGENT_SOCKET", "BPTEE_PRELOAD_INHERIT", "BPTEE_SECRETS"]
        assert "libbptee-preload.so" in out["preload"][0]
        assert agent.count("token") == 2  # the exec'd cat is a new process
    else:
        assert out["cat_rc"] == 1 and out["cat"] == ""  # no preload, no secret: no such file
        assert out["mine"] == out["child"] == []
        assert not any("libbptee-preload.so" in p for p in out["preload"])
        assert agent.count("token") == 1


def test_ld_preload_keeps_other_entries(agent, secret_path):
    env = preload_env([("token", secret_path)], agent)
    # A sanitizer runtime must stay first (ASan runs); ours goes, the others stay.
    sanitizer = os.environ.get("LD_PRELOAD", "").split() if bptee.ASAN else []
    env["LD_PRELOAD"] = " ".join(sanitizer + ["libm.so.6", bptee.PRELOAD])
    r = py('import os; print(os.environ.get("LD_PRELOAD"))', env)
    assert r.stdout.decode().split() == sanitizer + ["libm.so.6"]


CLOEXEC = r"""
import fcntl, os, sys
fd = int(sys.argv[2])
print(open(sys.argv[1]).read(), end="")
print(fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC)
"""


@pytest.mark.parametrize("inherit", [False, True])
def test_handed_down_descriptor(secret_path, inherit):
    fd = sealed_memfd("token", SECRET)
    try:
        env = preload_env([("token", secret_path)], fds=[("token", fd)], inherit=inherit)
        r = py(CLOEXEC, env, secret_path, str(fd), pass_fds=(fd,))
        # Without inheritance the job's children must not get the memfd either.
        assert (r.returncode, r.stderr) == (0, b"")
        assert r.stdout == SECRET + (b"0\n" if inherit else b"1\n")
        r = run(["/bin/cat", secret_path, secret_path], env, pass_fds=(fd,))
        assert r.stdout == SECRET * 2
    finally:
        os.close(fd)


REUSE = r"""
import errno, os, sys
p, fd, decoy = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.close(fd)
os.dup2(os.open(decoy, os.O_RDONLY), fd, inheritable=False)
try:
    print(open(p).read(), end="")
except OSError as e:
    print(errno.errorcode[e.errno])
"""


@pytest.mark.parametrize("with_agent", [False, True])
def test_closed_and_reused_descriptor_is_never_served(tmp_path, agent, secret_path, with_agent):
    decoy = tmp_path / "decoy"
    decoy.write_bytes(b"the job's own file\n")
    fd = sealed_memfd("token", SECRET)
    try:
        env = preload_env([("token", secret_path)], agent if with_agent else None,
                          fds=[("token", fd)])
        r = py(REUSE, env, secret_path, str(fd), decoy, pass_fds=(fd,))
    finally:
        os.close(fd)
    if with_agent:  # the agent still has it
        assert (r.stdout, r.stderr) == (SECRET, b"")
    else:
        assert r.stdout == b"EACCES\n"
        assert r.stderr.decode() == \
            f"bptee: secret 'token' ({secret_path}): handed-down descriptor was closed\n"


@pytest.mark.parametrize("secrets,fds,why", [
    ("token=relative/path", None, "BPTEE_SECRETS: path is not absolute: relative/path"),
    ("bad name=/x", None, "BPTEE_SECRETS: bad secret name (1-128 of A-Z a-z 0-9 . _ -): bad name"),
    ("token", None, "BPTEE_SECRETS: expected name=path: token"),
    ("a=/x/y:b=/x/./y", None, "BPTEE_SECRETS: path declared twice: /x/y"),
    ("a=/x:", None, "BPTEE_SECRETS: empty entry at the end"),
    ("a=/x\\", None, "BPTEE_SECRETS: bad path (dangling '\\' or too long): a"),
    ("a=/x/", None, "BPTEE_SECRETS: path names a directory: /x/"),
    ("a=/x", "b=0", "BPTEE_SECRET_FDS: descriptor for an undeclared secret: b"),
    ("a=/x", "a=999", "BPTEE_SECRET_FDS: a: descriptor not open: Bad file descriptor"),
    ("a=/x", "a=0", "BPTEE_SECRET_FDS: a: descriptor is not a regular file"),
    ("a=/x", "a=x", "BPTEE_SECRET_FDS: bad descriptor number for: a"),
])
def test_broken_hand_down_stops_the_job(secrets, fds, why):
    env = preload_env([])
    env["BPTEE_SECRETS"] = secrets
    if fds:
        env["BPTEE_SECRET_FDS"] = fds
    r = run(["/bin/echo", "ran"], env, stdin=subprocess.DEVNULL)
    assert (r.returncode, r.stdout) == (127, b"")
    assert r.stderr.decode() == f"bptee: preload: {why}\n"


def test_unsealed_handed_down_memfd_stops_the_job(secret_path):
    fd = sealed_memfd("token", SECRET, seal=False)
    try:
        env = preload_env([("token", secret_path)], fds=[("token", fd)])
        r = run(["/bin/cat", secret_path], env, pass_fds=(fd,))
    finally:
        os.close(fd)
    assert (r.returncode, r.stdout) == (127, b"")
    assert r.stderr == b"bptee: preload: BPTEE_SECRET_FDS: token: memfd is not sealed " \
                       b"(write, grow, shrink, seal)\n"


def test_escaped_path_and_several_secrets(tmp_path, agent):
    agent.put("second", b"two\n")
    odd = tmp_path / "odd:dir\\x" / "token"
    env = preload_env([("token", odd), ("second", tmp_path / "second")], agent)
    r = run(["/bin/cat", odd, tmp_path / "second"], env)
    assert (r.returncode, r.stdout, r.stderr) == (0, SECRET + b"two\n", b"")


def test_debug_lines_only_when_asked_and_never_the_bytes(agent, secret_path):
    env = preload_env([("token", secret_path)], agent, debug=True)
    r = run(["/bin/cat", secret_path], env)
    assert r.stdout == SECRET and SECRET.strip() not in r.stderr
    lines = r.stderr.decode().splitlines()
    assert lines and all(line.startswith("bptee: debug: ") for line in lines)
    assert any("fetched from the agent" in line for line in lines)
    env.pop("BPTEE_PRELOAD_DEBUG")
    assert run(["/bin/cat", secret_path], env).stderr == b""


def test_no_secrets_declared_is_plain_pass_through(tmp_path):
    env = preload_env([])
    f = tmp_path / "f"
    f.write_bytes(b"x" * 5000)
    r = run(["/bin/cat", f], env)
    assert (r.returncode, r.stdout, r.stderr) == (0, b"x" * 5000, b"")
