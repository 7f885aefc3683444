# SPDX-License-Identifier: Apache-2.0
"""The simulated SEV-SNP TEE (include/bptee/sim.h) and `bptee sim`: the state directory, the
AMD-shaped certificate chain, signed reports in the exact format, SNP_GET_DERIVED_KEY's
semantics and `bptee sim init/report`. The configfs-tsm emulation (`bptee sim tsm-fs`) is
exercised by test_guest_tsm.py, the ioctl emulation by test_guest.py."""
import concurrent.futures
import ctypes
import hashlib
import os
import shutil
import struct
import subprocess
from ctypes import POINTER, Structure, byref, c_char_p, c_int, c_size_t, c_uint8, c_uint32
from ctypes import c_uint64, c_void_p

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

import bptee
from bptee import BpteeError, check, cli, take_bytes

SIM_ORG = "bptee simulated TEE - not hardware"
AMD_OID = "1.3.6.1.4.1.3704.1."
REPORT_SIZE = 1184
ALLOW_SIM = '{"sev_snp": {"allow_simulation": true}}'


def fn(name, restype, *argtypes):
    f = bptee.lib[name]  # a private function object (ctypes caches lib.NAME)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


class SimOpts(Structure):
    _fields_ = [("sz", c_size_t), ("version", c_uint32), ("policy", c_uint64),
                ("measurement", c_char_p), ("host_data", c_char_p), ("family_id", c_char_p),
                ("image_id", c_char_p), ("guest_svn", c_uint32)]


class KeyReq(Structure):
    _fields_ = [("root_key_select", c_uint32), ("guest_field_select", c_uint64),
                ("vmpl", c_uint32), ("guest_svn", c_uint32), ("tcb_version", c_uint64)]


class Cert(Structure):
    _fields_ = [("guid", c_uint8 * 16), ("kind", c_int), ("der", c_void_p), ("der_len", c_size_t)]


sim_open = fn("bptee_sim_open", c_int, c_char_p, POINTER(SimOpts), POINTER(c_void_p))
sim_free = fn("bptee_sim_free", None, c_void_p)
sim_report = fn("bptee_sim_report", c_int, c_void_p, c_char_p, c_size_t, c_uint32, c_char_p,
                c_size_t)
sim_certtable = fn("bptee_sim_certtable", c_int, c_void_p, POINTER(c_void_p), POINTER(c_size_t))
sim_cert = fn("bptee_sim_cert", c_int, c_void_p, c_int, POINTER(c_void_p), POINTER(c_size_t))
sim_ark_fp = fn("bptee_sim_ark_fingerprint", c_int, c_void_p, c_char_p)
sim_chip_id = fn("bptee_sim_chip_id", c_int, c_void_p, c_char_p)
sim_tcb = fn("bptee_sim_tcb", c_uint64, c_void_p)
sim_derived_key = fn("bptee_sim_derived_key", c_int, c_void_p, POINTER(KeyReq), c_char_p,
                     c_size_t)
sim_cert_is_simulated = fn("bptee_sim_cert_is_simulated", c_int, c_char_p, c_size_t)
sim_default_dir = fn("bptee_sim_default_state_dir", c_int, POINTER(c_void_p))
certtable_parse = fn("bptee_snp_certtable_parse", c_int, c_char_p, c_size_t, POINTER(Cert),
                     c_size_t, POINTER(c_size_t))

VCEK, ASK, ARK = 1, 3, 4
F_POLICY, F_IMAGE, F_FAMILY, F_MEAS, F_SVN, F_TCB = (1 << i for i in range(6))


class Sim:
    """An open simulator (closed by the fixture or the with-block)."""

    def __init__(self, state_dir, **opts):
        o = None
        self._keep = []
        if opts:
            o = SimOpts(sz=ctypes.sizeof(SimOpts))
            for k, v in opts.items():
                if isinstance(v, bytes):
                    self._keep.append(v)
                setattr(o, k, v)
        self.h = c_void_p()
        check(sim_open(str(state_dir).encode(), byref(o) if o else None, byref(self.h)))

    def close(self):
        sim_free(self.h)
        self.h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def report(self, report_data=b"", vmpl=0):
        out = ctypes.create_string_buffer(REPORT_SIZE)
        check(sim_report(self.h, report_data, len(report_data), vmpl, out, REPORT_SIZE))
        return out.raw

    def cert(self, kind):
        p, n = c_void_p(), c_size_t()
        check(sim_cert(self.h, kind, byref(p), byref(n)))
        return ctypes.string_at(p, n.value)

    def certtable(self):
        p, n = c_void_p(), c_size_t()
        check(sim_certtable(self.h, byref(p), byref(n)))
        return take_bytes(p.value, n.value)

    def ark_fingerprint(self):
        out = ctypes.create_string_buffer(32)
        check(sim_ark_fp(self.h, out))
        return out.raw.hex()

    def chip_id(self):
        out = ctypes.create_string_buffer(64)
        check(sim_chip_id(self.h, out))
        return out.raw

    def derived_key(self, root=0, fields=0, vmpl=0, svn=0, tcb=0):
        req = KeyReq(root, fields, vmpl, svn, tcb)
        out = ctypes.create_string_buffer(32)
        check(sim_derived_key(self.h, byref(req), out, 32))
        return out.raw


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    """One simulator state for the module: RSA-4096 generation is the slow part."""
    return tmp_path_factory.mktemp("simstate") / "state"


@pytest.fixture(scope="module")
def sim(state):
    s = Sim(state)
    yield s
    s.close()


def load(der):
    return x509.load_der_x509_certificate(der)


def verify_report_sig(report, vcek_der):
    r = int.from_bytes(report[0x2A0:0x2A0 + 72], "little")
    s = int.from_bytes(report[0x2E8:0x2E8 + 72], "little")
    load(vcek_der).public_key().verify(utils.encode_dss_signature(r, s), report[:0x2A0],
                                       ec.ECDSA(hashes.SHA384()))


def ext(cert, oid):
    return cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(AMD_OID + oid)).value.value


# --- the state directory ---------------------------------------------------------------------

def test_state_is_private_and_complete(sim, state):
    assert oct(os.stat(state).st_mode & 0o777) == "0o700"
    names = sorted(os.listdir(state))
    assert names == ["ark.der", "ask.der", "platform.json", "root.key", "vcek-key.pem",
                     "vcek.der"]
    for n in names:
        assert os.stat(state / n).st_mode & 0o777 == 0o600, n
    assert not [p for p in os.listdir(state.parent) if ".tmp." in p]  # nothing left behind


def test_state_is_reused_across_runs(sim, state):
    fp = sim.ark_fingerprint()
    assert fp == hashlib.sha256((state / "ark.der").read_bytes()).hexdigest()
    r = cli("sim", "init", "--state-dir", state)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == fp
    with Sim(state) as again:
        assert again.ark_fingerprint() == fp
        assert again.chip_id() == sim.chip_id()


def test_concurrent_first_use_agrees_on_one_platform(sim, tmp_path):
    new = tmp_path / "fresh"
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        runs = list(pool.map(lambda _: cli("sim", "init", "--state-dir", new, timeout=120),
                             range(3)))
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    fps = {r.stdout.strip() for r in runs}
    assert len(fps) == 1
    assert fps != {sim.ark_fingerprint()}  # a different state is a different platform
    assert sorted(os.listdir(tmp_path)) == ["fresh"]  # the losers cleaned up


def test_state_refuses_open_permissions(sim, state):
    os.chmod(state, 0o755)
    try:
        with pytest.raises(BpteeError) as e:
            Sim(state)
        assert e.value.name == "EDENIED" and "0700" in e.value.reason
    finally:
        os.chmod(state, 0o700)
    os.chmod(state / "root.key", 0o644)
    try:
        with pytest.raises(BpteeError) as e:
            Sim(state)
        assert e.value.name == "EDENIED" and "root.key" in e.value.reason
    finally:
        os.chmod(state / "root.key", 0o600)


def test_state_refuses_a_foreign_directory(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(BpteeError) as e:
        Sim(tmp_path)
    assert "not a simulator state directory" in e.value.reason
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]


def test_state_damage_is_reported(sim, state, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(state, copy)
    with Sim(copy) as same:  # an intact copy is the same platform
        assert same.ark_fingerprint() == sim.ark_fingerprint()
    (copy / "root.key").write_bytes(bytes(31))
    with pytest.raises(BpteeError) as e:
        Sim(copy)
    assert "root.key" in e.value.reason and "31 bytes" in e.value.reason
    shutil.copy2(state / "root.key", copy / "root.key")
    with Sim(tmp_path / "other") as other:  # another platform's VCEK key does not fit
        pass
    shutil.copy2(tmp_path / "other" / "vcek-key.pem", copy / "vcek-key.pem")
    with pytest.raises(BpteeError) as e:
        Sim(copy)
    assert "does not match vcek.der" in e.value.reason
    (copy / "platform.json").write_text('{"bptee_sim_state": 1, "product": "Milan"}')
    with pytest.raises(BpteeError) as e:
        Sim(copy)
    assert e.value.name == "EPARSE" and "platform.json" in e.value.reason


def test_default_state_dir_follows_xdg(monkeypatch):
    p = c_void_p()
    monkeypatch.setenv("XDG_STATE_HOME", "/x/state")
    check(sim_default_dir(byref(p)))
    assert bptee.take_string(p.value) == "/x/state/bptee/sim"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", "/home/someone")
    check(sim_default_dir(byref(p)))
    assert bptee.take_string(p.value) == "/home/someone/.local/state/bptee/sim"


# --- the certificate chain -------------------------------------------------------------------

def test_chain_is_shaped_like_amds(sim):
    ark, ask, vcek = (load(sim.cert(k)) for k in (ARK, ASK, VCEK))
    for c, cn in ((ark, "ARK-Milan"), (ask, "SEV-Milan"), (vcek, "SEV-VCEK")):
        org = c.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)
        assert [a.value for a in org] == [SIM_ORG]
        assert c.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == cn
    assert ark.issuer == ark.subject and ask.issuer == ark.subject and vcek.issuer == ask.subject
    assert ark.public_key().key_size == 4096 and ask.public_key().key_size == 4096
    assert isinstance(vcek.public_key().curve, ec.SECP384R1)
    assert vcek.serial_number == 0
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)
    for child, parent in ((ark, ark), (ask, ark), (vcek, ask)):
        assert child.signature_algorithm_oid.dotted_string == "1.2.840.113549.1.1.10"
        parent.public_key().verify(child.signature, child.tbs_certificate_bytes, pss,
                                   hashes.SHA384())
    # Tamper twin: the wrong issuer key does not verify.
    with pytest.raises(Exception):
        ask.public_key().verify(ask.signature, ask.tbs_certificate_bytes, pss, hashes.SHA384())


def test_vcek_extensions_match_the_platform(sim):
    vcek = load(sim.cert(VCEK))
    tcb = struct.pack("<Q", sim_tcb(sim.h))
    assert ext(vcek, "1") == bytes([2, 1, 0])
    assert ext(vcek, "2") == b"\x16\x08Milan-B0"
    for oid, byte in (("3.1", 0), ("3.2", 1), ("3.3", 6), ("3.8", 7)):
        want = tcb[byte]
        enc = bytes([2, 1, want]) if want < 0x80 else bytes([2, 2, 0, want])
        assert ext(vcek, oid) == enc, oid
    assert ext(vcek, "4") == sim.chip_id()  # raw, no DER tag
    assert len(sim.chip_id()) == 64 and sim.chip_id() != bytes(64)


def test_openssl_verifies_the_chain(sim, tmp_path):
    for k, n in ((ARK, "ark"), (ASK, "ask"), (VCEK, "vcek")):
        (tmp_path / f"{n}.der").write_bytes(sim.cert(k))
        subprocess.run(["openssl", "x509", "-inform", "der", "-in", tmp_path / f"{n}.der",
                        "-out", tmp_path / f"{n}.pem"], check=True)
    ok = subprocess.run(["openssl", "verify", "-CAfile", tmp_path / "ark.pem", "-untrusted",
                         tmp_path / "ask.pem", tmp_path / "vcek.pem"], capture_output=True)
    assert ok.returncode == 0, ok.stderr
    amd = os.path.join(bptee.VECTORS, "amd-roots", "ask_ark_milan.pem")
    bad = subprocess.run(["openssl", "verify", "-CAfile", amd, "-untrusted", amd,
                          tmp_path / "vcek.pem"], capture_output=True)
    assert bad.returncode != 0  # AMD's real roots never vouch for the simulation


def test_cert_is_simulated(sim):
    for k in (VCEK, ASK, ARK):
        der = sim.cert(k)
        assert sim_cert_is_simulated(der, len(der)) == 1
    real = open(os.path.join(bptee.VECTORS, "sev-snp", "trustee-milan-v2", "vcek.der"),
                "rb").read()
    assert sim_cert_is_simulated(real, len(real)) == 0
    assert sim_cert_is_simulated(b"garbage", 7) == 0


def test_certtable_holds_vcek_ask_ark(sim):
    table = sim.certtable()
    certs = (Cert * 8)()
    n = c_size_t()
    check(certtable_parse(table, len(table), certs, 8, byref(n)))
    got = {certs[i].kind: ctypes.string_at(certs[i].der, certs[i].der_len)
           for i in range(n.value)}
    assert got == {VCEK: sim.cert(VCEK), ASK: sim.cert(ASK), ARK: sim.cert(ARK)}


# --- reports ---------------------------------------------------------------------------------

def test_report_fields_and_signature(sim):
    rd = bytes(range(64))
    rep = sim.report(rd, vmpl=1)
    assert len(rep) == REPORT_SIZE
    u32 = lambda off: struct.unpack_from("<I", rep, off)[0]  # noqa: E731
    u64 = lambda off: struct.unpack_from("<Q", rep, off)[0]  # noqa: E731
    assert u32(0) == 5 and u64(8) == 0x30000 and u32(0x30) == 1 and u32(0x34) == 1
    assert u32(0x48) == 0  # signed by the VCEK
    assert rep[0x50:0x90] == rd
    assert rep[0x90:0xC0] == hashlib.sha384(b"bptee simulated guest").digest()
    tcb = sim_tcb(sim.h)
    assert u64(0x38) == tcb and u64(0x180) == tcb and u64(0x1E0) == tcb and u64(0x1F0) == tcb
    assert rep[0x188:0x18B] == bytes([0x19, 0x01, 0x01])
    assert rep[0x1A0:0x1E0] == sim.chip_id()
    assert rep[0x160:0x180] == b"\xff" * 32 and rep[0x140:0x160] != bytes(32)
    assert rep[0x1E8:0x1EB] == bytes([35, 55, 1])
    verify_report_sig(rep, sim.cert(VCEK))
    for off in (0x50, 0x1A0, 0x29F, 0x2A0, 0x2E8):  # tamper twins: signed bytes, R, S
        bad = bytearray(rep)
        bad[off] ^= 1
        with pytest.raises(Exception):
            verify_report_sig(bytes(bad), sim.cert(VCEK))


def test_reports_are_fresh_signatures(sim):
    a, b = sim.report(b"x"), sim.report(b"x")
    assert a[:0x2A0] == b[:0x2A0] and a[0x2A0:] != b[0x2A0:]


def test_short_report_data_is_zero_padded(sim):
    assert sim.report(b"\x01\x02")[0x50:0x90] == b"\x01\x02" + bytes(62)


def test_guest_options(state):
    meas, host = bytes([7]) * 48, bytes([9]) * 32
    with Sim(state, version=2, policy=0xB0000, measurement=meas, host_data=host) as s:
        rep = s.report()
    assert struct.unpack_from("<I", rep, 0)[0] == 2
    assert struct.unpack_from("<Q", rep, 8)[0] == 0xB0000  # debug
    assert rep[0x90:0xC0] == meas and rep[0xC0:0xE0] == host
    assert rep[0x188:0x1A0] == bytes(24)  # v2 has no CPUID fields
    with Sim(state, version=3) as s:
        assert s.report()[0x188] == 0x19


@pytest.mark.parametrize("opts,why", [
    ({"version": 4}, "version 4"), ({"version": 6}, "version 6"),
    ({"policy": 0x10000}, "bit 17"), ({"policy": 1 << 40 | 0x20000}, "63:26"),
])
def test_guest_options_rejected(state, opts, why):
    with pytest.raises(BpteeError) as e:
        Sim(state, **opts)
    assert e.value.name == "EINVAL" and why in e.value.reason


def test_report_rejects_bad_requests(sim):
    out = ctypes.create_string_buffer(REPORT_SIZE)
    assert sim_report(sim.h, bytes(65), 65, 0, out, REPORT_SIZE) == bptee.CODES["EINVAL"]
    assert "at most 64" in bptee.last_error()
    assert sim_report(sim.h, b"", 0, 4, out, REPORT_SIZE) == bptee.CODES["EINVAL"]
    assert "VMPL 4" in bptee.last_error()
    assert sim_report(sim.h, b"", 0, 0, out, 100) == bptee.CODES["ELIMIT"]


# --- derived keys ----------------------------------------------------------------------------

def test_derived_key_is_deterministic(sim, state):
    k = sim.derived_key(fields=F_MEAS | F_POLICY)
    assert len(k) == 32 and k == sim.derived_key(fields=F_MEAS | F_POLICY)
    with Sim(state) as again:
        assert again.derived_key(fields=F_MEAS | F_POLICY) == k


def test_derived_key_changes_with_the_request(sim):
    base = sim.derived_key()
    variants = [sim.derived_key(root=1), sim.derived_key(vmpl=1),
                sim.derived_key(fields=F_MEAS), sim.derived_key(fields=F_POLICY),
                sim.derived_key(fields=F_TCB, tcb=sim_tcb(sim.h)),
                sim.derived_key(fields=F_TCB, tcb=0), sim.derived_key(fields=F_SVN)]
    assert len({base, *variants}) == len(variants) + 1


def test_derived_key_mixes_only_selected_fields(state, sim):
    other = bytes([1]) * 48
    with Sim(state, measurement=other) as s:
        # Measurement selected: a different guest gets a different key ...
        assert s.derived_key(fields=F_MEAS) != sim.derived_key(fields=F_MEAS)
        # ... not selected: the same key, whatever the measurement.
        assert s.derived_key(fields=F_POLICY) == sim.derived_key(fields=F_POLICY)
        # A request's tcb_version only matters when selected.
        assert s.derived_key(tcb=0) == s.derived_key(tcb=sim_tcb(sim.h))


def test_derived_key_refuses_what_firmware_refuses(sim, state):
    tcb = sim_tcb(sim.h)
    for kw, why in [({"svn": 1}, "guest_svn 1"), ({"tcb": tcb + (1 << 56)}, "above the current"),
                    ({"root": 2}, "root_key_select 2"), ({"fields": 1 << 7}, "reserved"),
                    ({"vmpl": 4}, "VMPL 4")]:
        with pytest.raises(BpteeError) as e:
            sim.derived_key(**kw)
        assert e.value.name == "EINVAL" and why in e.value.reason, kw
    with Sim(state, guest_svn=3) as s:  # older SVNs stay derivable, newer ones never
        assert s.derived_key(fields=F_SVN, svn=2) != s.derived_key(fields=F_SVN, svn=3)
        with pytest.raises(BpteeError):
            s.derived_key(svn=4)


def test_derived_key_depends_on_the_state(sim, tmp_path):
    with Sim(tmp_path / "other") as s:
        assert s.derived_key() != sim.derived_key()


# --- `bptee sim` -----------------------------------------------------------------------------

def test_cli_sim_report(sim, state, tmp_path):
    out, certs = tmp_path / "r.bin", tmp_path / "certs.bin"
    r = cli("sim", "report", "--state-dir", state, "--report-data", "ab" * 64, "--vmpl", "2",
            "--measurement", "cd" * 48, "--certs", certs, "-o", out)
    assert r.returncode == 0, r.stderr
    rep = out.read_bytes()
    assert len(rep) == REPORT_SIZE and rep[0x50:0x90] == b"\xab" * 64
    assert rep[0x90:0xC0] == b"\xcd" * 48 and struct.unpack_from("<I", rep, 0x30)[0] == 2
    assert certs.read_bytes() == sim.certtable()
    verify_report_sig(rep, sim.cert(VCEK))


@pytest.mark.parametrize("args,msg", [
    (["--report-data", "zz"], "not hex"),
    (["--report-data", "ab" * 65], "65 bytes"),
    (["--measurement", "ab" * 47], "exactly 48"),
    (["--vmpl", "4"], "out of range"),
    (["--policy", "-1"], "not a number"),
    (["--bogus"], "unknown option"),
])
def test_cli_sim_report_usage_errors(state, tmp_path, args, msg):
    r = cli("sim", "report", "--state-dir", state, *args, "-o", tmp_path / "r.bin")
    assert r.returncode == 2 and msg in r.stderr, r.stderr
    assert not (tmp_path / "r.bin").exists()


def test_cli_sim_report_invalid_guest(state, tmp_path):
    r = cli("sim", "report", "--state-dir", state, "--version", "4", "-o", tmp_path / "r")
    assert r.returncode == 1 and "version 4" in r.stderr


def test_cli_sim_help_and_unknown():
    assert cli("sim", "--help").returncode == 0
    assert cli("sim", "frobnicate").returncode == 2
    assert cli("sim").returncode == 2
