# SPDX-License-Identifier: Apache-2.0
"""The secret owner's side: `bptee seal` and `bptee provision` verify an offer (its evidence
under the owner's policy, and that REPORT_DATA = SHA-512(nonce || offered key)) before sealing
anything, and `provision` checks the agent's SealedSecretResult. Offers come from a real agent
on the simulated TEE, from a forging proxy in front of it, and from a real GCP SEV-SNP report
bound the same way (../shared/vectors)."""
import base64
import ctypes
import hashlib
import http.server
import json
import os
import subprocess
import threading
import time
import urllib.request

import pytest

import bptee as B
from bptee import CLI, POINTER, VECTORS, c_char_p, c_int, c_size_t, c_void_p, check
from test_agent import Agent, VerifyOpts, fetch_secret, policy_free, policy_parse, provision
from test_agent import write_json
from test_agent import agent, policy_sim, sim_dir  # noqa: F401  (fixtures)

offer_verify = B.fn("bptee_offer_verify", c_int, c_char_p, c_size_t, c_char_p,
                    POINTER(VerifyOpts), POINTER(c_void_p))
offer_free = B.fn("bptee_offer_free", None, c_void_p)
offer_session = B.fn("bptee_offer_session_id", c_char_p, c_void_p)
offer_digest = B.fn("bptee_offer_evidence_digest", c_char_p, c_void_p)
offer_check = B.fn("bptee_offer_check_result", c_int, c_void_p, c_char_p, c_size_t)


def seal(offer_path, policy, stdin=b"secret", *extra):
    return subprocess.run([CLI, "seal", "--offer", str(offer_path), "--policy", str(policy),
                           *extra], input=stdin, capture_output=True, timeout=60)


@pytest.fixture
def offer(agent, tmp_path):
    """A fresh offer from the agent, and the nonce the request carried."""
    nonce = os.urandom(32)
    status, _, body = agent.request("POST", "/v1/sessions", {"nonce": nonce.hex()})
    assert status == 200
    return body, nonce


# ---- bptee seal


def test_seal_verified_offer_and_agent_opens_it(agent, offer, policy_sim, tmp_path):
    body, nonce = offer
    path = write_json(tmp_path / "offer.json", body)
    r = seal(path, policy_sim, b"sealed by the owner", "--nonce", nonce.hex())
    assert r.returncode == 0, r.stderr
    payload = json.loads(r.stdout)
    assert payload["scheme"] == "v2" and payload["session_id"] == body["session_id"]
    assert isinstance(payload["ciphertext"], list)  # blueprint-tee's integer arrays
    assert len(payload["ciphertext"]) == len(b"sealed by the owner") + 16
    status, _, res = agent.request("POST", "/v1/secrets", {"name": "owned", "payload": payload})
    assert status == 200 and res["success"] is True
    assert fetch_secret(agent.sock, "owned")[1] == b"sealed by the owner"


def test_seal_base64_and_request_body(agent, offer, policy_sim, tmp_path):
    path = write_json(tmp_path / "offer.json", offer[0])
    m = "ab" * 32
    r = seal(path, policy_sim, b"x", "--name", "n1", "--base64", "--version", "3",
             "--allow-measurement", m)
    assert r.returncode == 0, r.stderr
    req = json.loads(r.stdout)
    assert req["name"] == "n1" and req["version"] == 3
    assert req["allow"] == {"measurements": [m]}
    assert isinstance(req["payload"]["ciphertext"], str)
    assert agent.request("POST", "/v1/secrets", req)[0] == 200
    line, _ = fetch_secret(agent.sock, "n1")
    assert line.startswith("ERR denied")  # this Python binary is not ab..ab


def test_seal_refuses_simulator_under_default_policy(offer, tmp_path):
    path = write_json(tmp_path / "offer.json", offer[0])
    r = seal(path, write_json(tmp_path / "default.json", {}))
    assert r.returncode == 1 and r.stdout == b""
    assert b"bptee: seal: refused: offer: attestation" in r.stderr
    assert b"simulat" in r.stderr


def test_seal_refuses_key_not_bound(offer, policy_sim, tmp_path):
    body = dict(offer[0])
    key = bytearray(bytes.fromhex(body["public_key_hex"]))
    key[0] ^= 1
    body["public_key_hex"] = key.hex()
    r = seal(write_json(tmp_path / "offer.json", body), policy_sim)
    assert r.returncode == 1 and r.stdout == b""
    assert b"public_key_hex" in r.stderr and b"REPORT_DATA" in r.stderr


def test_seal_refuses_other_nonce(offer, policy_sim, tmp_path):
    path = write_json(tmp_path / "offer.json", offer[0])
    r = seal(path, policy_sim, b"x", "--nonce", os.urandom(32).hex())
    assert r.returncode == 1 and b"not the one the client sent" in r.stderr
    body = dict(offer[0])
    del body["nonce"]
    path = write_json(tmp_path / "bare.json", body)
    r = seal(path, policy_sim)
    assert r.returncode == 1 and b"carries no nonce" in r.stderr
    r = seal(path, policy_sim, b"x", "--nonce", offer[1].hex())  # the twin
    assert r.returncode == 0, r.stderr
    forged = dict(body, nonce=os.urandom(32).hex())  # a nonce the evidence does not bind
    r = seal(write_json(tmp_path / "forged.json", forged), policy_sim)
    assert r.returncode == 1 and b"REPORT_DATA" in r.stderr


def test_seal_refuses_tampered_evidence(offer, policy_sim, tmp_path):
    body = json.loads(json.dumps(offer[0]))
    body["attestation"]["evidence"][0x60] ^= 1  # inside the signed report
    r = seal(write_json(tmp_path / "offer.json", body), policy_sim)
    assert r.returncode == 1 and b"offer: attestation" in r.stderr


def test_seal_at_time(offer, policy_sim, tmp_path):
    path = write_json(tmp_path / "offer.json", offer[0])
    r = seal(path, policy_sim, b"x", "--at", "2001-09-09T01:46:40Z")
    assert r.returncode == 1 and b"offer: attestation" in r.stderr
    r = seal(path, policy_sim, b"x", "--at", str(int(time.time())))
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("args,needle", [
    ([], "--offer and --policy are required"),
    (["--offer", "o", "--policy", "p", "--scheme", "v3"], "--scheme"),
    (["--offer", "o", "--policy", "p", "--version", "2"], "need --name"),
    (["--offer", "o", "--policy", "p", "--nonce", "abc"], "--nonce"),
    (["--offer", "o", "--policy", "p", "--at", "yesterday"], "--at"),
    (["--offer", "o", "--policy", "p", "extra"], "unexpected argument"),
    (["--bogus"], "unknown"),
])
def test_seal_usage_errors(args, needle):
    r = B.cli("seal", *args)
    assert r.returncode == 2 and needle in r.stderr


def test_seal_missing_files(tmp_path, policy_sim):
    r = seal(tmp_path / "none.json", policy_sim)
    assert r.returncode == 1 and b"none.json" in r.stderr
    assert B.cli("seal", "--help").returncode == 0


# ---- POST /v1/secrets: what the agent accepts and refuses


def seal_for(agent, tmp, policy, name, value, *extra):
    """A fresh offer from the agent, and `bptee seal --name` of value to it: (body, offer)."""
    status, _, offer = agent.request("POST", "/v1/sessions", {})
    assert status == 200
    path = write_json(tmp / f"offer-{name}-{time.monotonic_ns()}.json", offer)
    r = subprocess.run([CLI, "seal", "--offer", path, "--policy", policy, "--name", name,
                        *extra], input=value, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout), offer


def test_v1_payload_accepted(agent, policy_sim, tmp_path):
    body, _ = seal_for(agent, tmp_path, policy_sim, "legacy", b"v1 secret", "--scheme", "v1")
    assert "scheme" not in body["payload"]
    status, _, res = agent.request("POST", "/v1/secrets", body)
    assert status == 200 and res["success"] is True
    assert fetch_secret(agent.sock, "legacy") == ("OK 9 1", b"v1 secret")


def test_result_names_offer_evidence_and_key(agent, policy_sim, tmp_path):
    body, offer = seal_for(agent, tmp_path, policy_sim, "k", b"value")
    status, _, res = agent.request("POST", "/v1/secrets", body)
    assert status == 200
    ev = bytes(offer["attestation"]["evidence"])
    assert res["attestation_digest"] == hashlib.sha256(ev).hexdigest()
    key = bytes.fromhex(offer["public_key_hex"])
    assert res["key_fingerprint"] == hashlib.sha256(key).hexdigest()


def test_replayed_session_404(agent, policy_sim, tmp_path):
    body, _ = seal_for(agent, tmp_path, policy_sim, "once", b"first")
    assert agent.request("POST", "/v1/secrets", body)[0] == 200
    status, _, res = agent.request("POST", "/v1/secrets", body)
    assert status == 404
    assert res["error"].startswith("key exchange failed: session not found: ")
    assert fetch_secret(agent.sock, "once")[1] == b"first"


def test_expired_session_410(tmp_path, sim_dir, policy_sim):
    a = Agent(tmp_path, sim_dir, ttl=0)
    try:
        body, offer = seal_for(a, tmp_path, policy_sim, "late", b"too late")
        time.sleep(1.1)
        status, _, res = a.request("POST", "/v1/secrets", body)
        assert status == 410
        assert res["error"] == "key exchange failed: session expired: " + offer["session_id"]
        assert fetch_secret(a.sock, "late")[0].startswith("ERR notfound")
        assert a.request("POST", "/v1/secrets", body)[0] == 404  # and it is gone
    finally:
        a.stop()


def test_tampered_payload_400_consumes_session(agent, policy_sim, tmp_path):
    body, _ = seal_for(agent, tmp_path, policy_sim, "t", b"tamper me")
    bad = json.loads(json.dumps(body))
    ct = bytearray(__import__("base64").b64decode(bad["payload"]["ciphertext"])
                   if isinstance(bad["payload"]["ciphertext"], str)
                   else bytes(bad["payload"]["ciphertext"]))
    ct[0] ^= 1
    bad["payload"]["ciphertext"] = list(ct)
    status, _, res = agent.request("POST", "/v1/secrets", bad)
    assert status == 400
    assert res["error"] == "sealed secret error: decryption failed: invalid ciphertext or key"
    assert agent.request("POST", "/v1/secrets", body)[0] == 404  # one try per session
    assert fetch_secret(agent.sock, "t")[0].startswith("ERR notfound")
    assert "tamper me" not in agent.log()


def test_wrong_nonce_length_400(agent, policy_sim, tmp_path):
    body, _ = seal_for(agent, tmp_path, policy_sim, "n", b"x")
    body["payload"]["nonce"] = [0] * 8
    status, _, res = agent.request("POST", "/v1/secrets", body)
    assert status == 400 and res["error"] == "sealed secret error: nonce must be 12 bytes"


def test_existing_name_needs_higher_version(agent, policy_sim, tmp_path):
    body, _ = seal_for(agent, tmp_path, policy_sim, "db", b"old")
    assert agent.request("POST", "/v1/secrets", body)[0] == 200
    body, _ = seal_for(agent, tmp_path, policy_sim, "db", b"new")
    status, _, res = agent.request("POST", "/v1/secrets", body)
    assert status == 403 and "exists at version 1" in res["error"]
    body, _ = seal_for(agent, tmp_path, policy_sim, "db", b"new", "--version", "1")
    assert agent.request("POST", "/v1/secrets", body)[0] == 403
    assert fetch_secret(agent.sock, "db") == ("OK 3 1", b"old")  # kept on refusal
    body, _ = seal_for(agent, tmp_path, policy_sim, "db", b"newer", "--version", "5")
    assert agent.request("POST", "/v1/secrets", body)[0] == 200
    assert fetch_secret(agent.sock, "db") == ("OK 5 5", b"newer")


# ---- bptee provision against the real agent


def test_provision_refused_under_default_policy(agent, tmp_path):
    r = provision(agent, write_json(tmp_path / "default.json", {}), {"a": b"1"}, tmp=tmp_path)
    assert r.returncode == 1 and "a: offer refused" in r.stderr and "simulat" in r.stderr
    assert agent.request("GET", "/v1/health")[2]["secrets"] == 0


def test_provision_v1_and_version(agent, policy_sim, tmp_path):
    r = provision(agent, policy_sim, {"v": b"one"}, "--scheme", "v1", tmp=tmp_path)
    assert r.returncode == 0 and "v version 1 (3 bytes, sealed with scheme v1 " in r.stdout
    r = provision(agent, policy_sim, {"v": b"two"}, tmp=tmp_path)
    assert r.returncode == 1 and "answered 403" in r.stderr and "exists at version 1" in r.stderr
    r = provision(agent, policy_sim, {"v": b"two"}, "--version", "2", tmp=tmp_path)
    assert r.returncode == 0 and "v version 2 (3 bytes, sealed with scheme v2 " in r.stdout, r.stderr
    assert fetch_secret(agent.sock, "v") == ("OK 3 2", b"two")


@pytest.mark.parametrize("args,needle", [
    (["--policy", "p", "--secret", "a=@f"], "--agent, --policy"),
    (["--agent", "http://x", "--policy", "p"], "at least one --secret"),
    (["--agent", "http://x", "--policy", "p", "--secret", "a"], "NAME=@FILE"),
    (["--agent", "ftp://x", "--policy", "p", "--secret", "a=@f"], "http://"),
    (["--agent", "http://x", "--policy", "p", "--secret", "a=@f", "--timeout", "0"],
     "--timeout"),
    (["--agent", "http://x", "--policy", "p", "--secret", "a=@f", "--allow-uid", "x"],
     "--allow-uid"),
])
def test_provision_usage_errors(args, needle):
    r = B.cli("provision", *args)
    assert r.returncode == 2 and needle in r.stderr


def test_provision_unreadable_secret_and_dead_agent(tmp_path, policy_sim):
    r = B.cli("provision", "--agent", "http://127.0.0.1:1", "--policy", policy_sim,
              "--secret", f"a=@{tmp_path / 'missing'}")
    assert r.returncode == 1 and "secret" in r.stderr and "missing" in r.stderr
    (tmp_path / "s").write_bytes(b"x")
    r = B.cli("provision", "--agent", "http://127.0.0.1:1", "--policy", policy_sim,
              "--secret", f"a=@{tmp_path / 's'}", "--timeout", "5")
    assert r.returncode == 1 and "POST http://127.0.0.1:1/v1/sessions" in r.stderr


# ---- bptee provision against a forging proxy in front of the agent


class Forger:
    """An HTTP proxy to the agent that lets a test rewrite each answer:
    transform(path, status, body_bytes) -> (status, body_bytes)."""

    def __init__(self, agent, transform):
        forger = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                req = urllib.request.Request(agent.url + self.path, data=body, method="POST",
                                             headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(req, timeout=30) as resp:
                        status, data = resp.status, resp.read()
                except urllib.error.HTTPError as e:
                    status, data = e.code, e.read()
                status, data = transform(self.path, status, data)
                forger.seen.append(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.seen = []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def provision_via(forger, policy, tmp_path, *extra, secret=b"payload"):
    (tmp_path / "sec").write_bytes(secret)
    return B.cli("provision", "--agent", forger.url, "--policy", policy, "--secret",
                 f"f=@{tmp_path / 'sec'}", *extra)


def rewrite(path_wanted, change):
    def transform(path, status, data):
        if path != path_wanted or status != 200:
            return status, data
        obj = json.loads(data)
        change(obj)
        return status, json.dumps(obj).encode()
    return transform


@pytest.mark.parametrize("path,change,needle", [
    ("/v1/sessions", lambda o: o.update(public_key_hex=os.urandom(32).hex()),
     "offer refused: offer: public_key_hex"),
    ("/v1/sessions", lambda o: o.update(nonce=os.urandom(32).hex()),
     "not the one the client sent"),
    ("/v1/sessions", lambda o: o["attestation"]["evidence"].__setitem__(0x60, 0),
     "offer refused: offer: attestation"),
    ("/v1/secrets", lambda o: o.update(attestation_digest="00" * 32), "attestation_digest"),
    ("/v1/secrets", lambda o: o.update(key_fingerprint="00" * 32), "key_fingerprint"),
    ("/v1/secrets", lambda o: o.update(success=False), "success false"),
])
def test_provision_refuses_forged_answers(agent, policy_sim, tmp_path, path, change, needle):
    f = Forger(agent, rewrite(path, change))
    try:
        r = provision_via(f, policy_sim, tmp_path)
        assert r.returncode == 1 and needle in r.stderr, r.stderr
        assert "provisioned" not in r.stdout
    finally:
        f.close()


def test_provision_through_honest_proxy(agent, policy_sim, tmp_path):
    f = Forger(agent, lambda path, status, data: (status, data))  # the twin of the above
    try:
        r = provision_via(f, policy_sim, tmp_path, secret=b"through the proxy")
        assert r.returncode == 0, r.stderr
        assert f.seen == ["/v1/sessions", "/v1/secrets"]
    finally:
        f.close()
    assert fetch_secret(agent.sock, "f")[1] == b"through the proxy"


def test_provision_response_cap_and_timeout(agent, policy_sim, tmp_path):
    f = Forger(agent, lambda path, status, data: (200, b" " * (9 << 20)))
    try:
        r = provision_via(f, policy_sim, tmp_path)
        assert r.returncode == 1 and "larger than 8388608" in r.stderr
    finally:
        f.close()

    def slow(path, status, data):
        time.sleep(3)
        return status, data
    f = Forger(agent, slow)
    try:
        r = provision_via(f, policy_sim, tmp_path, "--timeout", "1")
        assert r.returncode == 1 and "timed out" in r.stderr
    finally:
        f.close()


def test_provision_error_status_named(agent, policy_sim, tmp_path):
    f = Forger(agent, lambda path, status, data:
               (503, b'{"error":"maintenance"}') if path == "/v1/secrets" else (status, data))
    try:
        r = provision_via(f, policy_sim, tmp_path)
        assert r.returncode == 1 and "f: the agent answered 503: maintenance" in r.stderr
    finally:
        f.close()


# ---- the offer check through the C API, on real hardware evidence


GCP = os.path.join(VECTORS, "sev-snp", "teekit-gcp-milan-v5")
AT_2026 = 1767225600


def pem_to_der_all(path):
    with open(path) as f:
        text = f.read()
    out = []
    for block in text.split("-----BEGIN CERTIFICATE-----")[1:]:
        b64 = block.split("-----END CERTIFICATE-----")[0]
        out.append(base64.b64decode("".join(b64.split())))
    return out


def gcp_offer(nonce_hex=None, key_hex=None):
    vals = dict(line.split("=", 1) for line in open(os.path.join(GCP, "sev-gcp-x25519-bound.txt"))
                .read().split())
    nonce, key = bytes.fromhex(vals["NONCE"]), bytes.fromhex(vals["X25519_KEY"])
    with open(os.path.join(GCP, "sev-gcp-x25519-bound.bin"), "rb") as f:
        report = f.read()
    att = {"provider": "amd_sev_snp", "format": "sev_snp_report", "issued_at_unix": AT_2026,
           "measurement": {"algorithm": "sha384", "digest": report[0x90:0xC0].hex()},
           "public_key_binding": {"public_key": list(key), "key_type": "x25519",
                                  "binding_digest": hashlib.sha512(nonce + key).hexdigest()},
           "claims": {}, "evidence": list(report)}
    return json.dumps({"session_id": "gcp", "public_key_hex": key_hex or key.hex(),
                       "attestation": att, "nonce": nonce_hex or nonce.hex()}).encode(), nonce


def verify_gcp(offer_json, nonce):
    vcek = pem_to_der_all(os.path.join(GCP, "sev-gcp-x25519-vcek.pem"))[0]
    with open(os.path.join(GCP, "sev-gcp-x25519-cert-chain.pem"), "rb") as f:
        chain = f.read()
    pol = c_void_p()
    check(policy_parse(b"{}", 2, ctypes.byref(pol)))
    vbuf, cbuf = ctypes.create_string_buffer(vcek, len(vcek)), ctypes.create_string_buffer(chain)
    opts = VerifyOpts(sz=ctypes.sizeof(VerifyOpts), at=AT_2026, policy=pol,
                      vcek=ctypes.cast(vbuf, c_void_p), vcek_len=len(vcek),
                      chain=ctypes.cast(cbuf, c_void_p), chain_len=len(chain))
    out = c_void_p()
    try:
        check(offer_verify(offer_json, len(offer_json), nonce, ctypes.byref(opts),
                           ctypes.byref(out)))
        return offer_session(out).decode(), offer_digest(out).decode(), out
    finally:
        policy_free(pol)


def test_real_gcp_offer_verifies_with_default_policy():
    data, nonce = gcp_offer()
    session, digest, o = verify_gcp(data, nonce)
    try:
        assert session == "gcp"
        with open(os.path.join(GCP, "sev-gcp-x25519-bound.bin"), "rb") as f:
            assert digest == hashlib.sha256(f.read()).hexdigest()
        key = bytes.fromhex(json.loads(data)["public_key_hex"])
        good = json.dumps({"success": True, "attestation_digest": digest,
                           "key_fingerprint": hashlib.sha256(key).hexdigest()}).encode()
        check(offer_check(o, good, len(good)))
        bad = good.replace(digest.encode(), b"0" * 64)
        with pytest.raises(B.BpteeError) as e:
            check(offer_check(o, bad, len(bad)))
        assert "attestation_digest" in e.value.reason
    finally:
        offer_free(o)


def test_real_gcp_offer_rejects_other_nonce_or_key():
    data, nonce = gcp_offer()
    with pytest.raises(B.BpteeError) as e:
        verify_gcp(data, os.urandom(32))
    assert e.value.name == "EVERIFY" and "nonce" in e.value.reason
    other_key = os.urandom(32).hex()
    data, nonce = gcp_offer(key_hex=other_key)
    with pytest.raises(B.BpteeError) as e:
        verify_gcp(data, nonce)
    assert e.value.name == "EVERIFY" and "REPORT_DATA" in e.value.reason
    data, nonce = gcp_offer()
    tampered = json.loads(data)
    tampered["attestation"]["evidence"][0x50] ^= 1  # REPORT_DATA itself: the signature breaks
    data = json.dumps(tampered).encode()
    with pytest.raises(B.BpteeError) as e:
        verify_gcp(data, nonce)
    assert "attestation" in e.value.reason
