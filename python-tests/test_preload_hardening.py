# SPDX-License-Identifier: Apache-2.0
"""The interposer holds under a busy, dying or restarted agent and against the job's own user
(issue 11; docs/interposer.md): a busy agent is asked again for a few seconds, a dead agent's
page and copies are void, a process that declares secrets is non-dumpable (no core, no
/proc/PID/fd or /proc/PID/mem for another process of its uid), a Go program is refused
instead of reading the decoy on disk, and view mode (`BPTEE_SECRET_VIEW=1`) leaves serving to
the kernel while keeping the one-line failure and the non-dumpable children.

Every job here is started "by hand" (LD_PRELOAD set directly, no `bptee run`) through ONE
helper, start_by_hand: where the agent serves only registered jobs, that is the one place that
wraps the command in `bptee grant`."""
import ctypes
import errno
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import types

import pytest

import bptee as B
from grants_util import grant
from hostcaps import chrooted, skip_unless_view_possible
from owners_util import Owner, owner_agent
from test_agent import policy_sim, provision, sim_dir  # noqa: F401  (fixtures)

C_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "c")
sys.path.insert(0, C_DIR)
from fake_agent import FakeAgent, preload_env  # noqa: E402

PY = "/usr/bin/python3"
SECRET = b"s3cr3t-db-password\n"
NOBODY = 65534
RETRY_SECONDS = 6  # interpose/agent_client.c


# ---- starting a job by hand


def start_by_hand(cmd, env, **kw):
    """Start cmd as an operator would by hand: the preload and the BPTEE_* variables set on
    the command itself (through env(1), so that a wrapper put before it here, such as
    `bptee grant --socket S --job-id ID --secret NAME --`, never loads the preload itself).
    Returns the Popen."""
    handdown = {k: v for k, v in env.items() if k == "LD_PRELOAD" or k.startswith("BPTEE_")}
    base = {k: v for k, v in env.items() if k not in handdown}
    argv = ["/usr/bin/env", *[f"{k}={v}" for k, v in handdown.items()], *map(str, cmd)]
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen(argv, env=base, **kw)


def run_by_hand(cmd, env, timeout=60, **kw):
    p = start_by_hand(cmd, env, **kw)
    out, err = p.communicate(timeout=timeout)
    return types.SimpleNamespace(returncode=p.returncode, stdout=out, stderr=err)


def as_nobody():
    """subprocess arguments running a process as an ordinary uid: 65534 when the suite runs as
    root; an ordinary user's suite runs it as itself (only root may switch uids)."""
    if os.geteuid() != 0:
        return {}
    return {"user": NOBODY, "group": NOBODY, "extra_groups": []}


def open_dir():
    """A temporary directory every uid can enter (pytest's tmp_path is root's alone)."""
    d = tempfile.mkdtemp(prefix="bptee-hard-")
    os.chmod(d, 0o755)
    return d


# Opens the secret once: its bytes, or the errno's name.
READ_ONCE = r"""
import errno, sys
try:
    sys.stdout.buffer.write(open(sys.argv[1], "rb").read())
except OSError as e:
    print(errno.errorcode[e.errno])
"""


# ---- 1. a busy agent is asked again


class BusyAgent(FakeAgent):
    """The fake agent, able to be busy: nothing accepted until `gate` is set, and the first
    `limit` connections (all of them with limit=-1) answered at once with the agent's
    "ERR limit" line and closed, as the real agent does at its connection limit."""

    def __init__(self, path, limit=0, gate=True):
        self.gate = threading.Event()
        if gate:
            self.gate.set()
        self.limit = limit
        self.connections = 0
        super().__init__(path)

    def _accept(self):
        self.gate.wait()
        super()._accept()

    def _serve(self, conn):
        with self.lock:
            self.connections += 1
            busy = self.limit < 0 or self.connections <= self.limit
        if busy:
            with conn:
                conn.sendall(b"ERR limit too many job connections; try again\n")
            return
        super()._serve(conn)


@pytest.fixture
def sockdir():
    d = tempfile.mkdtemp(prefix="bptee-busy-")
    yield d
    shutil.rmtree(d)


def busy_job(tmp_path, sock):
    path = tmp_path / "run" / "secrets" / "db"
    return path, preload_env([("db", path)], types.SimpleNamespace(path=sock))


def timed(cmd, env):
    t0 = time.monotonic()
    r = run_by_hand(cmd, env)
    return r, time.monotonic() - t0


def test_full_backlog_is_waited_out(tmp_path, sockdir):
    a = BusyAgent(os.path.join(sockdir, "job.sock"), gate=False)
    a.put("db", SECRET)
    try:
        a.sock.listen(0)  # a backlog of one connection,
        filler = socket.socket(socket.AF_UNIX)
        filler.connect(a.path)  # taken: the next connect waits for room
        path, env = busy_job(tmp_path, a.path)
        threading.Timer(1.0, a.gate.set).start()
        r, took = timed(["/bin/cat", path], env)
        assert (r.returncode, r.stdout, r.stderr) == (0, SECRET, b"")
        assert took >= 0.9 and a.count("db") == 1
        filler.close()
    finally:
        a.gate.set()
        a.close()


def test_full_backlog_that_never_drains_fails_closed(tmp_path, sockdir):
    """The twin: the agent never makes room; the open fails closed after the retries."""
    a = BusyAgent(os.path.join(sockdir, "job.sock"), gate=False)
    a.put("db", SECRET)
    try:
        a.sock.listen(0)
        filler = socket.socket(socket.AF_UNIX)
        filler.connect(a.path)
        path, env = busy_job(tmp_path, a.path)
        r, took = timed([PY, "-c", READ_ONCE, path], env)
        assert (r.returncode, r.stdout) == (0, b"EACCES\n")
        assert r.stderr.decode() == (f"bptee: secret 'db' ({path}): agent socket {a.path}: "
                                     f"Resource temporarily unavailable (still busy after 6 s)\n")
        assert RETRY_SECONDS - 0.5 <= took <= RETRY_SECONDS + 4
        filler.close()
    finally:
        a.gate.set()
        a.close()
    assert a.count("db") == 0


def test_refused_connection_is_retried_until_an_agent_listens(tmp_path, sockdir):
    sock = os.path.join(sockdir, "job.sock")
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(sock)  # a socket file nobody listens on: ECONNREFUSED, as after a crash
    path, env = busy_job(tmp_path, sock)
    agents = []

    def restart():
        dead.close()
        os.unlink(sock)
        a = BusyAgent(sock, gate=False)  # listening, not answering until it has the secret
        a.put("db", SECRET)
        agents.append(a)
        a.gate.set()

    threading.Timer(1.0, restart).start()
    try:
        r, took = timed(["/bin/cat", path], env)
        assert (r.returncode, r.stdout, r.stderr) == (0, SECRET, b"")
        assert took >= 0.9 and agents[0].count("db") == 1
    finally:
        time.sleep(0.1)
        for a in agents:
            a.close()


def test_missing_socket_fails_at_once(tmp_path, sockdir):
    """The twin: no socket file at all is no busy agent: no retries."""
    sock = os.path.join(sockdir, "job.sock")
    path, env = busy_job(tmp_path, sock)
    r, took = timed([PY, "-c", READ_ONCE, path], env)
    assert (r.returncode, r.stdout) == (0, b"EACCES\n")
    assert r.stderr.decode() == (f"bptee: secret 'db' ({path}): agent socket {sock}: "
                                 "No such file or directory\n")
    assert took < 2


def test_err_limit_is_retried(tmp_path, sockdir):
    a = BusyAgent(os.path.join(sockdir, "job.sock"), limit=3)
    a.put("db", SECRET)
    try:
        path, env = busy_job(tmp_path, a.path)
        r, took = timed(["/bin/cat", path], env)
        assert (r.returncode, r.stdout, r.stderr) == (0, SECRET, b"")
        assert a.connections == 4 and a.count("db") == 1
    finally:
        a.close()


def test_err_limit_forever_fails_closed(tmp_path, sockdir):
    a = BusyAgent(os.path.join(sockdir, "job.sock"), limit=-1)
    a.put("db", SECRET)
    try:
        path, env = busy_job(tmp_path, a.path)
        r, took = timed([PY, "-c", READ_ONCE, path], env)
        assert (r.returncode, r.stdout) == (0, b"EACCES\n")
        assert r.stderr.decode() == (
            f"bptee: secret 'db' ({path}): agent refused (limit): too many job connections; "
            "try again (still busy after 6 s)\n")
        assert RETRY_SECONDS - 0.5 <= took <= RETRY_SECONDS + 4 and a.connections > 3
    finally:
        a.close()
    assert a.count("db") == 0


def test_denied_is_not_retried(tmp_path, sockdir):
    """The twin of the retries: a refusal that is not about load is final at once."""
    a = BusyAgent(os.path.join(sockdir, "job.sock"))
    a.put("db", SECRET)
    a.revoke("db")
    try:
        path, env = busy_job(tmp_path, a.path)
        r, took = timed([PY, "-c", READ_ONCE, path], env)
        assert (r.returncode, r.stdout) == (0, b"EACCES\n")
        assert r.stderr.decode() == (f"bptee: secret 'db' ({path}): agent refused (denied): "
                                     "secret revoked: db\n")
        assert took < 2 and a.connections == 1
    finally:
        a.close()


# ---- 2. a dead agent voids what it granted

# Opens the secret in a loop until the stop file appears: "<monotonic time at the open> <hex
# content or errno name>" per open.
LOOP = r"""
import errno, os, sys, time
p, stop = sys.argv[1:3]
while not os.path.exists(stop):
    t = time.monotonic()
    try:
        with open(p, "rb") as f:
            v = f.read().hex()
    except OSError as e:
        v = errno.errorcode[e.errno]
    print(f"{t:.6f} {v}", flush=True)
    time.sleep(0.005)
"""


class LoopJob:
    def __init__(self, path, env, tmp):
        self.stop = os.path.join(str(tmp), "stop")
        self.p = start_by_hand([PY, "-c", LOOP, path, self.stop], env)
        self.lines = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.p.stdout:
            t, v = line.decode().split()
            self.lines.append((float(t), v))

    def wait_for(self, value, after=0.0, count=1, timeout=30):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if sum(1 for t, v in list(self.lines) if v == value and t > after) >= count:
                return
            assert self.p.poll() is None, self.p.stderr.read()
            time.sleep(0.01)
        raise AssertionError(f"no {value} after {after}: {self.lines[-5:]}")

    def finish(self):
        open(self.stop, "w").close()
        self.p.wait(timeout=30)
        self.thread.join(timeout=30)
        return self.p.stderr.read().decode()

    def check(self, old, new, t_kill, t_revoked):
        """Old never after the kill, new while provisioned, EACCES after the revocation."""
        lines = list(self.lines)
        assert any(v == old for t, v in lines if t < t_kill)
        assert not [t for t, v in lines if v == old and t >= t_kill], "old value after the kill"
        assert any(v == new for t, v in lines)
        after = [v for t, v in lines if t >= t_revoked]
        assert after and set(after) == {"EACCES"}, after


# A fake agent in a process of its own, so it can be killed: commands on stdin.
FAKE_PROC = r"""
import os, sys
sys.path[:0] = [sys.argv[2], os.path.dirname(sys.argv[2])]
from fake_agent import FakeAgent
if os.path.exists(sys.argv[1]):
    os.unlink(sys.argv[1])  # what a killed one left behind
a = FakeAgent(sys.argv[1])
print("ready", flush=True)
for line in sys.stdin:
    cmd, *w = line.split()
    if cmd == "put":
        a.put(w[0], bytes.fromhex(w[1]), version=int(w[2]))
    elif cmd == "revoke":
        a.revoke(w[0])
    print("done", flush=True)
"""


class FakeAgentProcess:
    def __init__(self, sock):
        self.p = subprocess.Popen([PY, "-c", FAKE_PROC, sock, C_DIR], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        assert self.p.stdout.readline() == "ready\n"

    def do(self, *words):
        self.p.stdin.write(" ".join(words) + "\n")
        self.p.stdin.flush()
        assert self.p.stdout.readline() == "done\n"

    def kill(self):
        self.p.kill()
        self.p.wait()


def test_dead_fake_agent_voids_its_copies(tmp_path, sockdir):
    sock = os.path.join(sockdir, "job.sock")
    path = tmp_path / "run" / "secrets" / "db"
    old, new = b"old-password", b"new-password"
    a = FakeAgentProcess(sock)
    b = None
    job = None
    try:
        a.do("put", "db", old.hex(), "1")
        env = preload_env([("db", path)], types.SimpleNamespace(path=sock))
        job = LoopJob(path, env, tmp_path)
        job.wait_for(old.hex(), count=5)
        a.kill()
        t_kill = time.monotonic()
        time.sleep(0.3)
        b = FakeAgentProcess(sock)  # a new instance: the same version number, another value
        b.do("put", "db", new.hex(), "1")
        job.wait_for(new.hex(), after=time.monotonic(), count=5)
        b.do("revoke", "db")
        t_revoked = time.monotonic()
        job.wait_for("EACCES", after=t_revoked, count=20)
        err = job.finish()
        job.check(old.hex(), new.hex(), t_kill, t_revoked)
        assert len(err.splitlines()) == 1 and err.startswith(f"bptee: secret 'db' ({path}): ")
    finally:
        if job and job.p.poll() is None:
            job.p.kill()
        for x in (a, b):
            if x:
                x.kill()


def test_dead_agent_without_successor_fails_closed(tmp_path, sockdir):
    """Killed outright, its page still says "current" (nobody marked it gone): the copy is
    still not served. The twin of the same job with the agent alive keeps reading it."""
    sock = os.path.join(sockdir, "job.sock")
    path = tmp_path / "run" / "secrets" / "db"
    a = FakeAgentProcess(sock)
    job = None
    try:
        a.do("put", "db", SECRET.hex(), "1")
        job = LoopJob(path, preload_env([("db", path)], types.SimpleNamespace(path=sock)),
                      tmp_path)
        job.wait_for(SECRET.hex(), count=5)
        t_alive = time.monotonic()
        job.wait_for(SECRET.hex(), after=t_alive, count=20)  # the twin: alive, served
        a.kill()
        os.unlink(sock)  # nothing to retry: each open fails at once
        t_kill = time.monotonic()
        job.wait_for("EACCES", after=t_kill, count=20)
        err = job.finish()
        lines = list(job.lines)
        assert not [v for t, v in lines if t >= t_kill and v != "EACCES"]
        assert err == (f"bptee: secret 'db' ({path}): agent socket {sock}: "
                       "No such file or directory\n")
    finally:
        if job and job.p.poll() is None:
            job.p.kill()
        a.kill()


def test_killed_and_restarted_real_agent(tmp_path, sim_dir, policy_sim):
    """The real agent, killed with SIGKILL while a job loops on the secret; a new agent at the
    same socket gets a different value (the same version number: a new store), then revokes
    it."""
    alice = Owner(tmp_path, "alice")
    path = tmp_path / "run" / "secrets" / "db"
    a = owner_agent(tmp_path, sim_dir, [alice], {"db": ["alice"]})
    b = None
    job = None
    try:
        assert provision(a, policy_sim, {"db": b"old-password"}, *alice.args(),
                         tmp=tmp_path).returncode == 0
        env = preload_env([("db", path)], types.SimpleNamespace(path=a.sock))
        job = LoopJob(path, env, tmp_path)
        grant(a.sock, ["db"], pid=job.p.pid)  # the operator registers the job it started
        job.wait_for(b"old-password".hex(), count=5)
        a.stop(signal.SIGKILL)
        t_kill = time.monotonic()
        b = owner_agent(tmp_path, sim_dir, [alice], {"db": ["alice"]})
        assert b.sock == a.sock
        # a new agent knows no job: the operator registers the running one with it
        grant(b.sock, ["db"], pid=job.p.pid)
        r = provision(b, policy_sim, {"db": b"new-password"}, *alice.args(), tmp=tmp_path)
        assert r.returncode == 0, r.stderr
        job.wait_for(b"new-password".hex(), after=time.monotonic(), count=5)
        r = subprocess.run([B.CLI, "revoke", "--agent", b.url, "--policy", policy_sim,
                            *alice.args(), "db"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        t_revoked = time.monotonic()
        job.wait_for("EACCES", after=t_revoked, count=20)
        err = job.finish()
        job.check(b"old-password".hex(), b"new-password".hex(), t_kill, t_revoked)
        assert len(err.splitlines()) == 1 and err.startswith(f"bptee: secret 'db' ({path}): ")
    finally:
        if job and job.p.poll() is None:
            job.p.kill()
        a.stop(signal.SIGKILL)
        if b:
            b.stop()


# ---- 3. non-dumpable


DUMPABLE = "import ctypes; print(ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))"  # PR_GET_DUMPABLE


def test_job_that_declares_secrets_is_not_dumpable(tmp_path):
    env = preload_env([("db", tmp_path / "db")])
    r = run_by_hand([PY, "-c", DUMPABLE], env)
    assert (r.returncode, r.stdout, r.stderr) == (0, b"0\n", b"")
    # The twin: the preload without declared secrets leaves the job as it was.
    env.pop("BPTEE_SECRETS")
    r = run_by_hand([PY, "-c", DUMPABLE], env)
    assert (r.returncode, r.stdout, r.stderr) == (0, b"1\n", b"")


# Reads the secret, keeps it open, says where, and waits.
HOLD = r"""
import os, sys
f = open(sys.argv[1], "rb")
data = f.read()
print(os.getpid(), f.fileno(), data.hex(), flush=True)
sys.stdin.readline()
"""

# Another process of the same uid tries to take it.
STRANGER = r"""
import errno, sys
pid, fd = sys.argv[1:3]
for what in (f"/proc/{pid}/fd/{fd}", f"/proc/{pid}/mem", f"/proc/{pid}/environ"):
    try:
        with open(what, "rb") as f:
            print(what.split("/")[-1] if "/fd/" not in what else "fd",
                  f.read(64).hex() if "/mem" not in what else "opened")
    except OSError as e:
        print(what.split("/")[-1] if "/fd/" not in what else "fd", errno.errorcode[e.errno])
"""


def stranger_sees(job_env, path, data):
    p = start_by_hand([PY, "-c", HOLD, path], job_env, stdin=subprocess.PIPE, **as_nobody())
    try:
        line = p.stdout.readline().decode().split()
        assert len(line) == 3, p.stderr.read()
        pid, fd, seen = line
        assert bytes.fromhex(seen) == data
        r = subprocess.run([PY, "-c", STRANGER, pid, fd], capture_output=True, timeout=60,
                           env={"PATH": "/usr/bin:/bin"}, **as_nobody())
        assert r.returncode == 0, r.stderr
        return dict(ln.split(" ", 1) for ln in r.stdout.decode().splitlines())
    finally:
        p.communicate(b"\n", timeout=30)


def test_same_uid_stranger_cannot_take_the_secret():
    d = open_dir()
    a = FakeAgent(os.path.join(d, "job.sock"))
    try:
        os.chmod(a.path, 0o777)
        a.put("db", SECRET)
        path = os.path.join(d, "run", "secrets", "db")
        env = preload_env([("db", path)], a)
        seen = stranger_sees(env, path, SECRET)  # the job itself reopened its /proc/self/fd
        assert seen == {"fd": "EACCES", "mem": "EACCES", "environ": "EACCES"}
    finally:
        a.close()
        shutil.rmtree(d)


def test_same_uid_stranger_takes_it_from_a_dumpable_job():
    """The twin: the same job and stranger without the interposer (the secret a plain file):
    everything is open to the stranger, so the test above can fail."""
    d = open_dir()
    try:
        path = os.path.join(d, "db")
        with open(path, "wb") as f:
            f.write(SECRET)
        os.chmod(path, 0o444)
        env = {k: v for k, v in os.environ.items() if not k.startswith("BPTEE_")}
        env.pop("LD_PRELOAD", None)
        seen = stranger_sees(env, path, SECRET)
        assert seen["fd"] == SECRET.hex() and seen["mem"] == "opened"
        assert seen["environ"] not in ("EACCES", "EPERM")
    finally:
        shutil.rmtree(d)


# Reads the canary and aborts: a core dump, if the kernel makes one.
CRASH = r"""
import os, sys
canary = open(sys.argv[1], "rb").read()
os.abort()
"""

CORE_LOCK = "/tmp/bptee-core-pattern.lock"


@pytest.fixture
def pipe_core_pattern(tmp_path):
    """core_pattern = a pipe to a handler that saves the core; the original restored after.
    Serialised by a lock file so no other crash lands in it meanwhile."""
    if chrooted():
        pytest.skip("core_pattern handlers run in the init process's root, outside this chroot")
    pattern = "/proc/sys/kernel/core_pattern"
    suid = "/proc/sys/fs/suid_dumpable"
    if not os.access(pattern, os.W_OK):
        pytest.skip("core_pattern is not writable here (not root, or a container)")
    cores = tmp_path / "cores"
    cores.mkdir()
    handler = tmp_path / "core-handler.sh"
    handler.write_text(f'#!/bin/sh\n/bin/cat > "{cores}/core.$1.$2.part" && '
                       f'/bin/mv "{cores}/core.$1.$2.part" "{cores}/core.$1.$2"\n')
    handler.chmod(0o755)
    with open(CORE_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        old_pattern, old_suid = open(pattern).read(), open(suid).read()
        try:
            with open(suid, "w") as f:  # the default: 2 would dump non-dumpable ones too
                f.write("0\n")
            with open(pattern, "w") as f:
                f.write(f"|{handler} %p %e\n")  # core.PID.COMM
            yield cores
        finally:
            with open(pattern, "w") as f:
                f.write(old_pattern)
            with open(suid, "w") as f:
                f.write(old_suid)


def core_of(cores, pid, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = [c for c in cores.glob(f"core.{pid}.*") if not c.name.endswith(".part")]
        if found:
            return found[0].read_bytes()
        time.sleep(0.05)
    return None


def test_pipe_core_handler_gets_no_core_of_a_job_with_secrets(tmp_path, pipe_core_pattern):
    canary = os.urandom(16).hex().encode()
    d = tempfile.mkdtemp(prefix="bptee-core-")
    a = FakeAgent(os.path.join(d, "job.sock"))
    try:
        a.put("db", canary)
        path = tmp_path / "run" / "secrets" / "db"
        p = start_by_hand([PY, "-c", CRASH, path], preload_env([("db", path)], a))
        out, err = p.communicate(timeout=60)
        assert p.returncode == -signal.SIGABRT and err == b"", err
        assert a.count("db") == 1  # it did read the canary
        assert core_of(pipe_core_pattern, p.pid, 5) is None
        # A core of some other process that crashed meanwhile is not the job's; none of them
        # may hold the canary either.
        for other in pipe_core_pattern.iterdir():
            assert canary not in other.read_bytes(), other.name
    finally:
        a.close()
        shutil.rmtree(d)


def test_pipe_core_handler_gets_the_canary_without_the_interposer(tmp_path, pipe_core_pattern):
    """The twin: the same job without the interposer (the canary in a plain file) reaches the
    handler, canary and all, although RLIMIT_CORE is 0 (a pipe handler ignores it)."""
    canary = os.urandom(16).hex().encode()
    path = tmp_path / "db"
    path.write_bytes(canary)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BPTEE_")}
    env.pop("LD_PRELOAD", None)
    p = start_by_hand([PY, "-c", CRASH, path], env,
                      preexec_fn=lambda: __import__("resource").setrlimit(
                          __import__("resource").RLIMIT_CORE, (0, 0)))
    p.communicate(timeout=60)
    assert p.returncode == -signal.SIGABRT
    core = core_of(pipe_core_pattern, p.pid, 30)
    assert core is not None and canary in core


# ---- 4. Go programs under a hand-set LD_PRELOAD

GO_MAIN = r"""package main

// #include <stdlib.h>
import "C"

import (
	"fmt"
	"os"
)

func main() {
	_ = C.getenv
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Printf("%s", data)
}
"""


@pytest.fixture(scope="module")
def go_program(tmp_path_factory):
    """A real Go program built with cgo (dynamic: LD_PRELOAD loads into it)."""
    go = shutil.which("go")
    assert go, "golang-go is not installed (make deps)"
    d = tmp_path_factory.mktemp("go")
    (d / "main.go").write_text(GO_MAIN)
    (d / "go.mod").write_text("module bpteegojob\n\ngo 1.19\n")
    env = dict(os.environ, GOCACHE=str(d / "cache"), GOPATH=str(d / "gopath"),
               GOFLAGS="-mod=mod", CGO_ENABLED="1", GOPROXY="off", GO111MODULE="on")
    r = subprocess.run([go, "build", "-o", str(d / "gojob"), "."], cwd=d, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    interp = subprocess.run(["readelf", "-l", str(d / "gojob")], capture_output=True,
                            text=True).stdout
    assert "Requesting program interpreter" in interp  # dynamic: the preload does load
    return d / "gojob"


DECOY = b"decoy-on-disk\n"


@pytest.fixture
def decoy(tmp_path):
    path = tmp_path / "run" / "secrets" / "db"
    path.parent.mkdir(parents=True)
    path.write_bytes(DECOY)
    return path


def test_go_program_is_refused_before_main(go_program, decoy):
    d = tempfile.mkdtemp(prefix="bptee-go-")
    a = FakeAgent(os.path.join(d, "job.sock"))
    try:
        a.put("db", SECRET)
        r = run_by_hand([go_program, decoy], preload_env([("db", decoy)], a))
        assert r.returncode == 127 and DECOY not in r.stdout and r.stdout == b""
        assert r.stderr.decode() == (
            f"bptee: preload: {os.path.realpath(go_program)} is a Go program: it reads files with raw system calls "
            "the interposer cannot see; run it under bptee run (which serves secrets through "
            "the kernel) instead\n")
        assert a.count("db") == 0
        # The twins: the same program without declared secrets runs (and reads the disk, which
        # is what it would have done silently), and a C program with the same declaration is
        # served the secret, not refused.
        env = preload_env([("db", decoy)], a)
        env.pop("BPTEE_SECRETS")
        r = run_by_hand([go_program, decoy], env)
        assert (r.returncode, r.stdout) == (0, DECOY)
        r = run_by_hand(["/bin/cat", decoy], preload_env([("db", decoy)], a))
        assert (r.returncode, r.stdout, r.stderr) == (0, SECRET, b"")
    finally:
        a.close()
        shutil.rmtree(d)


def test_go_program_runs_in_view_mode(go_program, decoy):
    """Under the kernel's view the file at the path is the secret: the Go program reads it."""
    env = preload_env([("db", decoy)])
    env["BPTEE_SECRET_VIEW"] = "1"
    r = run_by_hand([go_program, decoy], env)
    assert (r.returncode, r.stdout, r.stderr) == (0, DECOY, b"")


# ---- 5. view mode


def view_env(path, agent=None):
    env = preload_env([("db", path)], agent)
    env["BPTEE_SECRET_VIEW"] = "1"
    return env


def test_view_mode_leaves_serving_to_the_kernel(tmp_path, decoy):
    d = tempfile.mkdtemp(prefix="bptee-view-")
    a = FakeAgent(os.path.join(d, "job.sock"))
    try:
        a.put("db", SECRET)
        r = run_by_hand(["/bin/cat", decoy, decoy], view_env(decoy, a))
        assert (r.returncode, r.stdout, r.stderr) == (0, DECOY * 2, b"")
        assert a.count("db") == 0 and a.version_count("db") == 0
        # The twin: the same job without view mode is served by the agent, never the disk.
        env = view_env(decoy, a)
        env.pop("BPTEE_SECRET_VIEW")
        r = run_by_hand(["/bin/cat", decoy], env)
        assert (r.returncode, r.stdout, r.stderr) == (0, SECRET, b"")
    finally:
        a.close()
        shutil.rmtree(d)


VIEW_ERRORS = r"""
import errno, os, sys
def attempt(f):
    try:
        f()
        return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]
p, other = sys.argv[1:3]
print(attempt(lambda: open(p, "rb")), attempt(lambda: open(p, "rb")),
      attempt(lambda: os.stat(os.path.join(os.path.dirname(p), "nothing"))),
      attempt(lambda: open(other, "rb")))
"""


def test_view_void_file_fails_with_the_one_line():
    """A revoked secret's view file is unreadable (mode 000 here, as non-root): the job's own
    error, errno preserved, and the one line once."""
    d = open_dir()
    try:
        path = os.path.join(d, "db")
        with open(path, "wb") as f:
            f.write(SECRET)
        os.chmod(path, 0)
        other = os.path.join(d, "other")
        r = run_by_hand([PY, "-c", VIEW_ERRORS, path, other], view_env(path), **as_nobody())
        assert r.returncode == 0
        assert r.stdout == b"EACCES EACCES ENOENT ENOENT\n"
        assert r.stderr.decode() == (f"bptee: secret 'db' ({path}): not available (revoked, not "
                                     "granted, or the agent is gone)\n")
        # ENOENT (never granted, or the agent is gone) says it too; cat gets the errno.
        os.unlink(path)
        r = run_by_hand(["/bin/cat", path], view_env(path), **as_nobody())
        assert r.returncode == 1
        assert r.stderr.decode() == (f"bptee: secret 'db' ({path}): not available (revoked, not "
                                     "granted, or the agent is gone)\n"
                                     f"/bin/cat: {path}: No such file or directory\n")
        # The twin: readable, it is simply read, and nothing is said.
        with open(path, "wb") as f:
            f.write(SECRET)
        os.chmod(path, 0o444)
        r = run_by_hand(["/bin/cat", path], view_env(path), **as_nobody())
        assert (r.returncode, r.stdout, r.stderr) == (0, SECRET, b"")
    finally:
        shutil.rmtree(d)


CHILD = ("import ctypes, os; print(ctypes.CDLL(None).prctl(3, 0, 0, 0, 0), "
         "'BPTEE_PRELOAD' if 'libbptee-preload' in os.environ.get('LD_PRELOAD', '') else '-', "
         "os.environ.get('BPTEE_SECRETS', '-') != '-', os.environ.get('BPTEE_SECRET_VIEW', '-'))")


def test_view_mode_children_keep_the_preload_and_stay_undumpable(tmp_path):
    path = tmp_path / "db"
    child = tmp_path / "child.py"
    child.write_text(CHILD)
    script = f"{PY} {child}; /bin/sh -c '{PY} {child}'"
    r = run_by_hand(["/bin/sh", "-c", script], view_env(path))
    assert (r.returncode, r.stderr) == (0, b"")
    assert r.stdout.decode().splitlines() == ["0 BPTEE_PRELOAD True 1"] * 2
    # The twin: outside view mode (no inheritance asked) children run plainly, dumpable.
    env = view_env(path)
    env.pop("BPTEE_SECRET_VIEW")
    r = run_by_hand(["/bin/sh", "-c", script], env)
    assert (r.returncode, r.stderr) == (0, b"")
    assert r.stdout.decode().splitlines() == ["1 - False -"] * 2
