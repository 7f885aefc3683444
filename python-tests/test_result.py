# SPDX-License-Identifier: Apache-2.0
"""Attested results (include/bptee/result.h, docs/results.md): binding a result to evidence
(signed by an attested Ed25519 key, or fresh evidence binding the result), the "tee" member of
JSON object results and sidecars for everything else, verification under a policy with its
"results" section, and the tamper matrix: every byte of the result and of the metadata, the
signature, the evidence, and identities the policy does not pin.

Evidence comes from the simulated TEE (a state directory for this module); the signing key is
the agent module's (bptee_signing_key_*), held in this process."""
import base64
import ctypes
import hashlib
import json
import os
import subprocess
from ctypes import (POINTER, Structure, byref, c_bool, c_char, c_char_p, c_int, c_int64,
                    c_size_t, c_uint, c_uint8, c_uint32, c_uint64, c_void_p)

import pytest

import bptee
from bptee import BpteeError, check, fn, take_bytes, take_string

SIM = 3  # BPTEE_EVIDENCE_PROVIDER_SIM
SIGNED, FRESH = 1, 2
POLICY_SIM = {"sev_snp": {"allow_simulation": True}}


class GuestOpts(Structure):
    _fields_ = [("sz", c_size_t), ("provider", c_int), ("tsm_path", c_char_p),
                ("device", c_char_p), ("state_dir", c_char_p), ("set_vmpl", c_bool),
                ("vmpl", c_uint32), ("max_attempts", c_uint), ("backoff_ms", c_uint)]


class Identity(Structure):
    _fields_ = [("job_id", c_char_p), ("binary_sha256", c_uint8 * 32),
                ("argv_sha256", c_uint8 * 32)]


class VerifyOpts(Structure):
    _fields_ = [("sz", c_size_t), ("at", c_int64), ("policy", c_void_p), ("vcek", c_void_p),
                ("vcek_len", c_size_t), ("chain", c_void_p), ("chain_len", c_size_t)]


class ResultVerifyOpts(Structure):
    _fields_ = [("sz", c_size_t), ("evidence", POINTER(VerifyOpts)), ("policy", c_void_p),
                ("sidecar", c_char_p), ("sidecar_len", c_size_t)]


class Verified(Structure):
    _fields_ = [("kind", c_int), ("injected", c_int), ("provider", c_int),
                ("simulated", c_int), ("job_id", c_char * 129), ("binary_sha256", c_char * 65),
                ("argv_sha256", c_char * 65), ("result_sha256", c_char * 65),
                ("result_size", c_uint64), ("attestation_digest", c_char * 65),
                ("measurement", c_char * 160), ("public_key", c_char * 65)]


sk_new = fn("bptee_signing_key_new", c_int, POINTER(c_void_p))
sk_free = fn("bptee_signing_key_free", None, c_void_p)
sk_attest = fn("bptee_signing_key_attest", c_int, c_void_p, POINTER(GuestOpts), POINTER(c_int))
sk_public = fn("bptee_signing_key_public", None, c_void_p, c_char * 32)
sk_evidence = fn("bptee_signing_key_evidence_json", c_int, c_void_p, c_uint, POINTER(c_void_p))
job_result_sign = fn("bptee_job_result_sign", c_int, c_void_p, c_char_p, c_char_p, c_char_p,
                     c_char_p, c_char * 64)
argv_digest = fn("bptee_job_argv_digest", None, POINTER(c_char_p), c_size_t, c_char * 32)
identity_init = fn("bptee_job_identity_init", c_int, POINTER(Identity), c_char_p, c_char_p,
                   POINTER(c_char_p), c_size_t)
report_data_fn = fn("bptee_result_report_data", c_int, POINTER(Identity), c_char_p,
                    c_char * 64)
signer_from_key = fn("bptee_result_signer_from_key", c_int, c_void_p, POINTER(c_void_p))
signer_fresh = fn("bptee_result_signer_fresh", c_int, POINTER(GuestOpts), POINTER(c_void_p))
signer_from_agent = fn("bptee_result_signer_from_agent", c_int, c_char_p, POINTER(c_void_p))
signer_free = fn("bptee_result_signer_free", None, c_void_p)
attest_fn = fn("bptee_result_attest", c_int, c_void_p, POINTER(Identity), c_char_p, c_size_t,
               POINTER(c_void_p))
meta_free = fn("bptee_result_meta_free", None, c_void_p)
meta_to_json = fn("bptee_result_meta_to_json", c_int, c_void_p, POINTER(c_void_p))
meta_from_json = fn("bptee_result_meta_from_json", c_int, c_char_p, c_size_t,
                    POINTER(c_void_p))
meta_kind = fn("bptee_result_meta_kind", c_int, c_void_p)
meta_job_id = fn("bptee_result_meta_job_id", c_char_p, c_void_p)
meta_digest = fn("bptee_result_meta_attestation_digest", c_char_p, c_void_p)
meta_provider = fn("bptee_result_meta_provider", c_char_p, c_void_p)
meta_measurement = fn("bptee_result_meta_measurement", c_char_p, c_void_p)
injectable = fn("bptee_result_injectable", c_int, c_char_p, c_size_t)
inject_fn = fn("bptee_result_inject", c_int, c_void_p, c_char_p, c_size_t, POINTER(c_void_p),
               POINTER(c_size_t))
original_fn = fn("bptee_result_original", c_int, c_char_p, c_size_t, POINTER(c_void_p),
                 POINTER(c_size_t))
policy_parse = fn("bptee_policy_parse", c_int, c_char_p, c_size_t, POINTER(c_void_p))
policy_free = fn("bptee_policy_free", None, c_void_p)
rpolicy_parse = fn("bptee_result_policy_parse", c_int, c_char_p, c_size_t, POINTER(c_void_p))
rpolicy_split = fn("bptee_result_policy_split", c_int, c_char_p, c_size_t, POINTER(c_void_p),
                   POINTER(c_void_p))
rpolicy_free = fn("bptee_result_policy_free", None, c_void_p)
verify_fn = fn("bptee_result_verify", c_int, c_char_p, c_size_t, POINTER(ResultVerifyOpts),
               POINTER(Verified), POINTER(c_void_p))
report_free = fn("bptee_report_free", None, c_void_p)
report_simulated = fn("bptee_report_simulated", c_int, c_void_p)


def guest_opts(sim_dir):
    return GuestOpts(sz=ctypes.sizeof(GuestOpts), provider=SIM, state_dir=str(sim_dir).encode())


class Key:
    """An attested signing key held in this process (what the agent holds)."""

    def __init__(self, sim_dir):
        self.ptr = c_void_p()
        check(sk_new(byref(self.ptr)))
        opts = guest_opts(sim_dir)
        check(sk_attest(self.ptr, byref(opts), byref(c_int())))
        pk = (c_char * 32)()
        sk_public(self.ptr, pk)
        self.public = pk.raw

    def evidence_json(self):
        out = c_void_p()
        check(sk_evidence(self.ptr, 0, byref(out)))
        return take_string(out)

    def sign(self, result_sha256, measurement, argv_sha256, job_id):
        sig = (c_char * 64)()
        check(job_result_sign(self.ptr, result_sha256, measurement, argv_sha256,
                              job_id.encode(), sig))
        return sig.raw

    def __del__(self):
        if getattr(self, "ptr", None):
            sk_free(self.ptr)


def argv_sha256(argv):
    arr = (c_char_p * len(argv))(*[a.encode() for a in argv])
    out = (c_char * 32)()
    argv_digest(arr, len(argv), out)
    return out.raw


def identity(job_id="job-1", binary="/bin/cat", argv=("cat", "x")):
    arr = (c_char_p * len(argv))(*[a.encode() for a in argv])
    ident = Identity()
    job = job_id.encode()
    check(identity_init(byref(ident), job, binary.encode(), arr, len(argv)))
    ident._keep = job  # job_id is borrowed
    return ident


class Signer:
    def __init__(self, ptr):
        self.ptr = ptr

    @classmethod
    def from_key(cls, key):
        p = c_void_p()
        check(signer_from_key(key.ptr, byref(p)))
        s = cls(p)
        s.key = key
        return s

    @classmethod
    def fresh(cls, sim_dir):
        p = c_void_p()
        opts = guest_opts(sim_dir)
        check(signer_fresh(byref(opts), byref(p)))
        return cls(p)

    def attest(self, result, ident):
        m = c_void_p()
        check(attest_fn(self.ptr, byref(ident), result, len(result), byref(m)))
        return Meta(m)

    def __del__(self):
        if getattr(self, "ptr", None):
            signer_free(self.ptr)


class Meta:
    def __init__(self, ptr):
        self.ptr = ptr

    def json(self):
        out = c_void_p()
        check(meta_to_json(self.ptr, byref(out)))
        return take_string(out)

    def inject(self, doc):
        out, n = c_void_p(), c_size_t()
        check(inject_fn(self.ptr, doc, len(doc), byref(out), byref(n)))
        return take_bytes(out, n.value)

    def __del__(self):
        if getattr(self, "ptr", None):
            meta_free(self.ptr)


def original(doc):
    out, n = c_void_p(), c_size_t()
    check(original_fn(doc, len(doc), byref(out), byref(n)))
    return take_bytes(out, n.value)


def verify(doc, policy=POLICY_SIM, sidecar=None, results=None, at=0):
    """Verify doc; return the Verified struct. policy: the evidence policy JSON (a dict) with an
    optional "results" section."""
    doc_policy = dict(policy)
    if results is not None:
        doc_policy["results"] = results
    text = json.dumps(doc_policy).encode()
    ev, rp = c_void_p(), c_void_p()
    check(rpolicy_split(text, len(text), byref(ev), byref(rp)))
    try:
        vo = VerifyOpts(sz=ctypes.sizeof(VerifyOpts), at=at, policy=ev)
        o = ResultVerifyOpts(sz=ctypes.sizeof(ResultVerifyOpts), evidence=ctypes.pointer(vo),
                             policy=rp)
        if sidecar is not None:
            o.sidecar, o.sidecar_len = sidecar, len(sidecar)
        out = Verified()
        check(verify_fn(doc, len(doc), byref(o), byref(out), None))
        return out
    finally:
        rpolicy_free(rp)
        policy_free(ev)


def rejected(doc, *, code=None, needle=None, **kw):
    with pytest.raises(BpteeError) as e:
        verify(doc, **kw)
    if code:
        assert e.value.name == code, e.value
    if needle:
        assert needle in e.value.reason, e.value.reason
    return e.value


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("sim") / "state"


@pytest.fixture(scope="module")
def key(sim_dir):
    return Key(sim_dir)


@pytest.fixture(scope="module")
def signer(key):
    return Signer.from_key(key)


DOC = b'{"answer": 42, "rows": [1, 2, 3], "name": "caf\xc3\xa9"}\n'


@pytest.fixture(scope="module")
def attested(signer):
    """DOC attested by the signing key and injected."""
    meta = signer.attest(DOC, identity())
    return meta.inject(DOC)


def tee_of(doc):
    return json.loads(doc)["tee"]


def replace_once(doc, old, new):
    assert doc.count(old) == 1, (old, doc.count(old))
    return doc.replace(old, new)


# ---- the job identity and the bound layouts


def test_identity_measures_binary_and_digests_argv():
    ident = identity("job-1", "/bin/cat", ("cat", "x"))
    assert bytes(ident.binary_sha256).hex() == hashlib.sha256(open("/bin/cat", "rb").read()).hexdigest()
    # docs/formats.md: each argument followed by one 0x00 byte, as /proc/PID/cmdline holds it
    assert bytes(ident.argv_sha256) == hashlib.sha256(b"cat\0x\0").digest()
    assert bytes(identity("job-1", "/bin/cat", ("cat", "y")).argv_sha256) != bytes(ident.argv_sha256)


def test_identity_rejects_bad_job_id_and_missing_binary():
    with pytest.raises(BpteeError) as e:
        identity("bad id", "/bin/cat")
    assert "job id" in e.value.reason
    with pytest.raises(BpteeError) as e:
        identity("ok", "/nonexistent")
    assert e.value.name == "ENOTFOUND"


def test_fresh_report_data_is_sha512_of_the_signed_message():
    ident = identity("job-9", "/bin/cat", ("cat",))
    result = hashlib.sha256(b"r").digest()
    out = (c_char * 64)()
    check(report_data_fn(byref(ident), result, out))
    msg = (b"bptee-job-result-v1\0" + result + bytes(ident.binary_sha256) +
           bytes(ident.argv_sha256) + b"job-9")
    assert out.raw == hashlib.sha512(msg).digest()


# ---- injection into JSON object results


def test_inject_appends_tee_as_last_member_and_original_is_exact(signer, attested):
    assert attested.startswith(DOC[:-2])  # everything before the closing brace is kept
    assert attested.endswith(b"}\n")
    doc = json.loads(attested)
    assert list(doc)[-1] == "tee"
    assert doc["answer"] == 42 and doc["name"] == "café"
    assert original(attested) == DOC


def test_tee_member_carries_blueprint_keys_and_what_a_verifier_needs(key, attested):
    tee = tee_of(attested)
    evidence = json.loads(key.evidence_json())
    raw = base64.b64decode(evidence["evidence"])
    assert tee["tee.attestation.digest"] == hashlib.sha256(raw).hexdigest()
    assert tee["tee.provider"] == "amd_sev_snp"
    assert tee["tee.measurement"] == "sha384:" + evidence["measurement"]["digest"]
    assert tee["version"] == 1 and tee["attestation"] == "signed"
    ident = identity()
    assert tee["job"] == {"id": "job-1", "binary_sha256": bytes(ident.binary_sha256).hex(),
                          "argv_sha256": bytes(ident.argv_sha256).hex()}
    assert tee["result"] == {"sha256": hashlib.sha256(DOC).hexdigest(), "size": len(DOC),
                             "covers": "json-without-tee"}
    assert tee["signature"]["algorithm"] == "ed25519"
    assert tee["signature"]["public_key"] == key.public.hex()
    assert tee["evidence"] == evidence


def test_signature_is_ed25519_over_the_documented_message(key, attested):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    tee = tee_of(attested)
    msg = (b"bptee-job-result-v1\0" + bytes.fromhex(tee["result"]["sha256"]) +
           bytes.fromhex(tee["job"]["binary_sha256"]) +
           bytes.fromhex(tee["job"]["argv_sha256"]) + tee["job"]["id"].encode())
    Ed25519PublicKey.from_public_bytes(key.public).verify(
        bytes.fromhex(tee["signature"]["value"]), msg)


@pytest.mark.parametrize("doc", [b"{}", b"{ }\n", b' \n{"a":{"tee":1}}  \n', b'{"a":1}'])
def test_inject_edge_objects_round_trip(signer, doc):
    out = signer.attest(doc, identity()).inject(doc)
    assert original(out) == doc
    assert list(json.loads(out))[-1] == "tee"
    v = verify(out)
    assert v.injected == 1 and v.result_size == len(doc)


@pytest.mark.parametrize("doc", [b"[1,2]", b'"text"', b"42", b"plain text\n", b"",
                                 b'{"tee": 1}', b'{"t\\u0065e": 1}', b'{"a":1', b'{"a":1}x',
                                 b'{"a":"\xff"}', b'{"a":"\\u0000"}', b'{"a":"\\ud800"}',
                                 b'{"a":01}', b"\xef\xbb\xbf{}"])
def test_not_injectable_gets_a_sidecar_instead(signer, doc):
    assert injectable(doc, len(doc)) == 0
    meta = signer.attest(doc, identity())
    with pytest.raises(BpteeError) as e:
        meta.inject(doc)
    assert e.value.name == "EUNSUPPORTED" and "sidecar" in e.value.reason
    side = meta.json().encode()
    assert json.loads(side)["result"]["covers"] == "bytes"
    v = verify(doc, sidecar=side)
    assert v.injected == 0 and v.result_size == len(doc)


def test_injectable_accepts_what_jansson_and_python_accept():
    for doc in [b'{"a": [1, -2.5e+3, true, false, null, {"b": "\\u00e9\\ud83d\\ude00"}]}',
                b'{"emoji": "\xf0\x9f\x98\x80", "esc": "\\"\\\\\\/\\b\\f\\n\\r\\t"}']:
        json.loads(doc)
        assert injectable(doc, len(doc)) == 1


def test_deep_nesting_is_refused_not_crashed():
    deep = b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}"
    assert injectable(deep, len(deep)) == 0


def test_inject_refuses_metadata_of_other_bytes(signer):
    meta = signer.attest(b'{"a":1}', identity())
    with pytest.raises(BpteeError) as e:
        meta.inject(b'{"a":22}')
    assert e.value.name == "EINVAL"


def test_one_mib_result_round_trip(signer):
    rows = ",".join('{"i":%d,"v":"row %d"}' % (i, i) for i in range(40000))
    doc = ('{"rows":[%s]}' % rows).encode()
    out = signer.attest(doc, identity()).inject(doc)
    assert original(out) == doc
    assert verify(out).result_size == len(doc)


# ---- verification


def test_verify_injected_reports_the_facts(key, attested):
    v = verify(attested)
    tee = tee_of(attested)
    assert v.kind == SIGNED and v.injected == 1 and v.simulated == 1
    assert v.job_id == b"job-1"
    assert v.binary_sha256.decode() == tee["job"]["binary_sha256"]
    assert v.result_sha256.decode() == hashlib.sha256(DOC).hexdigest()
    assert v.result_size == len(DOC)
    assert v.public_key.decode() == key.public.hex()
    assert v.measurement.decode() == tee["tee.measurement"]
    assert v.attestation_digest.decode() == tee["tee.attestation.digest"]


def test_verify_refuses_simulated_evidence_by_default(attested):
    e = rejected(attested, policy={})
    assert "simulat" in e.reason


def test_verify_without_tee_or_sidecar(key):
    rejected(DOC, code="ENOTFOUND", needle="sidecar")


def test_sidecar_of_other_bytes_rejected(signer):
    side = signer.attest(b"abc", identity()).json().encode()
    rejected(b"abd", sidecar=side, code="EVERIFY", needle="not the attested ones")
    assert verify(b"abc", sidecar=side + b"\n").injected == 0  # the trailing newline bptee writes


def test_sidecar_for_injected_layout_rejected(signer, attested):
    side = signer.attest(DOC, identity()).json().encode()
    # a sidecar says "bytes": it cannot vouch for the injected document
    rejected(attested, sidecar=side, code="EVERIFY")


def test_fresh_attestation_binds_the_result_in_report_data(sim_dir):
    fresh = Signer.fresh(sim_dir)
    meta = fresh.attest(DOC, identity("job-f"))
    assert meta_kind(meta.ptr) == FRESH
    out = meta.inject(DOC)
    tee = tee_of(out)
    assert tee["attestation"] == "fresh" and "signature" not in tee
    v = verify(out)
    assert v.kind == FRESH and v.public_key == b"" and v.job_id == b"job-f"
    # the job identity is bound through REPORT_DATA: change it and the binding fails
    bad = replace_once(out, b'"id":"job-f"', b'"id":"job-g"')
    rejected(bad, code="EVERIFY", needle="REPORT_DATA")


# ---- the tamper matrix


def flip_hex(doc, field_value):
    """Change the first hex digit of field_value inside doc."""
    first = field_value[:1]
    repl = b"0" if first != b"0" else b"1"
    return replace_once(doc, field_value, repl + field_value[1:])


def test_tamper_result_byte(attested):
    rejected(replace_once(attested, b'"answer": 42', b'"answer": 43'), code="EVERIFY",
             needle="not the attested ones")


def test_tamper_signature(attested):
    sig = tee_of(attested)["signature"]["value"].encode()
    rejected(flip_hex(attested, sig), code="EVERIFY", needle="signature")


def test_tamper_public_key(attested, sim_dir):
    pk = tee_of(attested)["signature"]["public_key"].encode()
    rejected(flip_hex(attested, pk), code="EVERIFY", needle="public_key")


@pytest.mark.parametrize("field", ["binary_sha256", "argv_sha256"])
def test_tamper_job_identity(attested, field):
    value = tee_of(attested)["job"][field].encode()
    rejected(flip_hex(attested, value), code="EVERIFY", needle="signature")


def test_tamper_job_id(attested):
    rejected(replace_once(attested, b'"id":"job-1"', b'"id":"job-2"'), code="EVERIFY",
             needle="signature")


def test_tamper_result_digest_and_size(attested):
    d = tee_of(attested)["result"]["sha256"].encode()
    rejected(flip_hex(attested, d), code="EVERIFY", needle="not the attested ones")
    size = b'"size":%d' % len(DOC)
    rejected(replace_once(attested, size, b'"size":%d' % (len(DOC) + 1)), code="EVERIFY")


@pytest.mark.parametrize("key_name, new, needle", [
    ("tee.provider", "intel_tdx", "tee.provider"),
    ("tee.measurement", "sha384:" + "0" * 96, "tee.measurement"),
    ("tee.attestation.digest", "0" * 64, "tee.attestation.digest"),
])
def test_tamper_blueprint_keys(attested, key_name, new, needle):
    old = tee_of(attested)[key_name]
    doc = replace_once(attested, ('"%s":"%s"' % (key_name, old)).encode(),
                       ('"%s":"%s"' % (key_name, new)).encode())
    rejected(doc, code="EVERIFY", needle=needle)


def test_tamper_formatting_of_metadata(attested):
    rejected(replace_once(attested, b'"version":1', b'"version": 1'), code="EVERIFY",
             needle="not the bytes bptee writes")
    sig = tee_of(attested)["signature"]["value"]
    rejected(replace_once(attested, sig.encode(), sig.upper().encode()), code="EPARSE",
             needle="lowercase hex")


def test_tamper_covers_and_kind(attested):
    rejected(replace_once(attested, b'"covers":"json-without-tee"', b'"covers":"bytes"'),
             code="EVERIFY", needle="covers")
    rejected(replace_once(attested, b'"attestation":"signed"', b'"attestation":"fresh"'),
             code="EPARSE", needle="signature")


def test_tamper_evidence_report_bytes(attested):
    raw = tee_of(attested)["evidence"]["evidence"]
    blob = bytearray(base64.b64decode(raw))
    blob[0x90] ^= 1  # MEASUREMENT, under the report's signature
    doc = replace_once(attested, raw.encode(), base64.b64encode(bytes(blob)))
    rejected(doc, code="EVERIFY")


def test_tamper_evidence_header_and_claims(attested):
    tee = tee_of(attested)
    meas = tee["evidence"]["measurement"]["digest"]
    doc = replace_once(attested, ('"digest":"%s"' % meas).encode(),
                       ('"digest":"0%s"' % meas[1:]).encode())
    rejected(doc, code="EVERIFY", needle="measurement")
    pv = tee["evidence"]["claims"]["platform_version"]
    doc = replace_once(attested, ('"platform_version":"%s"' % pv).encode(),
                       b'"platform_version":"9.9.9"')
    rejected(doc, code="EVERIFY", needle="claims")


def test_tamper_evidence_binding(attested):
    pkb = tee_of(attested)["evidence"]["public_key_binding"]["public_key"]
    other = base64.b64encode(bytes(32)).decode()
    rejected(replace_once(attested, pkb.encode(), other.encode()), code="EVERIFY")


def test_every_byte_of_result_and_metadata_is_covered(attested):
    """Flip each byte outside the evidence object: every change is rejected."""
    ev_start = attested.index(b'"evidence":{') + len(b'"evidence":')
    ev_end = attested.rindex(b"}}")  # evidence object's end, then tee's, then the document's
    positions = [i for i in range(len(attested)) if not ev_start <= i < ev_end]
    for i in positions:
        bad = bytearray(attested)
        bad[i] ^= 0x01
        with pytest.raises(BpteeError):
            verify(bytes(bad))


def test_every_signed_byte_of_the_evidence_report_is_covered(attested):
    raw = tee_of(attested)["evidence"]["evidence"]
    blob = base64.b64decode(raw)
    for i in range(0, 0x2A0, 37):  # the region the SEV-SNP signature covers, sampled
        bad = bytearray(blob)
        bad[i] ^= 0x01
        with pytest.raises(BpteeError):
            verify(replace_once(attested, raw.encode(), base64.b64encode(bytes(bad))))


def test_tee_member_misplaced_or_doubled(attested):
    tee_text = attested[attested.index(b',"tee":'):attested.rindex(b"}")]
    base = attested.replace(tee_text, b"")
    moved = b'{' + tee_text[1:] + b"," + base[1:]
    rejected(moved, code="EVERIFY", needle="laid out")
    doubled = base[:-2] + tee_text + tee_text + b"}\n"
    rejected(doubled, needle="tee")
    spaced = base[:-2] + b", " + tee_text[1:] + b"}\n"
    rejected(spaced, code="EVERIFY", needle="laid out")
    smuggled = base[:-2] + b',"extra":1' + tee_text + b"}\n"
    rejected(smuggled, code="EVERIFY", needle="not the attested ones")


# ---- the policy's "results" section


def test_policy_pins_job_ids(attested):
    assert verify(attested, results={"job_ids": ["job-1", "other"]}).job_id == b"job-1"
    rejected(attested, results={"job_ids": ["other"]}, code="EPOLICY", needle="job id 'job-1'")


def test_policy_pins_binary_measurements(attested):
    cat = tee_of(attested)["job"]["binary_sha256"]
    assert verify(attested, results={"binary_sha256": [cat]}).binary_sha256.decode() == cat
    rejected(attested, results={"binary_sha256": ["ab" * 32]}, code="EPOLICY",
             needle="job binary " + cat)


def test_policy_pins_argv_and_kind(attested):
    argv = tee_of(attested)["job"]["argv_sha256"]
    verify(attested, results={"argv_sha256": [argv], "attestation": ["signed"]})
    rejected(attested, results={"argv_sha256": ["cd" * 32]}, code="EPOLICY", needle="argv")
    rejected(attested, results={"attestation": ["fresh"]}, code="EPOLICY", needle="signed")


@pytest.mark.parametrize("results, needle", [
    ({"job_id": ["x"]}, "results.job_id"),
    ({"job_ids": "x"}, "results.job_ids"),
    ({"job_ids": ["bad id"]}, "results.job_ids[0]"),
    ({"binary_sha256": ["zz"]}, "results.binary_sha256[0]"),
    ({"attestation": []}, "results.attestation"),
    ({"attestation": ["maybe"]}, "results.attestation[0]"),
])
def test_policy_results_section_is_strict(results, needle):
    text = json.dumps({"results": results}).encode()
    ev, rp = c_void_p(), c_void_p()
    with pytest.raises(BpteeError) as e:
        check(rpolicy_split(text, len(text), byref(ev), byref(rp)))
    assert needle in e.value.reason


def test_policy_split_keeps_evidence_policy_strict():
    text = b'{"sev_snp": {"allow_debgu": true}, "results": {}}'
    ev, rp = c_void_p(), c_void_p()
    with pytest.raises(BpteeError) as e:
        check(rpolicy_split(text, len(text), byref(ev), byref(rp)))
    assert "allow_debgu" in e.value.reason


# ---- the metadata parser


@pytest.mark.parametrize("mutate, needle", [
    (lambda t: t.pop("job"), "job: missing"),
    (lambda t: t.update(extra=1), "unknown key 'extra'"),
    (lambda t: t.update(version=2), "version"),
    (lambda t: t["job"].update(id="a b"), "job.id"),
    (lambda t: t["result"].update(size=-1), "result.size"),
    (lambda t: t["result"].update(covers="all"), "result.covers"),
    (lambda t: t["signature"].update(algorithm="rsa"), "signature.algorithm"),
    (lambda t: t["signature"].update(value="ab"), "signature.value"),
    (lambda t: t.pop("signature"), "signature: missing"),
    (lambda t: t.update(evidence=[]), "evidence"),
])
def test_metadata_parser_names_the_field(attested, mutate, needle):
    tee = tee_of(attested)
    mutate(tee)
    text = json.dumps(tee).encode()
    m = c_void_p()
    with pytest.raises(BpteeError) as e:
        check(meta_from_json(text, len(text), byref(m)))
    assert needle in e.value.reason


def test_metadata_parser_reads_what_the_writer_wrote(attested):
    text = json.dumps(tee_of(attested), separators=(",", ":")).encode()
    m = c_void_p()
    check(meta_from_json(text, len(text), byref(m)))
    try:
        assert meta_kind(m) == SIGNED and meta_job_id(m) == b"job-1"
        assert meta_provider(m) == b"amd_sev_snp"
        assert meta_measurement(m).startswith(b"sha384:")
        assert len(meta_digest(m)) == 64
    finally:
        meta_free(m)


# ---- the CLI (bptee result verify / original)


def write(path, data):
    path.write_bytes(data)
    return path


def test_cli_verify_and_original(tmp_path, attested):
    pol = write(tmp_path / "policy.json", json.dumps(
        {"sev_snp": {"allow_simulation": True}, "results": {"job_ids": ["job-1"]}}).encode())
    res = write(tmp_path / "out.json", attested)
    r = bptee.cli("result", "verify", res, "--policy", pol)
    assert r.returncode == 0, r.stderr
    assert "verified result (SIMULATED evidence, not hardware): job job-1" in r.stdout
    r = bptee.cli("result", "verify", res, "--policy", pol, "--json")
    assert json.loads(r.stdout)["result_size"] == len(DOC)
    r = bptee.run([bptee.CLI, "result", "original", str(res)], text=False)
    assert r.returncode == 0 and r.stdout == DOC


def test_cli_rejects_tampered_with_reason(tmp_path, attested):
    pol = write(tmp_path / "policy.json", json.dumps(POLICY_SIM).encode())
    res = write(tmp_path / "out.json", attested.replace(b"42", b"41"))
    r = bptee.cli("result", "verify", res, "--policy", pol)
    assert r.returncode == 1
    assert r.stderr.startswith(f"bptee: {res}: result: the bytes are not the attested ones")
    pol2 = write(tmp_path / "p2.json", json.dumps(
        {"sev_snp": {"allow_simulation": True}, "results": {"job_ids": ["x"]}}).encode())
    r = bptee.cli("result", "verify", tmp_path / "out.json", "--policy", pol2)
    assert r.returncode == 1


def test_cli_sidecar_found_next_to_the_result(tmp_path, signer):
    data = b"\x00binary result\xff"
    res = write(tmp_path / "out.bin", data)
    write(tmp_path / "out.bin.tee.json", signer.attest(data, identity()).json().encode() + b"\n")
    pol = write(tmp_path / "policy.json", json.dumps(POLICY_SIM).encode())
    r = bptee.cli("result", "verify", res, "--policy", pol)
    assert r.returncode == 0, r.stderr
    assert "out.bin.tee.json" in r.stdout
    write(tmp_path / "out.bin", data + b"!")
    r = bptee.cli("result", "verify", res, "--policy", pol)
    assert r.returncode == 1 and "not the attested ones" in r.stderr


def test_cli_usage_errors():
    assert bptee.cli("result").returncode == 2
    assert bptee.cli("result", "verify").returncode == 2
    assert bptee.cli("result", "verify", "a", "b").returncode == 2
    assert bptee.cli("result", "--help").returncode == 0


def test_documented_vectors(tmp_path):
    """docs/results.md "Test vector": the argv digest, the message and the fresh REPORT_DATA."""
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    ident = identity("job-1", str(empty), ("cat", "x"))
    assert bytes(ident.argv_sha256).hex() == \
        "1bf9f430d1c9cacc228403f08950627c9753698cf27c058f5175f40912bd2de1"
    assert bytes(ident.binary_sha256).hex() == \
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    result = hashlib.sha256(b'{"answer": 42}\n').digest()
    assert result.hex() == "e400da948437d73751f5cbca5f7c98b9bc4ab709d8ba394d90326725dae59ed1"
    out = (c_char * 64)()
    check(report_data_fn(byref(ident), result, out))
    assert out.raw.hex() == (
        "486758bdbb6b697888124c91e3f0c305c8e1d3f5f6b4f96942a535397e8fa6d4"
        "58d3df66c30ef6c02928c8c4140fdf4332b495057021f12ec577fce1d0979354")


def test_fresh_signer_keeps_its_own_copy_of_the_paths(tmp_path):
    """The caller's option strings may be gone when the signer attests (here: the ctypes
    struct and its bytes are released as soon as Signer.fresh returns)."""
    import gc
    state = tmp_path / "fresh-sim"
    fresh = Signer.fresh(state)
    gc.collect()
    junk = [bytes(4096) for _ in range(64)]  # reuse the freed memory
    meta = fresh.attest(b"{}", identity())
    del junk
    assert (state / "platform.json").exists()
    assert verify(meta.inject(b"{}")).kind == FRESH
