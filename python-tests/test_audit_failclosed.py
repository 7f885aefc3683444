# SPDX-License-Identifier: Apache-2.0
"""The access log fails closed (issue 14): a provisioning, rotation or revocation that the
`--audit-log` file cannot record is refused, the owner hears why, and the stored secret is
unchanged. The file is made unwritable the way a full disk does it: the agent runs under a
file size limit (RLIMIT_FSIZE, SIGXFSZ ignored) and the test pads the file up to it."""
import os
import resource
import signal
import subprocess

import pytest

from test_agent import (CLI, Agent, fetch_secret, policy_sim, provision,  # noqa: F401
                        sim_dir)

LIMIT = 64 << 10


class LimitedAgent(Agent):
    """An agent whose files may not grow past LIMIT bytes."""

    def __init__(self, tmp, sim_dir, **kw):
        orig = subprocess.Popen

        def popen(*a, **k):
            def limit():
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))
            return orig(*a, preexec_fn=limit, **k)
        subprocess.Popen = popen
        try:
            super().__init__(tmp, sim_dir, **kw)
        finally:
            subprocess.Popen = orig


@pytest.fixture
def agent(tmp_path, sim_dir):
    log = tmp_path / "audit.jsonl"
    a = LimitedAgent(tmp_path, sim_dir, args=("--audit-log", str(log)))
    a.audit_file = log
    yield a
    a.stop()


def fill(path):
    """Pad the log up to the limit: the agent's next line cannot be written. Returns the size
    before, to which unfill() takes it back (the disk has room again)."""
    before = os.path.getsize(path)
    with open(path, "ab") as f:
        f.write(b" " * (LIMIT - before - 8) + b"\n")
    return before


def unfill(path, before):
    os.truncate(path, before)


def test_rotation_refused_when_it_cannot_be_logged(agent, policy_sim, tmp_path):
    assert provision(agent, policy_sim, {"db": b"v1"}, tmp=tmp_path).returncode == 0
    # the twin: while the log can be written, a rotation goes through
    r = provision(agent, policy_sim, {"db": b"v2"}, "--version", "2", tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    before = fill(agent.audit_file)
    size = os.path.getsize(agent.audit_file)
    r = provision(agent, policy_sim, {"db": b"v3"}, "--version", "3", tmp=tmp_path)
    assert r.returncode == 1
    assert "access log cannot record it" in r.stderr and "nothing was changed" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert agent.request("GET", "/v1/secrets/db")[2]["version"] == 2
    # a new name is refused the same way
    r = provision(agent, policy_sim, {"other": b"x"}, tmp=tmp_path)
    assert r.returncode == 1 and "access log cannot record it" in r.stderr
    assert agent.request("GET", "/v1/secrets/other")[0] == 404
    assert os.path.getsize(agent.audit_file) == size  # nothing half-written
    # (deliveries fail closed too) ... until the disk has room again: still v2
    assert "access log cannot record" in fetch_secret(agent.sock, "db")[0]
    unfill(agent.audit_file, before)
    assert fetch_secret(agent.sock, "db")[1] == b"v2"


def test_revocation_refused_when_it_cannot_be_logged(agent, policy_sim, tmp_path):
    assert provision(agent, policy_sim, {"db": b"v1"}, tmp=tmp_path).returncode == 0
    before = fill(agent.audit_file)
    status, _, body = agent.request("DELETE", "/v1/secrets/db", {})
    assert status == 503 and "access log cannot record it" in body["error"]
    unfill(agent.audit_file, before)
    assert fetch_secret(agent.sock, "db")[1] == b"v1"
    assert agent.request("GET", "/v1/secrets/db")[2]["revoked"] is False
