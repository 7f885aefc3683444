# SPDX-License-Identifier: Apache-2.0
"""SEV-SNP verification against AMD's roots (bptee_snp_verify), the verification policy and
the provider-neutral entry point (bptee_verify), on the real vectors of
../shared/vectors/MANIFEST.md at 2026-01-01, their tamper twins, and chains built here with
the openssl CLI where real hardware cannot give the case (hwID/SPL mismatches, Turin, VLEK,
unpinned roots), and the simulator's evidence through the same paths."""
import base64
import ctypes
import hashlib
import json
import os
import struct
from ctypes import POINTER, Structure, byref, c_char_p, c_int, c_int64, c_size_t, c_uint8, c_void_p

import pytest

import bptee
from bptee import BpteeError, VECTORS, check, take_string
from test_snp_format import Report, Tcb, arr, fn

SNP = os.path.join(VECTORS, "sev-snp")
ROOTS = os.path.join(VECTORS, "amd-roots")
AT = 1767225600  # 2026-01-01T00:00:00Z, the verification time of every SEV-SNP row
MILAN_ARK = "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd"
NONCE = "df82306ff38a9da023854af947d02a878cfab1b40a793823ff41dc51213b96aa"
X25519 = "03a8107030fabeac06b0df4ef865763918b5e2a9fa030e20025a4315dab4b2a6"


class SnpOpts(Structure):
    _fields_ = [("sz", c_size_t), ("at", c_int64), ("vcek", c_void_p), ("vcek_len", c_size_t),
                ("chain", c_void_p), ("chain_len", c_size_t), ("certtable", c_void_p),
                ("certtable_len", c_size_t), ("trusted_roots", c_void_p),
                ("n_trusted_roots", c_size_t), ("allow_simulation", c_int)]


class Verified(Structure):
    _fields_ = [("report", Report), ("product", c_int), ("signing_key", c_int),
                ("reported_tcb", Tcb), ("current_tcb", Tcb), ("committed_tcb", Tcb),
                ("launch_tcb", Tcb), ("simulated", c_int), ("ark_sha256", arr(32)),
                ("chain_not_before", c_int64), ("chain_not_after", c_int64)]


class VerifyOpts(Structure):
    _fields_ = [("sz", c_size_t), ("at", c_int64), ("policy", c_void_p), ("vcek", c_void_p),
                ("vcek_len", c_size_t), ("chain", c_void_p), ("chain_len", c_size_t),
                ("tdx_collateral", c_void_p), ("tdx_collateral_at", c_int64),
                ("jwks", c_void_p)]


snp_verify = fn("bptee_snp_verify", c_int, c_void_p, c_size_t, POINTER(SnpOpts), POINTER(Verified))
cache_clear = fn("bptee_snp_cache_clear", None)
verify = fn("bptee_verify", c_int, c_void_p, c_size_t, POINTER(VerifyOpts), POINTER(c_void_p))
policy_parse = fn("bptee_policy_parse", c_int, c_char_p, c_size_t, POINTER(c_void_p))
policy_load = fn("bptee_policy_load", c_int, c_char_p, POINTER(c_void_p))
policy_free = fn("bptee_policy_free", None, c_void_p)
report_free = fn("bptee_report_free", None, c_void_p)
report_save = fn("bptee_report_save_json", c_int, c_void_p, ctypes.c_uint, POINTER(c_void_p))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def vec(rel):
    data = read(os.path.join(SNP, rel))
    return bytes.fromhex(data.decode()) if rel.endswith(".hex") else data


def cbuf(data):
    return ctypes.create_string_buffer(bytes(data), len(data)) if data else None


def snp(report, vcek=None, chain=None, table=None, at=AT, roots=(), allow_sim=False):
    """bptee_snp_verify; returns the Verified struct or raises BpteeError."""
    keep = [cbuf(report), cbuf(vcek), cbuf(chain), cbuf(table)]
    o = SnpOpts(sz=ctypes.sizeof(SnpOpts), at=at, allow_simulation=int(allow_sim))
    if vcek:
        o.vcek, o.vcek_len = ctypes.cast(keep[1], c_void_p), len(vcek)
    if chain:
        o.chain, o.chain_len = ctypes.cast(keep[2], c_void_p), len(chain)
    if table:
        o.certtable, o.certtable_len = ctypes.cast(keep[3], c_void_p), len(table)
    if roots:
        rb = cbuf(b"".join(roots))
        keep.append(rb)
        o.trusted_roots, o.n_trusted_roots = ctypes.cast(rb, c_void_p), len(roots)
    v = Verified()
    check(snp_verify(keep[0], len(report), byref(o), byref(v)))
    return v


def rejected(call, *args, **kw):
    with pytest.raises(BpteeError) as e:
        call(*args, **kw)
    return e.value


class Policy:
    def __init__(self, obj):
        text = obj if isinstance(obj, str) else json.dumps(obj)
        self.p = c_void_p()
        check(policy_parse(text.encode(), len(text.encode()), byref(self.p)))

    def __del__(self):
        policy_free(self.p)


def verify_any(data, policy=None, vcek=None, chain=None, at=AT, jwks=None):
    """bptee_verify; returns the verified report as a dict (its JSON). jwks: a parsed key set
    (a handle, for tokens)."""
    keep = [cbuf(data), cbuf(vcek), cbuf(chain)]
    pol = Policy(policy) if policy is not None else None
    o = VerifyOpts(sz=ctypes.sizeof(VerifyOpts), at=at, policy=pol.p if pol else None, jwks=jwks)
    if vcek:
        o.vcek, o.vcek_len = ctypes.cast(keep[1], c_void_p), len(vcek)
    if chain:
        o.chain, o.chain_len = ctypes.cast(keep[2], c_void_p), len(chain)
    out = c_void_p()
    check(verify(keep[0], len(data), byref(o), byref(out)))
    try:
        js = c_void_p()
        check(report_save(out, 0, byref(js)))
        return json.loads(take_string(js))
    finally:
        report_free(out)


MILAN_CHAIN = read(os.path.join(ROOTS, "ask_ark_milan.pem"))
GENOA_CHAIN = read(os.path.join(ROOTS, "ask_ark_genoa.pem"))
TRUSTEE = vec("trustee-milan-v2/report.bin")
TRUSTEE_VCEK = vec("trustee-milan-v2/vcek.der")


def pem_to_ders(pem):
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    return [x509.load_pem_x509_certificate(p).public_bytes(Encoding.DER)
            for p in x509_blocks(pem)]


def x509_blocks(pem):
    end = b"-----END CERTIFICATE-----"
    return [p.strip() + b"\n" + end + b"\n" for p in pem.split(end) if b"BEGIN" in p]


def der_to_pem(der):
    b64 = base64.encodebytes(der).decode().replace("\n", "")
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) +
            "\n-----END CERTIFICATE-----\n").encode()


def flip(data, off, mask=0x01):
    d = bytearray(data)
    d[off] ^= mask
    return bytes(d)


# --- every SEV-SNP row of MANIFEST.md --------------------------------------------------------

ACCEPT = [
    ("trustee-milan-v2/report.bin", "trustee-milan-v2/vcek.der", MILAN_CHAIN),
    ("virtee-milan-v2/report.hex", "virtee-milan-v2/vcek.der",
     read(os.path.join(SNP, "virtee-milan-v2/ask_ark.pem"))),
    ("gosev-milan-v2/report.bin", "gosev-milan-v2/vcek.der", MILAN_CHAIN),
    ("teekit-gcp-milan-v5/sev-gcp.bin", "teekit-gcp-milan-v5/sev-gcp-vcek.pem",
     read(os.path.join(SNP, "teekit-gcp-milan-v5/sev-gcp-cert-chain.pem"))),
    ("teekit-gcp-milan-v5/sev-gcp-reportdata.bin", "teekit-gcp-milan-v5/sev-gcp-vcek.pem",
     read(os.path.join(SNP, "teekit-gcp-milan-v5/sev-gcp-cert-chain.pem"))),
    ("teekit-gcp-milan-v5/sev-gcp-x25519-bound.bin", "teekit-gcp-milan-v5/sev-gcp-x25519-vcek.pem",
     read(os.path.join(SNP, "teekit-gcp-milan-v5/sev-gcp-x25519-cert-chain.pem"))),
]


@pytest.mark.parametrize("rel,vcek,chain", ACCEPT, ids=[a[0] for a in ACCEPT])
def test_manifest_rows_verify_against_amd_roots(rel, vcek, chain):
    report = vec(rel)
    for c in (chain, None):  # the given chain, then AMD's built-in ASK and ARK
        v = snp(report, vcek=vec(vcek), chain=c)
        assert v.product == 1 and v.signing_key == 0 and v.simulated == 0
        assert bytes(v.ark_sha256).hex() == MILAN_ARK
        assert bytes(v.report.measurement) == report[0x90:0xC0]
        assert v.chain_not_before <= AT <= v.chain_not_after


@pytest.mark.parametrize("bad", ["vcek-invalid-legacy.der", "vcek-invalid-new.der"])
def test_manifest_broken_vceks_are_rejected(bad):
    e = rejected(snp, TRUSTEE, vcek=vec("trustee-milan-v2/" + bad), chain=MILAN_CHAIN)
    assert e.name == "EVERIFY" and "VCEK: certificate signature failure" in e.reason
    e = rejected(verify_any, TRUSTEE, vcek=vec("trustee-milan-v2/" + bad))
    assert e.name == "EVERIFY"


def test_manifest_gosev_debug_passes_signature_fails_no_debug_policy():
    report, vcek = vec("gosev-milan-v2/report.bin"), vec("gosev-milan-v2/vcek.der")
    out = verify_any(report, {"sev_snp": {"allow_debug": True}}, vcek=vcek)
    assert out["claims"]["debug_mode"] is True
    for policy in (None, {}, {"sev_snp": {"allow_debug": False}}):
        e = rejected(verify_any, report, policy, vcek=vcek)
        assert e.name == "EPOLICY" and "POLICY.DEBUG" in e.reason


def x25519_policy(nonce=NONCE, key=X25519):
    return {"sev_snp": {"report_data": {"x25519_binding": {"nonce": nonce, "public_key": key}}}}


def test_manifest_x25519_binding_passes_and_changed_values_fail():
    report = vec("teekit-gcp-milan-v5/sev-gcp-x25519-bound.bin")
    vcek = vec("teekit-gcp-milan-v5/sev-gcp-x25519-vcek.pem")
    assert report[0x50:0x90] == hashlib.sha512(bytes.fromhex(NONCE + X25519)).digest()
    out = verify_any(report, x25519_policy(), vcek=vcek)
    binding = out["public_key_binding"]
    assert binding["key_type"] == "x25519"
    assert base64.b64decode(binding["public_key"]).hex() == X25519
    for policy in (x25519_policy(nonce="ef" + NONCE[2:]), x25519_policy(key=X25519[:-2] + "a7")):
        e = rejected(verify_any, report, policy, vcek=vcek)
        assert e.name == "EVERIFY" and "SHA-512(nonce || public_key)" in e.reason


def test_verified_claims_of_the_gcp_v5_report():
    report = vec("teekit-gcp-milan-v5/sev-gcp-reportdata.bin")
    out = verify_any(report, vcek=vec("teekit-gcp-milan-v5/sev-gcp-vcek.pem"))
    assert out["provider"] == "amd_sev_snp" and out["format"] == "sev_snp_report"
    assert out["measurement"] == {"algorithm": "sha384", "digest": report[0x90:0xC0].hex()}
    c = out["claims"]
    assert c["product_id"] == "Milan" and c["debug_mode"] is False
    assert c["platform_version"] == "%d.%d.%d" % (report[0x1EA], report[0x1E9], report[0x1E8])
    cu = c["custom"]
    assert cu["vmpl"] == 1 and cu["report_version"] == 5 and cu["signing_key"] == "vcek"
    assert cu["chip_id"] == report[0x1A0:0x1E0].hex()
    assert cu["report_data"] == report[0x50:0x90].hex()
    assert cu["simulated"] is False and cu["ark_sha256"] == MILAN_ARK
    tcb = struct.unpack_from("<Q", report, 0x180)[0]
    assert cu["reported_tcb"]["raw"] == hex(tcb)
    assert cu["reported_tcb"]["snp"] == tcb >> 48 & 0xFF
    assert "simulated" not in out


# --- tamper twins ------------------------------------------------------------------------------

@pytest.mark.parametrize("off", [0x004, 0x009, 0x010, 0x020, 0x030, 0x038, 0x040, 0x050, 0x08F,
                                 0x090, 0x0C0, 0x0E0, 0x110, 0x140, 0x160, 0x180, 0x1A0, 0x1DF,
                                 0x1E0, 0x1E8, 0x1F0])
def test_flipped_signed_byte_is_rejected(off):
    e = rejected(snp, flip(TRUSTEE, off), vcek=TRUSTEE_VCEK, chain=MILAN_CHAIN)
    assert e.name == "EVERIFY" and "report signature does not verify" in e.reason


@pytest.mark.parametrize("off,mask,code,what", [(0x000, 0x04, "EUNSUPPORTED", "VERSION 6"),
                                                (0x034, 0x02, "EUNSUPPORTED", "SIGNATURE_ALGO"),
                                                (0x04C, 0x01, "EPARSE", "MBZ"),
                                                (0x188, 0x01, "EPARSE", "MBZ"),
                                                (0x1F8, 0x01, "EPARSE", "MBZ"),
                                                (0x29F, 0x01, "EPARSE", "MBZ"),
                                                (0x00A, 0x02, "EPARSE", "bit 17"),
                                                (0x048, 0x08, "EPARSE", "SIGNING_KEY 2")])
def test_flipped_checked_byte_is_rejected_by_the_parser(off, mask, code, what):
    e = rejected(snp, flip(TRUSTEE, off, mask), vcek=TRUSTEE_VCEK, chain=MILAN_CHAIN)
    assert e.name == code and what in e.reason


@pytest.mark.parametrize("off", [0x2A0, 0x2A0 + 20, 0x2A0 + 47, 0x2E8, 0x2E8 + 30, 0x2E8 + 47])
def test_flipped_r_or_s_is_rejected(off):
    e = rejected(snp, flip(TRUSTEE, off), vcek=TRUSTEE_VCEK, chain=MILAN_CHAIN)
    assert e.name == "EVERIFY" and "report signature does not verify" in e.reason


@pytest.mark.parametrize("off", [0x2A0 + 48, 0x2A0 + 71, 0x2E8 + 60])
def test_r_or_s_beyond_p384_is_rejected(off):
    e = rejected(snp, flip(TRUSTEE, off, 0x80), vcek=TRUSTEE_VCEK, chain=MILAN_CHAIN)
    assert e.name == "EVERIFY" and "report signature does not verify" in e.reason


def test_flipped_bytes_in_the_vcek_are_rejected():
    n = len(TRUSTEE_VCEK)
    for off in [n // 4, n // 2, n - 300, n - 40, n - 1]:
        e = rejected(snp, TRUSTEE, vcek=flip(TRUSTEE_VCEK, off), chain=MILAN_CHAIN)
        assert e.name == "EVERIFY" and "VCEK" in e.reason, (off, e.reason)


def test_flipped_bytes_in_the_ask_are_rejected():
    ask, ark = pem_to_ders(MILAN_CHAIN)
    for off in [len(ask) // 3, len(ask) // 2, len(ask) - 100, len(ask) - 1]:
        chain = der_to_pem(flip(ask, off)) + der_to_pem(ark)
        e = rejected(snp, TRUSTEE, vcek=TRUSTEE_VCEK, chain=chain)
        assert e.name == "EVERIFY" and ("ASK" in e.reason or "chain certificate" in e.reason), \
            (off, e.reason)


def test_flipped_ark_is_not_a_pinned_root():
    ask, ark = pem_to_ders(MILAN_CHAIN)
    chain = der_to_pem(ask) + der_to_pem(flip(ark, len(ark) - 10))
    e = rejected(snp, TRUSTEE, vcek=TRUSTEE_VCEK, chain=chain)
    assert e.name == "EVERIFY" and "not a pinned AMD root" in e.reason


def test_wrong_products_chain_is_rejected():
    e = rejected(snp, TRUSTEE, vcek=TRUSTEE_VCEK, chain=GENOA_CHAIN)
    assert e.name == "EVERIFY" and "Genoa ARK but the report is from Milan" in e.reason
    genoa_ask = pem_to_ders(GENOA_CHAIN)[0]
    e = rejected(snp, TRUSTEE, vcek=TRUSTEE_VCEK, chain=der_to_pem(genoa_ask))
    assert e.name == "EVERIFY" and "ASK is for Genoa but the report is from Milan" in e.reason
    # A Milan report with a v5 CPUID and the Genoa chain: the same refusal.
    gcp = vec("teekit-gcp-milan-v5/sev-gcp.bin")
    e = rejected(snp, gcp, vcek=vec("teekit-gcp-milan-v5/sev-gcp-vcek.pem"), chain=GENOA_CHAIN)
    assert e.name == "EVERIFY" and "Genoa" in e.reason


@pytest.mark.parametrize("at,what", [(1924992000, "VCEK has expired"),      # 2031-01-01
                                     (1640995200, "VCEK is not yet valid"),  # 2022-01-01
                                     (2524608000, "has expired")])           # 2050-01-01
def test_validity_outside_the_certificates_is_rejected(at, what):
    snp(TRUSTEE, vcek=TRUSTEE_VCEK, chain=MILAN_CHAIN)  # warm the cache: it must not answer
    e = rejected(snp, TRUSTEE, vcek=TRUSTEE_VCEK, chain=MILAN_CHAIN, at=at)
    assert e.name == "EEXPIRED" and what in e.reason
    e = rejected(verify_any, TRUSTEE, vcek=TRUSTEE_VCEK, at=at)
    assert e.name == "EEXPIRED"


def test_cache_does_not_mask_a_bad_chain():
    cache_clear()
    snp(TRUSTEE, vcek=TRUSTEE_VCEK, chain=MILAN_CHAIN)
    ask, ark = pem_to_ders(MILAN_CHAIN)
    bad = der_to_pem(flip(ask, len(ask) - 5)) + der_to_pem(ark)
    assert rejected(snp, TRUSTEE, vcek=TRUSTEE_VCEK, chain=bad).name == "EVERIFY"
    assert rejected(snp, flip(TRUSTEE, 0x90), vcek=TRUSTEE_VCEK, chain=MILAN_CHAIN).name == \
        "EVERIFY"
    assert snp(TRUSTEE, vcek=TRUSTEE_VCEK, chain=MILAN_CHAIN).product == 1


def test_unsigned_report_and_missing_vcek():
    unsigned = bytearray(TRUSTEE)
    unsigned[0x48:0x4C] = struct.pack("<I", 7 << 2)
    e = rejected(snp, bytes(unsigned), vcek=TRUSTEE_VCEK, chain=MILAN_CHAIN)
    assert e.name == "EVERIFY" and "not signed" in e.reason
    e = rejected(snp, TRUSTEE, chain=MILAN_CHAIN)
    assert e.name == "ENOTFOUND" and "no VCEK" in e.reason


def test_vcek_as_pem_and_chain_holding_the_vcek():
    pem = der_to_pem(TRUSTEE_VCEK)
    assert snp(TRUSTEE, vcek=pem).product == 1
    assert snp(TRUSTEE, chain=pem + MILAN_CHAIN).product == 1
    e = rejected(snp, TRUSTEE, vcek=b"-----BEGIN CERTIFICATE-----\nAAAA\n")
    assert e.name == "EPARSE"
    e = rejected(snp, TRUSTEE, vcek=b"\x30\x82\x00")
    assert e.name == "EVERIFY" and "not a DER X.509" in e.reason


# --- chains made here: the cases real hardware does not hand out -----------------------------

SIM_ORG = "bptee simulated TEE - not hardware"
PSS = ["-sha384", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:48"]


def openssl(cwd, *args):
    r = bptee.run(["openssl", *args], cwd=cwd)
    assert r.returncode == 0, r.stderr


def amd_ext(product="Milan-B0", spl=(3, 0, 8, 115), fmc=None, hwid=None, drop=()):
    """An openssl extfile section with AMD's VCEK extensions (SPLs as DER INTEGERs, productName
    as IA5String, hwID raw)."""
    def integer(v):  # minimal DER, as OpenSSL insists
        return "02:02:00:%02x" % v if v >= 0x80 else "02:01:%02x" % v
    lines = []
    name = product.encode()
    exts = {"1": "02:01:01", "2": "16:%02x:%s" % (len(name), name.hex(":")),
            "3.1": integer(spl[0]), "3.2": integer(spl[1]), "3.3": integer(spl[2]),
            "3.8": integer(spl[3])}
    if fmc is not None:
        exts["3.9"] = integer(fmc)
    if hwid is not None:
        exts["4"] = hwid.hex(":")
    for k, v in exts.items():
        if k not in drop:
            lines.append("1.3.6.1.4.1.3704.1.%s = DER:%s" % (k, v))
    return "\n".join(lines) + "\n"


class FakeChain:
    """ARK -> ASK -> VCEK made with the openssl CLI, valid from now for ten years."""

    def __init__(self, d, org="Fake AMD", product="Milan", leaf_ext="", ask_cn=None,
                 ask_sigopts=PSS, curve="P-384"):
        os.makedirs(d, exist_ok=True)
        self.d = d
        ca = os.path.join(d, "ca.ext")
        with open(ca, "w") as f:
            f.write("basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n")
        with open(os.path.join(d, "leaf.ext"), "w") as f:
            f.write(leaf_ext)
        for k in ("ark", "ask"):
            openssl(d, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", k + ".key")
        openssl(d, "req", "-x509", "-new", "-key", "ark.key", "-days", "3650", "-set_serial", "1",
                "-subj", "/O=%s/CN=ARK-%s" % (org, product), "-addext",
                "basicConstraints=critical,CA:true", "-addext",
                "keyUsage=critical,keyCertSign,cRLSign", "-out", "ark.pem", *PSS)
        self.sign("ask", "/O=%s/CN=%s" % (org, ask_cn or "SEV-" + product), "ark", "ca.ext",
                  ask_sigopts)
        openssl(d, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:" + curve,
                "-out", "vcek.key")
        self.sign("vcek", "/O=%s/CN=SEV-VCEK" % org, "ask", "leaf.ext", PSS, serial="0")
        self.ark, self.ask, self.vcek = (read(os.path.join(d, n + ".pem")) for n in
                                         ("ark", "ask", "vcek"))
        self.ark_der = pem_to_ders(self.ark)[0]
        self.ark_sha256 = hashlib.sha256(self.ark_der).digest()

    def sign(self, name, subj, issuer, ext, sigopts, serial="2"):
        openssl(self.d, "req", "-new", "-key", name + ".key", "-subj", subj, "-out", name + ".csr")
        openssl(self.d, "x509", "-req", "-in", name + ".csr", "-CA", issuer + ".pem", "-CAkey",
                issuer + ".key", "-set_serial", serial, "-days", "3000", "-extfile", ext,
                "-out", name + ".pem", *sigopts)

    @property
    def chain(self):
        return self.ask + self.ark

    def report(self, base=TRUSTEE, tcb=0x7308000000000003, chip_id=None, key=0, version=None,
               cpuid=None):
        """base with its TCB, chip id, signing key (and optionally version/CPUID) replaced,
        signed by this chain's VCEK."""
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
        r = bytearray(base)
        r[0x180:0x188] = struct.pack("<Q", tcb)
        r[0x48:0x4C] = struct.pack("<I", key << 2)
        if chip_id is not None:
            r[0x1A0:0x1E0] = chip_id
        if version is not None:
            r[0:4] = struct.pack("<I", version)
        if cpuid is not None:
            r[0x188:0x18B] = cpuid
        pk = serialization.load_pem_private_key(read(os.path.join(self.d, "vcek.key")), None)
        sig = pk.sign(bytes(r[:0x2A0]), ec.ECDSA(hashes.SHA384()))
        rr, ss = decode_dss_signature(sig)
        r[0x2A0:0x2E8] = rr.to_bytes(72, "little")
        r[0x2E8:0x330] = ss.to_bytes(72, "little")
        return bytes(r)


CHIP = bytes(range(64))


@pytest.fixture(scope="module")
def fakes(tmp_path_factory):
    base = str(tmp_path_factory.mktemp("amd"))
    made = {}

    def get(name, **kw):
        if name not in made:
            made[name] = FakeChain(os.path.join(base, name), **kw)
        return made[name]
    return get


def now():
    import time
    return int(time.time())


def test_unpinned_self_signed_ark_is_rejected_unless_trusted(fakes):
    c = fakes("plain", leaf_ext=amd_ext(hwid=CHIP))
    rep = c.report(chip_id=CHIP)
    e = rejected(snp, rep, vcek=c.vcek, chain=c.chain, at=now())
    assert e.name == "EVERIFY" and "not a pinned AMD root" in e.reason
    assert c.ark_sha256.hex() in e.reason
    e = rejected(snp, rep, vcek=c.vcek, chain=c.chain, at=now(), allow_sim=True)
    assert e.name == "EVERIFY"  # not the simulator's organisation either
    e = rejected(snp, rep, vcek=c.vcek, chain=c.chain, at=now(), roots=[bytes(32)])
    assert e.name == "EVERIFY"
    v = snp(rep, vcek=c.vcek, chain=c.chain, at=now(), roots=[bytes(32), c.ark_sha256])
    assert v.simulated == 1 and bytes(v.ark_sha256) == c.ark_sha256
    # The chain with only the ASK falls back to AMD's pinned ARK, which did not sign it.
    e = rejected(snp, rep, vcek=c.vcek, chain=c.ask, at=now(), roots=[c.ark_sha256])
    assert e.name == "EVERIFY" and "certificate chain" in e.reason


def test_simulation_root_needs_the_policy(fakes):
    c = fakes("sim", org=SIM_ORG, leaf_ext=amd_ext(hwid=CHIP))
    rep = c.report(chip_id=CHIP)
    e = rejected(snp, rep, vcek=c.vcek, chain=c.chain, at=now())
    assert e.name == "EPOLICY" and e.reason == \
        "simulated evidence (policy does not allow simulation)"
    assert snp(rep, vcek=c.vcek, chain=c.chain, at=now(), allow_sim=True).simulated == 1
    assert snp(rep, vcek=c.vcek, chain=c.chain, at=now(), roots=[c.ark_sha256]).simulated == 1
    # A simulated chain with a tampered report stays a forgery.
    e = rejected(snp, flip(rep, 0x90), vcek=c.vcek, chain=c.chain, at=now(), allow_sim=True)
    assert e.name == "EVERIFY"


def test_hwid_must_match_chip_id(fakes):
    c = fakes("plain", leaf_ext=amd_ext(hwid=CHIP))
    other = bytes(reversed(CHIP))
    e = rejected(snp, c.report(chip_id=other), vcek=c.vcek, chain=c.chain, at=now(),
                 roots=[c.ark_sha256])
    assert e.name == "EVERIFY" and e.reason == "snp: VCEK hwID does not match CHIP_ID"
    # A masked (all-zero) chip id cannot be bound and is left to the signature.
    assert snp(c.report(chip_id=bytes(64)), vcek=c.vcek, chain=c.chain, at=now(),
               roots=[c.ark_sha256]).product == 1


def test_spls_must_match_reported_tcb(fakes):
    c = fakes("plain", leaf_ext=amd_ext(hwid=CHIP))
    for tcb, what in [(0x7308000000000002, "blSPL 3 does not match REPORTED_TCB (2)"),
                      (0x7308000000000103, "teeSPL 0 does not match REPORTED_TCB (1)"),
                      (0x7309000000000003, "snpSPL 8 does not match REPORTED_TCB (9)"),
                      (0x7408000000000003, "ucodeSPL 115 does not match REPORTED_TCB (116)")]:
        e = rejected(snp, c.report(tcb=tcb, chip_id=CHIP), vcek=c.vcek, chain=c.chain, at=now(),
                     roots=[c.ark_sha256])
        assert e.name == "EVERIFY" and what in e.reason


def test_missing_extensions_are_rejected(fakes):
    c = fakes("nouc", leaf_ext=amd_ext(hwid=CHIP, drop=("3.8",)))
    e = rejected(snp, c.report(chip_id=CHIP), vcek=c.vcek, chain=c.chain, at=now(),
                 roots=[c.ark_sha256])
    assert e.name == "EVERIFY" and "lacks the ucodeSPL extension" in e.reason
    c = fakes("nohw", leaf_ext=amd_ext())
    e = rejected(snp, c.report(chip_id=CHIP), vcek=c.vcek, chain=c.chain, at=now(),
                 roots=[c.ark_sha256])
    assert e.name == "EVERIFY" and "lacks the hwID extension" in e.reason


def test_turin_layout_fmc_and_8_byte_hwid(fakes):
    # Turin TCB: byte0 FMC, byte1 BL, byte2 TEE, byte3 SNP, byte7 microcode.
    tcb = int.from_bytes(bytes([2, 3, 0, 8, 0, 0, 0, 0x48]), "little")
    kw = dict(tcb=tcb, chip_id=CHIP, version=3, cpuid=b"\x1a\x02\x00")
    c = fakes("turin", product="Turin", leaf_ext=amd_ext("Turin", (3, 0, 8, 0x48), 2, CHIP[:8]))
    v = snp(c.report(**kw), vcek=c.vcek, chain=c.chain, at=now(), roots=[c.ark_sha256])
    assert v.product == 3
    t = v.reported_tcb
    assert (t.fmc, t.bootloader, t.tee, t.snp, t.microcode) == (2, 3, 0, 8, 0x48)
    c = fakes("turin-nofmc", product="Turin", leaf_ext=amd_ext("Turin", (3, 0, 8, 0x48), None,
                                                               CHIP[:8]))
    e = rejected(snp, c.report(**kw), vcek=c.vcek, chain=c.chain, at=now(), roots=[c.ark_sha256])
    assert "lacks the fmcSPL extension" in e.reason
    c = fakes("turin-hw64", product="Turin", leaf_ext=amd_ext("Turin", (3, 0, 8, 0x48), 2, CHIP))
    e = rejected(snp, c.report(**kw), vcek=c.vcek, chain=c.chain, at=now(), roots=[c.ark_sha256])
    assert "hwID is 64 bytes, Turin uses 8" in e.reason


def test_product_disagreement_is_rejected(fakes):
    c = fakes("genoa-leaf", product="Genoa", leaf_ext=amd_ext("Genoa", hwid=CHIP))
    e = rejected(snp, c.report(chip_id=CHIP, version=3, cpuid=b"\x19\x01\x01"), vcek=c.vcek,
                 chain=c.chain, at=now(), roots=[c.ark_sha256])
    assert e.name == "EVERIFY" and "VCEK is for Genoa but the report's CPUID says Milan" in e.reason
    c = fakes("genoa-name", leaf_ext=amd_ext("Genoa", hwid=CHIP))  # issued by "SEV-Milan"
    e = rejected(snp, c.report(chip_id=CHIP), vcek=c.vcek, chain=c.chain, at=now(),
                 roots=[c.ark_sha256])
    assert e.name == "EVERIFY" and "productName Genoa disagrees with its issuer" in e.reason
    c = fakes("noname", leaf_ext=amd_ext(hwid=CHIP, drop=("2",)), ask_cn="Fake Intermediate")
    # No productName, no SEV-<product> issuer, no CPUID: the product cannot be told.
    e = rejected(snp, c.report(chip_id=CHIP), vcek=c.vcek, chain=c.chain, at=now(),
                 roots=[c.ark_sha256])
    assert "cannot tell the product" in e.reason


def test_vlek_signed_report(fakes):
    c = fakes("vlek", ask_cn="SEV-VLEK-Milan", leaf_ext=amd_ext())
    rep = c.report(key=1, chip_id=bytes(64))
    v = snp(rep, vcek=c.vcek, chain=c.chain, at=now(), roots=[c.ark_sha256])
    assert v.signing_key == 1
    pol = {"sev_snp": {"trusted_roots": [c.ark_sha256.hex()], "signing_keys": ["vcek"]}}
    e = rejected(verify_any, rep, pol, vcek=c.vcek, chain=c.chain, at=now())
    assert e.name == "EPOLICY" and "signing key vlek is not in signing_keys" in e.reason
    pol["sev_snp"]["signing_keys"] = ["vlek"]
    assert verify_any(rep, pol, vcek=c.vcek, chain=c.chain, at=now())["claims"]["custom"][
        "signing_key"] == "vlek"
    # Without a chain, AMD's built-in ASVK (parsed only when a VLEK needs it) is the issuer
    # tried, and it did not sign this VLEK.
    e = rejected(snp, rep, vcek=c.vcek, at=now(), roots=[c.ark_sha256])
    assert e.name == "EVERIFY" and "VCEK" in e.reason, e.reason


def test_chain_signature_parameters_are_amds(fakes):
    salt = ["-sha384", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"]
    c = fakes("salt32", leaf_ext=amd_ext(hwid=CHIP), ask_sigopts=salt)
    e = rejected(snp, c.report(chip_id=CHIP), vcek=c.vcek, chain=c.chain, at=now(),
                 roots=[c.ark_sha256])
    assert "ASK signature is not RSASSA-PSS with SHA-384, MGF1-SHA-384, salt 48" in e.reason
    c = fakes("pkcs1", leaf_ext=amd_ext(hwid=CHIP), ask_sigopts=["-sha384"])
    e = rejected(snp, c.report(chip_id=CHIP), vcek=c.vcek, chain=c.chain, at=now(),
                 roots=[c.ark_sha256])
    assert e.name == "EVERIFY" and "ASK signature is not RSASSA-PSS" in e.reason


def test_vcek_key_must_be_p384(fakes):
    c = fakes("p256", leaf_ext=amd_ext(hwid=CHIP), curve="P-256")
    rep = bytearray(TRUSTEE)
    rep[0x180:0x188] = struct.pack("<Q", 0x7308000000000003)
    rep[0x1A0:0x1E0] = CHIP
    e = rejected(snp, bytes(rep), vcek=c.vcek, chain=c.chain, at=now(), roots=[c.ark_sha256])
    assert e.name == "EVERIFY" and "not an EC P-384 key" in e.reason


# --- the provider-neutral entry point and evidence JSON -----------------------------------------

def b64(b):
    return base64.b64encode(b).decode()


def evidence(report, certs=(), issued_at=AT - 60, **extra):
    doc = {"provider": "amd_sev_snp", "format": "sev_snp_report", "issued_at_unix": issued_at,
           "measurement": {"algorithm": "sha384", "digest": report[0x90:0xC0].hex()},
           "claims": {}, "evidence": b64(report),
           "certificates": [{"kind": k, "der": b64(d)} for k, d in certs]}
    doc.update(extra)
    return json.dumps(doc).encode()


def test_evidence_json_with_its_certificates():
    ask, ark = pem_to_ders(MILAN_CHAIN)
    ev = evidence(TRUSTEE, [("vcek", TRUSTEE_VCEK), ("ask", ask), ("ark", ark)])
    out = verify_any(ev)
    assert out["issued_at_unix"] == AT - 60
    assert [c["kind"] for c in out["certificates"]] == ["vcek", "ask", "ark"]
    assert base64.b64decode(out["evidence"]) == TRUSTEE
    assert verify_any(evidence(TRUSTEE, [("vcek", TRUSTEE_VCEK)]))["claims"]["product_id"] == \
        "Milan"
    e = rejected(verify_any, evidence(TRUSTEE, [("vcek", flip(TRUSTEE_VCEK, 500)), ("ask", ask)]))
    assert e.name == "EVERIFY"
    e = rejected(verify_any, evidence(TRUSTEE, [("vcek", TRUSTEE_VCEK), ("ask", flip(ask, 900))]))
    assert e.name == "EVERIFY" and "ASK" in e.reason
    # The caller's VCEK overrides the evidence's.
    bad = evidence(TRUSTEE, [("vcek", vec("trustee-milan-v2/vcek-invalid-new.der"))])
    assert rejected(verify_any, bad).name == "EVERIFY"
    assert verify_any(bad, vcek=TRUSTEE_VCEK)["claims"]["product_id"] == "Milan"


def test_evidence_json_without_a_vcek_or_of_other_kinds():
    e = rejected(verify_any, evidence(TRUSTEE))
    assert e.name == "ENOTFOUND" and "no VCEK" in e.reason
    tdx = json.loads(evidence(TRUSTEE))
    tdx["format"] = "tdx_quote"
    e = rejected(verify_any, json.dumps(tdx).encode())
    assert e.name == "EUNSUPPORTED" and "tdx_quote" in e.reason
    azure = json.loads(evidence(TRUSTEE))
    azure["provider"] = "azure_snp"
    e = rejected(verify_any, json.dumps(azure).encode(), vcek=TRUSTEE_VCEK)
    # azure_snp's sev_snp_report evidence is the vTPM container (test_azure_vtpm.py), not a
    # bare report
    assert e.name == "EPARSE" and "azure_snp evidence is no Azure vTPM container" in e.reason


def test_simulated_flag_comes_from_the_chain_not_the_input():
    out = verify_any(evidence(TRUSTEE, [("vcek", TRUSTEE_VCEK)], simulated=True))
    assert "simulated" not in out and out["claims"]["custom"]["simulated"] is False


def test_max_age_secs():
    ev = evidence(TRUSTEE, [("vcek", TRUSTEE_VCEK)], issued_at=AT - 100)
    assert verify_any(ev, {"max_age_secs": 200})["issued_at_unix"] == AT - 100
    e = rejected(verify_any, ev, {"max_age_secs": 50})
    assert e.name == "EEXPIRED" and "max_age_secs 50" in e.reason
    e = rejected(verify_any, TRUSTEE, {"max_age_secs": 50}, vcek=TRUSTEE_VCEK)
    assert e.name == "EPOLICY" and "no issued_at" in e.reason
    # A forged report is reported as forged, not as old.
    e = rejected(verify_any, evidence(flip(TRUSTEE, 0x90), [("vcek", TRUSTEE_VCEK)], issued_at=1),
                 {"max_age_secs": 50})
    assert e.name == "EVERIFY"


def test_raw_hex_and_garbage_inputs():
    hexed = read(os.path.join(SNP, "virtee-milan-v2/report.hex"))
    assert verify_any(hexed, vcek=vec("virtee-milan-v2/vcek.der"))["claims"]["product_id"] == \
        "Milan"
    assert verify_any(TRUSTEE.hex().encode() + b"\n", vcek=TRUSTEE_VCEK)
    # input of no kind bptee verifies is named for what it looks like, not misparsed
    for bad in [b"hello", TRUSTEE[:100], TRUSTEE.hex()[:200].encode()]:
        e = rejected(verify_any, bad, vcek=TRUSTEE_VCEK)
        assert e.name == "EUNSUPPORTED" and "unsupported evidence: " in e.reason
    assert rejected(verify_any, b"{not json", vcek=TRUSTEE_VCEK).name == "EPARSE"


# --- the policy ----------------------------------------------------------------------------------

@pytest.mark.parametrize("policy,path", [
    ({"max_age": 1}, "'max_age'"),
    ({"tdx": {"allow_debgu": True}}, "'tdx.allow_debgu'"),
    ({"sev_snp": {"allow_debgu": True}}, "'sev_snp.allow_debgu'"),
    ({"sev_snp": {"min_tcb": {"ucode": 1}}}, "'sev_snp.min_tcb.ucode'"),
    ({"sev_snp": {"report_data": {"x25519": {}}}}, "'sev_snp.report_data.x25519'"),
    ({"sev_snp": {"report_data": {"x25519_binding": {"nonce": NONCE, "public_key": X25519,
                                                     "pk": X25519}}}},
     "'sev_snp.report_data.x25519_binding.pk'"),
])
def test_unknown_policy_keys_are_errors_naming_the_key(policy, path):
    e = rejected(Policy, policy)
    assert e.name == "EPARSE" and e.reason == "policy: unknown key " + path


@pytest.mark.parametrize("policy,what", [
    ({"max_age_secs": -1}, "max_age_secs"),
    ({"max_age_secs": "60"}, "max_age_secs"),
    ({"sev_snp": []}, "sev_snp: expected an object"),
    ({"sev_snp": {"allow_debug": "no"}}, "sev_snp.allow_debug"),
    ({"sev_snp": {"allow_simulation": 1}}, "sev_snp.allow_simulation"),
    ({"sev_snp": {"vmpls": [0, 4]}}, "sev_snp.vmpls[1]"),
    ({"sev_snp": {"vmpls": 0}}, "sev_snp.vmpls"),
    ({"sev_snp": {"min_tcb": {"snp": 256}}}, "sev_snp.min_tcb.snp"),
    ({"sev_snp": {"min_firmware": "1"}}, "sev_snp.min_firmware"),
    ({"sev_snp": {"min_firmware": "1.2.3.4"}}, "sev_snp.min_firmware"),
    ({"sev_snp": {"min_firmware": "1.300"}}, "sev_snp.min_firmware"),
    ({"sev_snp": {"measurements": ["zz" * 48]}}, "sev_snp.measurements[0]"),
    ({"sev_snp": {"measurements": "ab" * 48}}, "sev_snp.measurements"),
    ({"sev_snp": {"trusted_roots": ["ab" * 31]}}, "sev_snp.trusted_roots[0]"),
    ({"sev_snp": {"signing_keys": ["vcek", "tpm"]}}, "sev_snp.signing_keys[1]"),
    ({"sev_snp": {"report_data": "ab" * 63}}, "sev_snp.report_data"),
    ({"sev_snp": {"report_data": {}}}, "sev_snp.report_data"),
    ({"sev_snp": {"report_data": {"x25519_binding": {"nonce": NONCE}}}},
     "sev_snp.report_data.x25519_binding.public_key"),
    ('{"sev_snp": {}, "sev_snp": {}}', "duplicate"),
    ('{"sev_snp": ', "line 1"),
])
def test_malformed_policies_are_rejected_naming_the_field(policy, what):
    e = rejected(Policy, policy)
    assert e.name == "EPARSE" and what in e.reason, e.reason


def test_policy_load_from_a_file(tmp_path):
    p = tmp_path / "policy.json"
    p.write_text('{"sev_snp": {"allow_debug": true}}')
    h = c_void_p()
    check(policy_load(str(p).encode(), byref(h)))
    policy_free(h)
    p.write_text('{"sev_snp": {"alow_debug": true}}')
    e = rejected(lambda: check(policy_load(str(p).encode(), byref(h))))
    assert str(p) in e.reason and "unknown key 'sev_snp.alow_debug'" in e.reason
    e = rejected(lambda: check(policy_load(str(tmp_path / "none.json").encode(), byref(h))))
    assert e.name == "ENOTFOUND"


TRUSTEE_MEASUREMENT = TRUSTEE[0x90:0xC0].hex()


@pytest.mark.parametrize("ok,bad", [
    ({"measurements": [TRUSTEE_MEASUREMENT]}, {"measurements": ["00" * 48]}),
    ({"measurements": ["00" * 48, "sha384:" + TRUSTEE_MEASUREMENT]}, {"measurements": []}),
    ({"min_tcb": {"bootloader": 3, "tee": 0, "snp": 8, "microcode": 115, "fmc": 9}},
     {"min_tcb": {"microcode": 116}}),
    ({"min_tcb": {"snp": 8}}, {"min_tcb": {"snp": 9}}),
    ({"min_tcb": {"bootloader": 3}}, {"min_tcb": {"bootloader": 4}}),
    ({"min_tcb": {"tee": 0}}, {"min_tcb": {"tee": 1}}),
    ({"min_firmware": "1.52.4"}, {"min_firmware": "1.52.5"}),
    ({"min_firmware": "1.51.99"}, {"min_firmware": "1.53"}),
    ({"vmpls": [0]}, {"vmpls": [1, 2, 3]}),
    ({"signing_keys": ["vcek"]}, {"signing_keys": ["vlek"]}),
])
def test_policy_accept_and_reject_twins(ok, bad):
    verify_any(TRUSTEE, {"sev_snp": ok}, vcek=TRUSTEE_VCEK)
    e = rejected(verify_any, TRUSTEE, {"sev_snp": bad}, vcek=TRUSTEE_VCEK)
    assert e.name == "EPOLICY" and e.reason.startswith("policy: sev_snp: ")
    key = next(iter(bad))
    assert key.rstrip("s") in e.reason or key == "measurements" and "measurement" in e.reason


def test_policy_vmpl_of_a_paravisor_guest():
    rep = vec("teekit-gcp-milan-v5/sev-gcp-reportdata.bin")
    vcek = vec("teekit-gcp-milan-v5/sev-gcp-vcek.pem")
    verify_any(rep, {"sev_snp": {"vmpls": [0, 1]}}, vcek=vcek)
    e = rejected(verify_any, rep, {"sev_snp": {"vmpls": [0]}}, vcek=vcek)
    assert e.name == "EPOLICY" and "VMPL 1 is not in vmpls" in e.reason


def test_policy_exact_report_data():
    rd = TRUSTEE[0x50:0x90]
    verify_any(TRUSTEE, {"sev_snp": {"report_data": rd.hex()}}, vcek=TRUSTEE_VCEK)
    e = rejected(verify_any, TRUSTEE, {"sev_snp": {"report_data": flip(rd, 63).hex()}},
                 vcek=TRUSTEE_VCEK)
    assert e.name == "EVERIFY" and "REPORT_DATA does not match" in e.reason


# --- the simulator's evidence --------------------------------------------------------------------

@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """Evidence JSON from the simulated TEE (its own state directory) and its ARK fingerprint."""
    sim_open = fn("bptee_sim_open", c_int, c_char_p, c_void_p, POINTER(c_void_p))
    sim_free = fn("bptee_sim_free", None, c_void_p)
    sim_report = fn("bptee_sim_report", c_int, c_void_p, c_void_p, c_size_t, ctypes.c_uint32,
                    c_void_p, c_size_t)
    sim_cert = fn("bptee_sim_cert", c_int, c_void_p, c_int, POINTER(c_void_p), POINTER(c_size_t))
    sim_fp = fn("bptee_sim_ark_fingerprint", c_int, c_void_p, arr(32))
    h = c_void_p()
    check(sim_open(str(tmp_path_factory.mktemp("sim")).encode(), None, byref(h)))
    try:
        out = ctypes.create_string_buffer(1184)
        check(sim_report(h, cbuf(b"\x42" * 64), 64, 0, out, 1184))
        certs = []
        for kind, name in [(1, "vcek"), (3, "ask"), (4, "ark")]:
            p, n = c_void_p(), c_size_t()
            check(sim_cert(h, kind, byref(p), byref(n)))
            certs.append((name, ctypes.string_at(p, n.value)))
        fp = arr(32)()
        check(sim_fp(h, fp))
        return out.raw, certs, bytes(fp)
    finally:
        sim_free(h)


def test_simulated_evidence_is_rejected_by_default(sim):
    report, certs, fp = sim
    ev = evidence(report, certs, issued_at=now())
    for policy in (None, {}, {"sev_snp": {"allow_simulation": False}},
                   {"sev_snp": {"trusted_roots": ["00" * 32]}}):
        e = rejected(verify_any, ev, policy, at=now())
        assert e.name == "EPOLICY"
        assert e.reason == "simulated evidence (policy does not allow simulation)"


def test_simulated_evidence_accepted_when_the_policy_names_it(sim):
    report, certs, fp = sim
    ev = evidence(report, certs, issued_at=now())
    for policy in ({"sev_snp": {"allow_simulation": True}},
                   {"sev_snp": {"trusted_roots": ["sha256:" + fp.hex()]}}):
        out = verify_any(ev, policy, at=now())
        assert out["simulated"] is True and out["claims"]["custom"]["simulated"] is True
        assert out["claims"]["custom"]["ark_sha256"] == fp.hex()
        assert out["claims"]["user_data"] == b64(b"\x42" * 64)
    e = rejected(verify_any, evidence(flip(report, 0x55), certs), {"sev_snp": {
        "allow_simulation": True}}, at=now())
    assert e.name == "EVERIFY" and "report signature" in e.reason
    # Simulated certificates never pass for AMD's: without its ARK the chain ends at AMD's root.
    e = rejected(verify_any, evidence(report, certs[:2]), {"sev_snp": {"allow_simulation": True}},
                 at=now())
    assert e.name == "EVERIFY"


# --- the CLI ---------------------------------------------------------------------------------------

def cli(*args, **kw):
    return bptee.cli(*args, **kw)


def test_cli_inspect_every_input_form(tmp_path):
    ev = tmp_path / "ev.json"
    ev.write_bytes(evidence(TRUSTEE, [("vcek", TRUSTEE_VCEK)]))
    for path in [os.path.join(SNP, "trustee-milan-v2/report.bin"), str(ev)]:
        r = cli("inspect", path)
        assert r.returncode == 0, r.stderr
        for text in ["version              2", "0x3001f", "DEBUG off", TRUSTEE_MEASUREMENT,
                     "current_firmware     1.52.4", "bootloader 3, tee 0, snp 8, microcode 115",
                     "SIGNING_KEY VCEK", "not in version 2 reports", "chip_id", "signature_s"]:
            assert text in r.stdout, text
    assert "vcek (" in cli("inspect", str(ev)).stdout
    r = cli("inspect", os.path.join(SNP, "virtee-milan-v2/report.hex"))
    assert r.returncode == 0 and "0x30000" in r.stdout
    r = cli("inspect", os.path.join(SNP, "teekit-gcp-milan-v5/sev-gcp.bin"))
    assert "Milan (from CPUID)" in r.stdout and "launch_mit_vector" in r.stdout
    r = cli("inspect", os.path.join(SNP, "gosev-milan-v2/report.bin"))
    assert "DEBUG on" in r.stdout


def test_cli_inspect_marks_simulated_evidence(tmp_path, sim):
    report, certs, _ = sim
    ev = tmp_path / "sim.json"
    ev.write_bytes(evidence(report, certs, simulated=True))
    r = cli("inspect", str(ev))
    assert r.returncode == 0 and "SIMULATED" in r.stdout


def test_cli_inspect_errors(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(flip(TRUSTEE, 0x04C))
    r = cli("inspect", str(bad))
    assert r.returncode == 1 and r.stderr.startswith("bptee: ") and "MBZ" in r.stderr
    (tmp_path / "junk").write_text("not a report")
    assert cli("inspect", str(tmp_path / "junk")).returncode == 1
    assert cli("inspect", str(tmp_path / "missing")).returncode == 1
    assert cli("inspect").returncode == 2
    assert cli("inspect", "--frobnicate").returncode == 2
    r = cli("inspect", "--help")
    assert r.returncode == 0 and "usage: bptee inspect" in r.stdout


TRUSTEE_PATH = os.path.join(SNP, "trustee-milan-v2/report.bin")
TRUSTEE_VCEK_PATH = os.path.join(SNP, "trustee-milan-v2/vcek.der")


@pytest.mark.parametrize("at", ["2026-01-01", "1767225600", "2026-01-01T00:00:00Z"])
def test_cli_verify_accepts_at_the_vectors_time(at):
    r = cli("verify", TRUSTEE_PATH, "--vcek", TRUSTEE_VCEK_PATH, "--at", at)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("verified: amd_sev_snp sev_snp_report")
    assert "sha384:" + TRUSTEE_MEASUREMENT in r.stdout and "simulated      no" in r.stdout
    assert "2026-01-01T00:00:00Z" in r.stdout


def test_cli_verify_rejections():
    base = ["verify", TRUSTEE_PATH, "--vcek", TRUSTEE_VCEK_PATH]
    r = cli(*base, "--at", "2031-01-01")
    assert r.returncode == 1 and "VCEK has expired" in r.stderr and r.stdout == ""
    r = cli(*base, "--at", "2026-01-01", "--chain", os.path.join(ROOTS, "ask_ark_genoa.pem"))
    assert r.returncode == 1 and "Genoa ARK" in r.stderr
    r = cli("verify", os.path.join(SNP, "gosev-milan-v2/report.bin"), "--vcek",
            os.path.join(SNP, "gosev-milan-v2/vcek.der"), "--at", "2026-01-01")
    assert r.returncode == 1 and "POLICY.DEBUG" in r.stderr
    r = cli("verify", TRUSTEE_PATH, "--at", "2026-01-01")
    assert r.returncode == 1 and "no VCEK" in r.stderr


def test_cli_verify_policy_and_json(tmp_path):
    pol = tmp_path / "p.json"
    pol.write_text(json.dumps({"sev_snp": {"allow_debug": True, "vmpls": [0]}}))
    r = cli("verify", os.path.join(SNP, "gosev-milan-v2/report.bin"), "--vcek",
            os.path.join(SNP, "gosev-milan-v2/vcek.der"), "--at", "2026-01-01", "--policy",
            str(pol), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["claims"]["debug_mode"] is True and out["provider"] == "amd_sev_snp"
    pol.write_text('{"sev_snp": {"allow_debug": true, "vmpl": [0]}}')
    r = cli("verify", TRUSTEE_PATH, "--vcek", TRUSTEE_VCEK_PATH, "--policy", str(pol))
    assert r.returncode == 1 and "unknown key 'sev_snp.vmpl'" in r.stderr


def test_cli_verify_simulated_evidence(tmp_path, sim):
    report, certs, _ = sim
    ev = tmp_path / "sim.json"
    ev.write_bytes(evidence(report, certs, issued_at=now()))
    r = cli("verify", str(ev))
    assert r.returncode == 1
    assert "simulated evidence (policy does not allow simulation)" in r.stderr
    pol = tmp_path / "p.json"
    pol.write_text('{"sev_snp": {"allow_simulation": true}}')
    r = cli("verify", str(ev), "--policy", str(pol))
    assert r.returncode == 0 and "SIMULATED" in r.stdout.splitlines()[0]


@pytest.mark.parametrize("args", [[], ["a", "b"], ["--at", "yesterday", "x"],
                                  ["--at", "2026-13-01", "x"], ["--bogus", "x"], ["x", "--vcek"]])
def test_cli_verify_usage_errors(args):
    r = cli("verify", *args)
    assert r.returncode == 2 and r.stderr.startswith("bptee: verify")


def test_cli_verify_help():
    r = cli("verify", "--help")
    assert r.returncode == 0 and "--policy FILE" in r.stdout and "--at TIME" in r.stdout


def test_docs_policy_examples_parse_and_behave_as_documented():
    import re
    with open(os.path.join(bptee.ROOT, "docs", "policy.md")) as f:
        blocks = re.findall(r"```json\n(.*?)```", f.read(), re.S)
    assert len(blocks) >= 4
    for b in blocks:
        Policy(b)
    prod = json.loads(blocks[0])
    ev = evidence(TRUSTEE, [("vcek", TRUSTEE_VCEK)], issued_at=AT - 10)
    e = rejected(verify_any, ev, prod)
    assert e.name == "EVERIFY" and "x25519_binding" in e.reason
    del prod["sev_snp"]["report_data"]
    assert verify_any(ev, prod)["claims"]["product_id"] == "Milan"
    x = vec("teekit-gcp-milan-v5/sev-gcp-x25519-bound.bin")
    binding = {"sev_snp": json.loads(blocks[0])["sev_snp"]["report_data"]}
    verify_any(x, {"sev_snp": {"report_data": binding["sev_snp"]}},
               vcek=vec("teekit-gcp-milan-v5/sev-gcp-x25519-vcek.pem"))


def test_options_struct_sizes():
    class Longer(Structure):
        _fields_ = [("o", SnpOpts), ("extra", ctypes.c_uint64)]
    rb, vb = cbuf(TRUSTEE), cbuf(TRUSTEE_VCEK)
    v = Verified()
    base = dict(at=AT, vcek=ctypes.cast(vb, c_void_p), vcek_len=len(TRUSTEE_VCEK))
    # An older caller's struct without the trust fields: they read as zero.
    old = SnpOpts(sz=SnpOpts.trusted_roots.offset, **base)
    check(snp_verify(rb, len(TRUSTEE), byref(old), byref(v)))
    longer = Longer(o=SnpOpts(sz=ctypes.sizeof(Longer), **base), extra=0)
    check(snp_verify(rb, len(TRUSTEE), ctypes.cast(byref(longer), POINTER(SnpOpts)), byref(v)))
    longer.extra = 1
    e = rejected(lambda: check(snp_verify(rb, len(TRUSTEE),
                                          ctypes.cast(byref(longer), POINTER(SnpOpts)), byref(v))))
    assert e.name == "EINVAL" and "does not know" in e.reason
    tiny = SnpOpts(sz=4, **base)
    assert rejected(lambda: check(snp_verify(rb, len(TRUSTEE), byref(tiny), byref(v)))).name == \
        "EINVAL"
    bad = SnpOpts(sz=ctypes.sizeof(SnpOpts), at=AT, vcek_len=10)
    e = rejected(lambda: check(snp_verify(rb, len(TRUSTEE), byref(bad), byref(v))))
    assert e.name == "EINVAL" and "without its buffer" in e.reason
