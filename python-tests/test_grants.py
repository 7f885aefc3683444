# SPDX-License-Identifier: Apache-2.0
"""Job-scoped grants (DESIGN.md contract 10, docs/protocol.md "Jobs and their grants"), with a
real agent and real processes: a job registered by hand (`bptee grant -- CMD`) and its
children read its secret through the interposer; everything else asking the job socket (a
same-uid stranger, a plain process, a fork-then-exec impostor of an allowed binary, a process
of another job or registered for another secret, a process that got a dead root's pid) is
refused and the refusal is on record. A keeper (JOB + WATCH, what `bptee run` does) hears of
every rotation and revocation before the owner's request returns, and one that does not answer
is cut off after 2 s. The job socket holds under load: 64 idle connections from one process,
or from 64 processes, do not keep a granted job from its secret beyond the idle timeout."""
import hashlib
import os
import socket
import subprocess
import sys
import threading
import time
import types

import pytest

import bptee as B
from grants_util import Keeper, grant, granted
from hostcaps import AGENT_MEASURES_JOBS, MEASURE_REASON, check_job_measurement
from test_agent import Agent, JobClient, provision, sha256_file
from test_agent import policy_sim, sim_dir  # noqa: F401  (fixtures)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "c"))
from fake_agent import preload_env  # noqa: E402

PY = "/usr/bin/python3"
SECRET = b"granted-secret"
DECOY = b"decoy-on-disk"
CAT = sha256_file("/bin/cat")


@pytest.fixture
def agent(tmp_path, sim_dir):
    a = Agent(tmp_path, sim_dir)
    yield a
    a.stop()


@pytest.fixture
def db(agent, policy_sim, tmp_path):
    """The secret "db" provisioned, a decoy file planted at its declared path."""
    assert provision(agent, policy_sim, {"db": SECRET}, tmp=tmp_path).returncode == 0
    path = tmp_path / "secrets" / "db"
    path.parent.mkdir()
    path.write_bytes(DECOY)
    return path


def hand_env(agent, path, inherit=False):
    """LD_PRELOAD and the variables an operator sets by hand for a job."""
    return preload_env([("db", path)], types.SimpleNamespace(path=agent.sock), inherit=inherit)


def run(argv, env=None):
    return subprocess.run([str(a) for a in argv], env=env, capture_output=True, timeout=60)


def denials(agent):
    status, _, doc = agent.request("GET", "/v1/audit")
    assert status == 200
    return [e for e in doc["entries"] if e["event"] == "deny"]


def refused_line(reply, pid, what):
    return reply.startswith(f"ERR denied pid {pid} ") and \
        reply.endswith(f"is not a process of a job registered for {what}")


# ---- jobs started by hand


def test_registered_job_reads_its_secret_and_its_twin_is_refused(agent, db):
    env = hand_env(agent, db)
    r = run(granted(agent.sock, ["db"], ["/bin/cat", db], job_id="hand-1"), env)
    assert (r.returncode, r.stdout, r.stderr) == (0, SECRET, b"")
    # the same job, not registered: fails closed with the agent's reason, and on record
    r = run(["/bin/cat", db], env)
    assert r.returncode != 0 and r.stdout == b""
    assert b"is not a process of a job registered for secret db" in r.stderr, r.stderr
    deny = denials(agent)
    assert len(deny) == 1 and deny[0]["name"] == "db"
    check_job_measurement(deny[0], CAT)
    assert "registered for secret db" in deny[0]["detail"]
    assert "is not a process of a job registered for secret db" in agent.log()


def test_children_and_grandchildren_of_the_job(agent, db):
    script = f"cat {db}; echo; sh -c 'cat {db}'"
    env = hand_env(agent, db, inherit=True)  # children keep the preload
    r = run(granted(agent.sock, ["db"], ["/bin/sh", "-c", script]), env)
    assert (r.returncode, r.stdout, r.stderr) == (0, SECRET + b"\n" + SECRET, b"")
    r = run(["/bin/sh", "-c", script], env)  # the twin: the same tree, unregistered
    assert r.returncode != 0 and SECRET not in r.stdout and DECOY not in r.stdout


def nested(agent, db, outer, inner):
    """cat of db as the root of a job granted inner, a child of a shell that is the root of a
    job granted outer (`; true`: the shell must not exec cat in its own place)."""
    cat = " ".join(map(str, granted(agent.sock, inner, ["/bin/cat", db], job_id="inner")))
    return run(granted(agent.sock, outer, ["/bin/sh", "-c", cat + "; true"], job_id="outer"),
               hand_env(agent, db, inherit=True))


def test_a_nearer_grant_for_other_secrets_does_not_hide_one_further_up(agent, db):
    # the walk from cat goes on past its own root (granted "other") to the shell's (db)
    r = nested(agent, db, ["db"], ["other"])
    assert (r.returncode, r.stdout, r.stderr) == (0, SECRET, b"")
    # neither root granted db: refused at the end of the walk, and on record
    r = nested(agent, db, ["other"], ["other2"])
    assert r.stdout == b"" and b"/bin/cat:" in r.stderr  # cat failed (the shell exits 0)
    assert b"is not a process of a job registered for secret db" in r.stderr, r.stderr
    assert [e["name"] for e in denials(agent)] == ["db"]


def test_grant_by_pid(agent, db):
    code = ("import sys; sys.stdin.readline(); "
            f"print(open({str(db)!r}, 'rb').read().decode(), flush=True)")
    env = hand_env(agent, db)
    p = subprocess.Popen([PY, "-c", code], env=env, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    r = run([B.CLI, "grant", "--socket", agent.sock, "--job-id", "by-pid", "--secret", "db",
             "--pid", p.pid])
    assert r.returncode == 0, r.stderr
    out, err = p.communicate(b"go\n", timeout=60)
    assert (p.returncode, out, err) == (0, SECRET + b"\n", b"")


def test_strangers_are_refused_and_on_record(agent, db, tmp_path):
    # a same-uid process (this one), unregistered
    c = JobClient(agent.sock)
    reply, fds = c.secret("db")
    assert refused_line(reply, os.getpid(), "secret db") and fds is None
    c.close()
    # a plain process (no preload at all) asking the socket itself
    ask = ("import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); "
           "s.sendall(b'SECRET db\\n'); print(s.recv(512).decode().strip())")
    p = run([PY, "-c", ask, agent.sock])
    assert p.stdout.decode().startswith("ERR denied pid ") and b"secret db" in p.stdout
    # registered, but for another secret, and for another job
    r = run(granted(agent.sock, ["other"], [PY, "-c", ask, agent.sock]))
    assert b"registered for secret db" in r.stdout, r.stdout
    sign = ("import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); "
            "s.sendall(b'SIGN j-1 ' + b'00' * 32 + b' -\\n'); print(s.recv(512).decode())")
    r = run(granted(agent.sock, ["db"], [PY, "-c", sign, agent.sock], job_id="j-2"))
    assert b"registered for job j-1" in r.stdout, r.stdout
    r = run(granted(agent.sock, ["db"], [PY, "-c", sign, agent.sock], job_id="j-1"))
    assert r.stdout.startswith(b"OK "), r.stdout  # the twin: its own job id is signed
    deny = denials(agent)
    assert [d["pid"] for d in deny][0] == os.getpid() and len(deny) == 4
    assert all("is not a process of a job registered for" in d["detail"] for d in deny)


@pytest.mark.skipif(not AGENT_MEASURES_JOBS, reason=MEASURE_REASON)
def test_impostor_that_execs_an_allowed_binary(agent, policy_sim, tmp_path):
    """The secret is for /bin/cat only; cat registered for it reads it, while a process that
    forks and execs /bin/cat (with the preload, unregistered) is refused: the binary alone
    does not make a job."""
    assert provision(agent, policy_sim, {"db": SECRET}, "--allow-measurement", CAT,
                     tmp=tmp_path).returncode == 0
    path = tmp_path / "db"
    path.write_bytes(DECOY)
    env = hand_env(agent, path)
    r = run(granted(agent.sock, ["db"], ["/bin/cat", path]), env)
    assert (r.returncode, r.stdout) == (0, SECRET)
    impostor = ("import os, sys; pid = os.fork()\n"
                "if pid == 0: os.execv('/bin/cat', ['cat', sys.argv[1]])\n"
                "sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))")
    r = run([PY, "-c", impostor, path], hand_env(agent, path, inherit=True))
    assert r.returncode != 0 and r.stdout == b"" and b"not a process of a job" in r.stderr
    # registered for db, but not allowed by the owner's list: the allow list still applies
    r = run(granted(agent.sock, ["db"], [PY, "-c", f"open({str(path)!r}).read()"]), env)
    assert r.returncode != 0 and b"allow list" in r.stderr, r.stderr
    assert denials(agent)[0]["measurement"] == CAT


def last_pid_set(pid):
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(pid - 1))


@pytest.mark.skipif(os.geteuid() != 0, reason="reusing a pid on purpose needs root (ns_last_pid)")
def test_grant_ends_with_its_root_and_a_reused_pid_inherits_nothing(agent, db):
    ask = ("import socket, sys; sys.stdin.readline(); s = socket.socket(socket.AF_UNIX); "
           "s.connect(sys.argv[1]); s.sendall(b'SECRET db\\n'); "
           "print(s.recv(512).decode().strip(), flush=True)")
    # the root starts a child that asks after the root has exited: re-parented, refused
    root = ("import subprocess, sys; p = subprocess.Popen([sys.executable, '-c', sys.argv[1], "
            "sys.argv[2]], stdin=subprocess.PIPE, stdout=sys.stdout); "
            "print(p.pid, flush=True); sys.stdin.readline(); p.stdin.write(b'go\\n'); "
            "p.stdin.flush(); sys.exit(0)")
    r = subprocess.Popen(granted(agent.sock, ["db"], [PY, "-c", root, ask, agent.sock]),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    r.stdout.readline()
    r.stdin.write(b"go\n")
    r.stdin.close()
    line = r.stdout.readline().decode()
    r.wait(timeout=30)
    assert "is not a process of a job registered for secret db" in line, line
    # a grant's root exits; a new process that gets its very pid is not its job
    for _ in range(20):
        p = subprocess.Popen([PY, "-c", ask, agent.sock], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
        grant(agent.sock, ["db"], job_id="gone", pid=p.pid)
        p.stdin.write(b"go\n")
        p.stdin.flush()
        assert p.stdout.readline().decode().startswith("OK ")  # the accept twin
        p.wait(timeout=30)
        last_pid_set(p.pid)
        q = subprocess.Popen([PY, "-c", ask, agent.sock], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
        if q.pid == p.pid:
            break
        q.kill()
        q.wait()
    else:
        pytest.fail("could not get a pid reused")
    q.stdin.write(b"go\n")
    q.stdin.flush()
    line = q.stdout.readline().decode()
    q.wait(timeout=30)
    assert line.startswith(f"ERR denied pid {p.pid} ") and "secret db" in line


def test_grant_cli_errors(agent, tmp_path):
    def g(*args):
        return run([B.CLI, "grant", *args])
    r = g("--help")
    assert r.returncode == 0 and b"usage: bptee grant" in r.stdout
    for args, needle in [
        ((), b"--socket, --job-id and at least one --secret are required"),
        (("--socket", agent.sock, "--job-id", "j", "--secret", "db"), b"--pid PID or -- CMD"),
        (("--socket", agent.sock, "--job-id", "a/b", "--secret", "db", "--pid", "1"),
         b"--job-id"),
        (("--socket", agent.sock, "--job-id", "j", "--secret", "db", "--pid", "x"), b"--pid"),
        (("--socket", agent.sock, "--job-id", "j", "--secret", "a b", "--pid", "1"),
         b"not a secret name"),
        (("--socket", agent.sock, "--job-id", "j", "--secret", "db", "--pid", "1"),
         b"pid 1 is init or the agent"),
        (("--socket", str(tmp_path / "none"), "--job-id", "j", "--secret", "db", "--", "true"),
         b"connect"),
        (("--socket", agent.sock, "--job-id", "j", "--secret", "db", "--pid", "999999"),
         b"no process 999999"),
        (("--bogus",), b"unknown or incomplete option"),
    ]:
        r = g(*args)
        assert r.returncode == 125 and needle in r.stderr and r.stderr.count(b"\n") == 1, \
            (args, r.stderr)
    r = g("--socket", agent.sock, "--job-id", "j", "--secret", "db", "--", "/nonexistent")
    assert r.returncode == 127
    r = g("--socket", agent.sock, "--job-id", "j", "--secret", "db", "--", "sh", "-c", "exit 3")
    assert r.returncode == 3  # the job's own status
    # GRANT from a process that is not the agent's binary is refused
    c = JobClient(agent.sock)
    reply, _ = c.call(f"GRANT j {os.getpid()} db")
    assert reply.startswith("ERR denied only the agent's own binary may register a job")
    reply, _ = c.call(f"JOB j {CAT}")
    assert reply.startswith("ERR denied only the agent's own binary may register a job")
    c.close()


# ---- keepers: JOB, WATCH and the pushes


def keep(agent, name="db", job="job-w", measurement=CAT):
    k = Keeper(agent.sock)
    assert k.call(f"JOB {job} {measurement}") == ("OK", [])
    line, fds = k.call(f"SECRET {name} {measurement} job={job}")
    assert line.startswith("OK ") and len(fds) == 1, line
    os.close(fds[0])
    assert k.call("WATCH") == ("OK", [])
    return k


def in_background(argv):
    return subprocess.Popen([str(a) for a in argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_keeper_hears_rotation_and_revocation_before_the_owner_returns(agent, db, policy_sim,
                                                                       tmp_path):
    k = keep(agent)
    new = tmp_path / "new"
    new.write_bytes(b"rotated!")
    owner = in_background([B.CLI, "provision", "--agent", agent.url, "--policy", policy_sim,
                           "--secret", f"db=@{new}", "--rotate"])
    line, fds = k.read_line()
    assert line == "CHANGED db 8 2" and len(fds) == 1
    assert os.pread(fds[0], 64, 0) == b"rotated!"
    os.close(fds[0])
    time.sleep(0.5)
    assert owner.poll() is None  # the owner waits for the keeper's view
    k.send("ACK db 2")
    assert owner.wait(timeout=30) == 0, owner.stderr.read()
    owner = in_background([B.CLI, "revoke", "--agent", agent.url, "db"])
    line, fds = k.read_line()
    assert line == "REVOKED db denied secret revoked: db" and not fds
    time.sleep(0.5)
    assert owner.poll() is None
    k.send("ACK db 0")
    assert owner.wait(timeout=30) == 0, owner.stderr.read()
    _, _, doc = agent.request("GET", "/v1/audit")
    pushed = [e for e in doc["entries"] if e["event"] == "deliver" and e.get("job_id") == "job-w"]
    assert [e["version"] for e in pushed] == [1, 2] and pushed[1]["pid"] == k.pid
    assert "pushed to the keeper of job job-w" in pushed[1]["detail"]
    k.close()


def test_allow_list_that_excludes_the_job_is_a_revocation(agent, db, policy_sim, tmp_path):
    k = keep(agent)
    new = tmp_path / "new"
    new.write_bytes(b"only for ls")
    owner = in_background([B.CLI, "provision", "--agent", agent.url, "--policy", policy_sim,
                           "--secret", f"db=@{new}", "--rotate", "--allow-measurement",
                           sha256_file("/bin/ls")])
    line, fds = k.read_line()
    assert line.startswith("REVOKED db denied ") and "allow list" in line and not fds
    k.send("ACK db 0")
    assert owner.wait(timeout=30) == 0
    k.close()


@pytest.mark.parametrize("answer", [None, "ACK db 7", "ACK other 2", "PING"])
def test_keeper_that_does_not_ack_is_cut_off(agent, db, policy_sim, tmp_path, answer):
    silent, good = keep(agent), keep(agent, job="job-ok")
    new = tmp_path / "new"
    new.write_bytes(b"v2")
    t0 = time.monotonic()
    owner = in_background([B.CLI, "provision", "--agent", agent.url, "--policy", policy_sim,
                           "--secret", f"db=@{new}", "--rotate"])
    assert silent.read_line()[0] == "CHANGED db 2 2"
    line, fds = good.read_line()
    assert line == "CHANGED db 2 2"
    os.close(fds[0])
    if answer:
        silent.send(answer)
    good.send("ACK db 2")
    assert owner.wait(timeout=30) == 0, owner.stderr.read()
    took = time.monotonic() - t0
    # silence costs the owner the 2 s the keeper had, no more; a wrong answer, nothing
    assert (2.0 <= took < 4.5) if answer is None else took < 2.0, took
    assert silent.read_line(timeout=5)[0] is None  # hung up: the keeper voids its view
    entries = agent.request("GET", "/v1/audit")[2]["entries"]
    cut = [e for e in entries if e["event"] == "deny" and "cut off" in e.get("detail", "")]
    assert len(cut) == 1 and cut[0]["job_id"] == "job-w", cut
    assert "keeper of job job-w cut off" in agent.log()
    # the good keeper stays; the cut one's grant is over
    owner = in_background([B.CLI, "revoke", "--agent", agent.url, "db"])
    assert good.read_line()[0] == "REVOKED db denied secret revoked: db"
    good.send("ACK db 0")
    assert owner.wait(timeout=30) == 0
    silent.close()
    good.close()


def test_watch_and_ack_need_their_order(agent, db):
    k = Keeper(agent.sock)
    assert k.call("WATCH")[0].startswith("ERR invalid WATCH needs a JOB")
    assert k.call("ACK db 1")[0].startswith("ERR invalid ACK without a push")
    assert k.call(f"JOB j {CAT}") == ("OK", [])
    assert k.call(f"JOB j {CAT}")[0].startswith("ERR invalid this connection already keeps")
    k.close()


def test_shutdown_closes_watch_connections(agent, db):
    k = keep(agent)
    assert agent.stop() == 0
    assert k.read_line(timeout=10)[0] is None
    k.close()


# ---- the job socket under load


GET = ("import socket, sys, time\n"
       "t0 = time.monotonic(); tries = 0\n"
       "while True:\n"
       "    tries += 1\n"
       "    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])\n"
       "    s.sendall(b'SECRET db\\n'); r = s.recv(512).decode().strip(); s.close()\n"
       "    if r.startswith('OK ') or time.monotonic() - t0 > 8: break\n"
       "    time.sleep(0.2)\n"
       "print(r.split(' ')[0] + ' ' + r.split(' ')[1], tries, round(time.monotonic() - t0, 2))")


def granted_get(agent):
    r = run(granted(agent.sock, ["db"], [PY, "-c", GET, agent.sock]))
    words = r.stdout.decode().split()
    assert len(words) == 4, (r.stdout, r.stderr)
    return " ".join(words[:2]), int(words[2]), float(words[3])


def test_one_process_holding_64_idle_connections(agent, db, policy_sim, tmp_path):
    held, refused = [], 0
    for _ in range(64):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(10)
        s.connect(agent.sock)
        held.append(s)
    time.sleep(0.3)
    for s in held:  # past 8, each is answered and closed at once
        s.setblocking(False)
        try:
            data = s.recv(512)
        except BlockingIOError:
            continue
        assert data.decode().startswith(f"ERR limit too many connections from pid {os.getpid()}")
        refused += 1
    assert refused == 56
    k = keep(agent)  # a WATCH connection outlives the idle timeout
    reply, tries, took = granted_get(agent)
    assert reply == "OK 14" and took < 1.0, (reply, tries, took)
    time.sleep(5.5)
    for s in held[:8]:  # the 8 served ones sent nothing for 5 s: closed
        s.setblocking(True)
        assert s.recv(512) == b""
    for s in held:
        s.close()
    assert "sent no complete request within 5000 ms" in agent.log()
    # the keeper's WATCH connection is exempt: it still hears of a rotation
    new = tmp_path / "new"
    new.write_bytes(b"later")
    owner = in_background([B.CLI, "provision", "--agent", agent.url, "--policy", policy_sim,
                           "--secret", f"db=@{new}", "--rotate"])
    line, fds = k.read_line()
    assert line == "CHANGED db 5 2" and len(fds) == 1
    k.send("ACK db 2")
    assert owner.wait(timeout=30) == 0
    k.close()


HOLD = ("import os, socket, sys, time\n"
        "kids = []\n"
        "for i in range(int(sys.argv[2])):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])\n"
        "        os.write(1, b'held\\n'); time.sleep(30); os._exit(0)\n"
        "    kids.append(pid)\n"
        "sys.stdin.readline()\n"
        "for pid in kids:\n"
        "    os.kill(pid, 9); os.waitpid(pid, 0)\n")


def test_64_processes_holding_idle_connections(agent, db):
    holders = subprocess.Popen([PY, "-c", HOLD, agent.sock, "64"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE)
    try:
        for _ in range(64):
            assert holders.stdout.readline() == b"held\n"
        time.sleep(0.3)
        # the pool is full: a job is refused at first, then served once the idle
        # connections time out (5 s), well before its retries give up
        t0 = time.monotonic()
        reply, tries, took = granted_get(agent)
        took = time.monotonic() - t0  # bptee grant and the job both retry while refused
        assert reply == "OK 14" and 3.0 < took < 7.5, (reply, tries, took)
        assert "too many job connections" in agent.log()  # it was refused first
    finally:
        holders.stdin.close()
        holders.wait(timeout=60)


def test_change_between_secret_and_watch_is_pushed_at_watch(agent, db, policy_sim, tmp_path):
    k = Keeper(agent.sock)
    assert k.call(f"JOB job-late {CAT}") == ("OK", [])
    line, fds = k.call(f"SECRET db {CAT} job=job-late")
    assert line == "OK 14 1"
    os.close(fds[0])
    new = tmp_path / "new"
    new.write_bytes(b"v2")
    assert provision(agent, policy_sim, {"db": b"v2"}, "--rotate", tmp=tmp_path).returncode == 0
    ok, early = k.call("WATCH")  # one read may take the push's memfd with the OK
    line, fds = k.read_line(timeout=5)  # the rotation it missed, right away
    fds += early
    assert ok == "OK" and line == "CHANGED db 2 2" and len(fds) == 1
    os.close(fds[0])
    k.send("ACK db 2")
    k.close()
    # the twin: a keeper whose copy is current hears nothing at WATCH
    k = keep(agent, job="job-current")
    with pytest.raises(TimeoutError):
        k.read_line(timeout=1)
    k.close()


def test_keeper_c_api(agent, db, policy_sim, tmp_path):
    """What `bptee run` calls: bptee_job_register, _secret_for_job, _watch, _push_read, _ack."""
    import ctypes
    from ctypes import POINTER, byref, c_char_p, c_int, c_uint64
    from test_agent import JobPush
    register = B.fn("bptee_job_register", c_int, c_int, c_char_p, c_char_p)
    secret = B.fn("bptee_job_secret_for_job", c_int, c_int, c_char_p, c_char_p, c_char_p,
                  POINTER(c_int), POINTER(c_uint64), POINTER(c_uint64))
    watch = B.fn("bptee_job_watch", c_int, c_int)
    push_read = B.fn("bptee_job_push_read", c_int, c_int, POINTER(JobPush), POINTER(c_int))
    ack = B.fn("bptee_job_ack", c_int, c_int, c_char_p, c_uint64)
    k = Keeper(agent.sock)
    k.s.setblocking(True)  # a Python timeout makes the descriptor non-blocking
    fd, m = k.s.fileno(), bytes.fromhex(CAT)
    mfd, size, version = c_int(-1), c_uint64(), c_uint64()
    rc = secret(fd, b"db", m, b"job-c", byref(mfd), byref(size), byref(version))
    assert B.NAMES[rc] == "EDENIED" and "no job registered" in B.last_error()  # JOB first
    B.check(register(fd, b"job-c", m))
    B.check(secret(fd, b"db", m, b"job-c", byref(mfd), byref(size), byref(version)))
    assert os.pread(mfd.value, 64, 0) == SECRET and version.value == 1
    os.close(mfd.value)
    B.check(watch(fd))
    owner = in_background([B.CLI, "revoke", "--agent", agent.url, "db"])
    p, got = JobPush(), c_int(-1)
    B.check(push_read(fd, byref(p), byref(got)))
    assert (p.kind, p.name, got.value, p.reason) == (2, b"db", -1, b"secret revoked: db")
    B.check(ack(fd, b"db", 0))
    assert owner.wait(timeout=30) == 0
    k.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="runs the agent and the job as another user")
def test_agent_of_an_ordinary_user_registers_a_preloaded_grant():
    """An agent run by uid 65534 and `bptee grant` started with the job's LD_PRELOAD: the
    interposer makes bptee grant non-dumpable, which would hide its binary from an unprivileged
    agent (it refused "an unmeasured one"); bptee grant is dumpable again before it registers,
    so cat reads the secret, never the decoy. Unmeasured, as such an agent must serve it."""
    from view_util import Agent as ViewAgent, demote, open_dir
    nobody = 65534
    home = open_dir("bptee-grant-nobody-")
    os.chown(home, nobody, nobody)
    agent = ViewAgent(os.path.join(home, "sim"), uid=nobody, home=home)
    try:
        agent.provision("db", SECRET)
        path = os.path.join(home, "db")
        with open(path, "wb") as f:
            f.write(DECOY)
        os.chmod(path, 0o644)
        r = subprocess.run(granted(agent.sock, ["db"], ["/bin/cat", path], job_id="nobody-1"),
                           env=hand_env(agent, path), capture_output=True, timeout=60,
                           **demote(nobody))
        assert (r.returncode, r.stdout, r.stderr) == (0, SECRET, b""), r.stderr
    finally:
        agent.cleanup()
        subprocess.run(["rm", "-rf", home])
