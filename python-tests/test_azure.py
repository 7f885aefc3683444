# SPDX-License-Identifier: Apache-2.0
"""Azure confidential VMs without Azure Attestation (bptee_azure_hcl_parse, bptee_azure_hcl_ak,
bptee_tpm_quote_parse/verify): the real HCL reports, TPM2 quotes and AKs of
../shared/vectors/azure-cvm decided as its MANIFEST.md states, their tamper twins, and the whole
chain SEV-SNP report -> runtime-data binding -> AK -> quote on simulated Azure evidence built
here in the same layout (no real quote is signed by a real HCL report's AK)."""
import base64
import ctypes
import hashlib
import json
import os
import struct
from ctypes import POINTER, Structure, byref, c_int, c_size_t, c_uint8, c_uint32, c_void_p

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import bptee
from bptee import VECTORS, check, fn
from test_sim import Sim
from test_snp_verify import cbuf, pem_to_ders, rejected, snp

AZ = os.path.join(VECTORS, "azure-cvm")


def read(name):
    with open(os.path.join(AZ, name), "rb") as f:
        return f.read()


class Hcl(Structure):
    _fields_ = [("version", c_uint32), ("report_type", c_uint32), ("hw_report", c_void_p),
                ("hw_report_len", c_size_t), ("runtime", c_void_p), ("runtime_len", c_size_t),
                ("report_data", c_uint8 * 64)]


class Quote(Structure):
    _fields_ = [("attest", c_void_p), ("attest_len", c_size_t), ("sig", c_void_p),
                ("sig_len", c_size_t), ("pcrs", c_void_p), ("n_pcrs", c_size_t)]


hcl_parse = fn("bptee_azure_hcl_parse", c_int, c_void_p, c_size_t, POINTER(Hcl))
hcl_ak = fn("bptee_azure_hcl_ak", c_int, POINTER(Hcl), POINTER(c_void_p), POINTER(c_size_t))
quote_parse = fn("bptee_tpm_quote_parse", c_int, c_void_p, c_size_t, POINTER(Quote))
quote_verify = fn("bptee_tpm_quote_verify", c_int, POINTER(Quote), c_void_p, c_size_t, c_void_p,
                  c_size_t)

SNP_HCL, TDX_HCL = read("hcl-report-snp.bin"), read("hcl-report-tdx.bin")
QUOTE, AKPUB = read("quote.bin"), read("akpub.pem")
OLD_MSG, OLD_SIG, OLD_AK = read("2023-03/quote_msg"), read("2023-03/quote_sig"), \
    read("2023-03/akpub.pem")


def parse(data):
    buf = cbuf(data)
    h = Hcl()
    check(hcl_parse(buf, len(data), byref(h)))
    h._keep = buf
    return h


def ak_of(h):
    p, n = c_void_p(), c_size_t()
    check(hcl_ak(byref(h), byref(p), byref(n)))
    out = ctypes.string_at(p, n.value)
    bptee.free(p)
    return out


def verify_quote(attest, sig, ak, nonce, pcrs=None):
    keep = [cbuf(attest), cbuf(sig), cbuf(pcrs) if pcrs else None, cbuf(ak), cbuf(nonce)]
    q = Quote(ctypes.cast(keep[0], c_void_p), len(attest), ctypes.cast(keep[1], c_void_p),
              len(sig), ctypes.cast(keep[2], c_void_p) if pcrs else None,
              len(pcrs) // 32 if pcrs else 0)
    check(quote_verify(byref(q), keep[3], len(ak), keep[4], len(nonce)))


def split(container):
    """The container's parts, read by the library."""
    buf = cbuf(container)
    q = Quote()
    check(quote_parse(buf, len(container), byref(q)))
    return (ctypes.string_at(q.attest, q.attest_len), ctypes.string_at(q.sig, q.sig_len),
            ctypes.string_at(q.pcrs, 32 * q.n_pcrs))


def flip(b, i):
    b = bytearray(b)
    b[i] ^= 1
    return bytes(b)


def set_u32(b, off, v):
    b = bytearray(b)
    b[off:off + 4] = struct.pack("<I", v)
    return bytes(b)


# --- HCL reports ------------------------------------------------------------------------------

@pytest.mark.parametrize("data,rtype,rlen", [(SNP_HCL, 2, 583), (TDX_HCL, 4, 1202)])
def test_hcl_binding_accepted(data, rtype, rlen):
    h = parse(data)
    assert (h.report_type, h.runtime_len) == (rtype, rlen)
    assert bytes(h.report_data[:32]) == hashlib.sha256(data[0x4D4:0x4D4 + rlen]).digest()
    ak = serialization.load_der_public_key(ak_of(h))
    assert ak.key_size == 2048


@pytest.mark.parametrize("data,rd_off", [(SNP_HCL, 0x70), (TDX_HCL, 0xA0)])
def test_hcl_binding_rejected_for_flipped_runtime_or_report_data(data, rd_off):
    for i in (0x4D4 + 10, 0x4D4 + 300, rd_off, rd_off + 31, rd_off + 40):
        e = rejected(parse, flip(data, i))
        assert e.name in ("EVERIFY", "EPARSE")
        assert "REPORT_DATA" in e.reason or "runtime" in e.reason


@pytest.mark.parametrize("delta", [1, -1])
def test_hcl_variable_data_size_changed_rejected(delta):
    n = 583 + delta
    e = rejected(parse, set_u32(SNP_HCL, 0x4C0 + 16, n))
    assert e.name == "EPARSE"  # report_size and data_size no longer agree
    # all three sizes changed together: the hash of the declared length no longer binds
    d = set_u32(set_u32(set_u32(SNP_HCL, 0x4C0 + 16, n), 0x4C0, 20 + n), 8, 0x4D4 + n)
    if delta > 0:
        e = rejected(parse, d)
        assert e.name == "EVERIFY" and "REPORT_DATA" in e.reason
    else:
        e = rejected(parse, d)  # the dropped byte is now non-zero padding, or the hash is off
        assert e.name in ("EVERIFY", "EPARSE")


@pytest.mark.parametrize("off,val,word", [(0, 0x41414141, "magic"), (4, 3, "version"),
                                          (12, 1, "request type"), (20, 1, "reserved"),
                                          (0x4C0 + 8, 3, "report type"),
                                          (0x4C0 + 12, 2, "hash type")])
def test_hcl_unsigned_fields_parsed_strictly(off, val, word):
    e = rejected(parse, set_u32(SNP_HCL, off, val))
    assert e.name == "EPARSE"
    parse(SNP_HCL)


def test_hcl_padding_must_be_zero():
    e = rejected(parse, flip(SNP_HCL, len(SNP_HCL) - 1))
    assert e.name == "EPARSE" and "after the runtime data" in e.reason


def test_hcl_snp_report_rejected_with_the_archived_vcek_of_another_chip():
    vcek, ask, ark = pem_to_ders(read("certs.pem"))
    chain = read("certs.pem").split(b"-----END CERTIFICATE-----", 1)[1].lstrip()
    report = parse(SNP_HCL)
    e = rejected(snp, SNP_HCL[0x20:0x20 + 1184], vcek=vcek, chain=chain)
    assert e.name == "EVERIFY"
    assert report.report_type == 2


def test_var_data_ak_extraction():
    rt = read("var-data.bin").rstrip(b"\0")
    buf = cbuf(rt)
    h = Hcl(runtime=ctypes.cast(buf, c_void_p), runtime_len=len(rt))
    ak = serialization.load_der_public_key(ak_of(h))
    assert ak.key_size == 2048
    bad = rt.replace(b"HCLAkPub", b"HCLAkPuX")
    buf2 = cbuf(bad)
    h2 = Hcl(runtime=ctypes.cast(buf2, c_void_p), runtime_len=len(bad))
    e = rejected(ak_of, h2)
    assert "HCLAkPub" in e.reason


# --- TPM2 quotes ------------------------------------------------------------------------------

def test_quote_accepted_with_its_ak_nonce_and_pcrs():
    attest, sig, pcrs = split(QUOTE)
    assert (len(attest), len(sig), len(pcrs)) == (122, 256, 24 * 32)
    ak = serialization.load_pem_public_key(AKPUB).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    verify_quote(attest, sig, AKPUB, b"challenge", pcrs)
    verify_quote(attest, sig, ak, b"challenge", pcrs)


def test_quote_tamper_twins_rejected():
    attest, sig, pcrs = split(QUOTE)
    i_extra = attest.find(b"challenge")
    cases = [(flip(attest, i_extra), sig, b"challenge", pcrs),
             (flip(attest, len(attest) - 1), sig, b"challenge", pcrs),  # pcrDigest
             (attest, flip(sig, 100), b"challenge", pcrs),
             (attest, sig[::-1], b"challenge", pcrs),
             (attest, sig, bytes([1, 2, 3, 4]), pcrs),
             (attest, sig, b"challenge", flip(pcrs, 5 * 32))]
    for a, s, n, p in cases:
        e = rejected(verify_quote, a, s, AKPUB, n, p)
        assert e.name == "EVERIFY"


def test_quote_rejected_with_every_other_ak():
    attest, sig, pcrs = split(QUOTE)
    hcl_aks = [ak_of(parse(SNP_HCL)), ak_of(parse(TDX_HCL))]
    rt = read("var-data.bin").rstrip(b"\0")
    buf = cbuf(rt)
    hcl_aks.append(ak_of(Hcl(runtime=ctypes.cast(buf, c_void_p), runtime_len=len(rt))))
    for ak in hcl_aks + [OLD_AK]:
        e = rejected(verify_quote, attest, sig, ak, b"challenge", pcrs)
        assert "signature" in e.reason
    for ak in hcl_aks + [AKPUB]:
        e = rejected(verify_quote, OLD_MSG, OLD_SIG, ak, bytes([1, 2, 3]))
        assert "signature" in e.reason


def test_old_quote_accepted_with_nonce_010203():
    verify_quote(OLD_MSG, OLD_SIG, OLD_AK, bytes([1, 2, 3]))
    e = rejected(verify_quote, OLD_MSG, OLD_SIG, OLD_AK, bytes.fromhex("cafe"))
    assert "extraData" in e.reason
    i = OLD_MSG.find(bytes([1, 2, 3]))
    assert rejected(verify_quote, flip(OLD_MSG, i), OLD_SIG, OLD_AK, bytes([1, 2, 3]))
    assert rejected(verify_quote, OLD_MSG, OLD_SIG[::-1], OLD_AK, bytes([1, 2, 3]))


def test_quote_container_lengths_checked():
    for bad in (QUOTE[:-1], QUOTE + b"\0", QUOTE[:10], b"\0"):
        e = rejected(split, bad)
        assert e.name == "EPARSE"
    attest, sig, _ = split(QUOTE)
    e = rejected(verify_quote, attest + b"\0", sig, AKPUB, b"challenge")
    assert e.name == "EVERIFY"  # the signature covers the exact bytes


# --- the whole chain on simulated Azure evidence ----------------------------------------------

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def attest_bytes(nonce, pcr_digest, mask=0xffffff):
    sel = struct.pack(">IHB", 1, 0x000B, 3) + mask.to_bytes(3, "little")
    return (struct.pack(">IH", 0xff544347, 0x8018) + struct.pack(">H", 4) + b"name" +
            struct.pack(">H", len(nonce)) + nonce + bytes(17) + bytes(8) + sel +
            struct.pack(">H", 32) + pcr_digest)


def simulated_azure(sim, ak):
    """An HCL report in Azure's layout around a simulated SEV-SNP report bound to runtime data
    that carries ak, as a vTPM's NV index would hold it."""
    n = ak.public_key().public_numbers()
    runtime = json.dumps({"keys": [{"kid": "HCLAkPub", "kty": "RSA", "key_ops": ["sign"],
                                    "n": b64u(n.n.to_bytes(256, "big")),
                                    "e": b64u(n.e.to_bytes(3, "big"))}],
                          "vm-configuration": {"secure-boot": True, "tpm-enabled": True},
                          "user-data": "00" * 64}).encode()
    report = sim.report(hashlib.sha256(runtime).digest() + bytes(32))
    head = b"HCLA" + struct.pack("<IIII", 1, 0x4D4 + len(runtime), 2, 0) + bytes(12)
    req = struct.pack("<IIIII", 20 + len(runtime), 1, 2, 1, len(runtime))
    body = head + report + req + runtime
    return body + bytes(-len(body) % 2048 or 0), report


@pytest.fixture(scope="module")
def azure_sim(tmp_path_factory):
    s = Sim(tmp_path_factory.mktemp("azsim") / "state")
    yield s
    s.close()


def test_simulated_azure_chain_report_runtime_ak_quote(azure_sim):
    ak = rsa.generate_private_key(65537, 2048)
    hcl, report = simulated_azure(azure_sim, ak)
    # 1. the hardware report, by the SEV-SNP path (simulation root explicitly trusted)
    now = int(__import__("time").time())
    v = snp(report, table=azure_sim.certtable(), allow_sim=True, at=now)
    assert v.simulated == 1
    e = rejected(snp, report, table=azure_sim.certtable(), at=now)  # never trusted silently
    assert e.name == "EPOLICY"
    # 2. the runtime data bound by REPORT_DATA, 3. the AK from it
    h = parse(hcl)
    ak_der = ak_of(h)
    # 4. a quote signed by that AK over the nonce and the PCR values
    pcrs = b"".join(hashlib.sha256(bytes([i])).digest() for i in range(24))
    attest = attest_bytes(b"fresh-nonce", hashlib.sha256(pcrs).digest())
    sig = ak.sign(attest, padding.PKCS1v15(), hashes.SHA256())
    verify_quote(attest, sig, ak_der, b"fresh-nonce", pcrs)
    # twins: another key signs the quote; the runtime data names another AK
    other = rsa.generate_private_key(65537, 2048)
    e = rejected(verify_quote, attest, other.sign(attest, padding.PKCS1v15(), hashes.SHA256()),
                 ak_der, b"fresh-nonce", pcrs)
    assert "signature" in e.reason
    swapped, _ = simulated_azure(azure_sim, other)
    swapped = swapped[:0x20] + report + swapped[0x20 + 1184:]  # old report, new runtime data
    e = rejected(parse, swapped)
    assert e.name == "EVERIFY"
    e = rejected(verify_quote, attest, sig, ak_der, b"stale-nonce", pcrs)
    assert "extraData" in e.reason


def test_tdx_hcl_report_is_never_evidence_alone():
    r = __import__("subprocess").run([bptee.CLI, "verify", os.path.join(AZ, "hcl-report-tdx.bin")],
                                     capture_output=True, text=True)
    assert r.returncode == 1 and "unsupported evidence" in r.stderr


# --- the evidence container (bptee attest --provider azure-snp; test_azure_vtpm.py collects) --

class Evidence(Structure):
    _fields_ = [("hcl", c_void_p), ("hcl_len", c_size_t), ("quote", Quote)]


ev_parse = fn("bptee_azure_evidence_parse", c_int, c_void_p, c_size_t, POINTER(Evidence))
ev_serialize = fn("bptee_azure_evidence_serialize", c_int, POINTER(Evidence), POINTER(c_void_p),
                  POINTER(c_size_t))
quote_extra = fn("bptee_tpm_quote_extra_data", c_int, POINTER(Quote), POINTER(c_void_p),
                 POINTER(c_size_t))


def container(hcl, attest, sig, pcrs):
    """The container, written by the library from its parts."""
    keep = [cbuf(hcl), cbuf(attest), cbuf(sig), cbuf(pcrs)]
    ev = Evidence(ctypes.cast(keep[0], c_void_p), len(hcl),
                  Quote(ctypes.cast(keep[1], c_void_p), len(attest),
                        ctypes.cast(keep[2], c_void_p), len(sig),
                        ctypes.cast(keep[3], c_void_p), len(pcrs) // 32))
    p, n = c_void_p(), c_size_t()
    check(ev_serialize(byref(ev), byref(p), byref(n)))
    out = ctypes.string_at(p, n.value)
    bptee.free(p)
    return out


def parts(data):
    buf = cbuf(data)
    ev = Evidence()
    check(ev_parse(buf, len(data), byref(ev)))
    q = ev.quote
    return (ctypes.string_at(ev.hcl, ev.hcl_len), ctypes.string_at(q.attest, q.attest_len),
            ctypes.string_at(q.sig, q.sig_len), ctypes.string_at(q.pcrs, 32 * q.n_pcrs))


def test_evidence_container_round_trip_and_bounds():
    attest, sig, pcrs = split(QUOTE)
    data = container(SNP_HCL, attest, sig, pcrs)
    assert data[:8] == len(SNP_HCL).to_bytes(8, "little") and data[8 + len(SNP_HCL):] == QUOTE
    assert parts(data) == (SNP_HCL, attest, sig, pcrs)
    for bad in (data[:7], data[:-1], data + b"\0", b"\xff" * 8 + data[8:],
                (len(data)).to_bytes(8, "little") + data[8:]):
        e = rejected(parts, bad)
        assert e.name == "EPARSE"


def test_quote_extra_data_is_read_from_the_attest():
    attest, sig, pcrs = split(QUOTE)
    keep = [cbuf(attest), cbuf(sig)]
    q = Quote(ctypes.cast(keep[0], c_void_p), len(attest), ctypes.cast(keep[1], c_void_p),
              len(sig), None, 0)
    p, n = c_void_p(), c_size_t()
    check(quote_extra(byref(q), byref(p), byref(n)))
    assert ctypes.string_at(p, n.value) == b"challenge"
    keep[0] = cbuf(attest[:-1])
    q.attest, q.attest_len = ctypes.cast(keep[0], c_void_p), len(attest) - 1
    assert quote_extra(byref(q), byref(p), byref(n)) == bptee.CODES["EPARSE"]
