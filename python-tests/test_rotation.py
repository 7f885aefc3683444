# SPDX-License-Identifier: Apache-2.0
"""Rotation and revocation reach running jobs (issue #8): under the interposer, the next open()
of a secret's path after a rotation returns the new content while descriptors opened before keep
the old one, and after a revocation every open fails closed with EACCES and one stderr line.
A long-running, unmodified Python job is driven step by step through its stdin and stdout (no
timing), against the real agent and against the fake one (python-tests/c/fake_agent.py)."""
import ctypes
import os
import shutil
import subprocess
import sys
import tempfile
import types

import pytest

import bptee as B
from owners_util import Owner, owner_agent
from test_agent import provision
from test_agent import policy_sim, sim_dir  # noqa: F401  (fixtures)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "c"))
from fake_agent import FakeAgent, preload_env, py, run  # noqa: E402

PY = "/usr/bin/python3"

# Reads the secret, waits for the parent, reads it again (and the descriptor opened at the
# start), waits, then tries once more after the revocation.
JOB = r"""
import errno, os, sys
p = sys.argv[1]
def say(*w):
    print(*w, flush=True)
def attempt(f):
    try:
        return f().hex()
    except OSError as e:
        return errno.errorcode[e.errno]
early = open(p, "rb")
say("A", open(p, "rb").read().hex())
sys.stdin.readline()
say("B", open(p, "rb").read().hex(), early.read().hex(), os.stat(p).st_size)
sys.stdin.readline()
early.seek(0)
say("C", attempt(lambda: open(p, "rb").read()), attempt(lambda: os.stat(p) and b"") or "-",
    early.read().hex())
"""


class Job:
    def __init__(self, path, env, grant_on=None):
        """grant_on: a real agent's socket, where the job is registered for "db" first."""
        argv = [PY, "-c", JOB, str(path)]
        if grant_on:
            argv = granted(grant_on, ["db"], argv)
        self.p = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def step(self):
        """The job's next line, split into words."""
        line = self.p.stdout.readline().decode().split()
        assert line, self.p.stderr.read()
        return line

    def go(self):
        self.p.stdin.write(b"go\n")
        self.p.stdin.flush()

    def finish(self):
        out, err = self.p.communicate(timeout=60)
        assert self.p.returncode == 0, err
        return err.decode()


# ---- against the real agent


def test_running_job_sees_rotation_then_revocation(tmp_path, sim_dir, policy_sim):
    alice = Owner(tmp_path, "alice")
    a = owner_agent(tmp_path, sim_dir, [alice], {"db": ["alice"]})
    try:
        assert provision(a, policy_sim, {"db": b"old-password"}, *alice.args(),
                         tmp=tmp_path).returncode == 0
        path = tmp_path / "run" / "secrets" / "db"
        job = Job(path, preload_env([("db", path)], types.SimpleNamespace(path=a.sock)),
                  grant_on=a.sock)
        assert job.step() == ["A", b"old-password".hex()]
        r = provision(a, policy_sim, {"db": b"new-password!"}, *alice.args(), "--rotate",
                      tmp=tmp_path)
        assert r.returncode == 0, r.stderr
        job.go()
        # the new content at the next open; the descriptor opened before keeps the old one
        assert job.step() == ["B", b"new-password!".hex(), b"old-password".hex(), "13"]
        r = subprocess.run([B.CLI, "revoke", "--agent", a.url, "--policy", policy_sim,
                            *alice.args(), "db"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        job.go()
        # fails closed: open and stat; what was opened before cannot be taken back
        assert job.step() == ["C", "EACCES", "EACCES", b"old-password".hex()]
        err = job.finish()
        assert err == f"bptee: secret 'db' ({path}): agent refused (denied): secret revoked: db\n"
        log = a.log()
        assert "secret db version 1 delivered" in log and "secret db version 2 delivered" in log
    finally:
        a.stop()


# ---- the interposer against the fake agent


@pytest.fixture
def fake():
    d = tempfile.mkdtemp(prefix="bptee-rot-")
    a = FakeAgent(os.path.join(d, "job.sock"))
    yield a
    a.close()
    shutil.rmtree(d)


@pytest.mark.parametrize("slots", [True, False], ids=["version-page", "version-requests"])
def test_rotation_with_the_fake_agent(tmp_path, fake, slots):
    fake.slots = slots  # False: an agent from before the version page
    path = tmp_path / "k"
    fake.put("k", b"one", version=1)
    job = Job(path, preload_env([("k", path)], fake))
    assert job.step() == ["A", b"one".hex()]
    assert fake.count("k") == 1
    fake.put("k", b"two!", version=2)
    job.go()
    assert job.step() == ["B", b"two!".hex(), b"one".hex(), "4"]
    assert fake.count("k") == 2  # fetched once per version
    fake.revoke("k")
    job.go()
    assert job.step() == ["C", "EACCES", "EACCES", b"one".hex()]
    assert job.finish() == f"bptee: secret 'k' ({path}): agent refused (denied): secret revoked: k\n"
    # with the page no open asked VERSION: the rotation and the revocation were read from it
    assert (fake.version_count("k") == 0) == slots


@pytest.mark.parametrize("slots", [True, False], ids=["version-page", "version-requests"])
def test_unchanged_version_is_not_fetched_again(tmp_path, fake, slots):
    fake.slots = slots
    path = tmp_path / "k"
    fake.put("k", b"same\n", version=3)
    r = run(["/bin/cat", path, path, path], preload_env([("k", path)], fake))
    assert (r.returncode, r.stdout, r.stderr) == (0, b"same\n" * 3, b"")
    # a look at the page per reopen, or one short VERSION round trip without it
    assert fake.count("k") == 1 and fake.version_count("k") == (0 if slots else 2)


def test_agent_gone_fails_closed_even_when_cached(tmp_path, fake):
    path = tmp_path / "k"
    fake.put("k", b"cached", version=1)
    job = Job(path, preload_env([("k", path)], fake))
    assert job.step() == ["A", b"cached".hex()]
    fake.close()  # the agent stops: it can no longer vouch that the copy is current
    job.go()
    line = job.p.stdout.readline().decode()
    assert line == ""  # the job died on the failed open
    err = job.p.stderr.read().decode()
    assert f"bptee: secret 'k' ({path}): agent socket " in err and "PermissionError" in err


def test_old_agent_without_version_keeps_the_cache(tmp_path, fake):
    path = tmp_path / "k"
    fake.put("k", b"v\n")
    fake.slots = False  # from before the version page too
    old = fake._answer

    def no_version(conn, line):  # an agent from before rotation: VERSION is unknown
        if line.startswith("VERSION"):
            conn.sendall(b"ERR unsupported job request: unknown command\n")
            return True
        return old(conn, line)

    fake._answer = no_version
    r = run(["/bin/cat", path, path], preload_env([("k", path)], fake))
    assert (r.returncode, r.stdout, r.stderr) == (0, b"v\n" * 2, b"")
    # the twin: any other refusal of VERSION fails closed
    fake._answer = lambda conn, line: (conn.sendall(b"ERR io broken\n") or True) \
        if line.startswith("VERSION") else old(conn, line)
    r = run(["/bin/cat", path, path], preload_env([("k", path)], fake))
    assert r.returncode == 1 and r.stdout == b"v\n"
    assert r.stderr.decode().startswith(f"bptee: secret 'k' ({path}): agent refused (io): broken")


def test_handed_down_memfd_version_from_its_label(tmp_path, fake):
    from fake_agent import sealed_memfd
    path = tmp_path / "k"
    fake.put("k", b"rotated", version=5)
    fd = sealed_memfd("bptee:k@4", b"handed")  # as bptee run hands version 4 down
    try:
        env = preload_env([("k", path)], fake, fds=[("k", fd)])
        r = run(["/bin/cat", path], env, pass_fds=(fd,))
    finally:
        os.close(fd)
    assert (r.returncode, r.stdout) == (0, b"rotated")  # 4 is not current: fetched again
    fd = sealed_memfd("bptee:k@5", b"handed")
    try:
        env = preload_env([("k", path)], fake, fds=[("k", fd)])
        r = run(["/bin/cat", path], env, pass_fds=(fd,))
    finally:
        os.close(fd)
    assert (r.returncode, r.stdout) == (0, b"handed")  # the twin: current, used as is
    assert fake.count("k") == 1


def test_job_id_travels_with_secret_requests(tmp_path, fake):
    path = tmp_path / "k"
    fake.put("k", b"x")
    env = preload_env([("k", path)], fake)
    env["BPTEE_JOB_ID"] = "job-7"
    assert run(["/bin/cat", path], env).stdout == b"x"
    env["BPTEE_JOB_ID"] = "bad id"  # not a job id: sent without one
    assert run(["/bin/cat", path], env).stdout == b"x"
    assert fake.job_ids == ["job-7"] and fake.count("k") == 2
    assert py("print(1)", env).stdout == b"1\n"


# ---- the job socket: VERSION and the job id on SECRET (docs/protocol.md)

from grants_util import grant, granted  # noqa: E402
from test_agent import JobClient, JobReply, JobRequest, format_request, parse_request  # noqa
from test_agent import rep_format, rep_parse, req_parse  # noqa: E402


@pytest.mark.parametrize("line", [
    b"VERSION db\n", b"VERSION db " + b"ab" * 32 + b"\n", b"SECRET db job=job-1\n",
    b"SECRET db " + b"ab" * 32 + b" job=j:1@x+y\n",
])
def test_version_and_job_id_round_trip(line):
    r = parse_request(line)
    assert format_request(r) == line
    if b"job=" in line:
        assert r.job_id == line.split(b"job=")[1].strip()


@pytest.mark.parametrize("line", [
    b"VERSION\n", b"VERSION a b\n", b"VERSION ..\n", b"SECRET db job=\n", b"SECRET db job=a b\n",
    b"SECRET db job=x " + b"ab" * 32 + b"\n", b"SECRET db job=a/b\n",
    b"SECRET db " + b"ab" * 32 + b" job=x y\n",
])
def test_version_and_job_id_rejects(line):
    r = JobRequest()
    assert B.NAMES[req_parse(line, len(line), ctypes.byref(r))] == "EPARSE", B.last_error()


def test_version_reply_codec():
    r = JobReply()
    line = b"OK 42\n"
    B.check(rep_parse(6, line, len(line), ctypes.byref(r)))
    assert r.version == 42
    out, n = ctypes.create_string_buffer(600), ctypes.c_size_t()
    B.check(rep_format(ctypes.byref(r), out, 600, ctypes.byref(n)))
    assert out.raw[:n.value] == line
    bad = b"OK 1 2\n"
    assert rep_parse(6, bad, len(bad), ctypes.byref(r)) < 0


def test_agent_answers_version(tmp_path, sim_dir, policy_sim):
    alice = Owner(tmp_path, "alice")
    a = owner_agent(tmp_path, sim_dir, [alice], {"*": ["alice"]})
    try:
        c = JobClient(a.sock)
        line, _ = c.call("VERSION db")  # the twin: not a process of a job granted db
        assert line.startswith("ERR denied ") and line.endswith("registered for secret db")
        grant(a.sock, ["db", "only"])
        assert c.call("VERSION db") == ("ERR notfound secret not found: db", [])
        assert provision(a, policy_sim, {"db": b"1"}, *alice.args(), tmp=tmp_path).returncode == 0
        assert c.call("VERSION db") == ("OK 1", [])
        assert provision(a, policy_sim, {"db": b"2"}, *alice.args(), "--rotate",
                         tmp=tmp_path).returncode == 0
        assert c.call("VERSION db") == ("OK 2", [])
        # the allow list applies to VERSION as to SECRET
        assert provision(a, policy_sim, {"only": b"x"}, *alice.args(), "--allow-measurement",
                         "ab" * 32, tmp=tmp_path).returncode == 0
        line, fds = c.call("VERSION only")
        assert line.startswith("ERR denied secret only: binary measurement") and not fds
        r = subprocess.run([B.CLI, "revoke", "--agent", a.url, "--policy", policy_sim,
                            *alice.args(), "db"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert c.call("VERSION db") == ("ERR denied secret revoked: db", [])
        c.close()
    finally:
        a.stop()


def test_secret_for_job_client(tmp_path, sim_dir):
    from test_agent import Agent
    connect = B.fn("bptee_job_connect", ctypes.c_int, ctypes.c_char_p,
                   ctypes.POINTER(ctypes.c_int))
    for_job = B.fn("bptee_job_secret_for_job", ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                   ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int),
                   ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_uint64))
    a = Agent(tmp_path, sim_dir)
    try:
        fd, mfd = ctypes.c_int(), ctypes.c_int(-1)
        size, version = ctypes.c_uint64(), ctypes.c_uint64()
        B.check(connect(a.sock.encode(), ctypes.byref(fd)))
        args = (ctypes.byref(mfd), ctypes.byref(size), ctypes.byref(version))
        rc = for_job(fd, b"db", b"ab" * 16, b"bad id", *args)
        assert B.NAMES[rc] == "EINVAL" and "job id" in B.last_error()
        rc = for_job(fd, b"db", b"ab" * 16, b"job-1", *args)  # sent; Python is not bptee
        assert B.NAMES[rc] == "EDENIED" and "only the agent's own binary" in B.last_error()
        os.close(fd.value)
    finally:
        a.stop()


# ---- the version page (docs/protocol.md)


def page_word(page, slot):
    import struct
    return struct.unpack_from("=Q", page, slot * 8)[0]


def test_version_page_is_read_only_and_tracks_the_secret(tmp_path, sim_dir, policy_sim):
    import errno
    import mmap
    alice = Owner(tmp_path, "alice")
    a = owner_agent(tmp_path, sim_dir, [alice], {"*": ["alice"]})
    try:
        assert provision(a, policy_sim, {"db": b"1"}, *alice.args(), tmp=tmp_path).returncode == 0
        grant(a.sock, ["db"])
        c = JobClient(a.sock)
        line, fds = c.call("SECRET db slot")
        assert line.startswith("OK 1 1 ") and len(fds) == 2, line
        slot = int(line.split()[3])
        memfd, pfd = fds
        os.close(memfd)
        assert os.fstat(pfd).st_size == 4096 * 8
        page = mmap.mmap(pfd, 4096 * 8, mmap.MAP_SHARED, mmap.PROT_READ)
        assert page_word(page, slot) == 1
        # the job cannot write it: not through its descriptor, nor a read-write reopen of it
        with pytest.raises(OSError) as e:
            os.write(pfd, b"\xff" * 8)
        assert e.value.errno == errno.EBADF
        with pytest.raises(PermissionError):
            mmap.mmap(pfd, 4096 * 8, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        rw = os.open(f"/proc/self/fd/{pfd}", os.O_RDWR)
        with pytest.raises(PermissionError):  # F_SEAL_FUTURE_WRITE
            os.pwrite(rw, b"\xff" * 8, slot * 8)
        with pytest.raises(PermissionError):
            mmap.mmap(rw, 4096 * 8, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        os.close(rw)
        assert page_word(page, slot) == 1
        # without "slot" the reply and its descriptors are as before the page
        line, fds = c.call("SECRET db")
        assert line == "OK 1 1" and len(fds) == 1
        os.close(fds[0])
        assert provision(a, policy_sim, {"db": b"2"}, *alice.args(), "--rotate",
                         tmp=tmp_path).returncode == 0
        assert page_word(page, slot) == 2  # the rotation is on the page when provision returns
        r = subprocess.run([B.CLI, "revoke", "--agent", a.url, "--policy", policy_sim,
                            *alice.args(), "db"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert page_word(page, slot) == (1 << 63) | 3  # revoked, at version 3
        line, fds = c.call("SECRET db slot")
        assert line == "ERR denied secret revoked: db" and not fds
        c.close()
        a.stop()
        assert page_word(page, slot) == (1 << 64) - 1  # a stopped agent vouches for nothing
        page.close()
        os.close(pfd)
    finally:
        a.stop()
