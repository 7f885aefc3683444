# SPDX-License-Identifier: Apache-2.0
"""Intel TDX formats (include/bptee/tdx.h): DCAP quotes v4/v5, the TDREPORT, the PCK
certificate's SGX extensions, and the guest device call. Real quotes from ../shared/vectors/tdx
first; the parser's edge cases are built from them by changing one field at a time.

The helpers at the top (ctypes declarations, a small independent quote splitter and builder)
are shared with test_tdx_verify.py and test_tdx_sim.py."""
import ctypes
import json
import os
import re
import struct
from ctypes import POINTER, Structure, byref, c_char_p, c_int, c_int64, c_size_t, c_uint8
from ctypes import c_uint16, c_uint64, c_void_p

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

import bptee
from bptee import buf, check, take_string

P = c_void_p
TDX = os.path.join(bptee.VECTORS, "tdx")
COLL = os.path.join(TDX, "collateral")
QUOTES = ["quote-v4-phala.dat", "quote-v4-spr-debug.dat", "quote-v4-spr-e4.dat",
          "quote-v5-emr.dat"]
AT = 1770076800          # 2026-02-03, the vectors' verification time
COLL_AT = 1687251600     # 2023-06-20, inside every piece of the SPR collateral's validity
INTEL_ROOT_SHA256 = "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3"


def fn(name, restype, *argtypes):
    """A private function object per module (ctypes caches lib.NAME across modules)."""
    f = bptee.lib[name]
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


class VerifyOpts(Structure):
    _fields_ = [("sz", c_size_t), ("at", c_int64), ("pck_chain", c_void_p),
                ("pck_chain_len", c_size_t), ("collateral", c_void_p),
                ("collateral_at", c_int64), ("trusted_roots", c_void_p),
                ("n_trusted_roots", c_size_t), ("allow_simulation", c_int)]


class PckExt(Structure):
    _fields_ = [("ppid", c_uint8 * 16), ("comp_svn", c_uint8 * 16), ("pcesvn", c_uint16),
                ("cpusvn", c_uint8 * 16), ("pceid", c_uint8 * 2), ("fmspc", c_uint8 * 6),
                ("sgx_type", c_int)]


class SimOpts(Structure):
    _fields_ = [("sz", c_size_t), ("version", c_uint16), ("body_type", c_uint16),
                ("mrtd", c_void_p), ("rtmr", c_void_p), ("mrconfigid", c_void_p),
                ("mrowner", c_void_p), ("mrownerconfig", c_void_p),
                ("td_attributes", c_uint64), ("xfam", c_uint64)]


class SimCollOpts(Structure):
    _fields_ = [("sz", c_size_t), ("issue_time", c_int64), ("tcb_status", c_int),
                ("revoke_pck", c_int)]


# Opaque room for the C structs the tests never read field by field.
QUOTE_STRUCT = 8192
VERIFIED_STRUCT = 16384

L = type("L", (), {})
for _name, _res, *_args in [
    ("bptee_tdx_quote_parse", c_int, P, c_size_t, P),
    ("bptee_tdx_quote_serialize", c_int, P, POINTER(P), POINTER(c_size_t)),
    ("bptee_tdx_quote_to_json", c_int, P, c_size_t, POINTER(P)),
    ("bptee_tdx_quote_detect", c_int, P, c_size_t),
    ("bptee_tdx_tdreport_parse", c_int, P, c_size_t, P),
    ("bptee_tdx_tdreport_serialize", c_int, P, P, c_size_t),
    ("bptee_tdx_tdreport_to_json", c_int, P, c_size_t, POINTER(P)),
    ("bptee_tdx_pck_ext_parse", c_int, P, c_size_t, POINTER(PckExt)),
    ("bptee_tdx_guest_report0", c_int, c_char_p, P, c_size_t, P, c_size_t),
    ("bptee_tdx_verify", c_int, P, c_size_t, POINTER(VerifyOpts), P),
    ("bptee_tdx_cache_clear", None),
    ("bptee_tdx_tcb_status_name", c_char_p, c_int),
    ("bptee_tdx_tcb_status_parse", c_int, c_char_p, POINTER(c_int)),
    ("bptee_tdx_collateral_new", c_int, POINTER(P)),
    ("bptee_tdx_collateral_free", None, P),
    ("bptee_tdx_collateral_set", c_int, P, c_int, P, c_size_t),
    ("bptee_tdx_collateral_load", c_int, P, c_int, c_char_p),
    ("bptee_tdx_collateral_load_dir", c_int, P, c_char_p),
    ("bptee_tdx_policy_parse", c_int, c_char_p, c_size_t, POINTER(P)),
    ("bptee_tdx_policy_free", None, P),
    ("bptee_tdx_policy_check", c_int, P, P),
    ("bptee_tdx_evidence_from_quote", c_int, P, c_size_t, POINTER(P)),
    ("bptee_tdx_verify_evidence", c_int, P, POINTER(VerifyOpts), P, POINTER(P)),
    ("bptee_tdx_sim_default_state_dir", c_int, POINTER(P)),
    ("bptee_tdx_sim_open", c_int, c_char_p, POINTER(SimOpts), POINTER(P)),
    ("bptee_tdx_sim_free", None, P),
    ("bptee_tdx_sim_tdreport", c_int, P, P, c_size_t, P, c_size_t),
    ("bptee_tdx_sim_quote", c_int, P, P, c_size_t, POINTER(P), POINTER(c_size_t)),
    ("bptee_tdx_sim_root_fingerprint", c_int, P, P),
    ("bptee_tdx_sim_collateral", c_int, P, c_int, POINTER(SimCollOpts), POINTER(P),
     POINTER(c_size_t)),
    ("bptee_report_save_json", c_int, P, ctypes.c_uint, POINTER(P)),
    ("bptee_report_free", None, P),
    ("bptee_report_simulated", c_int, P),
]:
    setattr(L, _name[len("bptee_"):], fn(_name, _res, *_args))

TCB_INFO, QE_IDENTITY, SIGNING_CHAIN, ROOT_CRL, PCK_CRL = 1, 2, 3, 4, 5
COLL_FILES = {TCB_INFO: "sample_tcbInfo_response", QE_IDENTITY: "sample_qeIdentity_response",
              SIGNING_CHAIN: "tcb_signing_chain.pem", ROOT_CRL: "rootcrl.der",
              PCK_CRL: "pckcrl"}


def vector(name):
    with open(os.path.join(TDX, name), "rb") as f:
        return f.read()


def coll_file(name):
    with open(os.path.join(COLL, name), "rb") as f:
        return f.read()


def call(f, *args):
    """Run a library call; return (code, reason)."""
    bptee.clear_error()
    rc = f(*args)
    return rc, bptee.last_error()


def expect(rc_reason, name, fragment):
    rc, reason = rc_reason
    assert bptee.NAMES.get(rc) == name, reason
    assert fragment in reason, reason


def quote_json(q):
    b, n = buf(q)
    p = P()
    check(L.tdx_quote_to_json(b, n, byref(p)))
    return json.loads(take_string(p))


def verify(q, at=AT, **kw):
    """bptee_tdx_verify; (code, reason)."""
    b, n = buf(q)
    keep = []
    opts = VerifyOpts(sz=ctypes.sizeof(VerifyOpts), at=at)
    for k, v in kw.items():
        if k == "pck_chain":
            cb, cn = buf(v)
            keep.append(cb)
            opts.pck_chain, opts.pck_chain_len = ctypes.cast(cb, c_void_p), cn
        elif k == "collateral":
            keep.append(v)  # a Collateral object: alive until the call returns
            opts.collateral = v.h
        elif k == "trusted_roots":
            arr = (c_uint8 * (32 * len(v))).from_buffer_copy(b"".join(v))
            keep.append(arr)
            opts.trusted_roots, opts.n_trusted_roots = ctypes.cast(arr, c_void_p), len(v)
        else:
            setattr(opts, k, v)
    out = ctypes.create_string_buffer(VERIFIED_STRUCT)
    return call(L.tdx_verify, b, n, byref(opts), out)


class Collateral:
    """A bptee_tdx_collateral filled from bytes by kind."""

    def __init__(self, pieces=None):
        self.h = P()
        check(L.tdx_collateral_new(byref(self.h)))
        for kind, data in (pieces or {}).items():
            self.set(kind, data)

    def set(self, kind, data):
        b, n = buf(data)
        return call(L.tdx_collateral_set, self.h, kind, b, n)

    def __del__(self):
        L.tdx_collateral_free(self.h)


def spr_collateral(replace=None):
    """The SPR collateral of the vectors, with pieces replaced (kind -> bytes, None drops)."""
    pieces = {k: coll_file(f) for k, f in COLL_FILES.items()}
    pieces.update(replace or {})
    c = Collateral()
    for kind, data in pieces.items():
        if data is not None:
            check(c.set(kind, data)[0])
    return c


class Policy:
    def __init__(self, text):
        self.h = P()
        data = text.encode() if isinstance(text, str) else text
        check(L.tdx_policy_parse(data, len(data), byref(self.h)))

    def __del__(self):
        L.tdx_policy_free(self.h)


def policy_error(text):
    h = P()
    data = text.encode()
    rc = call(L.tdx_policy_parse, data, len(data), byref(h))
    assert rc[0] < 0, "policy parsed"
    return rc


def verify_evidence(q, policy=None, at=AT, **kw):
    """Evidence from the quote, verified under a policy: (code, reason, report JSON or None)."""
    b, n = buf(q)
    ev = P()
    check(L.tdx_evidence_from_quote(b, n, byref(ev)))
    opts = VerifyOpts(sz=ctypes.sizeof(VerifyOpts), at=at)
    for k, v in kw.items():
        setattr(opts, k, v.h if k == "collateral" else v)
    out = P()
    rc, reason = call(L.tdx_verify_evidence, ev, byref(opts), policy.h if policy else None,
                      byref(out))
    L.report_free(ev)
    if rc < 0:
        return rc, reason, None
    s = P()
    check(L.report_save_json(out, 2, byref(s)))
    L.report_free(out)
    return rc, reason, json.loads(take_string(s))


# --- an independent quote splitter/builder, for building twins --------------------------------

def split(q):
    """Offsets of a quote's parts, read with Python's struct (independent of the C parser)."""
    ver = struct.unpack_from("<H", q, 0)[0]
    body = 54 if ver == 5 else 48
    body_size = struct.unpack_from("<I", q, 50)[0] if ver == 5 else 584
    signed = body + body_size
    sig_len = struct.unpack_from("<I", q, signed)[0]
    sd = signed + 4
    auth_len = struct.unpack_from("<H", q, sd + 134 + 448)[0]
    inner = sd + 134 + 450 + auth_len
    chain_len = struct.unpack_from("<I", q, inner + 2)[0]
    return {"version": ver, "body": body, "signed": signed, "sig_len": sig_len, "sig": sd,
            "key": sd + 64, "cert_type": sd + 128, "cert_size": sd + 130, "qe": sd + 134,
            "qe_sig": sd + 134 + 384, "auth_len": sd + 134 + 448, "auth": sd + 134 + 450,
            "auth_size": auth_len, "inner": inner, "chain": inner + 6, "chain_len": chain_len,
            "end": sd + sig_len}


def rebuild(q, chain=None, auth=None):
    """The quote with another PCK chain and/or QE auth data, every length recomputed."""
    s = split(q)
    chain = q[s["chain"]:s["chain"] + s["chain_len"]] if chain is None else chain
    auth = q[s["auth"]:s["auth"] + s["auth_size"]] if auth is None else auth
    cert = (q[s["qe"]:s["auth_len"]] + struct.pack("<H", len(auth)) + auth +
            struct.pack("<HI", 5, len(chain)) + chain)
    sig = q[s["sig"]:s["cert_type"]] + struct.pack("<HI", 6, len(cert)) + cert
    return q[:s["signed"]] + struct.pack("<I", len(sig)) + sig


def flip(data, off, mask=0x01):
    b = bytearray(data)
    b[off] ^= mask
    return bytes(b)


def put(data, off, fmt, *vals):
    b = bytearray(data)
    struct.pack_into(fmt, b, off, *vals)
    return bytes(b)


def pem_certs(q):
    s = split(q)
    text = q[s["chain"]:s["chain"] + s["chain_len"]].rstrip(b"\0")
    return re.findall(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", text, re.S)


def der_of(pem):
    return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)


# --- quotes -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,version,body_type,signed,trailing", [
    ("quote-v4-phala.dat", 4, "td10", 632, 70),
    ("quote-v4-spr-debug.dat", 4, "td10", 632, 0),
    ("quote-v4-spr-e4.dat", 4, "td10", 632, 39),
    ("quote-v5-emr.dat", 5, "td15", 0x2BE, 0),
])
def test_vectors_parse_by_length(name, version, body_type, signed, trailing):
    q = vector(name)
    j = quote_json(q)
    assert j["header"]["version"] == version
    assert j["header"]["tee_type"] == 0x81
    assert j["header"]["qe_vendor_id"] == "939a7233f79c4ca9940a0db3957f0607"
    assert j["body_type"] == body_type
    assert j["trailing_len"] == trailing and j["quote_len"] + trailing == len(q)
    assert split(q)["signed"] == signed
    sd = j["signature_data"]
    assert sd["cert_data_type"] == 6 and sd["inner_cert_data_type"] == 5
    assert sd["pck_chain_pem"].count("BEGIN CERTIFICATE") == 3
    assert len(bytes.fromhex(sd["qe_auth_data"])) == 32
    assert ("mrservicetd" in j["body"]) == (body_type == "td15")


def test_body_fields_at_their_offsets():
    q = vector("quote-v4-spr-debug.dat")
    body = quote_json(q)["body"]
    assert body["mrtd"] == q[0xB8:0xE8].hex()
    assert body["rtmrs"] == [q[0x178 + 48 * i:0x1A8 + 48 * i].hex() for i in range(4)]
    assert body["report_data"] == q[0x238:0x278].hex()
    assert body["tee_tcb_svn"] == q[0x30:0x40].hex()
    assert body["td_attributes"]["debug"] is True
    assert quote_json(vector("quote-v4-phala.dat"))["body"]["td_attributes"]["debug"] is False


def test_v5_td15_extra_fields():
    q = vector("quote-v5-emr.dat")
    body = quote_json(q)["body"]
    assert body["tee_tcb_svn2"] == q[54 + 0x248:54 + 0x258].hex()
    assert body["mrservicetd"] == q[54 + 0x258:54 + 0x288].hex()


@pytest.mark.parametrize("name", QUOTES)
def test_serialize_reproduces_the_quote(name):
    q = vector(name)
    b, n = buf(q)
    st = ctypes.create_string_buffer(QUOTE_STRUCT)
    check(L.tdx_quote_parse(b, n, st))
    out, out_len = P(), c_size_t()
    check(L.tdx_quote_serialize(st, byref(out), byref(out_len)))
    assert bptee.take_bytes(out, out_len.value) == q[:split(q)["end"]]


def test_trailing_bytes_are_ignored_by_length():
    q = vector("quote-v4-phala.dat")
    longer = q + b"any producer padding \xff\x00"
    assert quote_json(longer)["trailing_len"] == len(longer) - split(q)["end"]
    assert verify(longer)[0] == 0


def parse(q):
    b, n = buf(q)
    return call(L.tdx_quote_parse, b, n, ctypes.create_string_buffer(QUOTE_STRUCT))


@pytest.mark.parametrize("cut", [0, 1, 47, 48, 300, 631, 632, 635, 700, 1100, 1300, 4000])
def test_truncated_quotes_fail_cleanly(cut):
    q = vector("quote-v4-spr-debug.dat")[:cut]
    rc, reason = parse(q)
    assert rc == bptee.CODES["EPARSE"], reason
    assert reason.startswith("tdx: quote")


def test_every_prefix_fails_without_crashing():
    q = vector("quote-v5-emr.dat")
    end = split(q)["end"]
    for cut in range(0, end, 97):
        assert parse(q[:cut])[0] == bptee.CODES["EPARSE"]
    assert parse(q[:end])[0] == 0


@pytest.mark.parametrize("off,fmt,val,code,fragment", [
    (0, "<H", 3, "EUNSUPPORTED", "quote version 3 is not supported"),
    (0, "<H", 6, "EUNSUPPORTED", "quote version 6 is not supported"),
    (2, "<H", 3, "EUNSUPPORTED", "attestation key type 3"),
    (4, "<I", 0, "EUNSUPPORTED", "TEE type 0x0 is not TDX"),
])
def test_header_fields_checked(off, fmt, val, code, fragment):
    expect(parse(put(vector("quote-v4-phala.dat"), off, fmt, val)), code, fragment)


def test_certification_data_types_checked():
    q = vector("quote-v4-phala.dat")
    s = split(q)
    expect(parse(put(q, s["cert_type"], "<H", 5)), "EUNSUPPORTED",
           "certification data type 5 is not supported")
    expect(parse(put(q, s["inner"], "<H", 4)), "EUNSUPPORTED",
           "inner certification data type 4")


def test_lengths_past_the_end_rejected():
    q = vector("quote-v4-spr-debug.dat")
    s = split(q)
    expect(parse(put(q, s["signed"], "<I", s["sig_len"] + 1)), "EPARSE",
           "signature data length")
    expect(parse(put(q, s["cert_size"], "<I", 0xFFFFFFF0)), "EPARSE", "certification data size")
    expect(parse(put(q, s["auth_len"], "<H", 0xFFFF)), "EPARSE", "truncated")
    expect(parse(put(q, s["inner"] + 2, "<I", s["chain_len"] + 1)), "EPARSE", "PCK chain size")
    expect(parse(put(q, s["signed"], "<I", s["sig_len"] - 1)), "EPARSE", "does not match")


def test_v5_body_descriptor_checked():
    q = vector("quote-v5-emr.dat")
    expect(parse(put(q, 48, "<H", 1)), "EUNSUPPORTED", "SGX enclave")
    expect(parse(put(q, 48, "<H", 9)), "EPARSE", "body type 9 is unknown")
    expect(parse(put(q, 50, "<I", 584)), "EPARSE", "does not match body type 3")


def test_detect():
    b, n = buf(vector("quote-v5-emr.dat"))
    assert L.tdx_quote_detect(b, n) == 1
    b, n = buf(b"\x04\x00\x02\x00" + bytes(100))
    assert L.tdx_quote_detect(b, n) == 0


# --- PCK extensions -------------------------------------------------------------------------------

def pck_ext(der):
    b, n = buf(der)
    ext = PckExt()
    rc = call(L.tdx_pck_ext_parse, b, n, byref(ext))
    return rc, ext


def test_pck_extensions_of_real_certificates():
    rc, ext = pck_ext(der_of(pem_certs(vector("quote-v4-phala.dat"))[0]))
    assert rc[0] == 0, rc[1]
    assert bytes(ext.fmspc).hex() == "b0c06f000000"
    assert bytes(ext.pceid).hex() == "0000"
    assert list(ext.comp_svn) == [3, 3, 2, 2, 4, 1, 0, 5] + [0] * 8
    assert ext.pcesvn == 11
    assert bytes(ext.cpusvn).hex() == "03030202040100050000000000000000"
    assert bytes(ext.ppid).hex() == "811dca2a26b952e85bb6448b097ba4fd"
    assert ext.sgx_type == 1
    rc, ext = pck_ext(der_of(pem_certs(vector("quote-v4-spr-e4.dat"))[0]))
    assert rc[0] == 0 and bytes(ext.fmspc).hex() == "50806f000000"


def test_pck_extensions_absent_or_garbage():
    rc, _ = pck_ext(der_of(pem_certs(vector("quote-v4-phala.dat"))[2]))
    expect(rc, "EPARSE", "has no SGX extension")
    rc, _ = pck_ext(b"\x30\x03\x02\x01\x00")
    expect(rc, "EPARSE", "not one DER certificate")


def der_tlv(tag, body):
    n = len(body)
    length = bytes([n]) if n < 0x80 else bytes([0x81, n]) if n < 0x100 else \
        bytes([0x82, n >> 8, n & 0xFF])
    return bytes([tag]) + length + body


def sgx_oid(*arcs):
    base = bytes.fromhex("2a864886f84d010d01")  # 1.2.840.113741.1.13.1
    return der_tlv(0x06, base + bytes(arcs))


def sgx_extension(fmspc=b"\x00\x90\x6e\xa1\x00\x00", drop=None):
    """A test-made SGX extension value (DER written here on purpose: malformed variants)."""
    tcb = b"".join(der_tlv(0x30, sgx_oid(2, i) + der_tlv(0x02, b"\x01")) for i in range(1, 18))
    tcb += der_tlv(0x30, sgx_oid(2, 18) + der_tlv(0x04, bytes(16)))
    items = {1: der_tlv(0x30, sgx_oid(1) + der_tlv(0x04, bytes(16))),
             2: der_tlv(0x30, sgx_oid(2) + der_tlv(0x30, tcb)),
             3: der_tlv(0x30, sgx_oid(3) + der_tlv(0x04, b"\x00\x00")),
             4: der_tlv(0x30, sgx_oid(4) + der_tlv(0x04, fmspc)),
             5: der_tlv(0x30, sgx_oid(5) + der_tlv(0x0A, b"\x00"))}
    return der_tlv(0x30, b"".join(v for k, v in items.items() if k != drop))


def cert_with_extension(value):
    from datetime import datetime, timedelta
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test PCK")])
    now = datetime.utcnow()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(7).not_valid_before(now)
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.UnrecognizedExtension(
                x509.ObjectIdentifier("1.2.840.113741.1.13.1"), value), critical=False)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(Encoding.DER)


def test_pck_extension_made_elsewhere_parses():
    rc, ext = pck_ext(cert_with_extension(sgx_extension()))
    assert rc[0] == 0, rc[1]
    assert bytes(ext.fmspc).hex() == "00906ea10000" and ext.pcesvn == 1
    assert list(ext.comp_svn) == [1] * 16 and ext.sgx_type == 0


@pytest.mark.parametrize("value,fragment", [
    (sgx_extension(drop=4), "lacks FMSPC"),
    (sgx_extension(drop=2), "lacks TCB"),
    (sgx_extension(fmspc=b"\x00" * 5), "FMSPC is not a 6-byte OCTET STRING"),
    (der_tlv(0x04, b"x"), "not a SEQUENCE"),
])
def test_pck_extension_malformed(value, fragment):
    rc, _ = pck_ext(cert_with_extension(value))
    expect(rc, "EPARSE", fragment)


def test_tcb_status_names_round_trip():
    names = ["UpToDate", "SWHardeningNeeded", "ConfigurationNeeded",
             "ConfigurationAndSWHardeningNeeded", "OutOfDate", "OutOfDateConfigurationNeeded",
             "Revoked"]
    for i, name in enumerate(names, start=1):
        assert L.tdx_tcb_status_name(i).decode() == name
        v = c_int()
        check(L.tdx_tcb_status_parse(name.encode(), byref(v)))
        assert v.value == i
    v = c_int()
    expect(call(L.tdx_tcb_status_parse, b"uptodate", byref(v)), "EPARSE", "unknown TCB status")
