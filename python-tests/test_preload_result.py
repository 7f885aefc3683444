# SPDX-License-Identifier: Apache-2.0
"""Results of jobs started with LD_PRELOAD set by hand, without `bptee run` (DESIGN.md contract
9, docs/interposer.md "Results"): BPTEE_RESULT_FILE and BPTEE_JOB_ID declare the result; at a
successful exit the interposer hands the file to the agent (RESULT on the job socket), which
injects a verifiable "tee" member into a JSON object or writes a sidecar beside anything else.
A job that exits 1, or is killed, gets nothing; one that exits 0 with a result that could not be
attested exits 125 instead."""
import json
import os
import signal
import subprocess

import pytest

import bptee
from grants_util import granted
from test_agent import Agent, POLICY_SIM
from test_result import argv_sha256
from test_agent import sim_dir  # noqa: F401  (fixture)

PY = "/usr/bin/python3"


@pytest.fixture
def agent(tmp_path, sim_dir):
    d = tmp_path / "agent"
    d.mkdir()
    a = Agent(d, sim_dir)
    yield a
    a.stop()


def policy(tmp_path):
    p = tmp_path / "policy.json"
    p.write_text(json.dumps(POLICY_SIM))
    return str(p)


def job_env(agent, result, job_id="hand-1"):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    env["LD_PRELOAD"] = bptee.preload_with(bptee.PRELOAD)
    env["BPTEE_AGENT_SOCKET"] = agent.sock
    env["BPTEE_RESULT_FILE"] = str(result)
    env["BPTEE_JOB_ID"] = job_id
    return env


def run_job(code, env, *args, grant=True):
    """Run the job, registered for its job id first (`bptee grant -- ...`) unless grant is
    False."""
    argv = [PY, "-c", code, *args]
    if grant:
        argv = granted(env["BPTEE_AGENT_SOCKET"], ["none"], argv, job_id=env["BPTEE_JOB_ID"])
    return subprocess.run(argv, env=env, capture_output=True, timeout=60)


WRITE = "import sys; open(sys.argv[1], 'wb').write(sys.argv[2].encode()); sys.exit(int(sys.argv[3]))"


def verify(tmp_path, path, *extra):
    return bptee.cli("result", "verify", str(path), "--policy", policy(tmp_path), *extra)


def test_json_result_gets_a_verifiable_tee_member(tmp_path, agent):
    out = tmp_path / "out.json"
    r = run_job(WRITE, job_env(agent, out), str(out), '{"answer": 42}', "0")
    assert (r.returncode, r.stderr) == (0, b"")
    doc = json.loads(out.read_text())
    assert doc["answer"] == 42 and doc["tee"]["job"]["id"] == "hand-1"
    v = verify(tmp_path, out)
    assert v.returncode == 0, v.stderr
    assert not (tmp_path / "out.json.tee.json").exists()
    argv = [PY, "-c", WRITE, str(out), '{"answer": 42}', "0"]
    assert doc["tee"]["job"]["argv_sha256"] == argv_sha256(argv).hex()
    # the twin: an edited result no longer verifies
    doc["answer"] = 43
    out.write_text(json.dumps(doc))
    assert verify(tmp_path, out).returncode != 0


def test_other_result_gets_a_verifiable_sidecar(tmp_path, agent):
    out = tmp_path / "out.txt"
    r = run_job(WRITE, job_env(agent, out), str(out), "plain text\n", "0")
    assert (r.returncode, r.stderr) == (0, b"")
    assert out.read_text() == "plain text\n"  # untouched
    side = tmp_path / "out.txt.tee.json"
    assert json.loads(side.read_text())["result"]["covers"] == "bytes"
    v = verify(tmp_path, out)
    assert v.returncode == 0, v.stderr
    out.write_text("plain text!\n")
    assert verify(tmp_path, out).returncode != 0
    # an existing sidecar is never replaced: the job says so on stderr and exits 125
    r = run_job(WRITE, job_env(agent, out), str(out), "again\n", "0")
    assert r.returncode == 125
    assert b"not attested" in r.stderr and b"never replaced" in r.stderr
    assert json.loads(side.read_text())["result"]["covers"] == "bytes"


def test_failed_or_killed_job_gets_nothing(tmp_path, agent):
    out = tmp_path / "fail.json"
    r = run_job(WRITE, job_env(agent, out), str(out), '{"answer": 1}', "1")
    assert r.returncode == 1 and r.stderr == b""
    assert "tee" not in json.loads(out.read_text())
    killed = tmp_path / "killed.json"
    code = WRITE.replace("sys.exit(int(sys.argv[3]))", "import os, signal; "
                         "os.kill(os.getpid(), signal.SIGKILL)")
    r = run_job(code, job_env(agent, killed), str(killed), '{"answer": 2}', "0")
    assert r.returncode == -signal.SIGKILL
    assert "tee" not in json.loads(killed.read_text())
    # a child that exits 0 before its parent does not attest the parent's result
    code = ("import os, sys\nopen(sys.argv[1], 'w').write('{\"a\": 1}')\npid = os.fork()\n"
            "if pid == 0:\n    sys.exit(0)\nos.waitpid(pid, 0)\nsys.exit(1)")
    forked = tmp_path / "forked.json"
    r = run_job(code, job_env(agent, forked), str(forked))
    assert r.returncode == 1
    assert "tee" not in json.loads(forked.read_text())
    assert not (tmp_path / "forked.json.tee.json").exists()


def test_result_without_agent_says_so_and_exits_125(tmp_path, agent):
    """A job that exited 0 with a result nobody attested must not look like a success."""
    out = tmp_path / "out.json"
    env = job_env(agent, out)
    env["BPTEE_AGENT_SOCKET"] = str(tmp_path / "nobody.sock")
    r = run_job(WRITE, env, str(out), '{"answer": 42}', "0", grant=False)
    assert r.returncode == 125
    assert r.stderr.decode().startswith(f"bptee: result '{out}' of job hand-1 not attested: ")
    assert "tee" not in json.loads(out.read_text())


def test_unregistered_job_result_is_refused(tmp_path, agent):
    """The twin of the tests above: the same job, not registered for hand-1 (or registered
    for another job id), gets no attestation, and the agent says why."""
    out = tmp_path / "out.json"
    for grant in (False, "hand-2"):
        env = job_env(agent, out)
        argv = [PY, "-c", WRITE, str(out), '{"answer": 42}', "0"]
        if grant:
            argv = granted(agent.sock, ["none"], argv, job_id=grant)
        r = subprocess.run(argv, env=env, capture_output=True, timeout=60)
        assert r.returncode == 125
        assert b"not attested" in r.stderr and b"not a process of a job registered for job " \
            b"hand-1" in r.stderr, r.stderr
        assert "tee" not in json.loads(out.read_text())
