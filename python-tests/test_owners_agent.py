# SPDX-License-Identifier: Apache-2.0
"""Only their owners may provision, rotate or revoke secrets (issue #8), against a real agent on
the simulated TEE: signed requests are accepted, and unsigned, wrongly signed, replayed and
unauthorized ones are refused with 403 and the reason while the stored value stays. Signatures
are made both by `bptee provision`/`bptee revoke` and independently in Python."""
import json
import os
import subprocess

import pytest

from bptee import CLI
from owners_util import PROVISION, Owner, offer_digest, owner_agent, revoke_body, sealed_body
from owners_util import sign_body
from test_agent import Agent, fetch_secret, provision, tee_config, write_json
from test_agent import policy_sim, sim_dir  # noqa: F401  (fixtures)


@pytest.fixture
def owners(tmp_path):
    return Owner(tmp_path, "alice"), Owner(tmp_path, "bob")


@pytest.fixture
def agent(tmp_path, sim_dir, owners):
    alice, bob = owners
    a = owner_agent(tmp_path, sim_dir, [alice, bob],
                    {"alice.*": ["alice"], "bob.*": ["bob"], "shared": ["alice", "bob"]})
    yield a
    a.stop()


def revoke(agent, policy, names, *extra):
    return subprocess.run([CLI, "revoke", "--agent", agent.url, "--policy", policy, *extra,
                           *names], capture_output=True, text=True, timeout=120)


def stored(agent, name):
    return fetch_secret(agent.sock, name)[1]


def test_owner_provisions_and_other_owner_cannot_overwrite(agent, owners, policy_sim, tmp_path):
    alice, bob = owners
    r = provision(agent, policy_sim, {"alice.db": b"alice's password"}, *alice.args(),
                  tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "signed by alice" in r.stdout
    assert stored(agent, "alice.db") == b"alice's password"
    # bob, with a valid signature of his own, at a higher version: still not his name
    r = provision(agent, policy_sim, {"alice.db": b"bob's value"}, *bob.args(), "--version", "9",
                  tmp=tmp_path)
    assert r.returncode == 1 and "answered 403" in r.stderr
    assert "owner 'bob' may not write secret alice.db (rule \"alice.*\")" in r.stderr
    assert stored(agent, "alice.db") == b"alice's password"
    status, _, meta = agent.request("GET", "/v1/secrets/alice.db")
    assert status == 200 and meta == {"name": "alice.db", "version": 1, "revoked": False,
                                      "owner": "alice"}
    # a shared name: either may write it
    assert provision(agent, policy_sim, {"shared": b"1"}, *bob.args(), tmp=tmp_path).returncode == 0
    r = provision(agent, policy_sim, {"shared": b"2"}, *alice.args(), "--rotate", tmp=tmp_path)
    assert r.returncode == 0 and "rotated shared" in r.stdout
    assert fetch_secret(agent.sock, "shared") == ("OK 1 2", b"2")


def test_unsigned_request_refused(agent, policy_sim, tmp_path, owners):
    assert provision(agent, policy_sim, {"alice.k": b"v1"}, *owners[0].args(),
                     tmp=tmp_path).returncode == 0
    r = provision(agent, policy_sim, {"alice.k": b"unsigned"}, "--version", "5", tmp=tmp_path)
    assert r.returncode == 1 and "unsigned request refused" in r.stderr
    body, _ = sealed_body(agent, tmp_path, policy_sim, "alice.new", b"x", version=1)
    status, _, res = agent.request("POST", "/v1/secrets", body)
    assert status == 403 and res["error"].startswith("unsigned request refused")
    assert stored(agent, "alice.k") == b"v1"
    assert fetch_secret(agent.sock, "alice.new")[0].startswith("ERR notfound")


def test_wrongly_signed_refused(agent, owners, policy_sim, tmp_path):
    alice, bob = owners
    body, offer = sealed_body(agent, tmp_path, policy_sim, "alice.k", b"forged")
    forged = sign_body(body, offer, alice, 1, signer=bob)  # claims alice, signed by bob
    status, _, res = agent.request("POST", "/v1/secrets", forged)
    assert status == 403
    assert res["error"] == "signature does not verify with the key of owner 'alice'"
    # a genuine signature over another payload does not carry over
    body2, offer2 = sealed_body(agent, tmp_path, policy_sim, "alice.k", b"other")
    good = sign_body(body2, offer2, alice, 1)
    tampered = dict(good, payload=body["payload"] | {"session_id": offer2["session_id"]})
    assert agent.request("POST", "/v1/secrets", tampered)[0] == 403
    # unknown owner
    body3, offer3 = sealed_body(agent, tmp_path, policy_sim, "alice.k", b"x")
    mallory = sign_body(body3, offer3, alice, 1) | {"owner": "mallory"}
    status, _, res = agent.request("POST", "/v1/secrets", mallory)
    assert status == 403 and res["error"] == "unknown owner 'mallory'"
    assert fetch_secret(agent.sock, "alice.k")[0].startswith("ERR notfound")
    # the twin: signed by alice herself, it goes in
    body4, offer4 = sealed_body(agent, tmp_path, policy_sim, "alice.k", b"genuine")
    assert agent.request("POST", "/v1/secrets", sign_body(body4, offer4, alice, 1))[0] == 200
    assert stored(agent, "alice.k") == b"genuine"


def test_replayed_requests_refused(agent, owners, policy_sim, tmp_path):
    alice = owners[0]
    body, offer = sealed_body(agent, tmp_path, policy_sim, "alice.r", b"first")
    signed = sign_body(body, offer, alice, 1)
    assert agent.request("POST", "/v1/secrets", signed)[0] == 200
    # the same request again: its session is used up
    status, _, res = agent.request("POST", "/v1/secrets", signed)
    assert status == 404 and "session not found" in res["error"]
    # freshly signed, but not a higher version: a replay of version 1
    body, offer = sealed_body(agent, tmp_path, policy_sim, "alice.r", b"replayed")
    status, _, res = agent.request("POST", "/v1/secrets", sign_body(body, offer, alice, 1))
    assert status == 403 and "version 1 is not higher" in res["error"]
    assert "replayed" in res["error"]
    assert fetch_secret(agent.sock, "alice.r") == ("OK 5 1", b"first")
    # a higher version rotates
    body, offer = sealed_body(agent, tmp_path, policy_sim, "alice.r", b"second")
    assert agent.request("POST", "/v1/secrets", sign_body(body, offer, alice, 7))[0] == 200
    assert fetch_secret(agent.sock, "alice.r") == ("OK 6 7", b"second")


def test_unauthorized_name_refused(agent, owners, policy_sim, tmp_path):
    alice = owners[0]
    r = provision(agent, policy_sim, {"nobodys": b"x"}, *alice.args(), tmp=tmp_path)
    assert r.returncode == 1 and "no owner may write secret nobodys" in r.stderr
    r = provision(agent, policy_sim, {"bob.key": b"x"}, *alice.args(), tmp=tmp_path)
    assert r.returncode == 1 and "may not write secret bob.key" in r.stderr
    assert agent.request("GET", "/v1/health")[2]["secrets"] == 0
    assert agent.request("GET", "/v1/secrets/bob.key")[0] == 404


def test_rotate_needs_a_stored_secret(agent, owners, policy_sim, tmp_path):
    alice = owners[0]
    r = provision(agent, policy_sim, {"alice.x": b"1"}, *alice.args(), "--rotate", tmp=tmp_path)
    assert r.returncode == 1 and "stores no secret by that name" in r.stderr
    assert provision(agent, policy_sim, {"alice.x": b"1"}, *alice.args(),
                     tmp=tmp_path).returncode == 0
    r = provision(agent, policy_sim, {"alice.x": b"2"}, *alice.args(), "--rotate", "--version",
                  "1", tmp=tmp_path)
    assert r.returncode == 1 and "not above the stored version 1" in r.stderr
    r = provision(agent, policy_sim, {"alice.x": b"22"}, *alice.args(), "--rotate", tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    assert fetch_secret(agent.sock, "alice.x") == ("OK 2 2", b"22")


def test_revoke_signed_wipes_and_refuses_replay(agent, owners, policy_sim, tmp_path):
    alice, bob = owners
    assert provision(agent, policy_sim, {"alice.gone": b"bytes"}, *alice.args(),
                     tmp=tmp_path).returncode == 0
    r = revoke(agent, policy_sim, ["alice.gone"], *bob.args())
    assert r.returncode == 1 and "may not write secret alice.gone" in r.stderr
    r = revoke(agent, policy_sim, ["alice.gone"])
    assert r.returncode == 1 and "unsigned request refused" in r.stderr
    assert stored(agent, "alice.gone") == b"bytes"
    body = revoke_body(agent, alice, "alice.gone", 2)
    status, _, res = agent.request("DELETE", "/v1/secrets/alice.gone", body)
    assert status == 200 and res == {"name": "alice.gone", "version": 2, "revoked": True}
    assert fetch_secret(agent.sock, "alice.gone")[0] == \
        "ERR denied secret revoked: alice.gone"
    assert agent.request("GET", "/v1/secrets/alice.gone")[2]["revoked"] is True
    # replays: the same body (session used up), a fresh one at the same version
    assert agent.request("DELETE", "/v1/secrets/alice.gone", body)[0] == 404
    status, _, res = agent.request("DELETE", "/v1/secrets/alice.gone",
                                   revoke_body(agent, alice, "alice.gone", 2))
    assert status == 403 and "not higher" in res["error"]
    # a provisioning signature cannot be turned into a revocation (the operation is signed)
    status, _, offer = agent.request("POST", "/v1/sessions", {})
    as_provision = alice.sign(PROVISION, offer_digest(offer), offer["session_id"], "alice",
                              "alice.gone", 3, bytes(32))
    status, _, res = agent.request("DELETE", "/v1/secrets/alice.gone", {
        "owner": "alice", "session_id": offer["session_id"], "version": 3,
        "signature": as_provision})
    assert status == 403 and "does not verify" in res["error"]
    status, _, res = agent.request("DELETE", "/v1/secrets/alice.gone",
                                   revoke_body(agent, alice, "alice.gone", 3, signer=bob))
    assert status == 403
    # re-provisioning needs a version above the revocation's
    r = provision(agent, policy_sim, {"alice.gone": b"back"}, *alice.args(), "--version", "2",
                  tmp=tmp_path)
    assert r.returncode == 1 and "exists at version 2" in r.stderr  # the revocation's
    r = provision(agent, policy_sim, {"alice.gone": b"back"}, *alice.args(), "--rotate",
                  tmp=tmp_path)
    assert r.returncode == 0 and stored(agent, "alice.gone") == b"back"
    r = revoke(agent, policy_sim, ["alice.gone"], *alice.args())
    assert r.returncode == 0 and "revoked alice.gone (version 4, signed by alice)" in r.stdout
    assert "alice.gone" in agent.log() and "its bytes are wiped" in agent.log()
    assert b"back" not in agent.log().encode()


def test_no_owners_configured_refuses_every_write(tmp_path, sim_dir, policy_sim):
    a = Agent(tmp_path, sim_dir, owners=None)
    try:
        assert "no owners configured" in a.log()
        r = provision(a, policy_sim, {"db": b"x"}, tmp=tmp_path)
        assert r.returncode == 1 and "answered 403" in r.stderr
        assert "no owners configured" in r.stderr and '"owners": "open"' in r.stderr
        assert a.request("DELETE", "/v1/secrets/db", b"")[0] == 403
        assert a.request("GET", "/v1/health")[2]["secrets"] == 0
    finally:
        a.stop()


def test_open_owners_accept_blueprint_tee_unsigned_v1(tmp_path, sim_dir, policy_sim, owners):
    a = Agent(tmp_path, sim_dir, owners="open")
    try:
        assert "WARNING: OWNERS ARE OPEN" in a.log()
        r = provision(a, policy_sim, {"db": b"legacy"}, "--scheme", "v1", tmp=tmp_path)
        assert r.returncode == 0, r.stderr
        assert fetch_secret(a.sock, "db") == ("OK 6 1", b"legacy")
        # a signature cannot be checked here, so a signed request is refused, not ignored
        r = provision(a, policy_sim, {"k": b"x"}, *owners[0].args(), tmp=tmp_path)
        assert r.returncode == 1 and 'owners are "open"' in r.stderr
        # unsigned revocation works as well, then the name needs a higher version
        status, _, res = a.request("DELETE", "/v1/secrets/db", b"")
        assert status == 200 and res["version"] == 2
        assert fetch_secret(a.sock, "db")[0] == "ERR denied secret revoked: db"
    finally:
        a.stop()


def test_owners_config_errors_stop_the_agent(tmp_path, sim_dir):
    cfg = json.load(open(tee_config(tmp_path / "t.json", sim_dir)))
    cfg["bptee"]["owners"] = {"owners": [{"id": "a", "public_key": "zz"}], "secrets": {}}
    path = write_json(tmp_path / "bad.json", cfg)
    r = subprocess.run([CLI, "agent", "--config", path, "--listen", "127.0.0.1:0", "--socket",
                        str(tmp_path / "s")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "bptee.owners" in r.stderr and "public_key" in r.stderr
    assert subprocess.run([CLI, "config", "check", path], capture_output=True).returncode != 0


@pytest.mark.parametrize("body,status,needle", [
    (b"[]", 400, "expected a JSON object"),
    (b'{"version": 0}', 400, "version: expected an integer"),
    (b'{"owner": "alice", "version": 2}', 400, "signature: required"),
    (b'{"owner": "alice", "version": 2, "signature": "' + b"00" * 64 + b'"}', 400,
     "session_id: required"),
    (b'{"session": "x"}', 400, "unknown key 'session'"),
])
def test_revoke_body_malformed(agent, body, status, needle):
    s, _, res = agent.request("DELETE", "/v1/secrets/alice.x", body)
    assert s == status and needle in res["error"]


def test_secret_item_routes(agent):
    assert agent.request("GET", "/v1/secrets/none")[0] == 404
    assert agent.request("GET", "/v1/secrets/..")[0] == 404
    s, headers, _ = agent.request("PUT", "/v1/secrets/x", b"{}")
    assert s == 405 and headers["Allow"] == "GET, DELETE"


def test_loose_owner_key_refused_before_anything_is_sent(agent, owners, policy_sim, tmp_path):
    alice = owners[0]
    os.chmod(alice.key_path, 0o640)
    r = provision(agent, policy_sim, {"alice.k": b"x"}, *alice.args(), tmp=tmp_path)
    assert r.returncode == 1 and "--owner-key" in r.stderr and "group or others" in r.stderr
    r = subprocess.run([CLI, "revoke", "--agent", agent.url, "--policy", policy_sim,
                        *alice.args(), "alice.k"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "group or others" in r.stderr
    assert "POST /v1/sessions" not in agent.log()
    os.chmod(alice.key_path, 0o600)  # the twin
    r = provision(agent, policy_sim, {"alice.k": b"x"}, *alice.args(), tmp=tmp_path)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("args,needle", [
    (["--owner-key", "k"], "--owner-key and --owner-id go together"),
    (["--owner-id", "alice"], "--owner-key and --owner-id go together"),
])
def test_owner_options_go_together(agent, policy_sim, tmp_path, args, needle):
    r = provision(agent, policy_sim, {"alice.k": b"x"}, *args, tmp=tmp_path)
    assert r.returncode == 2 and needle in r.stderr


@pytest.mark.parametrize("args,needle", [
    ([], "--agent and at least one NAME"),
    (["--agent", "http://x", "--owner-key", "k", "--owner-id", "a", "n"], "needs --policy"),
    (["--agent", "ftp://x", "n"], "expected an http"),
    (["--agent", "http://x", "--version", "0", "n"], "--version"),
])
def test_revoke_usage(args, needle):
    r = subprocess.run([CLI, "revoke", *args], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and needle in r.stderr


def test_seal_signs_offline_bodies(agent, owners, policy_sim, tmp_path):
    alice = owners[0]
    status, _, offer = agent.request("POST", "/v1/sessions", {})
    path = write_json(tmp_path / "offer.json", offer)
    r = subprocess.run([CLI, "seal", "--offer", path, "--policy", policy_sim, "--name",
                        "alice.offline", *alice.args()], input=b"sealed offline",
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    assert (body["owner"], body["version"], len(body["signature"])) == ("alice", 1, 128)
    assert agent.request("POST", "/v1/secrets", body)[0] == 200
    assert stored(agent, "alice.offline") == b"sealed offline"
    r = subprocess.run([CLI, "seal", "--offer", path, "--policy", policy_sim, *alice.args()],
                       input=b"x", capture_output=True, timeout=60)
    assert r.returncode == 2 and b"need --name" in r.stderr
