# SPDX-License-Identifier: Apache-2.0
"""SEV-SNP formats (include/bptee/snp.h): the 1184-byte ATTESTATION_REPORT with the firmware
ABI's checks, TCB_VERSION layouts per product, and the GHCB certificate table.

Values come from the real reports in ../shared/vectors/sev-snp and the reference notes
(attestation-formats.md §1)."""
import ctypes
import os
import struct
import uuid
from ctypes import (POINTER, Structure, byref, c_char_p, c_int, c_size_t, c_uint8, c_uint32,
                    c_uint64, c_void_p)

import pytest

import bptee
from bptee import BpteeError, VECTORS, check

SNP = os.path.join(VECTORS, "sev-snp")
ROOTS = os.path.join(VECTORS, "amd-roots")
MILAN, GENOA, TURIN = 1, 2, 3
VCEK, VLEK, ASK, ARK = 1, 2, 3, 4


def fn(name, restype, *argtypes):
    """A private function object per module (ctypes caches lib.NAME across modules)."""
    f = bptee.lib[name]
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


def arr(n):
    return c_uint8 * n


class Report(Structure):
    _fields_ = [
        ("version", c_uint32), ("guest_svn", c_uint32), ("policy", c_uint64),
        ("family_id", arr(16)), ("image_id", arr(16)), ("vmpl", c_uint32),
        ("signature_algo", c_uint32), ("current_tcb", c_uint64), ("platform_info", c_uint64),
        ("signer_info", c_uint32), ("report_data", arr(64)), ("measurement", arr(48)),
        ("host_data", arr(32)), ("id_key_digest", arr(48)), ("author_key_digest", arr(48)),
        ("report_id", arr(32)), ("report_id_ma", arr(32)), ("reported_tcb", c_uint64),
        ("cpuid_fam_id", c_uint8), ("cpuid_mod_id", c_uint8), ("cpuid_step", c_uint8),
        ("chip_id", arr(64)), ("committed_tcb", c_uint64),
        ("current_build", c_uint8), ("current_minor", c_uint8), ("current_major", c_uint8),
        ("committed_build", c_uint8), ("committed_minor", c_uint8), ("committed_major", c_uint8),
        ("launch_tcb", c_uint64), ("launch_mit_vector", c_uint64),
        ("current_mit_vector", c_uint64), ("signature_r", arr(72)), ("signature_s", arr(72)),
    ]


class Tcb(Structure):
    _fields_ = [("bootloader", c_uint8), ("tee", c_uint8), ("snp", c_uint8),
                ("microcode", c_uint8), ("fmc", c_uint8)]


class Cert(Structure):
    _fields_ = [("guid", arr(16)), ("kind", c_int), ("der", c_void_p), ("der_len", c_size_t)]


parse = fn("bptee_snp_report_parse", c_int, c_void_p, c_size_t, POINTER(Report))
serialize = fn("bptee_snp_report_serialize", c_int, POINTER(Report), c_void_p, c_size_t)
report_product = fn("bptee_snp_report_product", c_int, POINTER(Report))
product_name = fn("bptee_snp_product_name", c_char_p, c_int)
product_parse = fn("bptee_snp_product_parse", c_int, c_char_p, POINTER(c_int))
tcb_decode = fn("bptee_snp_tcb_decode", c_int, c_uint64, c_int, POINTER(Tcb))
tcb_encode = fn("bptee_snp_tcb_encode", c_int, POINTER(Tcb), c_int, POINTER(c_uint64))
table_parse = fn("bptee_snp_certtable_parse", c_int, c_void_p, c_size_t, POINTER(Cert), c_size_t,
                 POINTER(c_size_t))
table_serialize = fn("bptee_snp_certtable_serialize", c_int, POINTER(Cert), c_size_t,
                     POINTER(c_void_p), POINTER(c_size_t))
cert_guid = fn("bptee_snp_cert_guid", c_int, c_int, arr(16))


def vector(rel):
    with open(os.path.join(SNP, rel), "rb") as f:
        data = f.read()
    return bytes.fromhex(data.decode()) if rel.endswith(".hex") else data


REPORTS = ["trustee-milan-v2/report.bin", "virtee-milan-v2/report.hex",
           "gosev-milan-v2/report.bin", "teekit-gcp-milan-v5/sev-gcp.bin",
           "teekit-gcp-milan-v5/sev-gcp-reportdata.bin",
           "teekit-gcp-milan-v5/sev-gcp-x25519-bound.bin"]
V2 = vector("trustee-milan-v2/report.bin")
V5 = vector("teekit-gcp-milan-v5/sev-gcp.bin")


def do_parse(data):
    r = Report()
    b = ctypes.create_string_buffer(bytes(data), len(data))
    check(parse(b, len(data), byref(r)))
    return r


def parse_error(data):
    with pytest.raises(BpteeError) as e:
        do_parse(data)
    return e.value


def patched(data, off, new):
    d = bytearray(data)
    d[off:off + len(new)] = new
    return bytes(d)


def le32(v):
    return struct.pack("<I", v)


def le64(v):
    return struct.pack("<Q", v)


# --- the report ------------------------------------------------------------------------------

@pytest.mark.parametrize("rel", REPORTS)
def test_vectors_parse_and_serialize_byte_exact(rel):
    data = vector(rel)
    r = do_parse(data)
    out = ctypes.create_string_buffer(1184)
    check(serialize(byref(r), out, 1184))
    assert out.raw == data
    assert bytes(r.measurement) == data[0x90:0xC0]
    assert bytes(r.report_data) == data[0x50:0x90]
    assert bytes(r.chip_id) == data[0x1A0:0x1E0]
    assert bytes(r.signature_r) == data[0x2A0:0x2E8]
    assert bytes(r.signature_s) == data[0x2E8:0x330]


def test_fields_of_the_trustee_v2_report():
    r = do_parse(V2)
    assert (r.version, r.guest_svn, r.policy, r.vmpl, r.signature_algo) == (2, 4, 0x3001F, 0, 1)
    assert r.reported_tcb == 0x7308000000000003
    assert (r.current_major, r.current_minor, r.current_build) == (1, 52, 4)
    assert (r.committed_major, r.committed_minor, r.committed_build) == (1, 52, 4)
    assert (r.cpuid_fam_id, r.cpuid_mod_id, r.cpuid_step) == (0, 0, 0)
    assert r.signer_info == 0
    assert report_product(byref(r)) == 0  # v2: no CPUID, product unknown from the report alone


def test_fields_of_the_gcp_v5_report():
    r = do_parse(V5)
    assert (r.version, r.policy, r.vmpl) == (5, 0x30000, 0)
    assert (r.cpuid_fam_id, r.cpuid_mod_id, r.cpuid_step) == (0x19, 0x01, 0x01)
    assert report_product(byref(r)) == MILAN
    assert r.launch_mit_vector == struct.unpack_from("<Q", V5, 0x1F8)[0]
    vmpl1 = do_parse(vector("teekit-gcp-milan-v5/sev-gcp-reportdata.bin"))
    assert vmpl1.vmpl == 1


def test_debug_bit_decoded_from_the_gosev_vector():
    r = do_parse(vector("gosev-milan-v2/report.bin"))
    assert r.policy == 0xB0000 and r.policy & (1 << 19)
    assert bytes(r.report_data[:5]) == bytes([1, 2, 3, 4, 5])


@pytest.mark.parametrize("length", [0, 1183, 1185, 2048])
def test_wrong_length_is_rejected(length):
    e = parse_error((V2 * 2)[:length])
    assert e.name == "EPARSE" and "expected 1184" in e.reason


@pytest.mark.parametrize("version", [0, 1, 6, 0xFFFFFFFF])
def test_unknown_versions_are_rejected(version):
    e = parse_error(patched(V2, 0, le32(version)))
    assert e.name == "EUNSUPPORTED" and f"VERSION {version}" in e.reason


@pytest.mark.parametrize("version", [2, 3, 4])
def test_versions_2_to_4_accepted(version):
    assert do_parse(patched(V2, 0, le32(version))).version == version


def test_version_5_without_mit_vectors_bytes_rules():
    # v5 may carry mitigation vectors; the same bytes in a v2..v4 report are MBZ.
    assert do_parse(V5).launch_mit_vector != 0
    e = parse_error(patched(V2, 0x1F8, le64(11)))
    assert e.name == "EPARSE" and "0x1f8" in e.reason
    e = parse_error(patched(V5, 0, le32(4)))
    assert e.name == "EPARSE" and "0x1f8" in e.reason


def test_signature_algorithm_2_is_rejected():
    e = parse_error(patched(V2, 0x34, le32(2)))
    assert e.name == "EUNSUPPORTED" and "SIGNATURE_ALGO 2" in e.reason


@pytest.mark.parametrize("off", [0x04C, 0x04F, 0x18B, 0x19F, 0x1EB, 0x1EF, 0x208, 0x29F, 0x330,
                                 0x49F])
def test_non_zero_reserved_bytes_are_rejected(off):
    for base in (V2, V5):
        e = parse_error(patched(base, off, b"\x01"))
        assert e.name == "EPARSE" and "MBZ" in e.reason, (hex(off), e.reason)


def test_cpuid_bytes_are_mbz_in_v2_only():
    e = parse_error(patched(V2, 0x188, b"\x19"))
    assert e.name == "EPARSE" and "0x188" in e.reason
    assert do_parse(patched(patched(V2, 0, le32(3)), 0x188, b"\x19\x11\x01")).cpuid_mod_id == 0x11


def test_signer_info_mbz_and_reserved_signing_keys():
    e = parse_error(patched(V2, 0x48, le32(1 << 5)))
    assert e.name == "EPARSE" and "signer info" in e.reason
    for key in range(2, 7):
        e = parse_error(patched(V2, 0x48, le32(key << 2)))
        assert e.name == "EPARSE" and f"SIGNING_KEY {key} is reserved" in e.reason
    # 1 (VLEK) and 7 (none) are defined values; verification rejects 7 (test_snp_verify.py).
    assert do_parse(patched(V2, 0x48, le32(1 << 2))).signer_info == 4
    assert do_parse(patched(V2, 0x48, le32(7 << 2))).signer_info == 28


def test_policy_reserved_bits():
    e = parse_error(patched(V2, 0x08, le64(0x1001F)))  # bit 17 must be 1
    assert e.name == "EPARSE" and "bit 17" in e.reason
    e = parse_error(patched(V2, 0x08, le64(0x3001F | 1 << 40)))
    assert e.name == "EPARSE" and "63:26" in e.reason


def test_serialize_writes_the_abi_offsets():
    r = Report(version=5, guest_svn=7, policy=0x30000, vmpl=2, signature_algo=1,
               reported_tcb=0x1122334455667788, cpuid_fam_id=0x19, cpuid_mod_id=0x11,
               current_major=1, current_minor=55, current_build=29, launch_mit_vector=11)
    r.measurement[:] = list(range(48))
    r.chip_id[:] = [0xAB] * 64
    r.signature_r[0] = 0x5A
    r.signature_s[71] = 0xA5
    out = ctypes.create_string_buffer(1184)
    check(serialize(byref(r), out, 1184))
    b = out.raw
    assert struct.unpack_from("<IIQ", b, 0) == (5, 7, 0x30000)
    assert struct.unpack_from("<I", b, 0x30)[0] == 2
    assert b[0x90:0xC0] == bytes(range(48))
    assert struct.unpack_from("<Q", b, 0x180)[0] == 0x1122334455667788
    assert b[0x188:0x18A] == b"\x19\x11"
    assert b[0x1A0:0x1E0] == b"\xab" * 64
    assert b[0x1E8:0x1EB] == bytes([29, 55, 1])
    assert struct.unpack_from("<Q", b, 0x1F8)[0] == 11
    assert b[0x2A0] == 0x5A and b[0x2E8 + 71] == 0xA5
    assert b[0x330:] == bytes(1184 - 0x330)
    assert do_parse(b).launch_mit_vector == 11
    with pytest.raises(BpteeError) as e:
        check(serialize(byref(r), out, 1183))
    assert e.value.name == "ELIMIT"


# --- products and TCB layouts ------------------------------------------------------------------

def decode(raw, product):
    t = Tcb()
    check(tcb_decode(raw, product, byref(t)))
    return (t.bootloader, t.tee, t.snp, t.microcode, t.fmc)


def test_tcb_milan_and_genoa_layout():
    assert decode(0x7308000000000003, MILAN) == (3, 0, 8, 115, 0)
    assert decode(0x541700000000000A, GENOA) == (10, 0, 23, 84, 0)


def test_tcb_turin_layout_differs():
    raw = int.from_bytes(bytes([1, 2, 3, 4, 0, 0, 0, 0x48]), "little")
    assert decode(raw, TURIN) == (2, 3, 4, 0x48, 1)
    assert decode(raw, MILAN) == (1, 2, 0, 0x48, 0)  # the same bytes read as Milan


@pytest.mark.parametrize("product", [MILAN, GENOA, TURIN])
def test_tcb_encode_round_trip(product):
    t = Tcb(bootloader=9, tee=1, snp=22, microcode=0xD5, fmc=3 if product == TURIN else 0)
    raw = c_uint64()
    check(tcb_encode(byref(t), product, byref(raw)))
    assert decode(raw.value, product) == (9, 1, 22, 0xD5, t.fmc)


def test_tcb_errors():
    t = Tcb()
    with pytest.raises(BpteeError) as e:
        check(tcb_decode(0, 0, byref(t)))
    assert e.value.name == "EUNSUPPORTED"
    raw = c_uint64()
    with pytest.raises(BpteeError) as e:
        check(tcb_encode(byref(Tcb(fmc=1)), MILAN, byref(raw)))
    assert e.value.name == "EINVAL" and "FMC" in e.value.reason


def test_product_names():
    out = c_int()
    for name, want in [("Milan", MILAN), ("Milan-B0", MILAN), ("genoa", GENOA), ("Turin", TURIN)]:
        check(product_parse(name.encode(), byref(out)))
        assert out.value == want
    assert product_name(GENOA) == b"Genoa" and product_name(0) is None
    for bad in ["Bergamo", "Milano", ""]:
        with pytest.raises(BpteeError) as e:
            check(product_parse(bad.encode(), byref(out)))
        assert e.value.name == "EPARSE"


@pytest.mark.parametrize("fam,model,want", [(0x19, 0x01, MILAN), (0x19, 0x11, GENOA),
                                            (0x19, 0xA0, GENOA), (0x1A, 0x02, TURIN),
                                            (0x17, 0x31, 0)])
def test_product_from_cpuid(fam, model, want):
    r = do_parse(patched(patched(V2, 0, le32(3)), 0x188, bytes([fam, model, 0])))
    assert report_product(byref(r)) == want


# --- the certificate table ---------------------------------------------------------------------

def der_certs():
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    with open(os.path.join(ROOTS, "ask_ark_milan.pem"), "rb") as f:
        pems = f.read().split(b"-----END CERTIFICATE-----")[:2]
    ask, ark = (x509.load_pem_x509_certificate(p + b"-----END CERTIFICATE-----\n")
                .public_bytes(Encoding.DER) for p in pems)
    return vector("trustee-milan-v2/vcek.der"), ask, ark


def build_table(entries):
    """entries: (kind, guid bytes or None, der)"""
    certs = (Cert * max(1, len(entries)))()
    keep = []
    for i, (kind, guid, der) in enumerate(entries):
        b = ctypes.create_string_buffer(der, len(der))
        keep.append(b)
        certs[i].kind = kind
        if guid:
            certs[i].guid[:] = list(guid)
        certs[i].der = ctypes.cast(b, c_void_p)
        certs[i].der_len = len(der)
    out, n = c_void_p(), c_size_t()
    check(table_serialize(certs, len(entries), byref(out), byref(n)))
    return bptee.take_bytes(out, n.value)


def read_table(data, cap=32):
    certs = (Cert * cap)()
    n = c_size_t()
    b = ctypes.create_string_buffer(data, len(data))
    check(table_parse(b, len(data), certs, cap, byref(n)))
    base = ctypes.addressof(b)
    return [(certs[i].kind, bytes(certs[i].guid), ctypes.string_at(certs[i].der, certs[i].der_len),
             certs[i].der - base) for i in range(n.value)]


def table_error(data, cap=32):
    with pytest.raises(BpteeError) as e:
        read_table(data, cap)
    return e.value


GUIDS = {VCEK: "63da758d-e664-4564-adc5-f4b93be8accd", VLEK: "a8074bc2-a25a-483e-aae6-39c045a0b8a1",
         ASK: "4ab7b379-bbac-4fe4-a02f-05aef327c782", ARK: "c0b406a4-a803-4952-9743-3fb6014cd0ae"}


def test_guids_are_the_ghcb_ones_in_text_order():
    for kind, text in GUIDS.items():
        g = arr(16)()
        check(cert_guid(kind, g))
        assert bytes(g) == uuid.UUID(text).bytes


def test_table_round_trip():
    vcek, ask, ark = der_certs()
    other = uuid.uuid4().bytes
    table = build_table([(VCEK, None, vcek), (ASK, None, ask), (ARK, None, ark),
                         (0, other, b"\x30\x03\x02\x01\x00")])
    assert table[4 * 24:5 * 24] == bytes(24)  # the all-zero terminator
    assert table[0:16] == uuid.UUID(GUIDS[VCEK]).bytes
    got = read_table(table)
    assert [(k, d) for k, _, d, _ in got] == [(VCEK, vcek), (ASK, ask), (ARK, ark),
                                             (0, b"\x30\x03\x02\x01\x00")]
    assert got[3][1] == other
    # Offsets count from the table start and the certificates follow the entries.
    assert got[0][3] == 5 * 24 and struct.unpack_from("<II", table, 16) == (5 * 24, len(vcek))


def test_empty_table():
    assert read_table(bytes(24)) == []
    assert read_table(bytes(24 + 100)) == []  # padding after the terminator is allowed


def test_truncated_tables_are_rejected():
    vcek, ask, ark = der_certs()
    table = build_table([(VCEK, None, vcek), (ASK, None, ask), (ARK, None, ark)])
    for cut in [0, 10, 23, 24, 47, 4 * 24 - 1]:
        e = table_error(table[:cut])
        assert e.name == "EPARSE" and "terminator" in e.reason, (cut, e.reason)
    for cut in [4 * 24, 4 * 24 + 1, len(table) - 1]:
        e = table_error(table[:cut])
        assert e.name == "EPARSE" and "runs past the end" in e.reason, (cut, e.reason)


def entry(guid, off, length):
    return guid + struct.pack("<II", off, length)


def test_offsets_past_the_end_and_into_the_table():
    g = uuid.UUID(GUIDS[VCEK]).bytes
    body = b"\x30" * 10
    ok = entry(g, 48, 10) + bytes(24) + body
    assert read_table(ok)[0][2] == body
    e = table_error(entry(g, 48, 11) + bytes(24) + body)
    assert "runs past the end" in e.reason
    e = table_error(entry(g, 0xFFFFFFFF, 0xFFFFFFFF) + bytes(24) + body)
    assert "runs past the end" in e.reason
    e = table_error(entry(g, 8, 10) + bytes(24) + body)
    assert "points into the table" in e.reason
    e = table_error(entry(g, 48, 0) + bytes(24) + body)
    assert "is empty" in e.reason


def test_missing_terminator():
    g = uuid.UUID(GUIDS[ASK]).bytes
    e = table_error(entry(g, 24, 4) + b"\x30\x02\x05\x00")
    assert e.name == "EPARSE" and "terminator" in e.reason


def test_repeated_kinds_and_limits():
    g = uuid.UUID(GUIDS[VCEK]).bytes
    body = b"\x30\x00"
    twice = entry(g, 72, 2) + entry(g, 74, 2) + bytes(24) + body * 2
    e = table_error(twice)
    assert e.name == "EPARSE" and "repeats" in e.reason
    other = uuid.uuid4().bytes
    two = entry(other, 72, 2) + entry(uuid.uuid4().bytes, 74, 2) + bytes(24) + body * 2
    assert len(read_table(two)) == 2
    e = table_error(two, cap=1)
    assert e.name == "ELIMIT"
    many = b"".join(entry(uuid.uuid4().bytes, 0, 0) for _ in range(40)) + bytes(24)
    e = table_error(many)
    assert e.name == "ELIMIT"


def test_serialize_refuses_entries_without_guid_or_certificate():
    with pytest.raises(BpteeError) as e:
        build_table([(0, None, b"\x30\x00")])
    assert e.value.name == "EINVAL"
    with pytest.raises(BpteeError) as e:
        build_table([(VCEK, None, b"")])
    assert e.value.name == "EINVAL"


def test_zero_guid_entry_that_is_not_the_terminator():
    e = table_error(entry(bytes(16), 48, 2) + bytes(24) + b"\x30\x00")
    assert e.name == "EPARSE" and "all-zero GUID" in e.reason
