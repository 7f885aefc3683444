# SPDX-License-Identifier: Apache-2.0
"""The provider-neutral evidence model (include/bptee/evidence.h).

The first group mirrors blueprint-tee's attestation_tests.rs, test for test (the 21 that need
no provider feature and concern the report; the 22nd, verified_attestation accessors, belongs
to the verify module, which does not exist yet). `now` is a parameter, so no test depends on
the clock except the one wall-clock convenience check, which has an hour of slack."""
import base64
import ctypes
import hashlib
import json
import time
from ctypes import POINTER, byref, c_char_p, c_int, c_size_t, c_uint, c_uint64, c_uint8, c_void_p

import pytest

import bptee
from bptee import BpteeError, buf, check, take_string

P = c_void_p
BYTES = POINTER(c_uint8)
PROVIDERS = ["aws_nitro", "azure_snp", "gcp_confidential", "intel_tdx", "amd_sev_snp"]
FORMATS = ["nitro_document", "tdx_quote", "sev_snp_report", "azure_maa_token",
           "gcp_confidential_token", "mock"]
BYTE_ARRAYS, PRETTY = 1, 2
NOW = 1_750_000_000


def fn(name, restype, *argtypes):
    """bptee.fn, but on a private function object: ctypes caches lib.NAME, so two test
    modules declaring one function with different argtypes would overwrite each other."""
    f = bptee.lib[name]
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


L = type("L", (), {})
for name, res, *args in [
    ("bptee_format_name", c_char_p, c_int),
    ("bptee_format_parse", c_int, c_char_p, POINTER(c_int)),
    ("bptee_report_new", c_int, POINTER(P)),
    ("bptee_report_free", None, P),
    ("bptee_report_dup", c_int, P, POINTER(P)),
    ("bptee_report_provider", c_int, P),
    ("bptee_report_set_provider", c_int, P, c_int),
    ("bptee_report_format", c_int, P),
    ("bptee_report_set_format", c_int, P, c_int),
    ("bptee_report_issued_at", c_uint64, P),
    ("bptee_report_set_issued_at", c_int, P, c_uint64),
    ("bptee_report_set_measurement", c_int, P, c_char_p, c_char_p),
    ("bptee_report_set_measurement_sha256", c_int, P, c_char_p),
    ("bptee_report_set_measurement_sha384", c_int, P, c_char_p),
    ("bptee_report_measurement_algorithm", c_char_p, P),
    ("bptee_report_measurement_digest", c_char_p, P),
    ("bptee_report_measurement_string", c_int, P, POINTER(c_void_p)),
    ("bptee_report_measurement_equal", c_int, P, P),
    ("bptee_report_set_binding", c_int, P, BYTES, c_size_t, c_char_p, c_char_p),
    ("bptee_report_clear_binding", c_int, P),
    ("bptee_report_binding", c_int, P, POINTER(BYTES), POINTER(c_size_t), POINTER(c_char_p),
     POINTER(c_char_p)),
    ("bptee_report_set_evidence", c_int, P, BYTES, c_size_t),
    ("bptee_report_evidence", BYTES, P, POINTER(c_size_t)),
    ("bptee_report_evidence_digest", c_int, P, c_char_p),
    ("bptee_report_is_expired", c_int, P, c_uint64, c_uint64),
    ("bptee_report_is_expired_now", c_int, P, c_uint64),
    ("bptee_report_set_platform_version", c_int, P, c_char_p),
    ("bptee_report_platform_version", c_char_p, P),
    ("bptee_report_set_signer_id", c_int, P, c_char_p),
    ("bptee_report_signer_id", c_char_p, P),
    ("bptee_report_set_product_id", c_int, P, c_char_p),
    ("bptee_report_product_id", c_char_p, P),
    ("bptee_report_set_debug_mode", c_int, P, c_int),
    ("bptee_report_debug_mode", c_int, P),
    ("bptee_report_add_boot_measurement", c_int, P, c_char_p),
    ("bptee_report_boot_measurement_count", c_size_t, P),
    ("bptee_report_boot_measurement", c_char_p, P, c_size_t),
    ("bptee_report_clear_boot_measurements", c_int, P),
    ("bptee_report_set_user_data", c_int, P, BYTES, c_size_t),
    ("bptee_report_clear_user_data", c_int, P),
    ("bptee_report_user_data", c_int, P, POINTER(BYTES), POINTER(c_size_t)),
    ("bptee_report_set_custom", c_int, P, c_char_p, c_char_p),
    ("bptee_report_custom", c_int, P, c_char_p, POINTER(c_void_p)),
    ("bptee_report_custom_count", c_size_t, P),
    ("bptee_report_custom_json", c_int, P, POINTER(c_void_p)),
    ("bptee_report_set_simulated", c_int, P, c_int),
    ("bptee_report_simulated", c_int, P),
    ("bptee_report_add_certificate", c_int, P, c_char_p, BYTES, c_size_t),
    ("bptee_report_certificate_count", c_size_t, P),
    ("bptee_report_certificate", c_int, P, c_size_t, POINTER(c_char_p), POINTER(BYTES),
     POINTER(c_size_t)),
    ("bptee_report_find_certificate", c_int, P, c_char_p, POINTER(BYTES), POINTER(c_size_t)),
    ("bptee_report_clear_certificates", c_int, P),
    ("bptee_report_load_json", c_int, c_char_p, c_size_t, POINTER(P)),
    ("bptee_report_save_json", c_int, P, c_uint, POINTER(c_void_p)),
]:
    setattr(L, name[len("bptee_"):], fn(name, res, *args))


def bytes_arg(data):
    b, n = buf(data)
    return ctypes.cast(b, BYTES), n


def s(x):
    return x.decode() if x is not None else None


class Report:
    """A report handle freed with the Python object."""

    def __init__(self, handle=None):
        if handle is None:
            handle = P()
            check(L.report_new(byref(handle)))
        self.h = handle

    def __del__(self):
        L.report_free(self.h)

    @classmethod
    def load(cls, text):
        data = text.encode() if isinstance(text, str) else text
        h = P()
        check(L.report_load_json(data, len(data), byref(h)))
        return cls(h)

    def save(self, flags=0):
        out = c_void_p()
        check(L.report_save_json(self.h, flags, byref(out)))
        return take_string(out)

    def dup(self):
        h = P()
        check(L.report_dup(self.h, byref(h)))
        return Report(h)

    def set_evidence(self, data):
        check(L.report_set_evidence(self.h, *bytes_arg(data)))

    def evidence(self):
        n = c_size_t()
        p = L.report_evidence(self.h, byref(n))
        return ctypes.string_at(p, n.value) if n.value else b""

    def digest(self):
        out = ctypes.create_string_buffer(65)
        check(L.report_evidence_digest(self.h, out))
        return out.value.decode()

    def expired(self, now, max_age):
        return check(L.report_is_expired(self.h, now, max_age)) == 1

    def measurement(self):
        return (s(L.report_measurement_algorithm(self.h)), s(L.report_measurement_digest(self.h)))

    def measurement_string(self):
        out = c_void_p()
        check(L.report_measurement_string(self.h, byref(out)))
        return take_string(out)

    def set_binding(self, pk, key_type, digest):
        check(L.report_set_binding(self.h, *bytes_arg(pk), key_type.encode(), digest.encode()))

    def binding(self):
        pk, n, kt, bd = BYTES(), c_size_t(), c_char_p(), c_char_p()
        if not L.report_binding(self.h, byref(pk), byref(n), byref(kt), byref(bd)):
            return None
        return ctypes.string_at(pk, n.value), s(kt.value), s(bd.value)

    def set_user_data(self, data):
        check(L.report_set_user_data(self.h, *bytes_arg(data)))

    def user_data(self):
        p, n = BYTES(), c_size_t()
        if not L.report_user_data(self.h, byref(p), byref(n)):
            return None
        return ctypes.string_at(p, n.value)

    def boot(self):
        return [s(L.report_boot_measurement(self.h, i))
                for i in range(L.report_boot_measurement_count(self.h))]

    def set_custom(self, key, value_json):
        check(L.report_set_custom(self.h, key.encode(),
                                  None if value_json is None else value_json.encode()))

    def custom(self, key):
        out = c_void_p()
        if not check(L.report_custom(self.h, key.encode(), byref(out))):
            return None
        return take_string(out)

    def certificates(self):
        res = []
        for i in range(L.report_certificate_count(self.h)):
            kind, der, n = c_char_p(), BYTES(), c_size_t()
            check(L.report_certificate(self.h, i, byref(kind), byref(der), byref(n)))
            res.append((s(kind.value), ctypes.string_at(der, n.value)))
        return res


def sample_report(provider="intel_tdx"):
    """attestation_tests.rs sample_report: Mock format, now, sha256("a"*64), b"test-evidence"."""
    r = Report()
    check(L.report_set_provider(r.h, PROVIDERS.index(provider)))
    check(L.report_set_format(r.h, FORMATS.index("mock")))
    check(L.report_set_issued_at(r.h, NOW))
    check(L.report_set_measurement_sha256(r.h, b"a" * 64))
    r.set_evidence(b"test-evidence")
    return r


def expect_error(code, *fragments):
    """Context: the call inside must fail with `code` and a reason naming every fragment."""
    class Ctx:
        def __enter__(self):
            return self

        def __exit__(self, typ, exc, tb):
            assert typ is BpteeError, "expected a failure"
            assert exc.name == code, exc
            for f in fragments:
                assert f in exc.reason, (f, exc.reason)
            self.reason = exc.reason
            return True
    return Ctx()


# --- attestation_tests.rs ----------------------------------------------------------------------

def test_measurement_new():
    r = Report()
    check(L.report_set_measurement(r.h, b"sha384", b"abc123"))
    assert r.measurement() == ("sha384", "abc123")


def test_measurement_sha256():
    r = Report()
    check(L.report_set_measurement_sha256(r.h, b"deadbeef"))
    assert r.measurement() == ("sha256", "deadbeef")


def test_measurement_display():
    r = Report()
    check(L.report_set_measurement_sha256(r.h, b"abcdef"))
    assert r.measurement_string() == "sha256:abcdef"


def test_measurement_display_unset_is_an_error():
    with expect_error("EINVAL", "measurement", "not set"):
        Report().measurement_string()


def test_measurement_sha384():
    r = Report()
    check(L.report_set_measurement_sha384(r.h, b"abc123"))
    assert r.measurement() == ("sha384", "abc123")
    assert r.measurement_string() == "sha384:abc123"


def test_measurement_equality():
    m1, m2, m3, m4 = Report(), Report(), Report(), Report()
    check(L.report_set_measurement_sha256(m1.h, b"abc"))
    check(L.report_set_measurement_sha256(m2.h, b"abc"))
    check(L.report_set_measurement_sha256(m3.h, b"def"))
    check(L.report_set_measurement_sha384(m4.h, b"abc"))
    assert L.report_measurement_equal(m1.h, m2.h) == 1
    assert L.report_measurement_equal(m1.h, m3.h) == 0
    assert L.report_measurement_equal(m1.h, m4.h) == 0
    assert L.report_measurement_equal(m1.h, Report().h) == 0  # unset equals nothing


def test_measurement_digest_normalized_to_lowercase():
    r = Report()
    check(L.report_set_measurement_sha256(r.h, b"AABBCC"))
    assert r.measurement()[1] == "aabbcc"
    check(L.report_set_measurement(r.h, b"sha384", b"AaBbCc"))
    assert r.measurement() == ("sha384", "aabbcc")
    check(L.report_set_measurement_sha256(r.h, b"aabbcc"))
    assert r.measurement()[1] == "aabbcc"
    # The algorithm is kept as given, and multi-byte UTF-8 is left alone (ASCII only).
    check(L.report_set_measurement(r.h, b"SHA256", "ÄB".encode()))
    assert r.measurement() == ("SHA256", "Äb")


def test_attestation_report_evidence_digest():
    r = sample_report()
    d = r.digest()
    assert len(d) == 64
    assert d == hashlib.sha256(b"test-evidence").hexdigest()
    r.set_evidence(b"test-evidencf")
    assert r.digest() != d


def test_attestation_report_evidence_digest_deterministic():
    r1 = sample_report()
    r2 = r1.dup()
    assert r1.digest() == r2.digest()


def test_attestation_report_empty_evidence_digest():
    r = sample_report()
    r.set_evidence(b"")
    assert r.digest() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_attestation_report_not_expired():
    assert not sample_report().expired(NOW, 3600)


def test_attestation_report_expired():
    r = sample_report()
    check(L.report_set_issued_at(r.h, NOW - 7200))
    assert r.expired(NOW, 3600)
    assert not r.expired(NOW, 86400)


def test_attestation_report_expired_at_boundary():
    r = sample_report()
    check(L.report_set_issued_at(r.h, NOW - 3600))
    assert not r.expired(NOW, 3600)
    check(L.report_set_issued_at(r.h, NOW - 3601))
    assert r.expired(NOW, 3600)


def test_attestation_report_zero_max_age():
    r = sample_report()
    assert not r.expired(NOW, 0)
    assert r.expired(NOW + 1, 0)


def test_attestation_report_future_issued_at():
    r = sample_report()
    check(L.report_set_issued_at(r.h, NOW + 3600))
    assert not r.expired(NOW, 0)
    check(L.report_set_issued_at(r.h, 2**63 - 1))
    assert not r.expired(0, 0)
    assert r.expired(2**64 - 1, 2**63 - 1)


def test_attestation_claims_default():
    r = Report()
    assert L.report_debug_mode(r.h) == 0
    assert L.report_platform_version(r.h) is None
    assert r.boot() == []
    assert L.report_custom_count(r.h) == 0
    assert r.user_data() is None and r.binding() is None


def test_attestation_claims_custom():
    r = Report()
    r.set_custom("pcr0", '"abc123"')
    r.set_custom("version", "42")
    assert r.custom("pcr0") == '"abc123"'
    assert json.loads(r.custom("version")) == 42
    assert r.custom("missing") is None
    r.set_custom("pcr0", None)
    assert r.custom("pcr0") is None and L.report_custom_count(r.h) == 1


def test_attestation_claims_serde():
    r = sample_report()
    check(L.report_set_platform_version(r.h, b"2.0"))
    check(L.report_set_debug_mode(r.h, 1))
    for m in (b"m1", b"m2"):
        check(L.report_add_boot_measurement(r.h, m))
    text = r.save()
    assert json.loads(text)["claims"] == {
        "platform_version": "2.0", "debug_mode": True, "boot_measurements": ["m1", "m2"]}
    p = Report.load(text)
    assert s(L.report_platform_version(p.h)) == "2.0"
    assert L.report_debug_mode(p.h) == 1
    assert p.boot() == ["m1", "m2"]


def test_attestation_claims_all_fields():
    r = sample_report()
    check(L.report_set_platform_version(r.h, b"3.0"))
    check(L.report_add_boot_measurement(r.h, b"pcr0"))
    check(L.report_set_signer_id(r.h, b"signer-abc"))
    check(L.report_set_product_id(r.h, b"product-xyz"))
    r.set_user_data(bytes([1, 2, 3]))
    text = r.save(BYTE_ARRAYS)
    assert '"claims":{"platform_version":"3.0","debug_mode":false,"boot_measurements":["pcr0"],' \
        '"signer_id":"signer-abc","product_id":"product-xyz","user_data":[1,2,3]}' in text
    p = Report.load(text)
    assert s(L.report_signer_id(p.h)) == "signer-abc"
    assert s(L.report_product_id(p.h)) == "product-xyz"
    assert p.user_data() == bytes([1, 2, 3])


def roundtrip_report():
    """The report of attestation_tests.rs test_attestation_report_serde_roundtrip."""
    r = Report()
    check(L.report_set_provider(r.h, PROVIDERS.index("aws_nitro")))
    check(L.report_set_format(r.h, FORMATS.index("nitro_document")))
    check(L.report_set_issued_at(r.h, 1700000000))
    check(L.report_set_measurement_sha256(r.h, b"a" * 64))
    r.set_binding(bytes([1, 2, 3, 4]), "x25519", "digest123")
    r.set_custom("test", "true")
    r.set_evidence(bytes([0xDE, 0xAD]))
    return r


# What serde_json::to_string writes for that report: the test vector of docs/evidence.md.
SERDE_VECTOR = (
    '{"provider":"aws_nitro","format":"nitro_document","issued_at_unix":1700000000,'
    '"measurement":{"algorithm":"sha256","digest":"' + "a" * 64 + '"},'
    '"public_key_binding":{"public_key":[1,2,3,4],"key_type":"x25519","binding_digest":"digest123"},'
    '"claims":{"debug_mode":false,"custom":{"test":true}},"evidence":[222,173]}')
BASE64_VECTOR = (SERDE_VECTOR.replace("[1,2,3,4]", '"AQIDBA=="')
                 .replace("[222,173]", '"3q0="'))


def test_attestation_report_serde_roundtrip():
    r = roundtrip_report()
    assert r.save(BYTE_ARRAYS) == SERDE_VECTOR
    p = Report.load(r.save())
    assert L.report_provider(p.h) == PROVIDERS.index("aws_nitro")
    assert L.report_format(p.h) == FORMATS.index("nitro_document")
    assert p.binding() == (bytes([1, 2, 3, 4]), "x25519", "digest123")
    assert L.report_issued_at(p.h) == 1700000000
    assert p.custom("test") == "true"
    assert p.evidence() == b"\xde\xad"


def test_public_key_binding_serde():
    r = sample_report()
    r.set_binding(bytes([10, 20, 30]), "ed25519", "deadbeef")
    text = r.save(BYTE_ARRAYS)
    assert json.loads(text)["public_key_binding"] == {
        "public_key": [10, 20, 30], "key_type": "ed25519", "binding_digest": "deadbeef"}
    assert Report.load(text).binding() == (bytes([10, 20, 30]), "ed25519", "deadbeef")
    check(L.report_clear_binding(r.h))
    assert json.loads(r.save())["public_key_binding"] is None
    assert Report.load(r.save()).binding() is None


def test_attestation_format_serde_all_variants():
    for i, name in enumerate(FORMATS):
        assert s(L.format_name(i)) == name
        v = c_int(-1)
        check(L.format_parse(name.encode(), byref(v)))
        assert v.value == i
        r = sample_report()
        check(L.report_set_format(r.h, i))
        text = r.save()
        assert f'"format":"{name}"' in text
        assert L.report_format(Report.load(text).h) == i
    assert L.format_name(len(FORMATS)) is None and L.format_name(-1) is None
    for bad in (b"Mock", b"mock ", b"nitro-document", b""):
        with expect_error("EPARSE", "unknown format"):
            check(L.format_parse(bad, byref(c_int())))


# --- JSON compatibility and round trips ---------------------------------------------------------

def test_blueprint_and_base64_json_read_the_same():
    a, b = Report.load(SERDE_VECTOR), Report.load(BASE64_VECTOR)
    assert a.save() == b.save() == BASE64_VECTOR
    assert a.save(BYTE_ARRAYS) == b.save(BYTE_ARRAYS) == SERDE_VECTOR
    assert a.digest() == "59ca84fb79f2a7447b9e82c7412df58c688910cba202b7d4e9bf329ce07f931c"


def test_round_trips_are_byte_identical():
    r = roundtrip_report()
    check(L.report_set_platform_version(r.h, "v\x01\x1f\u00e9\u2028/\"\\".encode()))
    check(L.report_add_boot_measurement(r.h, b"rtmr0"))
    r.set_user_data(b"")
    r.set_custom("z", '{"b":[1,{"y":null,"x":1.5}],"a":"\\u0001"}')
    r.set_custom("a", "-7")
    check(L.report_set_simulated(r.h, 1))
    check(L.report_add_certificate(r.h, b"vcek", *bytes_arg(b"\x30\x82\x01")))
    for flags in (0, BYTE_ARRAYS, PRETTY, BYTE_ARRAYS | PRETTY):
        text = r.save(flags)
        assert Report.load(text).save(flags) == text
        # Python's json writes what serde_json writes for these values.
        obj = json.loads(text)
        indent = 2 if flags & PRETTY else None
        seps = None if indent else (",", ":")
        assert json.dumps(obj, ensure_ascii=False, indent=indent, separators=seps) == text


def test_serde_spellings_of_strings_and_custom_order():
    r = sample_report()
    check(L.report_set_platform_version(r.h, b"a\x01\x1f\x7f\b\f\n\r\t"))
    r.set_custom("b", '{"d":1,"c":2}')
    r.set_custom("a", "[]")
    text = r.save()
    # serde_json: lowercase \u escapes, short escapes for \b \f \n, DEL unescaped.
    assert '"platform_version":"a\\u0001\\u001f\x7f\\b\\f\\n\\r\\t"' in text
    assert '"custom":{"a":[],"b":{"c":2,"d":1}}' in text
    out = c_void_p()
    check(L.report_custom_json(r.h, byref(out)))
    assert take_string(out) == '{"a":[],"b":{"c":2,"d":1}}'


def test_omissions_follow_serde():
    r = sample_report()
    text = r.save(BYTE_ARRAYS)
    assert text == ('{"provider":"intel_tdx","format":"mock","issued_at_unix":%d,'
                    '"measurement":{"algorithm":"sha256","digest":"%s"},"public_key_binding":null,'
                    '"claims":{"debug_mode":false},"evidence":%s}'
                    % (NOW, "a" * 64, json.dumps(list(b"test-evidence"), separators=(",", ":"))))
    r.set_user_data(b"")
    assert '"claims":{"debug_mode":false,"user_data":[]}' in r.save(BYTE_ARRAYS)
    assert Report.load(r.save()).user_data() == b""
    check(L.report_clear_user_data(r.h))
    assert "user_data" not in r.save()


def test_optional_fields_accept_null_and_absence():
    doc = json.loads(SERDE_VECTOR)
    doc["public_key_binding"] = None
    doc["claims"] = {"platform_version": None, "signer_id": None, "user_data": None}
    r = Report.load(json.dumps(doc))
    assert r.binding() is None and r.user_data() is None
    assert L.report_platform_version(r.h) is None and L.report_debug_mode(r.h) == 0
    del doc["public_key_binding"]
    assert Report.load(json.dumps(doc)).binding() is None


def test_unknown_keys_are_ignored():
    doc = json.loads(SERDE_VECTOR)
    doc["future"] = {"x": 1}
    doc["claims"]["extra"] = [1]
    doc["measurement"]["note"] = "n"
    assert Report.load(json.dumps(doc)).save(BYTE_ARRAYS) == SERDE_VECTOR


def test_loaded_digest_is_kept_as_written():
    # serde's reader does not normalise (only Measurement::new does); a verifier comparing
    # against it sees exactly what the producer wrote.
    doc = json.loads(SERDE_VECTOR)
    doc["measurement"]["digest"] = "AB"
    assert Report.load(json.dumps(doc)).measurement() == ("sha256", "AB")


def test_extensions_are_written_only_when_set():
    r = sample_report()
    assert "simulated" not in r.save() and "certificates" not in r.save()
    check(L.report_set_simulated(r.h, 1))
    check(L.report_add_certificate(r.h, b"vcek", *bytes_arg(b"\x30\x01\x02")))
    check(L.report_add_certificate(r.h, b"ask", *bytes_arg(b"\x30\x03")))
    doc = json.loads(r.save())
    assert doc["simulated"] is True
    assert doc["certificates"] == [{"kind": "vcek", "der": base64.b64encode(b"\x30\x01\x02").decode()},
                                   {"kind": "ask", "der": "MAM="}]
    assert json.loads(r.save(BYTE_ARRAYS))["certificates"][1] == {"kind": "ask", "der": [48, 3]}
    p = Report.load(r.save())
    assert L.report_simulated(p.h) == 1
    assert p.certificates() == [("vcek", b"\x30\x01\x02"), ("ask", b"\x30\x03")]
    der, n = BYTES(), c_size_t()
    assert L.report_find_certificate(p.h, b"ask", byref(der), byref(n)) == 1
    assert ctypes.string_at(der, n.value) == b"\x30\x03"
    assert L.report_find_certificate(p.h, b"ark", byref(der), byref(n)) == 0
    with expect_error("ENOTFOUND", "certificates[2]"):
        check(L.report_certificate(p.h, 2, None, None, None))
    check(L.report_clear_certificates(p.h))
    check(L.report_set_simulated(p.h, 0))
    assert "certificates" not in p.save() and "simulated" not in p.save()


def test_dup_is_deep():
    r = roundtrip_report()
    check(L.report_add_certificate(r.h, b"vcek", *bytes_arg(b"\x30")))
    check(L.report_add_boot_measurement(r.h, b"m"))
    r.set_user_data(b"ud")
    d = r.dup()
    assert d.save() == r.save()
    d.set_custom("test", "false")
    d.set_evidence(b"other")
    check(L.report_clear_boot_measurements(d.h))
    assert d.save() != r.save()
    assert r.custom("test") == "true" and r.evidence() == b"\xde\xad" and r.boot() == ["m"]


def test_wall_clock_expiry():
    r = sample_report()
    now = int(time.time())
    check(L.report_set_issued_at(r.h, now))
    assert check(L.report_is_expired_now(r.h, 3600)) == 0
    check(L.report_set_issued_at(r.h, now - 7200))
    assert check(L.report_is_expired_now(r.h, 3600)) == 1


# --- setters refuse what JSON cannot carry --------------------------------------------------------

def test_setters_reject_bad_values():
    r = Report()
    with expect_error("EINVAL", "provider"):
        check(L.report_set_provider(r.h, 5))
    with expect_error("EINVAL", "format"):
        check(L.report_set_format(r.h, -1))
    with expect_error("EINVAL", "issued_at"):
        check(L.report_set_issued_at(r.h, 2**63))
    check(L.report_set_issued_at(r.h, 2**63 - 1))
    with expect_error("EINVAL", "measurement.digest", "UTF-8"):
        check(L.report_set_measurement_sha256(r.h, b"\xff"))
    with expect_error("EINVAL", "claims.signer_id", "UTF-8"):
        check(L.report_set_signer_id(r.h, b"\xc3"))
    with expect_error("EPARSE", "claims.custom.k"):
        r.set_custom("k", "{nope")
    with expect_error("EINVAL", "claims.custom key", "UTF-8"):
        check(L.report_set_custom(r.h, b"\xff", b"1"))
    with expect_error("EINVAL", "empty kind"):
        check(L.report_add_certificate(r.h, b"", *bytes_arg(b"x")))
    assert L.report_custom_count(r.h) == 0 and L.report_certificate_count(r.h) == 0


def test_save_requires_provider_format_and_measurement():
    r = Report()
    with expect_error("EINVAL", "provider", "not set"):
        r.save()
    check(L.report_set_provider(r.h, 0))
    with expect_error("EINVAL", "format", "not set"):
        r.save()
    check(L.report_set_format(r.h, 0))
    with expect_error("EINVAL", "measurement", "not set"):
        r.save()
    check(L.report_set_measurement(r.h, b"", b""))
    assert '"measurement":{"algorithm":"","digest":""}' in r.save()
    with expect_error("EINVAL", "flags"):
        r.save(4)


# --- bad input names the field ----------------------------------------------------------------------

def mutate(path, value):
    doc = json.loads(SERDE_VECTOR)
    *parents, last = path
    node = doc
    for k in parents:
        node = node[k]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return json.dumps(doc)


BAD = [
    (("provider",), 5, "provider: expected a string, got an integer"),
    (("provider",), "aws-nitro", "provider: unknown provider 'aws-nitro'"),
    (("provider",), "x\ny", "provider: unknown value"),
    (("format",), None, "format: expected a string, got null"),
    (("format",), "Mock", "format: unknown format 'Mock'"),
    (("issued_at_unix",), "1700000000", "issued_at_unix: expected a non-negative integer"),
    (("issued_at_unix",), -1, "issued_at_unix: expected a non-negative integer, got a negative"),
    (("issued_at_unix",), 1.5, "issued_at_unix: expected a non-negative integer, got a real"),
    (("measurement",), "sha256:aa", "measurement: expected an object, got a string"),
    (("measurement", "digest"), 1, "measurement.digest: expected a string, got an integer"),
    (("measurement", "algorithm"), KeyError, "measurement.algorithm: missing"),
    (("public_key_binding",), [], "public_key_binding: expected an object or null"),
    (("public_key_binding", "public_key"), {}, "public_key_binding.public_key: expected a byte"),
    (("public_key_binding", "public_key"), [1, 256], "public_key_binding.public_key[1]: 256 is not a byte"),
    (("public_key_binding", "key_type"), KeyError, "public_key_binding.key_type: missing"),
    (("public_key_binding", "binding_digest"), None, "public_key_binding.binding_digest: expected a string"),
    (("claims",), [], "claims: expected an object, got an array"),
    (("claims", "debug_mode"), "true", "claims.debug_mode: expected a boolean, got a string"),
    (("claims", "debug_mode"), None, "claims.debug_mode: expected a boolean, got null"),
    (("claims", "platform_version"), 2, "claims.platform_version: expected a string"),
    (("claims", "boot_measurements"), ["a", 2], "claims.boot_measurements[1]: expected a string"),
    (("claims", "boot_measurements"), "a", "claims.boot_measurements: expected an array"),
    (("claims", "user_data"), ["a"], "claims.user_data[0]: expected a byte (0..255), got a string"),
    (("claims", "user_data"), [0, -1], "claims.user_data[1]: -1 is not a byte"),
    (("claims", "custom"), [], "claims.custom: expected an object, got an array"),
    (("evidence",), [222, 256], "evidence[1]: 256 is not a byte (0..255)"),
    (("evidence",), [222, 1.0], "evidence[1]: expected a byte (0..255), got a real"),
    (("evidence",), "3q0*", "evidence: not valid base64"),
    (("evidence",), None, "evidence: expected a byte array or a base64 string, got null"),
    (("simulated",), "yes", "simulated: expected a boolean, got a string"),
    (("certificates",), {}, "certificates: expected an array, got an object"),
    (("certificates",), [{"der": "MAM="}], "certificates[0].kind: missing"),
    (("certificates",), [{"kind": "", "der": "MAM="}], "certificates[0].kind: empty"),
    (("certificates",), [{"kind": "vcek", "der": "@@"}], "certificates[0].der: not valid base64"),
    (("certificates",), [{"kind": "vcek", "der": [300]}], "certificates[0].der[0]: 300 is not a byte"),
    (("certificates",), ["MAM="], "certificates[0]: expected an object, got a string"),
]


@pytest.mark.parametrize("path,value,reason", BAD, ids=[".".join(b[0]) + ":" + b[2] for b in BAD])
def test_bad_field_is_named(path, value, reason):
    with expect_error("EPARSE", "report: " + reason):
        Report.load(mutate(path, value))


@pytest.mark.parametrize("key", ["provider", "format", "issued_at_unix", "measurement", "claims",
                                 "evidence"])
def test_missing_required_key_is_named(key):
    with expect_error("EPARSE", f"report: {key}: missing"):
        Report.load(mutate((key,), KeyError))


def test_accept_twins_of_the_bad_values():
    # The same fields with values serde (or bptee's base64) accepts.
    r = Report.load(mutate(("evidence",), [0, 255]))
    assert r.evidence() == b"\x00\xff"
    assert Report.load(mutate(("evidence",), "3q0")).evidence() == b"\xde\xad"  # unpadded
    assert Report.load(mutate(("evidence",), "_-8=")).evidence() == b"\xff\xef"  # URL-safe
    assert L.report_issued_at(Report.load(mutate(("issued_at_unix",), 2**63 - 1)).h) == 2**63 - 1
    assert L.report_debug_mode(Report.load(mutate(("claims", "debug_mode"), True)).h) == 1
    assert L.report_simulated(Report.load(mutate(("simulated",), False)).h) == 0


def test_malformed_documents():
    with expect_error("EPARSE", "report: line 1"):
        Report.load('{"provider":')
    with expect_error("EPARSE", "report: expected a JSON object, got an array"):
        Report.load("[]")
    with expect_error("EPARSE", "duplicate"):
        Report.load(SERDE_VECTOR[:-1] + ',"evidence":[1]}')
    with expect_error("EPARSE", "report: line 1"):  # C strings cannot carry NUL
        Report.load(mutate(("claims", "signer_id"), "a\u0000b"))
    with expect_error("EPARSE", "report: line 1"):  # u64 beyond i64: refused, never wrapped
        Report.load(SERDE_VECTOR.replace("1700000000", str(2**63)))
    with expect_error("ELIMIT", "report"):
        Report.load(b" " * (4 << 20) + SERDE_VECTOR.encode())
    Report.load(b" " * 1000 + SERDE_VECTOR.encode())
