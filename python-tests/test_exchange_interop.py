# SPDX-License-Identifier: Apache-2.0
"""Interoperability and the parts of the exchange beyond blueprint-tee's own tests: v1 and v2
re-implemented independently with python3-cryptography (sealing in Python and opening in C, and
the reverse), the documented test vectors, blueprint-tee-shaped JSON and base64 input, strict
parsing, the key binding (with a real SEV-SNP report bound this way), and concurrency."""
import base64
import ctypes
import hashlib
import json
import os
import re
import threading
import time

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

import bptee
import test_exchange as ex
from bptee import BpteeError, check, fn
from test_exchange import (P, V1, V2, CPayload, CRequest, CResponse, Service, Session, byref,
                           c_char_p, c_int, c_size_t, c_uint8, c_void_p, payload_from_c,
                           payload_from_json, payload_to_c, payload_to_json, raises, seal)

binding_report_data = fn("bptee_key_binding_report_data", None, c_char_p, c_char_p, c_void_p)
binding_check = fn("bptee_key_binding_check", c_int, c_char_p, c_char_p, c_char_p)
binding_attach = fn("bptee_key_binding_attach", c_int, c_void_p, c_char_p, c_char_p)
binding_check_report = fn("bptee_key_binding_check_report", c_int, c_void_p, c_char_p, c_char_p)
seal_det_c = fn("bptee_seal_deterministic", c_int, c_int, c_char_p, c_void_p, c_size_t, c_void_p,
                c_size_t, c_void_p, c_void_p, P(P(CPayload)))
open_with_key_c = fn("bptee_open_with_key", c_int, c_void_p, c_char_p, P(CPayload), c_void_p,
                     c_size_t, P(c_size_t))
request_nonce_c = fn("bptee_key_exchange_request_nonce", c_int, P(CRequest), c_void_p)

TAG = b"bptee-seal-v2"


def seal_deterministic(scheme, session_id, plaintext, tee_pk, eph_sk, nonce):
    out = P(CPayload)()
    check(seal_det_c(scheme, session_id.encode(), plaintext, len(plaintext), tee_pk,
                     len(tee_pk), eph_sk, nonce, byref(out)))
    return payload_from_c(out)


def open_with_key(tee_sk, session_id, d):
    out, n = ex._open_out(d)
    got = c_size_t()
    check(open_with_key_c(tee_sk, session_id.encode() if session_id else None,
                          byref(payload_to_c(d)), out, n, byref(got)))
    return out.raw[:got.value]


def request_nonce(nonce):
    out = ctypes.create_string_buffer(32)
    req = CRequest(nonce.encode()) if nonce is not None else None
    check(request_nonce_c(byref(req) if req else None, out))
    return out.raw


# ---- an independent implementation of both schemes (docs/exchange.md) -----------------------

def raw(key):
    return key.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)


def py_key_and_ad(scheme, shared, eph_pk, tee_pk, session_id):
    if scheme == V1:
        return hashlib.sha256(shared).digest(), None
    key = HKDF(hashes.SHA256(), 32, salt=TAG, info=TAG + eph_pk + tee_pk).derive(shared)
    return key, TAG + session_id.encode()


def py_seal(scheme, session_id, plaintext, tee_pk):
    eph = X25519PrivateKey.generate()
    shared = eph.exchange(X25519PublicKey.from_public_bytes(tee_pk))
    key, ad = py_key_and_ad(scheme, shared, raw(eph), tee_pk, session_id)
    nonce = os.urandom(12)
    ct = ChaCha20Poly1305(key).encrypt(nonce, plaintext, ad)
    return {"session_id": session_id, "ciphertext": ct, "nonce": nonce,
            "ephemeral_public_key": raw(eph), "scheme": scheme}


def py_open(scheme, tee, session_id, p):
    shared = tee.exchange(X25519PublicKey.from_public_bytes(p["ephemeral_public_key"]))
    key, ad = py_key_and_ad(scheme, shared, p["ephemeral_public_key"], raw(tee), session_id)
    return ChaCha20Poly1305(key).decrypt(p["nonce"], p["ciphertext"], ad)


def serde_json(p):
    """SealedSecretPayload as serde_json::to_string writes it (compact, field order)."""
    d = {"session_id": p["session_id"], "ciphertext": list(p["ciphertext"])}
    for k in ("nonce", "ephemeral_public_key"):
        if p.get(k) is not None:
            d[k] = list(p[k])
    return json.dumps(d, separators=(",", ":"))


@pytest.mark.parametrize("scheme", [V1, V2])
def test_python_seals_c_opens(scheme):
    svc = Service()
    sid, pk = svc.create_session()
    p = py_seal(scheme, sid, b"from python", pk)
    text = serde_json(p) if scheme == V1 else payload_to_json(p)
    assert svc.open(payload_from_json(text))[0] == b"from python"
    sid, pk = svc.create_session()
    p = py_seal(scheme, sid, b"from python", os.urandom(32))  # sealed to some other key
    raises("ECRYPTO", svc.open, p)


@pytest.mark.parametrize("scheme", [V1, V2])
def test_c_seals_python_opens(scheme):
    tee = X25519PrivateKey.generate()
    p = payload_from_json(payload_to_json(seal("sess", b"from C", raw(tee), scheme)))
    assert py_open(scheme, tee, "sess", p) == b"from C"
    with pytest.raises(InvalidTag):
        py_open(scheme, X25519PrivateKey.generate(), "sess", p)
    with pytest.raises(InvalidTag):  # v1 and v2 keys differ: a scheme mix-up never decrypts
        py_open(V2 if scheme == V1 else V1, tee, "sess", p)


def test_v1_json_is_byte_identical_to_serde():
    s = Session()
    p = seal(s.id, b"x", s.public_key, V1)
    assert payload_to_json(p) == serde_json(p)
    assert s.open(payload_from_json(serde_json(p))) == b"x"


def test_payload_accepts_base64_byte_fields():
    s = Session()
    p = py_seal(V1, s.id, b"base64 in", s.public_key)
    for enc in (base64.b64encode, lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")):
        d = {"session_id": s.id, **{k: enc(p[k]).decode() for k in
                                    ("ciphertext", "nonce", "ephemeral_public_key")}}
        assert s.open(payload_from_json(json.dumps(d))) == b"base64 in"
    d = dict(json.loads(serde_json(p)), ciphertext="not base64!")
    assert "ciphertext: not valid base64" in raises("EPARSE", payload_from_json, json.dumps(d))
    out = json.loads(payload_to_json(p, ex.BASE64))
    assert base64.b64decode(out["ciphertext"]) == p["ciphertext"]


@pytest.mark.parametrize("doc,reason", [
    ('{"session_id":5,"ciphertext":[]}', "session_id: expected a string"),
    ('{"session_id":"s","ciphertext":[1,"2"]}', "ciphertext[1]: expected an integer 0..255"),
    ('{"session_id":"s","ciphertext":[1.0]}', "ciphertext[0]: expected an integer"),
    ('{"session_id":"s","ciphertext":[-1]}', "ciphertext[0]: -1 is not a byte"),
    ('{"session_id":"s","ciphertext":[],"nonce":{}}', "nonce: expected an array of bytes"),
    ('{"session_id":"s","ciphertext":[],"ephemeral_public_key":[300]}',
     "ephemeral_public_key[0]: 300 is not a byte"),
    ('{"session_id":"s","ciphertext":[],"scheme":2}', "scheme: expected a string"),
    ('{"ciphertext":[]}', "missing field `session_id`"),
    ('{"session_id":"s","session_id":"t","ciphertext":[]}', "duplicate"),
    ('[1,2]', "expected a JSON object"),
    ('{"session_id":"s",', "line 1"),
])
def test_payload_strict_parsing(doc, reason):
    assert reason in raises("EPARSE", payload_from_json, doc)


def test_payload_unknown_keys_ignored_and_size_capped():
    p = payload_from_json('{"session_id":"s","ciphertext":[7],"future":{"x":[1]},"nonce":null}')
    assert p["ciphertext"] == b"\7" and p["nonce"] is None
    big = '{"session_id":"s","ciphertext":[' + "0," * (4 << 20) + '0]}'
    assert "limit" in raises("ELIMIT", payload_from_json, big)
    assert "session_id" in raises("ELIMIT", payload_from_json,
                                  json.dumps({"session_id": "x" * 300, "ciphertext": []}))


# ---- key binding (DESIGN.md contract 3) ------------------------------------------------------

def report_data(nonce, key):
    out = ctypes.create_string_buffer(64)
    binding_report_data(nonce, key, out)
    return out.raw


def test_key_binding_report_data():
    nonce, key = os.urandom(32), os.urandom(32)
    assert report_data(nonce, key) == hashlib.sha512(nonce + key).digest()
    check(binding_check(hashlib.sha512(nonce + key).digest(), nonce, key))
    assert binding_check(hashlib.sha512(key + nonce).digest(), nonce, key) == \
        bptee.CODES["EVERIFY"]
    assert "REPORT_DATA" in bptee.last_error()


def test_key_binding_real_sev_snp_report():
    d = os.path.join(bptee.VECTORS, "sev-snp", "teekit-gcp-milan-v5")
    values = dict(line.split("=") for line in open(os.path.join(d, "sev-gcp-x25519-bound.txt"))
                  .read().split())
    nonce, key = bytes.fromhex(values["NONCE"]), bytes.fromhex(values["X25519_KEY"])
    rd = open(os.path.join(d, "sev-gcp-x25519-bound.bin"), "rb").read()[0x50:0x90]
    check(binding_check(rd, nonce, key))
    flipped = bytes([key[0] ^ 1]) + key[1:]
    assert binding_check(rd, nonce, flipped) == bptee.CODES["EVERIFY"]
    other = open(os.path.join(d, "sev-gcp-reportdata.bin"), "rb").read()[0x50:0x90]
    assert binding_check(other, nonce, key) == bptee.CODES["EVERIFY"]


def test_key_binding_in_report_and_response():
    s, nonce = Session(), os.urandom(32)
    rep = ex.new_report()
    try:
        assert binding_check_report(rep, nonce, s.public_key) == bptee.CODES["EVERIFY"]
        check(binding_attach(rep, nonce, s.public_key))
        check(binding_check_report(rep, nonce, s.public_key))
        assert binding_check_report(rep, os.urandom(32), s.public_key) == bptee.CODES["EVERIFY"]
        assert "binding_digest" in bptee.last_error()
        assert binding_check_report(rep, nonce, Session().public_key) == bptee.CODES["EVERIFY"]
        assert "public_key" in bptee.last_error()
        resp = CResponse(s.id.encode(), (c_uint8 * 32)(*s.public_key), rep, True,
                         (c_uint8 * 32)(*nonce))
        ptr = c_void_p()
        text = ex.take_json(ex.response_to_json_c(byref(resp), 0, byref(ptr)), ptr)
    finally:
        ex.report_free(rep)
    j = json.loads(text)
    assert j["nonce"] == nonce.hex()
    binding = j["attestation"]["public_key_binding"]
    assert binding["key_type"] == "x25519" and bytes(binding["public_key"]) == s.public_key
    assert binding["binding_digest"] == hashlib.sha512(nonce + s.public_key).hexdigest()
    out = P(CResponse)()
    check(ex.response_from_json_c(text.encode(), len(text), byref(out)))
    try:
        assert out.contents.has_nonce and bytes(out.contents.nonce) == nonce
        check(binding_check_report(out.contents.attestation, nonce, s.public_key))
    finally:
        ex.response_free(out)


def test_request_nonce():
    n = os.urandom(32)
    assert request_nonce(n.hex()) == n
    assert request_nonce(n.hex().upper()) == n
    a, b = request_nonce(None), request_nonce(None)
    assert len(a) == 32 and a != b  # generated when the request has none
    assert "nonce: expected 64 hex characters" in raises("EPARSE", request_nonce, "abc")
    assert "not a hex string" in raises("EPARSE", request_nonce, "zz" * 32)
# ---- the service's open and cleanup, scheme v2 and the test vectors --------------------------

def test_auth_service_open_consumes_and_fingerprints():
    svc = Service()
    sid, pk = svc.create_session()
    pt, fp = svc.open(seal(sid, b"payload", pk, V2))
    assert pt == b"payload" and fp == hashlib.sha256(pk).hexdigest()
    raises("ENOTFOUND", svc.open, seal(sid, b"payload", pk, V2))  # one-time
    sid, pk = svc.create_session()
    tampered = seal(sid, b"payload", pk)
    tampered["ciphertext"] = b"\0" + tampered["ciphertext"][1:]
    raises("ECRYPTO", svc.open, tampered)
    raises("ENOTFOUND", svc.consume_session, sid)  # a failed open still uses the session up


def test_cleanup_evicts_only_expired():
    short, long_ = Service(0, 10), Service(300, 10)
    for _ in range(3):
        short.create_session()
        long_.create_session()
    time.sleep(1.1)
    assert short.active_session_count() == 0
    assert short.cleanup() == 3 and short.cleanup() == 0
    assert long_.cleanup() == 0 and long_.active_session_count() == 3


def test_v2_seal_open_roundtrip():
    svc = Service()
    sid, pk = svc.create_session()
    p = seal(sid, b"v2 secret", pk, V2)
    assert p["scheme"] == V2 and len(p["ciphertext"]) == len(b"v2 secret") + 16
    text = payload_to_json(p)
    assert json.loads(text)["scheme"] == "v2"
    assert "scheme" not in json.loads(payload_to_json(seal(sid, b"v1", pk, V1)))
    assert svc.consume_session(sid).open(payload_from_json(text)) == b"v2 secret"


def test_v2_rejects_wrong_session_id():
    s = Session()
    p = seal("not-" + s.id, b"secret", s.public_key, V2)
    raises("ECRYPTO", s.open, p)
    p["session_id"] = s.id  # re-labelling does not help: the id sealed in is authenticated
    raises("ECRYPTO", s.open, p)
    assert s.open(seal(s.id, b"secret", s.public_key, V2)) == b"secret"


def test_v2_rejects_payload_relabelled_v1():
    s = Session()
    v2 = seal(s.id, b"secret", s.public_key, V2)
    raises("ECRYPTO", s.open, dict(v2, scheme=V1))
    v1 = seal(s.id, b"secret", s.public_key, V1)
    raises("ECRYPTO", s.open, dict(v1, scheme=V2))
    assert s.open(v2) == b"secret" and s.open(v1) == b"secret"
    assert "unknown scheme \"v3\"" in raises(
        "EPARSE", payload_from_json, '{"session_id":"s","ciphertext":[],"scheme":"v3"}')


def test_v2_rejects_all_zero_public_key():
    for scheme in (V2, V1):
        assert "small order" in raises("ECRYPTO", seal, "s", b"x", bytes(32), scheme)
    s = Session()
    p = seal(s.id, b"x", s.public_key, V2)
    p["ephemeral_public_key"] = bytes(32)
    assert "ephemeral public key has small order" in raises("ECRYPTO", s.open, p)
    p["ephemeral_public_key"] = bytes([1]) + bytes(31)  # the point of order 4 in u = 1
    raises("ECRYPTO", s.open, p)


# docs/exchange.md, "Test vectors": fixed keys, nonce, session id and plaintext.
VEC_TEE_SK = bytes(range(1, 33))
VEC_EPH_SK = bytes(range(0x41, 0x61))
VEC_NONCE = bytes(range(0xa0, 0xac))
VEC_SID = "00112233445566778899aabbccddeeff"
VEC_PT = b"bptee sealed secret test vector"
VEC_TEE_PK = "07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c"
VEC_EPH_PK = "64b101b1d0be5a8704bd078f9895001fc03e8e9f9522f188dd128d9846d48466"
VEC_CT = {
    V1: "90864f61e66010ab62e74beade22917637a4a95db7033e7cb1a5c40ff4daf3d6"
        "4651564ddac41a045ce821b13d06b9",
    V2: "180eeb71e48f41d77374055c1277ec4363cd0537553f500eb8282a14dec07902"
        "f4fa337b86b0a29dae3f44ea7da007",
}


@pytest.mark.parametrize("scheme", [V1, V2])
def test_seal_test_vector(scheme):
    tee_pk = bytes.fromhex(VEC_TEE_PK)
    p = seal_deterministic(scheme, VEC_SID, VEC_PT, tee_pk, VEC_EPH_SK, VEC_NONCE)
    assert p["ephemeral_public_key"].hex() == VEC_EPH_PK
    assert p["ciphertext"].hex() == VEC_CT[scheme]
    assert open_with_key(VEC_TEE_SK, VEC_SID, p) == VEC_PT
    doc = open(os.path.join(bptee.ROOT, "docs", "exchange.md")).read().replace("\n", "")
    assert VEC_CT[scheme] in re.sub(r"[ `]", "", doc)
    other = VEC_TEE_SK[:5] + bytes([VEC_TEE_SK[5] ^ 1]) + VEC_TEE_SK[6:]  # (not a clamped bit)
    raises("ECRYPTO", open_with_key, other, VEC_SID, p)


# ---- concurrency -----------------------------------------------------------------------------

def test_concurrent_sessions_on_one_service():
    svc = Service(300, 10000)
    threads, rounds, errors, opened = 8, 40, [], []

    def client(n):
        try:
            for i in range(rounds):
                sid, pk = svc.create_session()
                msg = b"thread %d round %d" % (n, i)
                pt, _ = svc.open(seal(sid, msg, pk, V2 if i % 2 else V1))
                assert pt == msg
                opened.append(sid)
                with pytest.raises(BpteeError):
                    svc.consume_session(sid)
                svc.active_session_count()
                svc.cleanup()
        except Exception as e:  # noqa: BLE001 - reported below with the thread's number
            errors.append((n, e))

    ts = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert errors == []
    assert len(opened) == len(set(opened)) == threads * rounds
    assert svc.active_session_count() == 0


def test_concurrent_consumers_race_for_one_session():
    svc = Service()
    for _ in range(20):
        sid, _ = svc.create_session()
        wins, losses, barrier = [], [], threading.Barrier(6)

        def taker():
            barrier.wait()
            try:
                wins.append(svc.consume_session(sid))
            except BpteeError as e:
                losses.append(e.name)

        ts = [threading.Thread(target=taker) for _ in range(6)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert len(wins) == 1 and wins[0].id == sid  # one-time, even under a race
        assert losses == ["ENOTFOUND"] * 5
    assert svc.active_session_count() == 0


def test_concurrent_creates_respect_the_limit():
    svc = Service(300, 50)
    made, refused = [], []

    def creator():
        for _ in range(20):
            try:
                made.append(svc.create_session()[0])
            except BpteeError as e:
                refused.append(e.reason)

    ts = [threading.Thread(target=creator) for _ in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert len(made) == 50 and len(refused) == 8 * 20 - 50
    assert set(refused) == {"key exchange failed: maximum session limit reached (50)"}
    assert svc.active_session_count() == 50
