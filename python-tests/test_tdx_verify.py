# SPDX-License-Identifier: Apache-2.0
"""TDX quote verification: every TDX row of vectors/MANIFEST.md at 2026-02-03, the collateral
(TCB info, QE identity, CRLs) at its own issue date, tamper twins of every signed part, and the
"tdx" policy section."""
import base64
import ctypes
import json
import re
from datetime import datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

import bptee
from test_tdx_format import (AT, COLL_AT, COLL_FILES, INTEL_ROOT_SHA256, L, PCK_CRL, QE_IDENTITY,
                             ROOT_CRL, SIGNING_CHAIN, TCB_INFO, Collateral, Policy, VerifyOpts,
                             coll_file,
                             der_of, expect, flip, pem_certs, policy_error, put, quote_json,
                             rebuild, spr_collateral, split, vector, verify, verify_evidence)

DAY = 86400
ACCEPT = ["quote-v4-phala.dat", "quote-v4-spr-debug.dat", "quote-v4-spr-e4.dat",
          "quote-v5-emr.dat"]


# --- MANIFEST rows --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ACCEPT)
def test_signature_and_chain_accept_at_manifest_time(name):
    rc, reason = verify(vector(name))
    assert rc == 0, reason


@pytest.mark.parametrize("name", ["quote-v4-phala.dat", "quote-v5-emr.dat"])
def test_accept_rows_pass_the_default_policy(name):
    q = vector(name)
    rc, reason, rep = verify_evidence(q)
    assert rc == 0, reason
    body = quote_json(q)["body"]
    assert rep["provider"] == "intel_tdx" and rep["format"] == "tdx_quote"
    assert rep["measurement"] == {"algorithm": "sha384", "digest": body["mrtd"]}
    custom = rep["claims"]["custom"]
    assert custom["rtmrs"] == body["rtmrs"]
    assert custom["tee_tcb_svn"] == body["tee_tcb_svn"]
    assert custom["tcb_status"] == "NotEvaluated" and custom["simulated"] is False
    assert custom["fmspc"] == {"quote-v4-phala.dat": "b0c06f000000",
                               "quote-v5-emr.dat": "90c06f000000"}[name]
    assert rep["claims"]["debug_mode"] is False
    assert custom["root_sha256"] == INTEL_ROOT_SHA256
    assert "simulated" not in rep or rep["simulated"] is False


def test_debug_quote_rejected_by_no_debug_policy():
    q = vector("quote-v4-spr-debug.dat")
    rc, reason, _ = verify_evidence(q)
    assert bptee.NAMES[rc] == "EPOLICY"
    assert "debug mode TDs are not permitted" in reason
    rc, reason, rep = verify_evidence(q, Policy('{"allow_debug": true}'))
    assert rc == 0, reason
    assert rep["claims"]["debug_mode"] is True


def test_e4_quote_fails_tcb_evaluation():
    q = vector("quote-v4-spr-e4.dat")
    expect(verify(q, collateral=spr_collateral(), collateral_at=COLL_AT), "EVERIFY",
           "no matching TCB level")
    # Without collateral the TCB is not evaluated; a policy that requires it rejects.
    rc, reason, _ = verify_evidence(q, Policy('{"require_collateral": true}'))
    assert bptee.NAMES[rc] == "EPOLICY" and "not evaluated" in reason


def test_debug_quote_tcb_up_to_date_with_collateral():
    c = spr_collateral()
    rc, reason, rep = verify_evidence(vector("quote-v4-spr-debug.dat"),
                                      Policy('{"allow_debug": true, "tcb_statuses": '
                                             '["UpToDate"]}'),
                                      collateral=c, collateral_at=COLL_AT)
    assert rc == 0, reason
    tcb = rep["claims"]["custom"]["tcb"]
    assert tcb == {"status": "UpToDate", "platform_status": "UpToDate",
                   "module_status": "NotEvaluated", "qe_status": "UpToDate",
                   "tcb_date": "2023-02-15T00:00:00Z", "advisory_ids": []}
    rc, reason, _ = verify_evidence(vector("quote-v4-spr-debug.dat"),
                                    Policy('{"allow_debug": true, "tcb_statuses": '
                                           '["OutOfDate"]}'),
                                    collateral=c, collateral_at=COLL_AT)
    assert bptee.NAMES[rc] == "EPOLICY" and "TCB status UpToDate is not accepted" in reason


def test_collateral_for_another_platform_rejected():
    expect(verify(vector("quote-v4-phala.dat"), collateral=spr_collateral(),
                  collateral_at=COLL_AT), "EVERIFY", "TCB info is for FMSPC 50806f000000")


# --- validity times -------------------------------------------------------------------------------

def test_pck_validity_window():
    expect(verify(vector("quote-v5-emr.dat"), at=AT - 10 * DAY), "EEXPIRED",
           "PCK certificate is not yet valid")
    expect(verify(vector("quote-v4-phala.dat"), at=AT + 7 * 365 * DAY), "EEXPIRED",
           "PCK certificate has expired")


def test_cached_chain_still_judged_at_each_time():
    q = vector("quote-v4-spr-debug.dat")
    assert verify(q)[0] == 0
    assert verify(q)[0] == 0  # from the cache
    expect(verify(q, at=AT + 5 * 365 * DAY), "EEXPIRED", "has expired")
    L.tdx_cache_clear()
    assert verify(q)[0] == 0


def test_collateral_judged_at_its_own_time():
    q = vector("quote-v4-spr-debug.dat")
    # At the quote's time the TCB signing certificate (expired 2025-05-21) fails.
    expect(verify(q, collateral=spr_collateral()), "EEXPIRED",
           "TCB signing certificate has expired at the collateral time")
    c = Collateral({TCB_INFO: coll_file(COLL_FILES[TCB_INFO]),
                    SIGNING_CHAIN: coll_file(COLL_FILES[SIGNING_CHAIN])})
    expect(verify(q, collateral=c, collateral_at=COLL_AT + 30 * DAY), "EEXPIRED",
           "TCB info has expired at the collateral time")
    expect(verify(q, collateral=c, collateral_at=COLL_AT - 5 * DAY), "EEXPIRED",
           "TCB info is not yet valid")
    assert verify(q, collateral=c, collateral_at=COLL_AT)[0] == 0
    expect(verify(q, collateral=spr_collateral(), collateral_at=COLL_AT + 20 * DAY),
           "EEXPIRED", "PCK CA CRL has expired")


# --- collateral signatures ------------------------------------------------------------------------

def tcb_info_raw():
    return coll_file(COLL_FILES[TCB_INFO])


def test_collateral_signature_covers_exact_bytes():
    q = vector("quote-v4-spr-debug.dat")
    raw = tcb_info_raw()
    # Whitespace outside the signed value changes nothing.
    spaced = raw.replace(b'{"tcbInfo":', b'{\n  "tcbInfo" :  ', 1).replace(
        b',"signature":', b' ,\n "signature": ', 1)
    c = spr_collateral()
    assert c.set(TCB_INFO, spaced)[0] == 0
    assert verify(q, collateral=c, collateral_at=COLL_AT)[0] == 0
    # The same JSON re-serialized inside the value is not what Intel signed.
    inner = raw.replace(b'"version":3,', b'"version": 3,', 1)
    assert c.set(TCB_INFO, inner)[0] == 0
    expect(verify(q, collateral=c, collateral_at=COLL_AT), "EVERIFY",
           "TCB info signature does not verify")


@pytest.mark.parametrize("kind,old,new,fragment", [
    (TCB_INFO, b'"tcbEvaluationDataNumber":15', b'"tcbEvaluationDataNumber":16',
     "TCB info signature does not verify"),
    (TCB_INFO, b'"signature":"f6', b'"signature":"f7', "TCB info signature does not verify"),
    (QE_IDENTITY, b'"isvsvn":4', b'"isvsvn":3', "QE identity signature does not verify"),
    (QE_IDENTITY, b'"signature":"b6', b'"signature":"b7',
     "QE identity signature does not verify"),
])
def test_tampered_collateral_rejected(kind, old, new, fragment):
    raw = coll_file(COLL_FILES[kind])
    assert old in raw
    c = spr_collateral()
    assert c.set(kind, raw.replace(old, new, 1))[0] == 0
    expect(verify(vector("quote-v4-spr-debug.dat"), collateral=c, collateral_at=COLL_AT),
           "EVERIFY", fragment)


def test_collateral_signer_must_be_the_tcb_signing_certificate():
    c = spr_collateral()
    assert c.set(SIGNING_CHAIN, coll_file("pck_platform_ca_chain.pem"))[0] == 0
    expect(verify(vector("quote-v4-spr-debug.dat"), collateral=c, collateral_at=COLL_AT),
           "EVERIFY", 'collateral signer is "Intel SGX PCK Platform CA"')


def test_collateral_json_problems_named_when_set():
    c = Collateral()
    expect(c.set(TCB_INFO, b'{"tcbInfo":{},"signature":"00"}'), "EPARSE", "signature")
    expect(c.set(TCB_INFO, b'{"enclaveIdentity":{},"signature":""}'), "EPARSE", "tcbInfo")
    expect(c.set(TCB_INFO, b'{"tcbInfo":{},"tcbInfo":{}}'), "EPARSE", "TCB info")
    expect(c.set(ROOT_CRL, b"not a crl"), "EPARSE", "root CA CRL")
    # An escaped spelling of the key is the same key to JSON but not the bytes Intel signed:
    # the signed span cannot be found, so it fails closed.
    raw = tcb_info_raw().replace(b'"tcbInfo"', b'"tcb\\u0049nfo"', 1)
    expect(c.set(TCB_INFO, raw), "EPARSE", 'no "tcbInfo" member')


# --- CRLs -----------------------------------------------------------------------------------------

def test_crls_checked():
    q = vector("quote-v4-spr-debug.dat")
    crl = coll_file("pckcrl")
    c = spr_collateral()
    assert c.set(PCK_CRL, flip(crl, len(crl) - 5))[0] == 0
    expect(verify(q, collateral=c, collateral_at=COLL_AT), "EVERIFY",
           "PCK CA CRL signature does not verify")
    assert c.set(PCK_CRL, coll_file("rootcrl.der"))[0] == 0
    expect(verify(q, collateral=c, collateral_at=COLL_AT), "EVERIFY",
           "PCK CA CRL is not issued by")
    pem = (b"-----BEGIN X509 CRL-----\n" + base64.encodebytes(crl) + b"-----END X509 CRL-----\n")
    assert c.set(PCK_CRL, pem)[0] == 0
    assert verify(q, collateral=c, collateral_at=COLL_AT)[0] == 0
    rcrl = coll_file("rootcrl.der")
    assert c.set(ROOT_CRL, flip(rcrl, len(rcrl) - 3))[0] == 0
    expect(verify(q, collateral=c, collateral_at=COLL_AT), "EVERIFY",
           "root CA CRL signature does not verify")


# --- tamper twins ---------------------------------------------------------------------------------

def other_p256_point():
    k = ec.generate_private_key(ec.SECP256R1()).public_key()
    return k.public_bytes(Encoding.X962, serialization.PublicFormat.UncompressedPoint)[1:]


TWINS = [
    ("header user data", lambda s: 0x1C + 3, "EVERIFY", "quote signature does not verify"),
    ("body MRTD", lambda s: s["body"] + 0x88, "EVERIFY", "quote signature does not verify"),
    ("body REPORTDATA", lambda s: s["signed"] - 1, "EVERIFY", "quote signature does not verify"),
    ("quote signature r", lambda s: s["sig"] + 5, "EVERIFY", "quote signature does not verify"),
    ("quote signature s", lambda s: s["sig"] + 40, "EVERIFY", "quote signature does not verify"),
    ("attestation key", lambda s: s["key"] + 10, "EVERIFY",
     "attestation key is not a valid P-256 point"),
    ("QE report", lambda s: s["qe"] + 0x40, "EVERIFY",
     "QE report signature does not verify with the PCK key"),
    ("QE report REPORTDATA", lambda s: s["qe"] + 0x140, "EVERIFY",
     "QE report signature does not verify with the PCK key"),
    ("QE signature", lambda s: s["qe_sig"] + 7, "EVERIFY",
     "QE report signature does not verify with the PCK key"),
    ("QE auth data", lambda s: s["auth"] + 2, "EVERIFY",
     "QE report REPORTDATA does not bind the attestation key"),
]


@pytest.mark.parametrize("name", ["quote-v4-phala.dat", "quote-v5-emr.dat"])
@pytest.mark.parametrize("what,where,code,fragment", TWINS, ids=[t[0] for t in TWINS])
def test_tamper_twins(name, what, where, code, fragment):
    q = vector(name)
    assert verify(q)[0] == 0
    expect(verify(flip(q, where(split(q)))), code, fragment)


@pytest.mark.parametrize("name", ["quote-v4-phala.dat", "quote-v5-emr.dat"])
def test_v5_descriptor_and_version_twins(name):
    q = vector(name)
    expect(verify(put(q, 0, "<H", 3)), "EUNSUPPORTED", "quote version 3")
    expect(verify(flip(q, 8)), "EVERIFY", "quote signature does not verify")  # reserved word


def test_valid_but_unbound_attestation_key():
    q = vector("quote-v4-phala.dat")
    s = split(q)
    twin = q[:s["key"]] + other_p256_point() + q[s["key"] + 64:]
    expect(verify(twin), "EVERIFY", "QE report REPORTDATA does not bind the attestation key")


def test_off_curve_attestation_keys():
    q = vector("quote-v4-phala.dat")
    s = split(q)
    for key in (bytes(64), b"\xff" * 64, bytes(63) + b"\x01"):
        twin = q[:s["key"]] + key + q[s["key"] + 64:]
        expect(verify(twin), "EVERIFY", "attestation key is not a valid P-256 point")


def chain_with(q, certs):
    return b"".join(certs) + b"\0"


def redate(pem):
    """The certificate with one digit of its notBefore changed: still DER, no longer signed."""
    der = bytearray(der_of(pem))
    m = re.search(rb"\x17\x0d\d{11}(\d)Z", bytes(der))
    der[m.start(1)] = ord("0") + (der[m.start(1)] - ord("0") + 1) % 10
    return x509.load_der_x509_certificate(bytes(der)).public_bytes(Encoding.PEM)


def test_tampered_pck_certificates():
    q = vector("quote-v4-phala.dat")
    certs = pem_certs(q)
    expect(verify(rebuild(q, chain=chain_with(q, [redate(certs[0])] + certs[1:]))), "EVERIFY",
           "certificate chain: PCK certificate: certificate signature failure")
    expect(verify(rebuild(q, chain=chain_with(q, [certs[0], redate(certs[1]), certs[2]]))),
           "EVERIFY", "certificate chain: PCK CA: certificate signature failure")
    # Raw flips in the PEM text: whatever they break, the chain is refused and named.
    for off in (3, 100, 500, 1500, 2500):
        rc, reason = verify(flip(q, split(q)["chain"] + off))
        assert bptee.NAMES[rc] in ("EPARSE", "EVERIFY") and "PCK" in reason, reason


def fake_root_pem():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Intel SGX Root CA"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Intel Corporation"),
                      x509.NameAttribute(NameOID.LOCALITY_NAME, "Santa Clara"),
                      x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "CA"),
                      x509.NameAttribute(NameOID.COUNTRY_NAME, "US")])
    now = datetime(2018, 5, 21)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + timedelta(days=40 * 365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(Encoding.PEM), cert.fingerprint(hashes.SHA256())


def test_wrong_root_rejected():
    q = vector("quote-v4-phala.dat")
    certs = pem_certs(q)
    root, fp = fake_root_pem()
    twin = rebuild(q, chain=chain_with(q, certs[:2] + [root]))
    expect(verify(twin), "EVERIFY", "is not the pinned Intel SGX Root CA nor a trusted root")
    # Trusting the impostor does not help: Intel's CA was not issued by it.
    expect(verify(twin, trusted_roots=[fp]), "EVERIFY", "certificate chain: PCK CA")


def test_chain_without_root_uses_the_pinned_one():
    q = vector("quote-v4-phala.dat")
    certs = pem_certs(q)
    assert verify(rebuild(q, chain=chain_with(q, certs[:2])))[0] == 0
    expect(verify(rebuild(q, chain=chain_with(q, certs[:1]))), "EVERIFY", "1 certificates")


def test_nul_terminated_and_plain_pem_chains():
    q = vector("quote-v4-phala.dat")
    certs = pem_certs(q)
    assert verify(rebuild(q, chain=b"".join(certs)))[0] == 0
    assert verify(rebuild(q, chain=b"".join(certs) + b"\0\0\0"))[0] == 0


def test_pck_chain_override():
    q = vector("quote-v4-phala.dat")
    other = b"".join(pem_certs(vector("quote-v5-emr.dat")))
    expect(verify(q, pck_chain=other), "EVERIFY",
           "QE report signature does not verify with the PCK key")
    assert verify(q, pck_chain=b"".join(pem_certs(q)))[0] == 0


def test_non_intel_qe_vendor_rejected():
    q = vector("quote-v4-phala.dat")
    expect(verify(flip(q, 12)), "EVERIFY", "QE vendor id is not Intel's")


# --- policy ---------------------------------------------------------------------------------------

def test_policy_unknown_keys_and_types():
    expect(policy_error('{"allow_debgu": true}'), "EPARSE", "unknown key 'tdx.allow_debgu'")
    expect(policy_error('{"report_data": {"x25519_bindin": {}}}'), "EPARSE",
           "unknown key 'tdx.report_data.x25519_bindin'")
    expect(policy_error('{"mrtd": "abcd"}'), "EPARSE", "tdx.mrtd")
    expect(policy_error('{"rtmr2": ["' + "00" * 48 + '", 5]}'), "EPARSE", "tdx.rtmr2[1]")
    expect(policy_error('{"tcb_statuses": ["Fine"]}'), "EPARSE", "tdx.tcb_statuses[0]")
    expect(policy_error('{"allow_debug": "yes"}'), "EPARSE", "tdx.allow_debug")
    expect(policy_error('{"min_tee_tcb_svn": "00"}'), "EPARSE", "tdx.min_tee_tcb_svn")
    expect(policy_error("[]"), "EPARSE", "expected an object")


def test_policy_registers():
    q = vector("quote-v5-emr.dat")
    body = quote_json(q)["body"]
    ok = Policy(json.dumps({"mrtd": "sha384:" + body["mrtd"], "rtmr0": [
        "00" * 48, body["rtmrs"][0]], "rtmr3": body["rtmrs"][3],
        "mrconfigid": body["mrconfigid"], "mrowner": body["mrowner"]}))
    rc, reason, _ = verify_evidence(q, ok)
    assert rc == 0, reason
    for key, fragment in [("mrtd", "mrtd "), ("rtmr1", "rtmr1 "), ("mrowner", "mrowner ")]:
        rc, reason, _ = verify_evidence(q, Policy(json.dumps({key: "ab" * 48})))
        assert bptee.NAMES[rc] == "EPOLICY" and fragment in reason and "is not in tdx." in reason


def test_policy_min_tee_tcb_svn():
    q = vector("quote-v5-emr.dat")  # TEE_TCB_SVN 0b 01 04
    assert verify_evidence(q, Policy('{"min_tee_tcb_svn": "0b010400000000000000000000000000"}'))[
        0] == 0
    rc, reason, _ = verify_evidence(
        q, Policy('{"min_tee_tcb_svn": "0b010500000000000000000000000000"}'))
    assert bptee.NAMES[rc] == "EPOLICY" and "TEE_TCB_SVN[2] 4 is below" in reason


def test_policy_report_data():
    q = vector("quote-v4-phala.dat")
    rd = quote_json(q)["body"]["report_data"]
    assert verify_evidence(q, Policy(json.dumps({"report_data": rd})))[0] == 0
    rc, reason, _ = verify_evidence(q, Policy(json.dumps({"report_data": "00" * 64})))
    assert bptee.NAMES[rc] == "EVERIFY" and "REPORTDATA does not match" in reason
    rc, reason, _ = verify_evidence(q, Policy(json.dumps(
        {"report_data": {"x25519_binding": {"nonce": "11" * 32, "public_key": "22" * 32}}})))
    assert bptee.NAMES[rc] == "EVERIFY" and "SHA-512(nonce || public_key)" in reason


def test_policy_check_null_is_the_default():
    q = vector("quote-v4-spr-debug.dat")
    b, n = bptee.buf(q)
    out = ctypes.create_string_buffer(16384)
    opts = VerifyOpts(sz=ctypes.sizeof(VerifyOpts), at=AT)
    bptee.check(L.tdx_verify(b, n, ctypes.byref(opts), out))
    rc = L.tdx_policy_check(None, out)
    assert bptee.NAMES[rc] == "EPOLICY" and "debug" in bptee.last_error()
    assert L.tdx_policy_check(Policy('{"allow_debug": true}').h, out) == 0
