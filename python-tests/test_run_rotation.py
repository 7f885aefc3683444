# SPDX-License-Identifier: Apache-2.0
"""Rotation and revocation reach a job under `bptee run` before the owner's request returns:
the agent pushes them to bptee run, which changes the job's view (docs/view.md) and only then
acknowledges. The job is driven through stdin and its stderr (bptee run keeps its stdout for
the attested result); no timing. Also the interposer's hand-down syntax (BPTEE_SECRET_FDS
"name=fd@slot", BPTEE_SECRET_PAGE) for jobs an operator starts by hand."""
import json
import os
import subprocess
import sys

import pytest

from hostcaps import skip_unless_view_possible
from owners_util import Owner, owner_agent
from test_agent import provision
from test_agent import policy_sim, sim_dir  # noqa: F401  (fixtures)
from test_run import Job as RunJob, base_env
import bptee as B

PY = "/usr/bin/python3"

# Reads the secret, one line on stderr per read, and waits for a "go" on stdin after each.
JOB = r"""
import errno, sys
p = sys.argv[1]
def attempt():
    try:
        return open(p, "rb").read().hex()
    except OSError as e:
        return errno.errorcode[e.errno]
for step in "ABC":
    print(step, attempt(), file=sys.stderr, flush=True)
    sys.stdin.readline()
print("{}")
"""


class PageRun:
    """`bptee run` of JOB against the agent reached through a symlink to its socket."""

    def __init__(self, tmp, sim_dir, agent, inherit=False):
        skip_unless_view_possible()
        self.link = tmp / "agent-link.sock"
        self.agent_sock = agent.sock
        self.said = ""
        os.symlink(agent.sock, self.link)
        self.path = "/run/secrets/db"
        spec = {"job_id": "page-1", "secrets": {"db": self.path}, "inherit_preload": inherit}
        job = RunJob(tmp, sim_dir, mode="direct", spec=spec, socket_path=self.link)
        self.p = subprocess.Popen(job.args(PY, "-c", JOB, self.path), env=base_env(),
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)

    def step(self):
        """The job's next step line, split into words (the interposer's own lines, which
        start with "bptee:", are kept in self.said)."""
        while True:
            line = self.p.stderr.readline().decode()
            assert line, self.p.stderr.read()
            if not line.startswith("bptee: "):
                return line.split()
            self.said += line

    def go(self):
        self.p.stdin.write(b"go\n")
        self.p.stdin.flush()

    def finish(self):
        """Let the job exit; bptee run then signs its result through the agent."""
        if not os.path.lexists(self.link):
            os.symlink(self.agent_sock, self.link)
        out, err = self.p.communicate(timeout=120)
        return self.p.returncode, out.decode(), self.said + err.decode()


@pytest.fixture
def alice_agent(tmp_path, sim_dir, policy_sim):
    alice = Owner(tmp_path, "alice")
    a = owner_agent(tmp_path, sim_dir, [alice], {"db": ["alice"]})
    assert provision(a, policy_sim, {"db": b"old-password"}, *alice.args(),
                     tmp=tmp_path).returncode == 0
    a.alice = alice
    yield a
    a.stop()


def rotate(a, policy, tmp, value):
    r = provision(a, policy, {"db": value}, *a.alice.args(), "--rotate", tmp=tmp)
    assert r.returncode == 0, r.stderr


def revoke(a, policy):
    r = subprocess.run([B.CLI, "revoke", "--agent", a.url, "--policy", policy,
                        *a.alice.args(), "db"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_rotation_and_revocation_reach_a_bptee_run_job(tmp_path, sim_dir, alice_agent,
                                                       policy_sim):
    run = PageRun(tmp_path, sim_dir, alice_agent)
    assert run.step() == ["A", b"old-password".hex()]
    rotate(alice_agent, policy_sim, tmp_path, b"new-password!")
    run.go()
    assert run.step() == ["B", b"new-password!".hex()]  # the new content at the next open
    revoke(alice_agent, policy_sim)
    run.go()
    assert run.step() == ["C", "EACCES"]
    rc, out, err = run.finish()
    assert rc == 0, err
    assert f"bptee: secret 'db' ({run.path}): " in err  # the interposer's one line


# ---- the hand-down syntax: a malformed slot or page stops the job before main

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "c"))
from fake_agent import preload_env, run as run_env  # noqa: E402


@pytest.mark.parametrize("fds,page,why", [
    ("a=0@4096", None, "BPTEE_SECRET_FDS: bad version page slot for: a"),
    ("a=0@", None, "BPTEE_SECRET_FDS: bad version page slot for: a"),
    ("a=0@x", None, "BPTEE_SECRET_FDS: bad version page slot for: a"),
    ("a=0@1@2", None, "BPTEE_SECRET_FDS: bad version page slot for: a"),
    ("a=@1", None, "BPTEE_SECRET_FDS: bad descriptor number for: a"),
    ("a=0@1", "x", "BPTEE_SECRET_PAGE: expected a descriptor number"),
    ("a=0@1", "-1", "BPTEE_SECRET_PAGE: expected a descriptor number"),
    # well formed: the slot passes, and the descriptor is then checked as with name=fd
    ("a=0@4095", None, "BPTEE_SECRET_FDS: a: descriptor is not a regular file"),
])
def test_broken_slot_or_page_stops_the_job(fds, page, why):
    env = preload_env([])
    env["BPTEE_SECRETS"] = "a=/x"
    env["BPTEE_SECRET_FDS"] = fds
    if page:
        env["BPTEE_SECRET_PAGE"] = page
    r = run_env(["/bin/echo", "ran"], env, stdin=subprocess.DEVNULL)
    assert (r.returncode, r.stdout) == (127, b"")
    assert r.stderr.decode() == f"bptee: preload: {why}\n"


def test_unmappable_page_falls_back_to_version(tmp_path):
    """A page number that names no page is no error: the slots go unused (the job then runs
    without a secret to check here, as /bin/echo declares one it never opens)."""
    env = preload_env([])
    env["BPTEE_SECRETS"] = "a=/x"
    env["BPTEE_SECRET_PAGE"] = "999"
    r = run_env(["/bin/echo", "ran"], env, stdin=subprocess.DEVNULL)
    assert (r.returncode, r.stdout, r.stderr) == (0, b"ran\n", b"")
