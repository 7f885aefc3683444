# SPDX-License-Identifier: Apache-2.0
"""Secret owners, library side (include/bptee/owners.h): the owners document, who may write
which name, the signed request layout of docs/formats.md (checked against an independent
Python implementation and a fixed test vector), owner key files, and `bptee owner`."""
import base64
import ctypes
import json
import os
import stat
import subprocess
from ctypes import POINTER, byref, c_char_p, c_int, c_size_t, c_uint8, c_uint64, c_void_p

import pytest

import bptee as B
from bptee import CLI, BpteeError, check, fn
from owners_util import PROVISION, REVOKE, Owner, payload_digest, request_message

owners_from_json = fn("bptee_owners_from_json", c_int, c_char_p, c_size_t, POINTER(c_void_p))
owners_free = fn("bptee_owners_free", None, c_void_p)
owners_is_open = fn("bptee_owners_is_open", c_int, c_void_p)
owners_count = fn("bptee_owners_count", c_size_t, c_void_p)
owners_pk = fn("bptee_owners_public_key", c_int, c_void_p, c_char_p, POINTER(c_uint8 * 32))
owners_authorize = fn("bptee_owners_authorize", c_int, c_void_p, c_char_p, c_char_p)
owner_id_check = fn("bptee_owner_id_check", c_int, c_char_p)


class OwnerRequest(ctypes.Structure):
    _fields_ = [("op", c_int), ("attestation_digest", c_uint8 * 32), ("session_id", c_char_p),
                ("owner", c_char_p), ("name", c_char_p), ("version", c_uint64),
                ("payload_digest", c_uint8 * 32)]


req_message = fn("bptee_owner_request_message", c_int, POINTER(OwnerRequest), c_void_p, c_size_t,
                 POINTER(c_size_t))
req_verify = fn("bptee_owner_request_verify", c_int, c_char_p, c_char_p, POINTER(OwnerRequest))
req_sign = fn("bptee_owner_request_sign", c_int, c_void_p, POINTER(OwnerRequest), c_void_p)
key_from_seed = fn("bptee_owner_key_from_seed", c_int, c_char_p, POINTER(c_void_p))
key_free = fn("bptee_owner_key_free", None, c_void_p)
key_public = fn("bptee_owner_key_public", None, c_void_p, c_void_p)
key_load = fn("bptee_owner_key_load", c_int, c_char_p, POINTER(c_void_p))
payload_from_json = fn("bptee_sealed_payload_from_json", c_int, c_char_p, c_size_t,
                       POINTER(c_void_p))
payload_free = fn("bptee_sealed_payload_free", None, c_void_p)
payload_digest_c = fn("bptee_sealed_payload_digest", c_int, c_void_p, c_void_p)

ALICE = "ab" * 32
BOB = base64.b64encode(bytes(range(32))).decode()


def parse(doc):
    text = (doc if isinstance(doc, str) else json.dumps(doc)).encode()
    p = c_void_p()
    check(owners_from_json(text, len(text), byref(p)))
    return p


def doc(**rules):
    return {"owners": [{"id": "alice", "public_key": ALICE}, {"id": "bob", "public_key": BOB}],
            "secrets": rules or {"db": ["alice"]}}


# ---- the owners document


def test_owners_document_and_open():
    p = parse(doc())
    try:
        assert owners_is_open(p) == 0 and owners_count(p) == 2
        pk = (c_uint8 * 32)()
        check(owners_pk(p, b"bob", byref(pk)))
        assert bytes(pk) == bytes(range(32))  # base64 key
        check(owners_pk(p, b"alice", byref(pk)))
        assert bytes(pk) == bytes.fromhex(ALICE)  # hex key
        with pytest.raises(BpteeError) as e:
            check(owners_pk(p, b"carol", byref(pk)))
        assert e.value.name == "ENOTFOUND" and "unknown owner 'carol'" in e.value.reason
    finally:
        owners_free(p)
    p = parse('"open"')
    try:
        assert owners_is_open(p) == 1 and owners_count(p) == 0
        check(owners_authorize(p, b"anyone", b"anything"))  # open: anyone writes
    finally:
        owners_free(p)


@pytest.mark.parametrize("text,needle", [
    ('"closed"', 'expected "open" or an object'),
    ("[]", 'expected "open" or an object'),
    ({"owners": [{"id": "a", "public_key": ALICE}]}, "secrets: required"),
    ({"secrets": {}}, "owners: required"),
    (dict(doc(), extra=1), "unknown key 'extra'"),
    ({"owners": [], "secrets": {}}, "1 to 64 owners"),
    ({"owners": [{"id": "a", "public_key": ALICE, "role": "x"}], "secrets": {}},
     "unknown key 'owners[0].role'"),
    ({"owners": [{"id": "a b", "public_key": ALICE}], "secrets": {}}, "owners[0].id"),
    ({"owners": [{"id": "a", "public_key": ALICE}, {"id": "a", "public_key": BOB}],
      "secrets": {}}, "listed twice"),
    ({"owners": [{"id": "a", "public_key": "abcd"}], "secrets": {}}, "owners[0].public_key"),
    ({"owners": [{"id": "a"}], "secrets": {}}, "public_key: required"),
    (doc(db=["carol"]), "secrets.db[0]: not the id of a listed owner"),
    (doc(db=[]), "secrets.db: expected an array of 1 to 64"),
    ({"owners": [{"id": "a", "public_key": ALICE}], "secrets": {"a*b": ["a"]}}, '"a*b"'),
    ({"owners": [{"id": "a", "public_key": ALICE}], "secrets": {"..": ["a"]}}, '".."'),
    ('{"owners": [], "owners": []}', "duplicate"),
])
def test_owners_document_refused(text, needle):
    text = (text if isinstance(text, str) else json.dumps(text)).encode()
    p = c_void_p()
    with pytest.raises(BpteeError) as e:
        check(owners_from_json(text, len(text), byref(p)))
    assert e.value.name == "EPARSE" and needle in e.value.reason, e.value.reason


def test_authorize_exact_then_longest_prefix():
    p = parse(doc(**{"db": ["alice"], "team.*": ["bob"], "team.shared*": ["alice", "bob"],
                     "*": ["alice"]}))
    try:
        check(owners_authorize(p, b"alice", b"db"))
        check(owners_authorize(p, b"bob", b"team.x"))
        check(owners_authorize(p, b"alice", b"team.shared.k"))
        check(owners_authorize(p, b"alice", b"other"))  # "*"
        for owner, name, rule in [(b"bob", b"db", '"db"'), (b"alice", b"team.x", '"team.*"'),
                                  (b"bob", b"other", '"*"')]:
            with pytest.raises(BpteeError) as e:
                check(owners_authorize(p, owner, name))
            assert e.value.name == "EDENIED" and rule in e.value.reason
    finally:
        owners_free(p)
    p = parse(doc(db=["alice"]))
    try:
        with pytest.raises(BpteeError) as e:
            check(owners_authorize(p, b"alice", b"unlisted"))
        assert "no owner may write secret unlisted" in e.value.reason
    finally:
        owners_free(p)


def test_owner_id_rules():
    for good in [b"a", b"alice@example.org", b"team-1.ops_x+y", b"x" * 64]:
        check(owner_id_check(good))
    for bad in [b"", b"x" * 65, b"a b", b"a/b", b"a:b"]:
        with pytest.raises(BpteeError):
            check(owner_id_check(bad))


# ---- the signed request (docs/formats.md test vector)

SEED = bytes(range(32))
VEC = dict(op=PROVISION, att=bytes.fromhex("11" * 32), sid="00112233445566778899aabbccddeeff",
           owner="alice", name="db_password", version=2, pd=bytes.fromhex("22" * 32))
VEC_MESSAGE = (
    "62707465652d6f776e65722d726571756573742d763100011111111111111111111111111111111111111111"
    "1111111111111111111111112030303131323233333434353536363737383839396161626263636464656566"
    "6605616c6963650b64625f70617373776f726402000000000000002222222222222222222222222222222222"
    "222222222222222222222222222222")
VEC_PUBLIC = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
VEC_SIGNATURE = (
    "4b9aabc6940a1ec75bcb134dc52e18c2707623264f96494eaa29efb514c36ed9"
    "f6a8ba82628b7ae554feb87a06916f2136eb6e5f73962a73eb38ea37c72f7c07")


def c_request(op, att, sid, owner, name, version, pd):
    r = OwnerRequest(op=op, session_id=sid.encode(), owner=owner.encode(), name=name.encode(),
                     version=version)
    r.attestation_digest[:] = list(att)
    r.payload_digest[:] = list(pd)
    return r


def c_message(r):
    buf = (c_uint8 * 600)()
    n = c_size_t()
    check(req_message(byref(r), buf, 600, byref(n)))
    return bytes(buf[:n.value])


def test_message_layout_matches_the_spec():
    v = VEC
    fields = (v["op"], v["att"], v["sid"], v["owner"], v["name"], v["version"], v["pd"])
    msg = c_message(c_request(*fields))
    assert msg == request_message(*fields)
    assert msg.hex() == VEC_MESSAGE
    assert len(msg) == 23 + 1 + 32 + 33 + 6 + 12 + 8 + 32 == 147
    # the revoke twin differs in exactly the operation byte
    rev = c_message(c_request(REVOKE, *fields[1:]))
    assert [i for i in range(len(msg)) if msg[i] != rev[i]] == [23]


def test_sign_and_verify_and_every_field_counts():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    k = c_void_p()
    check(key_from_seed(SEED, byref(k)))
    try:
        pk = (c_uint8 * 32)()
        key_public(k, pk)
        fields = tuple(VEC[f] for f in ("op", "att", "sid", "owner", "name", "version", "pd"))
        r = c_request(*fields)
        sig = (c_uint8 * 64)()
        check(req_sign(k, byref(r), sig))
        py = Ed25519PrivateKey.from_private_bytes(SEED).sign(request_message(*fields))
        assert bytes(sig) == py  # Ed25519 is deterministic: both implementations agree
        assert (bytes(pk).hex(), bytes(sig).hex()) == (VEC_PUBLIC, VEC_SIGNATURE)
        check(req_verify(bytes(pk), bytes(sig), byref(r)))
        changed = [(REVOKE,) + fields[1:], fields[:1] + (bytes(32),) + fields[2:],
                   fields[:2] + ("0" * 32,) + fields[3:], fields[:3] + ("bob",) + fields[4:],
                   fields[:4] + ("db",) + fields[5:], fields[:5] + (3,) + fields[6:],
                   fields[:6] + (bytes(32),)]
        for other in changed:
            with pytest.raises(BpteeError) as e:
                check(req_verify(bytes(pk), bytes(sig), byref(c_request(*other))))
            assert e.value.name == "EVERIFY"
    finally:
        key_free(k)


@pytest.mark.parametrize("field,value", [("op", 4), ("version", 0), ("owner", "a b"),
                                         ("sid", ""), ("sid", "x" * 256), ("name", "")])
def test_message_refuses_bad_fields(field, value):
    v = dict(VEC)
    v[field] = value
    r = c_request(v["op"], v["att"], v["sid"], v["owner"], v["name"], v["version"], v["pd"])
    with pytest.raises(BpteeError) as e:
        c_message(r)
    assert e.value.name == "EINVAL"


VEC_PAYLOAD_DIGEST = "985d0f69367677b8ced1ac6ff449a820470f4e692711caa315a9fc2aa2b80b8c"
VEC_V2_PAYLOAD = {  # docs/exchange.md's v2 test vector
    "session_id": "00112233445566778899aabbccddeeff", "scheme": "v2",
    "ciphertext": list(bytes.fromhex("180eeb71e48f41d77374055c1277ec4363cd0537553f500eb8282a14dec0"
                                     "7902f4fa337b86b0a29dae3f44ea7da007")),
    "nonce": list(bytes.fromhex("a0a1a2a3a4a5a6a7a8a9aaab")),
    "ephemeral_public_key": list(bytes.fromhex("64b101b1d0be5a8704bd078f9895001fc03e8e9f9522f1"
                                               "88dd128d9846d48466"))}


@pytest.mark.parametrize("payload", [
    VEC_V2_PAYLOAD,
    {"session_id": "s", "ciphertext": [1, 2, 3], "nonce": list(range(12)),
     "ephemeral_public_key": list(range(32)), "scheme": "v2"},
    {"session_id": "s", "ciphertext": [1, 2, 3], "nonce": list(range(12)),
     "ephemeral_public_key": list(range(32))},
    {"session_id": "old", "ciphertext": [1, 2, 3]},
])
def test_payload_digest_matches_the_spec(payload):
    text = json.dumps(payload).encode()
    p = c_void_p()
    check(payload_from_json(text, len(text), byref(p)))
    try:
        out = (c_uint8 * 32)()
        check(payload_digest_c(p, out))
        assert bytes(out) == payload_digest(payload)
        if payload is VEC_V2_PAYLOAD:
            assert bytes(out).hex() == VEC_PAYLOAD_DIGEST
    finally:
        payload_free(p)


# ---- key files and `bptee owner`


def test_keygen_writes_private_key_0600_and_config_entry(tmp_path):
    o = Owner(tmp_path, "alice")
    st = os.stat(o.key_path)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert json.loads(open(o.prefix + ".pub").read()) == o.entry
    assert not [f for f in os.listdir(tmp_path) if ".tmp." in f]  # written atomically
    r = B.cli("owner", "show", "--key", o.key_path)
    assert r.returncode == 0 and json.loads(r.stdout) == o.entry
    # never overwritten
    before = open(o.key_path).read()
    r = B.cli("owner", "keygen", "--out", o.prefix)
    assert r.returncode == 1 and "exists" in r.stderr
    assert open(o.key_path).read() == before
    r = B.cli("owner", "keygen", "--out", tmp_path / "x", "--id", "ops@example.org")
    assert r.returncode == 0 and json.loads(r.stdout)["id"] == "ops@example.org"


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o660])
def test_loose_key_file_refused(tmp_path, mode):
    o = Owner(tmp_path, "alice")
    os.chmod(o.key_path, mode)
    r = B.cli("owner", "show", "--key", o.key_path)
    assert r.returncode == 1 and "group or others" in r.stderr and "chmod 600" in r.stderr
    k = c_void_p()
    with pytest.raises(BpteeError) as e:
        check(key_load(o.key_path.encode(), byref(k)))
    assert e.value.name == "EDENIED"
    os.chmod(o.key_path, 0o600)  # the twin
    check(key_load(o.key_path.encode(), byref(k)))
    key_free(k)


def test_key_file_symlink_and_garbage_refused(tmp_path):
    o = Owner(tmp_path, "alice")
    link = tmp_path / "link.key"
    os.symlink(o.key_path, link)
    r = B.cli("owner", "show", "--key", link)
    assert r.returncode == 1 and "symlink" in r.stderr
    bad = tmp_path / "bad.key"
    bad.write_text("bptee-owner-key-v1 AAAA\n")
    os.chmod(bad, 0o600)
    r = B.cli("owner", "show", "--key", bad)
    assert r.returncode == 1 and "not 32 bytes" in r.stderr
    bad.write_text("ssh-ed25519 AAAA\n")
    r = B.cli("owner", "show", "--key", bad)
    assert r.returncode == 1 and "not a bptee owner key" in r.stderr


@pytest.mark.parametrize("args,needle", [
    ([], "usage"), (["keygen"], "--out PREFIX is required"), (["show"], "--key FILE"),
    (["keygen", "--out", "/tmp/x y/a b"], "--id"), (["frob"], "unknown subcommand"),
    (["keygen", "--out", "k", "--bogus"], "unknown"),
])
def test_owner_usage_errors(args, needle):
    r = B.cli("owner", *args)
    assert r.returncode == 2 and needle in r.stderr
    assert B.cli("owner", "--help").returncode == 0


# ---- "bptee.owners" in the TEE config

cfg_load = fn("bptee_config_load", c_int, c_char_p, c_size_t, POINTER(c_void_p))
cfg_free = fn("bptee_config_free", None, c_void_p)
cfg_save = fn("bptee_config_save", c_int, c_void_p, ctypes.c_uint, POINTER(c_void_p))
cfg_owners = fn("bptee_config_owners_json", c_char_p, c_void_p)
cfg_set_owners = fn("bptee_config_set_owners_json", c_int, c_void_p, c_char_p)
EXAMPLE = os.path.join(B.ROOT, "docs", "examples", "owners.json")


def config(**bptee):
    return {"requirement": "preferred", "mode": "direct", "provider_selector": "any",
            "key_exchange": {}, "secret_injection": "sealed_only", "bptee": bptee}


def load_config(doc):
    text = json.dumps(doc).encode()
    p = c_void_p()
    check(cfg_load(text, len(text), byref(p)))
    return p


def saved(p):
    out = c_void_p()
    check(cfg_save(p, 0, byref(out)))
    return json.loads(B.take_string(out))


def test_config_owners_round_trip():
    example = json.load(open(EXAMPLE))
    for value in (example, "open"):
        p = load_config(config(owners=value))
        try:
            assert json.loads(cfg_owners(p)) == value
            assert saved(p)["bptee"]["owners"] == value
        finally:
            cfg_free(p)
    p = load_config(config())
    try:
        assert cfg_owners(p) is None and "owners" not in saved(p)["bptee"]
        check(cfg_set_owners(p, b'"open"'))
        assert saved(p)["bptee"]["owners"] == "open"
        with pytest.raises(BpteeError) as e:
            check(cfg_set_owners(p, b'{"owners": []}'))
        assert e.value.name == "EPARSE" and "bptee.owners" in e.value.reason
        assert cfg_owners(p) == b'"open"'  # a refused value leaves the old one
        check(cfg_set_owners(p, None))
        assert cfg_owners(p) is None
    finally:
        cfg_free(p)


@pytest.mark.parametrize("value,needle", [
    ("closed", 'expected "open" or an object'),
    ({"owners": [{"id": "a", "public_key": "00"}], "secrets": {}}, "owners[0].public_key"),
    (7, 'expected "open" or an object'),
])
def test_config_owners_refused(value, needle):
    text = json.dumps(config(owners=value)).encode()
    p = c_void_p()
    with pytest.raises(BpteeError) as e:
        check(cfg_load(text, len(text), byref(p)))
    assert e.value.name == "EPARSE" and 'config: "bptee.owners": owners' in e.value.reason
    assert needle in e.value.reason
