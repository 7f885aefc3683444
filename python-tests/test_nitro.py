# SPDX-License-Identifier: Apache-2.0
"""AWS Nitro Enclaves documents (bptee_nitro_verify, bptee_verify with the "nitro" policy
section, `bptee verify`): the two real documents of ../shared/vectors/nitro at their own
timestamps, their tamper twins, and documents signed here by a local chain for what the real
ones cannot show (another root, lengths, algorithms, a bound key)."""
import ctypes
import json
import os
import subprocess
import time
from ctypes import POINTER, Structure, byref, c_int, c_int64, c_size_t, c_void_p

import pytest

import bptee
from bptee import VECTORS, BpteeError, check, fn
from nitro_util import Chain, cbor, payload, sign
from test_snp_verify import cbuf, rejected, verify_any

NITRO = os.path.join(VECTORS, "nitro")
PROD = open(os.path.join(NITRO, "sample_prod_doc_2021-03-17.bin"), "rb").read()
DEBUG = open(os.path.join(NITRO, "sample_attestation_doc_full_debug_2024-01-24.bin"), "rb").read()
PROD_AT = 1616018515  # timestamp 1616018515685 ms
DEBUG_AT = 1706120065  # timestamp 1706120065635 ms
PROD_PCR0 = ("2d151586641b790f3b1b92b8f89678c3aa86e73dd97969c892124be9d2b7fdc6"
             "2b58a55cd9ee8216f6f5689cebf590ad")
AWS_ROOT = "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b"


class NitroOpts(Structure):
    _fields_ = [("sz", c_size_t), ("at", c_int64), ("trusted_roots", c_void_p),
                ("n_trusted_roots", c_size_t)]


nitro_verify = fn("bptee_nitro_verify", c_int, c_void_p, c_size_t, POINTER(NitroOpts),
                  POINTER(c_void_p))
doc_parse = fn("bptee_nitro_document_parse", c_int, c_void_p, c_size_t, POINTER(c_void_p))
doc_free = fn("bptee_nitro_document_free", None, c_void_p)
detect = fn("bptee_nitro_detect", c_int, c_void_p, c_size_t)


def nverify(data, at=0, roots=()):
    keep = [cbuf(data)]
    o = NitroOpts(sz=ctypes.sizeof(NitroOpts), at=at)
    if roots:
        rb = cbuf(b"".join(bytes.fromhex(r) for r in roots))
        keep.append(rb)
        o.trusted_roots, o.n_trusted_roots = ctypes.cast(rb, c_void_p), len(roots)
    out = c_void_p()
    check(nitro_verify(keep[0], len(data), byref(o), byref(out)))
    doc_free(out)


def parse(data):
    out = c_void_p()
    check(doc_parse(cbuf(data), len(data), byref(out)))
    doc_free(out)


def flip(data, i):
    b = bytearray(data)
    b[i] ^= 0x01
    return bytes(b)


def der_span(data, der):
    i = data.find(der)
    assert i > 0
    return i, i + len(der)


# --- the real documents ------------------------------------------------------------------------

def test_prod_document_verifies_at_its_timestamp():
    nverify(PROD)  # at 0 = the document's own timestamp
    r = verify_any(PROD, at=PROD_AT)
    assert (r["provider"], r["format"]) == ("aws_nitro", "nitro_document")
    assert r["measurement"] == {"algorithm": "sha384", "digest": PROD_PCR0}
    assert r["issued_at_unix"] == PROD_AT
    assert r["claims"]["debug_mode"] is False
    assert r["claims"]["custom"]["root"] == AWS_ROOT
    assert "pcr4:" in " ".join(r["claims"]["boot_measurements"])


def test_prod_document_rejected_after_its_certificates_expire():
    e = rejected(verify_any, PROD, at=PROD_AT + 365 * 86400)
    assert e.name == "EEXPIRED" and "expired" in e.reason


def test_prod_document_rejected_before_its_certificates():
    e = rejected(nverify, PROD, at=PROD_AT - 365 * 86400)
    assert e.name == "EEXPIRED" and "not yet valid" in e.reason


def test_debug_document_signature_accepted_but_production_policy_rejects():
    nverify(DEBUG)
    e = rejected(verify_any, DEBUG, at=DEBUG_AT)
    assert e.name == "EPOLICY" and "debug" in e.reason
    r = verify_any(DEBUG, {"nitro": {"allow_debug": True}}, at=DEBUG_AT)
    assert r["claims"]["debug_mode"] is True
    assert r["claims"]["custom"]["nonce"] == b"Nonce\n".hex()
    import base64
    assert base64.b64decode(r["claims"]["user_data"]) == b"Hello World!\n"


@pytest.mark.parametrize("where", ["payload", "signature", "protected"])
def test_flipped_signed_byte_rejected(where):
    i = {"payload": 200, "signature": len(PROD) - 5, "protected": 3}[where]
    e = rejected(nverify, flip(PROD, i))
    assert e.name in ("EVERIFY", "EPARSE")
    if where != "protected":
        assert "signature does not verify" in e.reason


def test_flipped_certificate_byte_rejected():
    # the last byte of the instance CA (cabundle[3]) is inside its signature
    from cryptography import x509
    d = PROD
    start = d.find(b"cabundle")
    ders = []
    i = start + 9  # array(4) head
    for _ in range(4):
        n = int.from_bytes(d[i + 1:i + 3], "big")
        ders.append((i + 3, i + 3 + n))
        i += 3 + n
    lo, hi = ders[3]
    x509.load_der_x509_certificate(d[lo:hi])
    e = rejected(nverify, flip(d, hi - 2))
    assert e.name == "EVERIFY" and "certificate" in e.reason


def test_flipped_root_rejected_as_untrusted():
    d = PROD
    i = d.find(b"cabundle") + 9
    e = rejected(nverify, flip(d, i + 3 + 40))
    assert e.name == "EVERIFY" and "Root-G1" in e.reason


def test_tagged_document_accepted_and_trailing_bytes_rejected():
    nverify(b"\xd2" + PROD)
    assert detect(cbuf(PROD), len(PROD)) == 1
    assert detect(cbuf(b"\xd2" + PROD), len(PROD) + 1) == 1
    assert detect(cbuf(b"{}"), 2) == 0
    e = rejected(parse, PROD + b"\x00")
    assert e.name == "EPARSE" and "after" in e.reason
    e = rejected(parse, b"\xd3" + PROD)
    assert e.name == "EPARSE"


def test_nitro_policy_pins():
    ok = verify_any(PROD, {"nitro": {"pcr0": PROD_PCR0}}, at=PROD_AT)
    assert ok["measurement"]["digest"] == PROD_PCR0
    verify_any(PROD, {"nitro": {"pcr0": ["00" * 48, PROD_PCR0]}}, at=PROD_AT)
    e = rejected(verify_any, PROD, {"nitro": {"pcr0": "00" * 48}}, at=PROD_AT)
    assert e.name == "EPOLICY" and "PCR0" in e.reason
    e = rejected(verify_any, PROD, {"nitro": {"pcr20": "00" * 48}}, at=PROD_AT)
    assert e.name == "EPOLICY" and "has none" in e.reason
    e = rejected(verify_any, PROD, {"nitro": {"nonce": "00"}}, at=PROD_AT)
    assert e.name == "EPOLICY" and "nonce" in e.reason
    dbg = {"allow_debug": True, "nonce": b"Nonce\n".hex(), "user_data": b"Hello World!\n".hex()}
    verify_any(DEBUG, {"nitro": dbg}, at=DEBUG_AT)
    e = rejected(verify_any, DEBUG, {"nitro": dict(dbg, nonce=b"Nonce!".hex())}, at=DEBUG_AT)
    assert "nonce does not match" in e.reason


def test_nitro_policy_unknown_key_named():
    e = rejected(verify_any, PROD, {"nitro": {"pcr32": "00" * 48}}, at=PROD_AT)
    assert e.name == "EPARSE" and "nitro.pcr32" in e.reason
    e = rejected(verify_any, PROD, {"nitro": {"pcr0": "00" * 47}}, at=PROD_AT)
    assert e.name == "EPARSE" and "nitro.pcr0" in e.reason


def test_max_age_uses_the_signed_timestamp():
    verify_any(PROD, {"max_age_secs": 600}, at=PROD_AT + 300)
    e = rejected(verify_any, PROD, {"max_age_secs": 60}, at=PROD_AT + 300)
    assert e.name == "EEXPIRED"


# --- documents signed here --------------------------------------------------------------------

WHEN = 1767225600


@pytest.fixture(scope="module")
def chain():
    return Chain(WHEN)


def test_local_root_rejected_unless_trusted(chain):
    doc = sign(chain, payload(chain, WHEN * 1000))
    e = rejected(nverify, doc)
    assert e.name == "EVERIFY" and "Root-G1" in e.reason
    nverify(doc, roots=[chain.root_sha256()])
    e = rejected(verify_any, doc, at=WHEN)
    assert "Root-G1" in e.reason
    r = verify_any(doc, {"nitro": {"trusted_roots": [chain.root_sha256()]}}, at=WHEN)
    assert r["claims"]["custom"]["root"] == chain.root_sha256()


def test_bound_x25519_key_reported_only_when_pinned(chain):
    key = bytes(range(32))
    doc = sign(chain, payload(chain, WHEN * 1000, public_key=key, nonce=b"n" * 32))
    pol = {"trusted_roots": [chain.root_sha256()], "public_key": key.hex(),
           "nonce": (b"n" * 32).hex()}
    r = verify_any(doc, {"nitro": pol}, at=WHEN)
    assert r["public_key_binding"]["key_type"] == "x25519"
    e = rejected(verify_any, doc, {"nitro": dict(pol, public_key="01" * 32)}, at=WHEN)
    assert e.name == "EPOLICY" and "public_key" in e.reason
    plain = sign(chain, payload(chain, WHEN * 1000))
    e = rejected(verify_any, plain, {"nitro": pol}, at=WHEN)
    assert "has none" in e.reason


def test_leaf_must_be_valid_at_the_document_timestamp(chain):
    doc = sign(chain, payload(chain, (WHEN + 3 * 86400) * 1000))
    e = rejected(nverify, doc, at=WHEN, roots=[chain.root_sha256()])
    assert "timestamp" in e.reason


@pytest.mark.parametrize("case,word", [
    ("pcr_len", "PCR"), ("digest", "digest"), ("dup", "twice"), ("unknown", "unknown"),
    ("no_cert", "certificate"), ("alg", "ES384"), ("ts", "timestamp"), ("big_nonce", "nonce"),
])
def test_malformed_documents_rejected(chain, case, word):
    kw, extra, prot = {}, (), None
    if case == "pcr_len":
        kw["pcrs"] = {0: b"\x01" * 48, 1: b"\x01" * 32}
    elif case == "digest":
        kw["digest"] = "SHA1"
    elif case == "dup":
        extra = (("nonce", b"x"),)
    elif case == "unknown":
        extra = (("extra", b"x"),)
    elif case == "ts":
        kw["timestamp"] = "soon"
    elif case == "big_nonce":
        kw["nonce"] = b"x" * 1025
    elif case == "alg":
        prot = {1: -7}
    p = payload(chain, WHEN * 1000, extra=extra, **kw)
    if case == "no_cert":
        p = tuple(kv for kv in p if kv[0] != "certificate")
    e = rejected(nverify, sign(chain, p, protected=prot), roots=[chain.root_sha256()])
    assert e.name in ("EPARSE", "EVERIFY") and word in e.reason
    # the same document with the field put right verifies: the rejection is that field's
    nverify(sign(chain, payload(chain, WHEN * 1000)), roots=[chain.root_sha256()])


def test_leaf_that_is_a_ca_still_cannot_reorder_the_bundle(chain):
    # cabundle [inter, root] (not root first) is refused: cabundle[0] is not a trusted root
    p = payload(chain, WHEN * 1000, cabundle=[chain.der(chain.inter), chain.der(chain.root)])
    e = rejected(nverify, sign(chain, p), roots=[chain.root_sha256()])
    assert "cabundle[0]" in e.reason


# --- the command line -------------------------------------------------------------------------

def run(*args):
    return subprocess.run([bptee.CLI, *args], capture_output=True, text=True)


def test_cli_verifies_nitro_document():
    f = os.path.join(NITRO, "sample_prod_doc_2021-03-17.bin")
    r = run("verify", f, "--at", str(PROD_AT))
    assert r.returncode == 0, r.stderr
    assert "aws_nitro nitro_document" in r.stdout and PROD_PCR0 in r.stdout
    assert AWS_ROOT in r.stdout and "module_id" in r.stdout
    r = run("verify", f)  # now: its certificates expired long ago
    assert r.returncode == 1 and "expired" in r.stderr


def test_cli_rejects_debug_nitro_document(tmp_path):
    f = os.path.join(NITRO, "sample_attestation_doc_full_debug_2024-01-24.bin")
    r = run("verify", f, "--at", str(DEBUG_AT))
    assert r.returncode == 1 and "debug" in r.stderr
    pol = tmp_path / "p.json"
    pol.write_text(json.dumps({"nitro": {"allow_debug": True}}))
    r = run("verify", f, "--at", str(DEBUG_AT), "--policy", str(pol))
    assert r.returncode == 0, r.stderr
