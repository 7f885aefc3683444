# SPDX-License-Identifier: Apache-2.0
"""Reading the access log needs an owner's signature (issue 14; docs/agent.md "Audit"):
GET /v1/audit?session_id=&owner=&signature= signed over a fresh session's offer with op 3
(AUDIT_READ), name "audit-log", version 1, zero payload digest -- the scheme owners already
sign writes with. Anyone else, a replay, a stranger's key and a forged signature are refused
403; an agent with no owners lets nobody read; "open" owners let anyone (as they let anyone
write). Signed both by `bptee audit fetch` and independently in Python."""
import json

import pytest

import bptee as B
from owners_util import Owner, offer_digest, owner_agent
from test_agent import Agent, policy_sim, sim_dir  # noqa: F401  (fixtures)

AUDIT_READ = 3
NAME = "audit-log"


@pytest.fixture
def owners(tmp_path):
    return Owner(tmp_path, "alice"), Owner(tmp_path, "bob+ops@example")


@pytest.fixture
def agent(tmp_path, sim_dir, owners):
    a = owner_agent(tmp_path, sim_dir, list(owners), {"alice.*": ["alice"]})
    yield a
    a.stop()


def signed_query(agent, owner, signer=None, nonce=None):
    status, _, offer = agent.request("POST", "/v1/sessions", {})
    assert status == 200
    sig = (signer or owner).sign(AUDIT_READ, offer_digest(offer), offer["session_id"],
                                 owner.id, NAME, 1, bytes(32))
    q = f"session_id={offer['session_id']}&owner={owner.id.replace('+', '%2B')}&signature={sig}"
    return q + (f"&nonce={nonce}" if nonce else "")


def test_owner_reads_the_log(agent, owners, tmp_path, policy_sim):
    status, _, doc = agent.request("GET", "/v1/audit?" + signed_query(agent, owners[1],
                                                                      nonce="cd" * 32))
    assert status == 200 and doc["nonce"] == "cd" * 32 and doc["entries"][0]["event"] == "start"
    path = tmp_path / "log.json"
    path.write_text(json.dumps(doc))
    r = B.cli("audit", "verify", path, "--policy", policy_sim, "--nonce", "cd" * 32, "--quiet")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("query", ["", "nonce=" + "ab" * 32, "owner=alice",
                                   "session_id=x&owner=alice&signature=" + "00" * 64])
def test_unsigned_or_half_signed_reads_refused(agent, query):
    status, _, body = agent.request("GET", "/v1/audit" + ("?" + query if query else ""))
    assert status in (403, 404) and "entries" not in body
    assert "signature" in body["error"] or "session" in body["error"]


def test_replayed_forged_and_strangers_reads_refused(agent, owners, tmp_path):
    alice, _ = owners
    q = signed_query(agent, alice)
    assert agent.request("GET", "/v1/audit?" + q)[0] == 200
    status, _, body = agent.request("GET", "/v1/audit?" + q)  # the session is used up
    assert status == 404 and "session" in body["error"]
    mallory = Owner(tmp_path, "mallory")
    status, _, body = agent.request("GET", "/v1/audit?" + signed_query(agent, mallory))
    assert status == 403 and "unknown owner" in body["error"]
    status, _, body = agent.request("GET", "/v1/audit?" + signed_query(agent, alice, mallory))
    assert status == 403 and "signature" in body["error"]
    # a write signature is not a read signature: the operation is signed
    status, _, offer = agent.request("POST", "/v1/sessions", {})
    sig = alice.sign(1, offer_digest(offer), offer["session_id"], alice.id, NAME, 1, bytes(32))
    status, _, body = agent.request(
        "GET", f"/v1/audit?session_id={offer['session_id']}&owner=alice&signature={sig}")
    assert status == 403


def test_cli_fetch_signs_the_read(agent, owners, tmp_path, policy_sim):
    out = tmp_path / "fetched.json"
    r = B.cli("audit", "fetch", "--agent", agent.url, "--nonce", "ab" * 32, "-o", out,
              "--policy", policy_sim, *owners[1].args())
    assert r.returncode == 0, r.stderr
    r = B.cli("audit", "verify", out, "--policy", policy_sim, "--nonce", "ab" * 32, "--quiet")
    assert r.returncode == 0, r.stderr
    r = B.cli("audit", "fetch", "--agent", agent.url, "-o", tmp_path / "no.json")
    assert r.returncode == 1 and "403" in r.stderr and "owner's signature" in r.stderr
    r = B.cli("audit", "fetch", "--agent", agent.url, *owners[0].args())
    assert r.returncode == 2 and "--policy" in r.stderr


def test_no_owners_nobody_reads_open_owners_anyone_reads(tmp_path, sim_dir):
    a = Agent(tmp_path, sim_dir, owners=None)
    try:
        status, _, body = a.request("GET", "/v1/audit")
        assert status == 403 and "no owners configured" in body["error"]
    finally:
        a.stop()
    b = Agent(tmp_path, sim_dir, owners="open")
    try:
        assert b.request("GET", "/v1/audit")[0] == 200
    finally:
        b.stop()
