# SPDX-License-Identifier: Apache-2.0
"""JWT attestation tokens (bptee_jwt_verify, bptee_verify with the "azure_maa" and
"gcp_confidential" policy sections, `bptee verify --jwks` and the sections' own "jwks"): the real
Azure Attestation and GCP Confidential Space tokens of ../shared/vectors at their times, their
tamper twins, and tokens signed here for every accepted algorithm and every attack that must be
refused."""
import ctypes
import json
import os
import subprocess
from ctypes import POINTER, Structure, byref, c_char_p, c_int, c_int64, c_size_t, c_void_p

import pytest

import bptee
from bptee import VECTORS, check, fn, take_string
from jwt_util import b64u, cert_chain, jwk, jwks, new_key, pem, raw_token, token, x5c
from test_snp_verify import Policy, VerifyOpts, cbuf, rejected, verify, verify_any

MAA = os.path.join(VECTORS, "maa")
SNP_TOKEN = open(os.path.join(MAA, "sevsnp-cvm/token_2024-12-20.jwt"), "rb").read()
SNP_JWKS = open(os.path.join(MAA, "sevsnp-cvm/sharedeus2_key.jwks.json"), "rb").read()
SGX_TOKEN = open(os.path.join(MAA, "sgx/token.jwt"), "rb").read()
SGX_JWKS = open(os.path.join(MAA, "sgx/sharedeus_certs.jwks.json"), "rb").read()
GCP_TOKEN = open(os.path.join(VECTORS, "gcp-cs/aizel_token_2024-05-19.jwt"), "rb").read()
SNP_AT = 1734719094 + 600  # iat 2024-12-20T18:24:54Z, exp +8 h
SGX_AT = 1695737747 + 600
GCP_AT = 1716103029 + 600


class JwtOpts(Structure):
    _fields_ = [("sz", c_size_t), ("at", c_int64), ("jwks", c_void_p), ("leeway_secs", c_int64),
                ("x5c_roots", c_char_p), ("x5c_roots_len", c_size_t)]


jwks_parse = fn("bptee_jwks_parse", c_int, c_char_p, c_size_t, POINTER(c_void_p))
jwks_free = fn("bptee_jwks_free", None, c_void_p)
jwks_count = fn("bptee_jwks_count", c_size_t, c_void_p)
jwt_verify = fn("bptee_jwt_verify", c_int, c_void_p, c_size_t, POINTER(JwtOpts),
                POINTER(c_void_p))
jwt_detect = fn("bptee_jwt_detect", c_int, c_void_p, c_size_t)


class Jwks:
    def __init__(self, text):
        b = text.encode() if isinstance(text, str) else text
        self.p = c_void_p()
        check(jwks_parse(b, len(b), byref(self.p)))

    def __del__(self):
        jwks_free(self.p)


def jverify(tok, keyset, at, leeway=0, roots=None):
    t = tok.encode() if isinstance(tok, str) else tok
    ks = Jwks(keyset) if keyset is not None else None
    o = JwtOpts(sz=ctypes.sizeof(JwtOpts), at=at, jwks=ks.p if ks else None, leeway_secs=leeway,
                x5c_roots=roots, x5c_roots_len=len(roots or b""))
    out = c_void_p()
    check(jwt_verify(cbuf(t), len(t), byref(o), byref(out)))
    return json.loads(take_string(out))


def vverify(tok, keyset, at, policy=None):
    t = tok.encode() if isinstance(tok, str) else tok
    ks = Jwks(keyset)
    return verify_any(t, policy, at=at, jwks=ks.p)


def other_byte(tok, part, i):
    """The token with one base64url character of a part changed to another valid one."""
    parts = tok.decode().strip().split(".")
    s = list(parts[part])
    s[i] = "A" if s[i] != "A" else "B"
    parts[part] = "".join(s)
    return ".".join(parts).encode()


# --- the real tokens --------------------------------------------------------------------------

def test_azure_cvm_token_accepted_inside_its_window():
    c = jverify(SNP_TOKEN, SNP_JWKS, SNP_AT)
    assert c["x-ms-isolation-tee"]["x-ms-attestation-type"] == "sevsnpvm"
    r = vverify(SNP_TOKEN, SNP_JWKS, SNP_AT)
    assert (r["provider"], r["format"]) == ("azure_snp", "azure_maa_token")
    tee = r["claims"]["custom"]["x-ms-isolation-tee"]
    assert tee["x-ms-compliance-status"] == "azure-compliant-cvm"
    assert r["measurement"]["digest"] == tee["x-ms-sevsnpvm-launchmeasurement"]
    assert r["claims"]["debug_mode"] is False
    assert r["issued_at_unix"] == 1734719094


@pytest.mark.parametrize("at,word", [(1734747894 + 3600, "expired"),
                                     (1734719094 - 3600, "not valid before")])
def test_azure_cvm_token_rejected_outside_its_window(at, word):
    e = rejected(jverify, SNP_TOKEN, SNP_JWKS, at)
    assert e.name == "EEXPIRED" and word in e.reason


@pytest.mark.parametrize("part,i", [(1, 10), (1, 500), (1, 3000), (2, 5)])
def test_azure_cvm_token_byte_change_rejected(part, i):
    e = rejected(jverify, other_byte(SNP_TOKEN, part, i), SNP_JWKS, SNP_AT)
    assert e.name in ("EVERIFY", "EPARSE")
    if part == 2:
        assert "signature does not verify" in e.reason


def test_azure_cvm_token_rejected_with_another_key_set():
    e = rejected(jverify, SNP_TOKEN, SGX_JWKS, SNP_AT)
    assert e.name == "ENOTFOUND" and "kid" in e.reason
    # the same kid with another key: the signature decides
    other = json.loads(SNP_JWKS)
    k = jwk(new_key("RS256"), other["keys"][0]["kid"])
    e = rejected(jverify, SNP_TOKEN, jwks(k), SNP_AT)
    assert e.name == "EVERIFY" and "signature does not verify" in e.reason


def test_sgx_token_kid_selection_among_three_keys():
    assert jwks_count(Jwks(SGX_JWKS).p) == 3
    c = jverify(SGX_TOKEN, SGX_JWKS, SGX_AT)
    assert c["x-ms-attestation-type"] == "sgx"
    r = vverify(SGX_TOKEN, SGX_JWKS, SGX_AT)
    assert r["measurement"]["digest"] == c["x-ms-sgx-mrenclave"]


def test_sgx_token_x5c_certificate_tampered_rejected():
    ks = json.loads(SGX_JWKS)
    tok_kid = json.loads(__import__("base64").urlsafe_b64decode(
        SGX_TOKEN.split(b".")[0] + b"==="))["kid"]
    key = next(k for k in ks["keys"] if k["kid"] == tok_kid)
    import base64
    der = bytearray(base64.b64decode(key["x5c"][0]))
    der[-10] ^= 1  # inside the self-signature
    key["x5c"][0] = base64.b64encode(bytes(der)).decode()
    e = rejected(jverify, SGX_TOKEN, json.dumps(ks), SGX_AT)
    assert e.name == "EVERIFY" and "x5c" in e.reason


def test_sgx_key_set_x5c_leaf_must_carry_the_jwk_key():
    """A real MAA key set entry with x5c, given n/e of another key too: the set is refused."""
    ks = json.loads(SGX_JWKS)
    other = jwk(new_key("RS256"), "x")
    ks["keys"][0].update(n=other["n"], e=other["e"])
    e = rejected(Jwks, json.dumps(ks))
    assert e.name == "EPARSE" and "another key" in e.reason


def test_gcp_token_rejected_for_unknown_kid_expiry_and_debug():
    e = rejected(vverify, GCP_TOKEN, SGX_JWKS, GCP_AT)
    assert e.name == "ENOTFOUND" and "1c67faeab4ac15d2f6ff830ca6fc57f2bea3f4bb" in e.reason
    # with a key set that has the kid (another key), the signature decides
    k = jwk(new_key("RS256"), "1c67faeab4ac15d2f6ff830ca6fc57f2bea3f4bb")
    e = rejected(vverify, GCP_TOKEN, jwks(k), GCP_AT)
    assert "signature does not verify" in e.reason


def test_detect():
    assert jwt_detect(cbuf(SNP_TOKEN), len(SNP_TOKEN)) == 1
    assert jwt_detect(cbuf(b"eyJ.x.y"), 7) == 0
    assert jwt_detect(cbuf(b"{}"), 2) == 0


# --- tokens made here -------------------------------------------------------------------------

NOW = 1767225600
GCP_CLAIMS = {"iss": "https://confidentialcomputing.googleapis.com", "aud": "https://sts.example",
              "iat": NOW - 10, "nbf": NOW - 10, "exp": NOW + 3600, "eat_nonce": ["n1", "n2"],
              "dbgstat": "disabled-since-boot", "hwmodel": "GCP_AMD_SEV",
              "submods": {"container": {"image_digest": "sha256:" + "ab" * 32}}}
AZ_CLAIMS = {"iss": "https://myinst.weu.attest.azure.net", "iat": NOW - 10, "nbf": NOW - 10,
             "exp": NOW + 3600, "x-ms-ver": "1.0", "x-ms-attestation-type": "azurevm",
             "x-ms-isolation-tee": {"x-ms-attestation-type": "sevsnpvm",
                                    "x-ms-compliance-status": "azure-compliant-cvm",
                                    "x-ms-sevsnpvm-is-debuggable": False,
                                    "x-ms-sevsnpvm-launchmeasurement": "cd" * 48}}
ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]


@pytest.mark.parametrize("alg", ALGS)
def test_every_algorithm_verifies_and_its_tampered_twin_does_not(alg):
    key = new_key(alg)
    tok = token(key, alg, GCP_CLAIMS)
    assert jverify(tok, jwks(jwk(key, "k1")), NOW)["hwmodel"] == "GCP_AMD_SEV"
    e = rejected(jverify, other_byte(tok.encode(), 2, 3), jwks(jwk(key, "k1")), NOW)
    assert e.name == "EVERIFY"


def test_alg_none_refused():
    key = new_key("RS256")
    e = rejected(jverify, token(None, "none", GCP_CLAIMS), jwks(jwk(key, "k1")), NOW)
    assert e.name == "EVERIFY" and "none" in e.reason


def test_hmac_with_the_public_key_as_secret_refused():
    key = new_key("RS256")
    k = jwk(key, "k1")
    pem = key.public_key().public_bytes(
        __import__("cryptography.hazmat.primitives.serialization", fromlist=["x"]).Encoding.PEM,
        __import__("cryptography.hazmat.primitives.serialization",
                   fromlist=["x"]).PublicFormat.SubjectPublicKeyInfo)
    for secret in (pem, json.dumps(k).encode(), k["n"].encode()):
        e = rejected(jverify, token(secret, "HS256", GCP_CLAIMS), jwks(k), NOW)
        assert e.name == "EVERIFY" and "HMAC" in e.reason
    # a symmetric key in the set is never usable either
    oct_set = jwks({"kty": "oct", "kid": "k1", "k": b64u(pem)})
    e = rejected(jverify, token(new_key("RS256"), "RS256", GCP_CLAIMS), oct_set, NOW)
    assert "unusable" in e.reason


@pytest.mark.parametrize("case", ["type", "curve", "alg_member", "use", "rsa1024", "dup_kid"])
def test_key_must_fit_the_alg(case):
    from cryptography.hazmat.primitives.asymmetric import rsa
    alg = "ES256" if case in ("type", "curve") else "RS256"
    key = new_key(alg)
    tok = token(key, alg, GCP_CLAIMS)
    if case == "type":
        ks = jwks(jwk(new_key("RS256"), "k1"))
    elif case == "curve":
        ks = jwks(jwk(new_key("ES384"), "k1"))
    elif case == "alg_member":
        ks = jwks(jwk(key, "k1", alg="PS256"))
    elif case == "use":
        ks = jwks(jwk(key, "k1", use="enc"))
    elif case == "rsa1024":
        key = rsa.generate_private_key(65537, 1024)
        tok = token(key, alg, GCP_CLAIMS)
        ks = jwks(jwk(key, "k1"))
    else:
        ks = jwks(jwk(key, "k1"), jwk(key, "k1"))
    e = rejected(jverify, tok, ks, NOW)
    assert e.name == "EVERIFY"
    # the right key set verifies the same token (what failed is the key's fit)
    if case != "rsa1024":
        jverify(tok, jwks(jwk(key, "k1")), NOW)


def test_time_claims_with_leeway():
    key = new_key("ES256")
    ks = jwks(jwk(key, "k1"))
    tok = token(key, "ES256", GCP_CLAIMS)
    jverify(tok, ks, NOW + 3600 + 59)  # inside the default 60 s leeway
    e = rejected(jverify, tok, ks, NOW + 3600 + 61)
    assert e.name == "EEXPIRED"
    jverify(tok, ks, NOW + 3600 + 200, leeway=300)
    no_exp = {k: v for k, v in GCP_CLAIMS.items() if k != "exp"}
    e = rejected(jverify, token(key, "ES256", no_exp), ks, NOW)
    assert "no exp" in e.reason
    e = rejected(jverify, tok, ks, NOW - 3600)
    assert e.name == "EEXPIRED" and "before" in e.reason


VALID = (b'{"exp": %d, "a": "x\\u00e9\\ud83d\\ude00\\"\\/", "b": [1, -0, 2.5e3, true, null, {}],'
         b' "c": {"a": 1, "b": {"a": 2}}, "d": "\xc3\xa9\xf0\x9f\x98\x80"}' % (NOW + 60))
BAD_PAYLOADS = {
    "duplicate top-level exp": b'{"exp": %d, "exp": 1}' % NOW,
    "duplicate nested name": b'{"exp": %d, "t": {"d": false, "d": true}}' % NOW,
    "escaped member name": b'{"exp": %d, "\\u0065xp": 1}' % NOW,
    "invalid UTF-8": b'{"exp": %d, "a": "\xc0\xaf"}' % NOW,
    "surrogate in UTF-8": b'{"exp": %d, "a": "\xed\xa0\x80"}' % NOW,
    "control character": b'{"exp": %d, "a": "x\ty"}' % NOW,
    "NUL escape": b'{"exp": %d, "a": "\\u0000"}' % NOW,
    "lone surrogate": b'{"exp": %d, "a": "\\ud800x"}' % NOW,
    "bad escape": b'{"exp": %d, "a": "\\x41"}' % NOW,
    "integer overflow": b'{"exp": %d, "a": 9223372036854775808}' % NOW,
    "real overflow": b'{"exp": %d, "a": 1e400}' % NOW,
    "leading zero": b'{"exp": %d, "a": 01}' % NOW,
    "trailing comma": b'{"exp": %d,}' % NOW,
    "text after the object": b'{"exp": %d} x' % NOW,
    "too deep": b'{"exp": %d, "a": ' % NOW + b'[' * 40 + b']' * 40 + b'}',
    "not an object": b'[1]',
    "NumericDate a string": b'{"exp": "%d"}' % NOW,
    "NumericDate negative": b'{"exp": %d, "nbf": -1}' % NOW,
}


def test_payload_json_is_read_strictly():
    """Every claim a token carries is read as strictly as jansson with duplicate names refused
    (and a little more strictly where tokens never go); a valid one with escapes, UTF-8 and
    every value kind is accepted, its payload handed back byte for byte."""
    key = new_key("ES256")
    ks = jwks(jwk(key, "k1"))
    hdr = b'{"alg":"ES256","kid":"k1"}'
    out = jverify(raw_token(key, "ES256", hdr, VALID), ks, NOW)
    assert out["a"] == "x\u00e9\U0001F600\"/" and out["d"] == "\u00e9\U0001F600"
    for what, payload in BAD_PAYLOADS.items():
        e = rejected(jverify, raw_token(key, "ES256", hdr, payload), ks, NOW)
        assert e.name == "EPARSE", (what, e.reason)


def test_header_read_strictly_and_escapes_decoded():
    key = new_key("ES256")
    ks = jwks(jwk(key, "a/b"))
    claims = json.dumps({"exp": NOW + 60}).encode()
    jverify(raw_token(key, "ES256", b'{"alg":"ES\\u0032\\u0035\\u0036","kid":"a\\/b"}', claims),
            ks, NOW)
    for hdr in (b'{"alg":"ES256","kid":"a/b","alg":"none"}', b'{"alg":"ES256","kid":"a/b"',
                b'{"alg":"ES256","kid":"a/b","\\u0061lg":"none"}'):
        e = rejected(jverify, raw_token(key, "ES256", hdr, claims), ks, NOW)
        assert e.name == "EPARSE", hdr


def test_oversize_and_malformed_jwks_rejected():
    key = new_key("ES256")
    big = jwks(*[jwk(key, "k%d" % i) for i in range(65)])
    e = rejected(Jwks, big)
    assert e.name == "ELIMIT"
    e = rejected(Jwks, json.dumps({"keys": [jwk(key, "k1")], "pad": "x" * (256 * 1024)}))
    assert e.name == "ELIMIT"
    e = rejected(Jwks, '{"keys": []}')
    assert e.name == "EPARSE"
    bad = jwk(key, "k1")
    bad["x"] = bad["x"][:-2]
    e = rejected(Jwks, jwks(bad))
    assert e.name == "EPARSE"


def test_gcp_policy_fails_closed():
    key = new_key("ES256")
    ks = jwks(jwk(key, "k1"))
    tok = token(key, "ES256", GCP_CLAIMS)
    full = {"audience": "https://sts.example", "nonce": "n2", "image_digest":
            "SHA256:" + "AB" * 32}
    r = vverify(tok, ks, NOW, {"gcp_confidential": full})
    assert r["provider"] == "gcp_confidential" and r["measurement"]["digest"] == "ab" * 32
    for k, bad in [("audience", "x"), ("nonce", "n3"), ("image_digest", "sha256:" + "00" * 32)]:
        e = rejected(vverify, tok, ks, NOW, {"gcp_confidential": dict(full, **{k: bad})})
        assert e.name == "EPOLICY"
    # pinned claims the token lacks are rejections, not passes
    for missing in ("aud", "eat_nonce", "submods"):
        c = {k: v for k, v in GCP_CLAIMS.items() if k != missing}
        e = rejected(vverify, token(key, "ES256", c), ks, NOW, {"gcp_confidential": full})
        assert e.name == "EPOLICY"
    for iss in (None, "https://evil.example"):
        c = dict(GCP_CLAIMS, iss=iss) if iss else {k: v for k, v in GCP_CLAIMS.items()
                                                    if k != "iss"}
        e = rejected(vverify, token(key, "ES256", c), ks, NOW)
        assert e.name in ("EPOLICY", "EUNSUPPORTED")


def test_gcp_debug_image_rejected_unless_allowed():
    key = new_key("ES256")
    ks = jwks(jwk(key, "k1"))
    for dbg in ("enabled", None):
        c = dict(GCP_CLAIMS, dbgstat=dbg) if dbg else {k: v for k, v in GCP_CLAIMS.items()
                                                       if k != "dbgstat"}
        e = rejected(vverify, token(key, "ES256", c), ks, NOW)
        assert e.name == "EPOLICY" and "debug" in e.reason
        r = vverify(token(key, "ES256", c), ks, NOW, {"gcp_confidential": {"allow_debug": True}})
        assert r["claims"]["debug_mode"] is True


def test_azure_policy():
    key = new_key("RS256")
    ks = jwks(jwk(key, "k1"))
    tok = token(key, "RS256", AZ_CLAIMS)
    pol = {"launch_measurement": "CD" * 48, "compliance_status": "azure-compliant-cvm",
           "attestation_types": ["azurevm"], "issuers": ["https://myinst.weu.attest.azure.net"]}
    r = vverify(tok, ks, NOW, {"azure_maa": pol})
    assert r["measurement"] == {"algorithm": "sha384", "digest": "cd" * 48}
    for k, bad in [("launch_measurement", "00" * 48), ("compliance_status", "other"),
                   ("attestation_types", ["sgx"]), ("issuers", ["https://x.attest.azure.net"])]:
        e = rejected(vverify, tok, ks, NOW, {"azure_maa": dict(pol, **{k: bad})})
        assert e.name == "EPOLICY"
    tee = dict(AZ_CLAIMS["x-ms-isolation-tee"], **{"x-ms-sevsnpvm-is-debuggable": True})
    e = rejected(vverify, token(key, "RS256", dict(AZ_CLAIMS, **{"x-ms-isolation-tee": tee})),
                 ks, NOW)
    assert "debug" in e.reason
    # an issuer that only looks like Azure's is not an Azure Attestation instance
    e = rejected(vverify, token(key, "RS256", dict(AZ_CLAIMS, iss="https://x.attest.azure.net.evil")),
                 ks, NOW)
    assert e.name in ("EPOLICY", "EUNSUPPORTED")


def test_policy_section_unknown_key_named():
    e = rejected(Policy, {"azure_maa": {"alow_debug": True}})
    assert "azure_maa.alow_debug" in e.reason


def test_token_without_jwks_rejected():
    t = SNP_TOKEN
    o = VerifyOpts(sz=ctypes.sizeof(VerifyOpts), at=SNP_AT)
    out = c_void_p()
    rc = verify(cbuf(t), len(t), byref(o), byref(out))
    assert rc == bptee.CODES["EINVAL"] and "JWKS" in bptee.last_error()


# --- the command line -------------------------------------------------------------------------

def run(*args):
    return subprocess.run([bptee.CLI, *args], capture_output=True, text=True)


def test_cli_verifies_tokens_with_jwks(tmp_path):
    tok = os.path.join(MAA, "sevsnp-cvm/token_2024-12-20.jwt")
    ks = os.path.join(MAA, "sevsnp-cvm/sharedeus2_key.jwks.json")
    r = run("verify", tok, "--jwks", ks, "--at", str(SNP_AT))
    assert r.returncode == 0, r.stderr
    assert "azure_snp azure_maa_token" in r.stdout
    r = run("verify", tok, "--jwks", os.path.join(MAA, "sgx/sharedeus_certs.jwks.json"),
            "--at", str(SNP_AT))
    assert r.returncode == 1 and "kid" in r.stderr
    empty = tmp_path / "empty.json"
    empty.write_text("")
    r = run("verify", tok, "--jwks", str(empty), "--at", str(SNP_AT))
    assert r.returncode == 1 and "empty" in r.stderr
    r = run("verify", tok, "--jwks", str(tmp_path / "missing.json"), "--at", str(SNP_AT))
    assert r.returncode == 1
    r = run("verify", tok, "--at", str(SNP_AT))
    assert r.returncode == 1 and "JWKS" in r.stderr


# --- x5c in the token header: trusted only through a pinned root ---------------------------

def _dt(t):
    import datetime
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc)


WINDOW = (_dt(NOW - 86400), _dt(NOW + 86400))


def header_x5c_token(certs, key, claims=None, kid=None):
    h = {"x5c": x5c(certs)}
    return token(key, "ES256", claims or GCP_CLAIMS, kid=kid or "k1", header=h)


def test_header_x5c_verifies_through_the_pinned_root_only():
    certs, key = cert_chain(*WINDOW)
    tok = header_x5c_token(certs[:2], key)
    assert jverify(tok, None, NOW, roots=pem(certs[2]))["hwmodel"] == "GCP_AMD_SEV"
    # the chain's own root is not an anchor: without a pinned root the token is refused
    full = header_x5c_token(certs, key)
    e = rejected(jverify, full, None, NOW)
    assert e.name == "EVERIFY" and "no root is pinned" in e.reason
    other, _ = cert_chain(*WINDOW)
    e = rejected(jverify, full, None, NOW, roots=pem(other[2]))
    assert e.name == "EVERIFY" and "x5c" in e.reason
    # DER root, and a bundle holding the right root among others
    from cryptography.hazmat.primitives import serialization
    jverify(full, None, NOW, roots=certs[2].public_bytes(serialization.Encoding.DER))
    jverify(full, None, NOW, roots=pem(other[2]) + pem(certs[2]))


def test_header_x5c_tampered_and_wrong_leaf_rejected():
    certs, key = cert_chain(*WINDOW)
    root = pem(certs[2])
    import base64
    chain = x5c(certs[:2])
    der = bytearray(base64.b64decode(chain[1]))
    der[-5] ^= 1  # the intermediate's signature
    bad = token(key, "ES256", GCP_CLAIMS, header={"x5c": [chain[0], base64.b64encode(
        bytes(der)).decode()]})
    e = rejected(jverify, bad, None, NOW, roots=root)
    assert e.name in ("EVERIFY", "EPARSE")
    # a valid chain whose leaf is not the key that signed
    e = rejected(jverify, header_x5c_token(certs[:2], new_key("ES256")), None, NOW, roots=root)
    assert e.name == "EVERIFY" and "signature" in e.reason
    # a key set given too: kid's key must be the leaf's
    tok = header_x5c_token(certs[:2], key)
    jverify(tok, jwks(jwk(key, "k1")), NOW, roots=root)
    e = rejected(jverify, tok, jwks(jwk(new_key("ES256"), "k1")), NOW, roots=root)
    assert e.name == "EVERIFY" and "x5c leaf" in e.reason


def test_header_x5c_validity_at_the_verification_time_and_at_iat():
    certs, key = cert_chain(*WINDOW, leaf_window=(_dt(NOW - 86400), _dt(NOW - 3600)))
    e = rejected(jverify, header_x5c_token(certs[:2], key), None, NOW, roots=pem(certs[2]))
    assert e.name == "EEXPIRED" and "x5c[0]" in e.reason  # the leaf expired an hour ago
    certs, key = cert_chain(_dt(NOW - 86400), _dt(NOW - 3600))
    e = rejected(jverify, header_x5c_token(certs[:2], key), None, NOW, roots=pem(certs[2]))
    assert e.name == "EEXPIRED" and "pinned root" in e.reason
    # the leaf became valid after the token was issued (iat NOW - 10): it cannot have signed it
    certs, key = cert_chain(*WINDOW, leaf_window=(_dt(NOW - 5), _dt(NOW + 3600)))
    e = rejected(jverify, header_x5c_token(certs[:2], key), None, NOW, roots=pem(certs[2]))
    assert e.name == "EEXPIRED" and "iat" in e.reason


def test_cli_header_x5c_with_chain(tmp_path):
    certs, key = cert_chain(*WINDOW)
    tok = tmp_path / "t.jwt"
    tok.write_text(header_x5c_token(certs[:2], key))
    root = tmp_path / "root.pem"
    root.write_bytes(pem(certs[2]))
    r = run("verify", str(tok), "--chain", str(root), "--at", str(NOW), "--policy",
            str(_policy(tmp_path, {"gcp_confidential": {"audience": "https://sts.example"}})))
    assert r.returncode == 0, r.stderr
    r = run("verify", str(tok), "--at", str(NOW))
    assert r.returncode == 1 and "no root is pinned" in r.stderr


def _policy(tmp_path, obj):
    p = tmp_path / "policy.json"
    p.write_text(json.dumps(obj))
    return p


# --- the key set named by the policy (azure_maa.jwks, gcp_confidential.jwks) ----------------

SNP_JWKS_PATH = os.path.join(MAA, "sevsnp-cvm/sharedeus2_key.jwks.json")
SGX_JWKS_PATH = os.path.join(MAA, "sgx/sharedeus_certs.jwks.json")
SNP_TOKEN_PATH = os.path.join(MAA, "sevsnp-cvm/token_2024-12-20.jwt")
SNP_KID = "J0pAPdfXXHqWWimgrH853wMIdh5/fLe1z6uSXYPXCa0="

policy_jwks = fn("bptee_policy_jwks", c_int, c_void_p, c_int, POINTER(c_char_p),
                 POINTER(c_char_p))


def verify_snp_token(policy, *extra, cwd=None):
    return subprocess.run([bptee.CLI, "verify", SNP_TOKEN_PATH, "--at", str(SNP_AT), "--policy",
                           str(policy), *extra], capture_output=True, text=True, cwd=cwd)


def test_policy_jwks_getter():
    p = Policy({"azure_maa": {"jwks": "keys/maa.json"},
                "gcp_confidential": {"jwks": "https://www.googleapis.com/oauth2/v3/certs"}})
    loc, key = c_char_p(), c_char_p()
    assert policy_jwks(p.p, 3, byref(loc), byref(key)) == 1  # BPTEE_FORMAT_AZURE_MAA_TOKEN
    assert (loc.value, key.value) == (b"keys/maa.json", b"azure_maa.jwks")
    assert policy_jwks(p.p, 4, byref(loc), byref(key)) == 1  # GCP_CONFIDENTIAL_TOKEN
    assert key.value == b"gcp_confidential.jwks" and loc.value.startswith(b"https://")
    assert policy_jwks(p.p, 1, byref(loc), byref(key)) == 0 and loc.value is None
    assert policy_jwks(Policy({"azure_maa": {}}).p, 3, byref(loc), byref(key)) == 0
    assert policy_jwks(None, 3, byref(loc), byref(key)) == 0
    assert policy_jwks(p.p, 3, None, byref(key)) == bptee.CODES["EINVAL"]


@pytest.mark.parametrize("bad, why", [
    ({"jwks": SNP_JWKS_PATH, "jwsk": "x"}, "azure_maa.jwsk"),  # unknown keys: refused as ever
    ({"jwks": 5}, "azure_maa.jwks: expected a non-empty string"),
    ({"jwks": ""}, "azure_maa.jwks: expected a non-empty string"),
    ({"jwks": "ftp://127.0.0.1/certs"}, "azure_maa.jwks: 'ftp://127.0.0.1/certs' is neither"),
])
def test_policy_jwks_malformed_refused(tmp_path, bad, why):
    e = rejected(Policy, {"azure_maa": bad})
    assert e.name == "EPARSE" and why in e.reason
    r = verify_snp_token(_policy(tmp_path, {"azure_maa": bad}))
    assert r.returncode == 1 and why in r.stderr


def test_policy_jwks_file_verifies_the_real_token(tmp_path):
    r = verify_snp_token(_policy(tmp_path, {"azure_maa": {"jwks": SNP_JWKS_PATH}}))
    assert r.returncode == 0, r.stderr
    assert "azure_snp azure_maa_token" in r.stdout
    # the section of the other kind of token names no key set for this one
    r = verify_snp_token(_policy(tmp_path, {"gcp_confidential": {"jwks": SNP_JWKS_PATH}}))
    assert r.returncode == 1 and "JWKS" in r.stderr


def test_policy_jwks_wrong_key_set_fails_the_valid_token(tmp_path):
    r = verify_snp_token(_policy(tmp_path, {"azure_maa": {"jwks": SGX_JWKS_PATH}}))
    assert r.returncode == 1 and "no JWKS key has kid" in r.stderr
    other = tmp_path / "other.json"
    other.write_text(jwks(jwk(new_key("RS256"), SNP_KID)))  # the right kid, another key
    r = verify_snp_token(_policy(tmp_path, {"azure_maa": {"jwks": str(other)}}))
    assert r.returncode == 1 and "signature does not verify" in r.stderr


def test_policy_jwks_relative_to_the_policy_file(tmp_path):
    sub = tmp_path / "conf"
    (sub / "keys").mkdir(parents=True)
    (sub / "keys" / "maa.json").write_bytes(SNP_JWKS)
    (sub / "p.json").write_text(json.dumps({"azure_maa": {"jwks": "keys/maa.json"}}))
    # the same name under the working directory holds the wrong set: it must not be read
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "maa.json").write_bytes(SGX_JWKS)
    r = verify_snp_token("conf/p.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = verify_snp_token(sub / "p.json", cwd="/")
    assert r.returncode == 0, r.stderr
    # and a name that exists only under the working directory is not found
    (sub / "keys" / "maa.json").unlink()
    r = verify_snp_token("conf/p.json", cwd=tmp_path)
    assert r.returncode == 1 and "azure_maa.jwks" in r.stderr
    assert "conf/keys/maa.json" in r.stderr


def test_cli_jwks_wins_over_the_policy(tmp_path):
    wrong = _policy(tmp_path, {"azure_maa": {"jwks": SGX_JWKS_PATH}})
    r = verify_snp_token(wrong, "--jwks", SNP_JWKS_PATH)
    assert r.returncode == 0, r.stderr
    right = _policy(tmp_path, {"azure_maa": {"jwks": SNP_JWKS_PATH}})
    r = verify_snp_token(right, "--jwks", SGX_JWKS_PATH)
    assert r.returncode == 1 and "no JWKS key has kid" in r.stderr
    # with --jwks given, the policy's set is not read at all
    missing = _policy(tmp_path, {"azure_maa": {"jwks": str(tmp_path / "missing.json")}})
    r = verify_snp_token(missing, "--jwks", SNP_JWKS_PATH)
    assert r.returncode == 0, r.stderr


def test_policy_jwks_missing_or_empty_is_an_error_naming_the_key(tmp_path):
    missing = tmp_path / "missing.json"
    r = verify_snp_token(_policy(tmp_path, {"azure_maa": {"jwks": str(missing)}}))
    assert r.returncode == 1 and r.stdout == ""
    assert "policy azure_maa.jwks" in r.stderr and "No such file" in r.stderr
    assert len(r.stderr.splitlines()) == 1
    empty = tmp_path / "empty.json"
    empty.write_text("")
    r = verify_snp_token(_policy(tmp_path, {"azure_maa": {"jwks": "empty.json"}}))
    assert r.returncode == 1 and "policy azure_maa.jwks" in r.stderr and "empty" in r.stderr
    (tmp_path / "nokeys.json").write_text('{"keys": []}')
    r = verify_snp_token(_policy(tmp_path, {"azure_maa": {"jwks": "nokeys.json"}}))
    assert r.returncode == 1 and "policy azure_maa.jwks" in r.stderr and "keys" in r.stderr


def test_gcp_section_jwks_verifies_gcp_tokens(tmp_path):
    key = new_key("ES256")
    (tmp_path / "gcp.json").write_text(jwks(jwk(key, "k1")))
    tok = tmp_path / "t.jwt"
    tok.write_text(token(key, "ES256", GCP_CLAIMS))
    pol = _policy(tmp_path, {"gcp_confidential": {"jwks": "gcp.json"},
                             "azure_maa": {"jwks": "absent.json"}})
    r = run("verify", str(tok), "--at", str(NOW), "--policy", str(pol))
    assert r.returncode == 0, r.stderr
    assert "gcp_confidential gcp_confidential_token" in r.stdout
    (tmp_path / "gcp.json").write_text(jwks(jwk(new_key("ES256"), "k1")))
    r = run("verify", str(tok), "--at", str(NOW), "--policy", str(pol))
    assert r.returncode == 1 and "signature does not verify" in r.stderr
