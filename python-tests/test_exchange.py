# SPDX-License-Identifier: Apache-2.0
"""Key exchange (include/bptee/exchange.h): blueprint-tee's exchange_tests.rs ported one by one
(same names), then the v2 scheme. The ctypes declarations at the top are shared with
test_exchange_interop.py."""
import ctypes
import hashlib
import json
import os
import re
import time
from ctypes import POINTER, byref, c_bool, c_char_p, c_int, c_size_t, c_uint8, c_uint64, c_void_p

import pytest

import bptee
from bptee import BpteeError, check, fn

V1, V2 = 1, 2
PRETTY, BASE64 = 1, 2


class CPayload(ctypes.Structure):
    _fields_ = [("session_id", c_char_p), ("ciphertext", POINTER(c_uint8)),
                ("ciphertext_len", c_size_t), ("nonce", POINTER(c_uint8)), ("nonce_len", c_size_t),
                ("ephemeral_public_key", POINTER(c_uint8)), ("ephemeral_public_key_len", c_size_t),
                ("scheme", c_int)]


class CRequest(ctypes.Structure):
    _fields_ = [("nonce", c_char_p)]


class CResponse(ctypes.Structure):
    _fields_ = [("session_id", c_char_p), ("public_key", c_uint8 * 32), ("attestation", c_void_p),
                ("has_nonce", c_bool), ("nonce", c_uint8 * 32)]


class CResult(ctypes.Structure):
    _fields_ = [("success", c_bool), ("attestation_digest", c_char_p),
                ("key_fingerprint", c_char_p)]


P = POINTER
session_new = fn("bptee_session_new", c_int, c_uint64, P(c_void_p))
session_free = fn("bptee_session_free", None, c_void_p)
session_public_key = fn("bptee_session_public_key", P(c_uint8), c_void_p)
session_digest = fn("bptee_session_public_key_digest", None, c_void_p, c_char_p)
session_open = fn("bptee_session_open", c_int, c_void_p, P(CPayload), c_void_p, c_size_t,
                  P(c_size_t))
svc_new = fn("bptee_auth_service_new", c_int, c_uint64, c_uint64, P(c_void_p))
svc_free = fn("bptee_auth_service_free", None, c_void_p)
svc_create = fn("bptee_auth_service_create_session", c_int, c_void_p, c_char_p, c_void_p)
svc_public_key = fn("bptee_auth_service_public_key", c_int, c_void_p, c_char_p, c_void_p)
svc_consume = fn("bptee_auth_service_consume", c_int, c_void_p, c_char_p, P(c_void_p))
svc_open = fn("bptee_auth_service_open", c_int, c_void_p, P(CPayload), c_void_p, c_size_t,
              P(c_size_t), c_char_p)
# Accessors taking only the handle.
GET = {name: fn("bptee_" + name, res, c_void_p) for name, res in [
    ("session_id", c_char_p), ("session_created_at", c_uint64), ("session_ttl_secs", c_uint64),
    ("session_is_expired", c_int), ("session_remaining_ttl", c_uint64),
    ("auth_service_active_count", c_size_t), ("auth_service_cleanup", c_size_t),
    ("auth_service_session_ttl_secs", c_uint64), ("auth_service_max_sessions", c_uint64)]}
seal_c = fn("bptee_seal", c_int, c_int, c_char_p, c_void_p, c_size_t, c_void_p, c_size_t,
            P(P(CPayload)))
payload_free = fn("bptee_sealed_payload_free", None, P(CPayload))
payload_from_json_c = fn("bptee_sealed_payload_from_json", c_int, c_char_p, c_size_t,
                         P(P(CPayload)))
payload_to_json_c = fn("bptee_sealed_payload_to_json", c_int, P(CPayload), ctypes.c_uint,
                       P(c_void_p))
request_from_json_c = fn("bptee_key_exchange_request_from_json", c_int, c_char_p, c_size_t,
                         P(P(CRequest)))
request_to_json_c = fn("bptee_key_exchange_request_to_json", c_int, P(CRequest), ctypes.c_uint,
                       P(c_void_p))
request_free = fn("bptee_key_exchange_request_free", None, P(CRequest))
response_from_json_c = fn("bptee_key_exchange_response_from_json", c_int, c_char_p, c_size_t,
                          P(P(CResponse)))
response_to_json_c = fn("bptee_key_exchange_response_to_json", c_int, P(CResponse),
                        ctypes.c_uint, P(c_void_p))
response_free = fn("bptee_key_exchange_response_free", None, P(CResponse))
result_from_json_c = fn("bptee_sealed_secret_result_from_json", c_int, c_char_p, c_size_t,
                        P(P(CResult)))
result_to_json_c = fn("bptee_sealed_secret_result_to_json", c_int, P(CResult), ctypes.c_uint,
                      P(c_void_p))
result_free = fn("bptee_sealed_secret_result_free", None, P(CResult))
report_new = fn("bptee_report_new", c_int, P(c_void_p))
report_free = fn("bptee_report_free", None, c_void_p)
report_set_provider = fn("bptee_report_set_provider", c_int, c_void_p, c_int)
report_set_format = fn("bptee_report_set_format", c_int, c_void_p, c_int)
report_set_issued_at = fn("bptee_report_set_issued_at", c_int, c_void_p, c_uint64)
report_set_sha256 = fn("bptee_report_set_measurement_sha256", c_int, c_void_p, c_char_p)
report_set_evidence = fn("bptee_report_set_evidence", c_int, c_void_p, c_char_p, c_size_t)


def _bytes_field(ptr, n):
    return None if not ptr else ctypes.string_at(ptr, n)


def payload_from_c(p):
    """A dict from a library-owned payload, which is freed."""
    c = p.contents
    d = {"session_id": c.session_id.decode(),
         "ciphertext": _bytes_field(c.ciphertext, c.ciphertext_len) or b"",
         "nonce": _bytes_field(c.nonce, c.nonce_len),
         "ephemeral_public_key": _bytes_field(c.ephemeral_public_key,
                                              c.ephemeral_public_key_len),
         "scheme": c.scheme}
    payload_free(p)
    return d


def payload_to_c(d):
    """A CPayload over Python buffers (kept alive on the struct)."""
    keep = []

    def buf(b):
        if b is None:
            return None, 0
        a = (c_uint8 * max(len(b), 1)).from_buffer_copy(b + b"\0")
        keep.append(a)
        return ctypes.cast(a, POINTER(c_uint8)), len(b)

    ct, ctn = buf(d["ciphertext"])
    nn, nnn = buf(d.get("nonce"))
    ek, ekn = buf(d.get("ephemeral_public_key"))
    c = CPayload(d["session_id"].encode(), ct, ctn, nn, nnn, ek, ekn, d.get("scheme", V1))
    c._keep = keep
    return c


def seal(session_id, plaintext, tee_pk, scheme=V1):
    out = P(CPayload)()
    pt = plaintext or b"\0"
    check(seal_c(scheme, session_id.encode(), pt, len(plaintext), tee_pk, len(tee_pk),
                 byref(out)))
    return payload_from_c(out)


def _open_out(d):
    n = max(len(d["ciphertext"]) - 16, 0)
    return ctypes.create_string_buffer(n + 1), n


def take_json(rc, ptr):
    check(rc)
    return bptee.take_string(ptr.value)


def payload_from_json(text):
    out = P(CPayload)()
    raw = text.encode() if isinstance(text, str) else text
    check(payload_from_json_c(raw, len(raw), byref(out)))
    return payload_from_c(out)


def payload_to_json(d, flags=0):
    ptr = c_void_p()
    return take_json(payload_to_json_c(byref(payload_to_c(d)), flags, byref(ptr)), ptr)


def request_from_json(text):
    out = P(CRequest)()
    raw = text.encode()
    check(request_from_json_c(raw, len(raw), byref(out)))
    nonce = out.contents.nonce
    request_free(out)
    return {"nonce": None if nonce is None else nonce.decode()}


def request_to_json(nonce=None, flags=0):
    ptr = c_void_p()
    req = CRequest(nonce.encode() if nonce is not None else None)
    return take_json(request_to_json_c(byref(req), flags, byref(ptr)), ptr)


def result_from_json(text):
    out = P(CResult)()
    raw = text.encode()
    check(result_from_json_c(raw, len(raw), byref(out)))
    c = out.contents
    d = {"success": c.success, "attestation_digest": c.attestation_digest.decode(),
         "key_fingerprint": c.key_fingerprint.decode()}
    result_free(out)
    return d


def result_to_json(success, digest, fingerprint, flags=0):
    ptr = c_void_p()
    r = CResult(success, digest.encode(), fingerprint.encode())
    return take_json(result_to_json_c(byref(r), flags, byref(ptr)), ptr)


def new_report(evidence=b"test-evidence"):
    """A Mock-format report as blueprint-tee's tests build it (provider intel_tdx = 0)."""
    r = c_void_p()
    check(report_new(byref(r)))
    check(report_set_provider(r, 0))
    check(report_set_format(r, 5))
    check(report_set_issued_at(r, 1700000000))
    check(report_set_sha256(r, b"a" * 64))
    check(report_set_evidence(r, evidence, len(evidence)))
    return r


class Session:
    def __init__(self, ttl=300):
        self.ptr = c_void_p()
        check(session_new(ttl, byref(self.ptr)))

    @classmethod
    def adopt(cls, ptr):
        s = cls.__new__(cls)
        s.ptr = ptr
        return s

    def __del__(self):
        if getattr(self, "ptr", None):
            session_free(self.ptr)
            self.ptr = None

    id = property(lambda self: GET["session_id"](self.ptr).decode())
    public_key = property(lambda self: ctypes.string_at(session_public_key(self.ptr), 32))
    created_at = property(lambda self: GET["session_created_at"](self.ptr))
    ttl_secs = property(lambda self: GET["session_ttl_secs"](self.ptr))
    is_expired = property(lambda self: bool(GET["session_is_expired"](self.ptr)))
    remaining_ttl = property(lambda self: GET["session_remaining_ttl"](self.ptr))

    def public_key_digest(self):
        out = ctypes.create_string_buffer(65)
        session_digest(self.ptr, out)
        return out.value.decode()

    def open(self, d):
        out, n = _open_out(d)
        got = c_size_t()
        check(session_open(self.ptr, byref(payload_to_c(d)), out, n, byref(got)))
        return out.raw[:got.value]


class Service:
    def __init__(self, ttl=300, max_sessions=64):
        self.ptr = c_void_p()
        check(svc_new(ttl, max_sessions, byref(self.ptr)))

    def __del__(self):
        if getattr(self, "ptr", None):
            svc_free(self.ptr)
            self.ptr = None

    def create_session(self):
        sid, pk = ctypes.create_string_buffer(33), ctypes.create_string_buffer(32)
        check(svc_create(self.ptr, sid, pk))
        return sid.value.decode(), pk.raw

    def get_session_public_key(self, sid):
        pk = ctypes.create_string_buffer(32)
        check(svc_public_key(self.ptr, sid.encode(), pk))
        return pk.raw

    def consume_session(self, sid):
        out = c_void_p()
        check(svc_consume(self.ptr, sid.encode(), byref(out)))
        return Session.adopt(out)

    def open(self, d):
        out, n = _open_out(d)
        got, fp = c_size_t(), ctypes.create_string_buffer(65)
        check(svc_open(self.ptr, byref(payload_to_c(d)), out, n, byref(got), fp))
        return out.raw[:got.value], fp.value.decode()

    active_session_count = lambda self: GET["auth_service_active_count"](self.ptr)
    cleanup = lambda self: GET["auth_service_cleanup"](self.ptr)
    session_ttl_secs = lambda self: GET["auth_service_session_ttl_secs"](self.ptr)
    max_sessions = lambda self: GET["auth_service_max_sessions"](self.ptr)


def raises(code, fn_, *args):
    with pytest.raises(BpteeError) as e:
        fn_(*args)
    assert e.value.name == code, e.value
    return e.value.reason


# ---- exchange_tests.rs, in its order ---------------------------------------------------------

def test_session_creation():
    s = Session(300)
    assert re.fullmatch("[0-9a-f]{32}", s.id)
    assert len(s.public_key) == 32 and s.public_key != bytes(32)
    assert not s.is_expired
    assert abs(s.created_at - time.time()) < 5


def test_session_ttl():
    assert Session(0).ttl_secs == 0
    assert Session(7).ttl_secs == 7


def test_session_not_expired_with_long_ttl():
    assert not Session(3600).is_expired


def test_public_key_digest():
    s = Session()
    d = s.public_key_digest()
    assert len(d) == 64
    assert d == hashlib.sha256(s.public_key).hexdigest()
    assert d != Session().public_key_digest()


def test_remaining_ttl():
    assert 298 <= Session(300).remaining_ttl <= 300


def test_auth_service_create_session():
    svc = Service()
    assert svc.active_session_count() == 0
    sid, pk = svc.create_session()
    assert re.fullmatch("[0-9a-f]{32}", sid) and len(pk) == 32
    assert svc.active_session_count() == 1


def test_consume_session():
    svc = Service()
    sid, pk = svc.create_session()
    s = svc.consume_session(sid)
    assert s.id == sid and s.public_key == pk
    reason = raises("ENOTFOUND", svc.consume_session, sid)
    assert reason == f"key exchange failed: session not found: {sid}"


def test_get_public_key():
    svc = Service()
    sid, pk = svc.create_session()
    assert svc.get_session_public_key(sid) == pk
    assert svc.active_session_count() == 1  # reading the key does not consume the session


def test_session_not_found():
    svc = Service()
    svc.create_session()
    for f in (svc.consume_session, svc.get_session_public_key):
        assert raises("ENOTFOUND", f, "nonexistent") == \
            "key exchange failed: session not found: nonexistent"


def test_max_sessions():
    svc = Service(300, 2)
    svc.create_session()
    svc.create_session()
    assert raises("ELIMIT", svc.create_session) == \
        "key exchange failed: maximum session limit reached (2)"
    assert svc.active_session_count() == 2
    assert "(0)" in raises("ELIMIT", Service(300, 0).create_session)


def test_multiple_sessions():
    svc = Service()
    made = [svc.create_session() for _ in range(3)]
    assert len({sid for sid, _ in made}) == 3
    assert svc.active_session_count() == 3
    svc.consume_session(made[1][0])
    assert svc.active_session_count() == 2


def test_request_serde():
    text = request_to_json("test-nonce-123")
    assert json.loads(text) == {"nonce": "test-nonce-123"}
    assert request_from_json(text) == {"nonce": "test-nonce-123"}
    assert "request: nonce: expected a string" in raises("EPARSE", request_from_json,
                                                         '{"nonce": 5}')


def test_sealed_secret_payload_serde():
    d = {"session_id": "test-session", "ciphertext": bytes([1, 2, 3, 4, 5]),
         "nonce": bytes(12), "ephemeral_public_key": bytes(range(32)), "scheme": V1}
    text = payload_to_json(d)
    assert json.loads(text) == {"session_id": "test-session", "ciphertext": [1, 2, 3, 4, 5],
                                "nonce": [0] * 12, "ephemeral_public_key": list(range(32))}
    assert payload_from_json(text) == d
    reason = raises("EPARSE", payload_from_json, '{"session_id":"s","ciphertext":[1,256]}')
    assert reason == "sealed secret payload: ciphertext[1]: 256 is not a byte (0..255)"


def test_sealed_secret_result_serde():
    text = result_to_json(True, "abc123", "def456")
    assert json.loads(text) == {"success": True, "attestation_digest": "abc123",
                                "key_fingerprint": "def456"}
    assert result_from_json(text) == json.loads(text)
    assert "success: expected a boolean" in raises(
        "EPARSE", result_from_json,
        '{"success":"yes","attestation_digest":"a","key_fingerprint":"b"}')


def test_consume_expired_session():
    svc, live = Service(0, 10), Service(300, 10)
    sid, _ = svc.create_session()
    live_sid, _ = live.create_session()
    time.sleep(1.1)
    reason = raises("EEXPIRED", svc.consume_session, sid)
    assert "expired" in reason and reason == f"key exchange failed: session expired: {sid}"
    raises("ENOTFOUND", svc.consume_session, sid)  # the expired session was removed
    live.consume_session(live_sid)


def test_get_public_key_expired_session():
    svc, live = Service(0, 10), Service(300, 10)
    sid, _ = svc.create_session()
    live_sid, live_pk = live.create_session()
    time.sleep(1.1)
    assert "session expired" in raises("EEXPIRED", svc.get_session_public_key, sid)
    raises("EEXPIRED", svc.consume_session, sid)  # reading the key left it; consuming removes it
    raises("ENOTFOUND", svc.consume_session, sid)
    assert live.get_session_public_key(live_sid) == live_pk


def test_session_unique_ids():
    a, b = Session(), Session()
    assert a.id != b.id and a.public_key != b.public_key


def test_request_without_nonce():
    text = request_to_json(None)
    assert "nonce" not in json.loads(text)
    assert request_from_json(text) == {"nonce": None}
    assert request_from_json('{"nonce": null}') == {"nonce": None}


def test_payload_without_nonce():
    text = payload_to_json({"session_id": "s", "ciphertext": b"\1\2"})
    assert json.loads(text) == {"session_id": "s", "ciphertext": [1, 2]}
    assert "nonce" in payload_to_json({"session_id": "s", "ciphertext": b"", "nonce": b""})


def test_evicts_expired_on_create():
    short, long_ = Service(0, 2), Service(300, 2)
    for svc in (short, long_):
        svc.create_session()
        svc.create_session()
    time.sleep(1.1)
    short.create_session()  # both expired sessions were evicted first
    assert short.active_session_count() == 1
    raises("ELIMIT", long_.create_session)


def test_session_not_expired_fresh():
    s = Session(300)
    assert not s.is_expired and s.remaining_ttl > 0


def test_ttl_and_max_sessions_accessors():
    svc = Service(600, 128)
    assert svc.session_ttl_secs() == 600 and svc.max_sessions() == 128


def test_key_exchange_response_serde():
    rep = new_report()
    try:
        resp = CResponse(b"session-1", (c_uint8 * 32)(*range(32)), rep, False)
        ptr = c_void_p()
        text = take_json(response_to_json_c(byref(resp), 0, byref(ptr)), ptr)
    finally:
        report_free(rep)
    j = json.loads(text)
    assert list(j) == ["session_id", "public_key_hex", "attestation"]
    assert j["public_key_hex"] == bytes(range(32)).hex()
    assert j["attestation"]["evidence"] == list(b"test-evidence")
    out = P(CResponse)()
    check(response_from_json_c(text.encode(), len(text), byref(out)))
    try:
        assert out.contents.session_id == b"session-1"
        assert bytes(out.contents.public_key) == bytes(range(32))
        assert not out.contents.has_nonce and out.contents.attestation
        ptr = c_void_p()
        again = take_json(response_to_json_c(out, 0, byref(ptr)), ptr)
        assert json.loads(again) == j
    finally:
        response_free(out)
    bad = json.dumps(dict(j, public_key_hex="zz" * 32))
    out = P(CResponse)()
    assert response_from_json_c(bad.encode(), len(bad), byref(out)) == bptee.CODES["EPARSE"]
    assert "public_key_hex" in bptee.last_error()


def test_long_ttl():
    assert Session(86400).remaining_ttl > 86390


def test_consume_removes_from_count():
    svc = Service()
    sid, _ = svc.create_session()
    assert svc.active_session_count() == 1
    svc.consume_session(sid)
    assert svc.active_session_count() == 0


def test_double_consume_fails():
    svc = Service()
    sid, _ = svc.create_session()
    svc.consume_session(sid)
    assert "not found" in raises("ENOTFOUND", svc.consume_session, sid)


def test_sealed_secret_result_failure():
    text = result_to_json(False, "", "")
    assert json.loads(text)["success"] is False
    assert result_from_json(text)["success"] is False
    assert "missing field `key_fingerprint`" in raises(
        "EPARSE", result_from_json, '{"success":false,"attestation_digest":""}')


def test_payload_large_ciphertext():
    big = os.urandom(1 << 20)
    d = {"session_id": "s", "ciphertext": big, "nonce": bytes(12),
         "ephemeral_public_key": bytes(32), "scheme": V1}
    assert payload_from_json(payload_to_json(d)) == d
    assert payload_from_json(payload_to_json(d, BASE64)) == d


def test_seal_open_roundtrip():
    svc = Service()
    sid, pk = svc.create_session()
    p = seal(sid, b"my-secret-value", pk)
    assert len(p["ephemeral_public_key"]) == 32 and len(p["nonce"]) == 12
    assert len(p["ciphertext"]) == len(b"my-secret-value") + 16
    assert b"my-secret-value" not in p["ciphertext"]
    assert svc.consume_session(sid).open(p) == b"my-secret-value"


def test_seal_open_empty_plaintext():
    s = Session()
    p = seal(s.id, b"", s.public_key)
    assert len(p["ciphertext"]) == 16
    assert s.open(p) == b""
    p["ciphertext"] = p["ciphertext"][:15]
    raises("ECRYPTO", s.open, p)


def test_wrong_session_fails():
    right, wrong = Session(), Session()
    p = seal(right.id, b"secret", right.public_key)
    assert raises("ECRYPTO", wrong.open, p) == \
        "sealed secret error: decryption failed: invalid ciphertext or key"
    assert right.open(p) == b"secret"


def test_seal_invalid_public_key_length():
    reason = raises("EINVAL", seal, "s", b"x", bytes(16))
    assert "32 bytes" in reason and reason == "sealed secret error: TEE public key must be 32 bytes"


def test_open_missing_ephemeral_key():
    s = Session()
    p = dict(seal(s.id, b"x", s.public_key), ephemeral_public_key=None, nonce=None)
    assert raises("EINVAL", s.open, p) == "sealed secret error: missing ephemeral public key"
    p["ephemeral_public_key"] = bytes(31)
    assert raises("EINVAL", s.open, p) == \
        "sealed secret error: ephemeral public key must be 32 bytes"


def test_open_missing_nonce():
    s = Session()
    p = dict(seal(s.id, b"x", s.public_key), nonce=None)
    assert raises("EINVAL", s.open, p) == "sealed secret error: missing nonce"


def test_open_invalid_nonce_length():
    s = Session()
    p = dict(seal(s.id, b"x", s.public_key), nonce=bytes(8))
    assert raises("EINVAL", s.open, p) == "sealed secret error: nonce must be 12 bytes"


def test_sealed_payload_serde_with_ephemeral_key():
    s = Session()
    p = payload_from_json(payload_to_json(seal(s.id, b"round trip", s.public_key)))
    assert s.open(p) == b"round trip"
    p["ciphertext"] = bytes([p["ciphertext"][0] ^ 1]) + p["ciphertext"][1:]
    raises("ECRYPTO", s.open, p)


def test_backward_compat_no_ephemeral_key():
    p = payload_from_json('{"session_id":"old","ciphertext":[1,2,3]}')
    assert p == {"session_id": "old", "ciphertext": b"\1\2\3", "nonce": None,
                 "ephemeral_public_key": None, "scheme": V1}
    assert "missing field `ciphertext`" in raises("EPARSE", payload_from_json,
                                                  '{"session_id":"old"}')
