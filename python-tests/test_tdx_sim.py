# SPDX-License-Identifier: Apache-2.0
"""The simulated TDX platform (src/sim/tdx_*.c): its state directory, its TDREPORTs and quotes
in the exact binary format, its collateral, and how verification treats them: rejected by
default, accepted under allow_simulation or a trusted root, and tampered ones never."""
import base64
import ctypes
import hashlib
import hmac
import json
import os
import stat
import struct
from ctypes import byref, c_size_t, c_uint8

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

import bptee
from bptee import buf, check, take_string
from test_tdx_format import (L, PCK_CRL, QE_IDENTITY, ROOT_CRL, SIGNING_CHAIN, TCB_INFO, P,
                             Collateral, Policy, SimCollOpts, SimOpts, call, expect,
                             flip, pck_ext, pem_certs, quote_json, split, verify, verify_evidence)

SIM_ORG = "bptee simulated TEE - not hardware"


class Sim:
    def __init__(self, state_dir, **opts):
        self.h = P()
        self.keep = []
        o = SimOpts(sz=ctypes.sizeof(SimOpts))
        for k, v in opts.items():
            if isinstance(v, bytes):
                b = (c_uint8 * len(v)).from_buffer_copy(v)
                self.keep.append(b)
                v = ctypes.cast(b, ctypes.c_void_p)
            setattr(o, k, v)
        check(L.tdx_sim_open(str(state_dir).encode(), byref(o), byref(self.h)))

    def quote(self, report_data=b""):
        out, n = P(), c_size_t()
        b, bl = buf(report_data) if report_data else (None, 0)
        check(L.tdx_sim_quote(self.h, b, bl, byref(out), byref(n)))
        return bptee.take_bytes(out, n.value)

    def tdreport(self, report_data=b""):
        out = ctypes.create_string_buffer(1024)
        b, bl = buf(report_data) if report_data else (None, 0)
        check(L.tdx_sim_tdreport(self.h, b, bl, out, 1024))
        return out.raw

    def root(self):
        fp = ctypes.create_string_buffer(32)
        check(L.tdx_sim_root_fingerprint(self.h, fp))
        return fp.raw

    def collateral_piece(self, kind, **kw):
        o = SimCollOpts(sz=ctypes.sizeof(SimCollOpts), **kw)
        out, n = P(), c_size_t()
        check(L.tdx_sim_collateral(self.h, kind, byref(o), byref(out), byref(n)))
        return bptee.take_bytes(out, n.value)

    def collateral(self, **kw):
        return Collateral({k: self.collateral_piece(k, **kw) for k in
                           (TCB_INFO, QE_IDENTITY, SIGNING_CHAIN, ROOT_CRL, PCK_CRL)})

    def __del__(self):
        L.tdx_sim_free(self.h)


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    return tmp_path_factory.mktemp("tdxsim") / "state"


@pytest.fixture(scope="module")
def sim(state):
    return Sim(state)


def now():
    import time
    return int(time.time())


# --- state directory ------------------------------------------------------------------------------

def test_state_directory_private_and_stable(sim, state):
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o700
    files = sorted(os.listdir(state))
    assert "tdx-platform.json" in files and "attest-key.pem" in files
    for f in files:
        assert stat.S_IMODE(os.stat(state / f).st_mode) == 0o600, f
    again = Sim(state)
    assert again.root() == sim.root()
    with open(state / "root.der", "rb") as f:
        assert hashlib.sha256(f.read()).digest() == sim.root()


def test_state_directory_refusals(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "something").write_text("x")
    h = P()
    expect(call(L.tdx_sim_open, str(foreign).encode(), None, byref(h)), "EINVAL",
           "not a TDX simulator state directory")
    Sim(tmp_path / "open")
    os.chmod(tmp_path / "open", 0o755)
    expect(call(L.tdx_sim_open, str(tmp_path / "open").encode(), None, byref(h)), "EDENIED",
           "mode 0700")
    os.chmod(tmp_path / "open", 0o700)
    os.chmod(tmp_path / "open" / "pck-key.pem", 0o644)
    expect(call(L.tdx_sim_open, str(tmp_path / "open").encode(), None, byref(h)), "EDENIED",
           "pck-key.pem")


def test_default_state_dir_beside_the_snp_simulator(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    p = P()
    check(L.tdx_sim_default_state_dir(byref(p)))
    assert take_string(p) == str(tmp_path / "bptee" / "sim-tdx")


def test_every_certificate_names_the_simulation(sim):
    certs = pem_certs(sim.quote())
    assert len(certs) == 3
    for pem in certs:
        cert = x509.load_pem_x509_certificate(pem)
        orgs = [a.value for a in cert.subject if a.oid == x509.oid.NameOID.ORGANIZATION_NAME]
        assert orgs == [SIM_ORG]
    rc, ext = pck_ext(x509.load_pem_x509_certificate(certs[0]).public_bytes(Encoding.DER))
    assert rc[0] == 0, rc[1]
    assert bytes(ext.fmspc).hex() == "00b97ee00000" and ext.pcesvn == 13


# --- quotes ---------------------------------------------------------------------------------------

def test_quote_rejected_by_default_accepted_when_allowed(sim):
    q = sim.quote(b"challenge")
    expect(verify(q, at=now()), "EPOLICY", "simulated evidence")
    assert verify(q, at=now(), allow_simulation=1)[0] == 0
    assert verify(q, at=now(), trusted_roots=[sim.root()])[0] == 0
    rc, reason, _ = verify_evidence(q, at=now())
    assert bptee.NAMES[rc] == "EPOLICY" and "simulated evidence" in reason
    rc, reason, rep = verify_evidence(q, Policy('{"allow_simulation": true}'), at=now())
    assert rc == 0, reason
    assert rep["simulated"] is True and rep["claims"]["custom"]["simulated"] is True
    assert base64.b64decode(rep["claims"]["user_data"]) == b"challenge" + bytes(55)
    fp = sim.root().hex()
    rc, reason, rep = verify_evidence(q, Policy(json.dumps({"trusted_roots": ["sha256:" + fp]})),
                                      at=now())
    assert rc == 0 and rep["claims"]["custom"]["root_sha256"] == fp


def test_evidence_from_a_simulated_quote_is_marked(sim):
    b, n = buf(sim.quote())
    ev = P()
    check(L.tdx_evidence_from_quote(b, n, byref(ev)))
    assert L.report_simulated(ev) == 1
    L.report_free(ev)
    from test_tdx_format import vector
    b, n = buf(vector("quote-v4-phala.dat"))
    check(L.tdx_evidence_from_quote(b, n, byref(ev)))
    assert L.report_simulated(ev) == 0
    L.report_free(ev)


def test_quote_layout_is_the_real_one(sim):
    q = sim.quote(b"\x01" * 64)
    s = split(q)
    assert s["end"] == len(q)
    assert q[0:8] == struct.pack("<HHI", 4, 2, 0x81)
    assert q[12:28].hex() == "939a7233f79c4ca9940a0db3957f0607"
    body = quote_json(q)["body"]
    assert body["report_data"] == "01" * 64
    assert body["td_attributes"]["debug"] is False  # off by default
    assert body["mrtd"] == hashlib.sha384(b"bptee simulated TD").hexdigest()
    # The QE binding, checked here independently of the verifier.
    key = q[s["key"]:s["key"] + 64]
    auth = q[s["auth"]:s["auth"] + s["auth_size"]]
    qe_rd = q[s["qe"] + 0x140:s["qe"] + 0x180]
    assert qe_rd == hashlib.sha256(key + auth).digest() + bytes(32)
    assert q[s["chain"] + s["chain_len"] - 1] == 0  # NUL-terminated like QGS


@pytest.mark.parametrize("version,body_type,name", [(5, 3, "td15"), (5, 2, "td10")])
def test_v5_quotes(tmp_path, version, body_type, name):
    sim = Sim(tmp_path / "s", version=version, body_type=body_type)
    q = sim.quote(b"x")
    assert quote_json(q)["body_type"] == name and q[0] == 5
    assert verify(q, at=now(), allow_simulation=1)[0] == 0
    expect(verify(flip(q, 50), at=now(), allow_simulation=1), "EPARSE", "body size")


def test_configured_registers_and_debug(tmp_path):
    rtmr = bytes([1]) * 48 + bytes([2]) * 48 + bytes([3]) * 48 + bytes([4]) * 48
    sim = Sim(tmp_path / "s", mrtd=b"\xaa" * 48, rtmr=rtmr, mrconfigid=b"\xbb" * 48,
              mrowner=b"\xcc" * 48, td_attributes=0x10000001, xfam=0xe7)
    q = sim.quote()
    body = quote_json(q)["body"]
    assert body["mrtd"] == "aa" * 48 and body["mrconfigid"] == "bb" * 48
    assert body["rtmrs"] == [bytes([i]).hex() * 48 for i in (1, 2, 3, 4)]
    assert body["td_attributes"]["debug"] is True and body["xfam"] == "0x00000000000000e7"
    rc, reason, _ = verify_evidence(q, Policy('{"allow_simulation": true}'), at=now())
    assert bptee.NAMES[rc] == "EPOLICY" and "debug mode TDs are not permitted" in reason
    pol = Policy(json.dumps({"allow_simulation": True, "allow_debug": True, "mrtd": "aa" * 48,
                             "rtmr2": ["00" * 48, "03" * 48]}))
    rc, reason, rep = verify_evidence(q, pol, at=now())
    assert rc == 0, reason
    assert rep["measurement"]["digest"] == "aa" * 48


def test_x25519_binding(sim):
    nonce, pub = bytes(range(32)), bytes(range(32, 64))
    q = sim.quote(hashlib.sha512(nonce + pub).digest())
    pol = {"allow_simulation": True,
           "report_data": {"x25519_binding": {"nonce": nonce.hex(), "public_key": pub.hex()}}}
    rc, reason, rep = verify_evidence(q, Policy(json.dumps(pol)), at=now())
    assert rc == 0, reason
    assert rep["public_key_binding"]["key_type"] == "x25519"
    assert base64.b64decode(rep["public_key_binding"]["public_key"]) == pub
    pol["report_data"]["x25519_binding"]["nonce"] = "00" * 32
    rc, reason, _ = verify_evidence(q, Policy(json.dumps(pol)), at=now())
    assert bptee.NAMES[rc] == "EVERIFY" and "x25519_binding" in reason


@pytest.mark.parametrize("part,fragment", [
    ("body", "quote signature does not verify"),
    ("qe", "QE report signature does not verify"),
    ("auth", "does not bind the attestation key"),
    ("key", "not a valid P-256 point"),
])
def test_tampered_simulated_quotes(sim, part, fragment):
    q = sim.quote()
    expect(verify(flip(q, split(q)[part] + 9), at=now(), allow_simulation=1), "EVERIFY",
           fragment)


# --- TDREPORT: the format, then the simulator's -----------------------------------------------

def make_tdreport(**fields):
    """A TDREPORT laid out by hand (independent of the C code)."""
    r = bytearray(1024)
    r[0] = fields.get("type", 0x81)
    r[0x80:0xC0] = fields.get("report_data", bytes(range(64)))
    r[0x108:0x118] = fields.get("tee_tcb_svn", bytes([6, 1, 3]) + bytes(13))
    struct.pack_into("<Q", r, 0x200, fields.get("attributes", 0x10000001))
    struct.pack_into("<Q", r, 0x208, 0x61AE7)
    r[0x210:0x240] = b"\x11" * 48
    for i in range(4):
        r[0x2D0 + 48 * i:0x300 + 48 * i] = bytes([0x20 + i]) * 48
    return bytes(r)


def test_tdreport_fields():
    raw = make_tdreport()
    b, n = buf(raw)
    p = P()
    check(L.tdx_tdreport_to_json(b, n, byref(p)))
    j = json.loads(take_string(p))
    assert j["report_data"] == bytes(range(64)).hex()
    assert j["tee_tcb_svn"] == (bytes([6, 1, 3]) + bytes(13)).hex()
    assert j["td_attributes"]["debug"] is True and j["xfam"] == "0x0000000000061ae7"
    assert j["mrtd"] == "11" * 48
    assert j["rtmrs"] == [(bytes([0x20 + i]) * 48).hex() for i in range(4)]


def test_tdreport_round_trip_and_checks():
    raw = make_tdreport()
    b, n = buf(raw)
    st = ctypes.create_string_buffer(2048)
    check(L.tdx_tdreport_parse(b, n, st))
    out = ctypes.create_string_buffer(1024)
    check(L.tdx_tdreport_serialize(st, out, 1024))
    assert out.raw == raw
    b, n = buf(raw[:1023])
    expect(call(L.tdx_tdreport_parse, b, n, st), "EPARSE", "1023 bytes")
    b, n = buf(make_tdreport(type=0x00))
    expect(call(L.tdx_tdreport_parse, b, n, st), "EPARSE", "not TDX")


def test_guest_report0_paths(tmp_path, monkeypatch):
    out = ctypes.create_string_buffer(1024)
    missing = str(tmp_path / "no-such-device")
    expect(call(L.tdx_guest_report0, missing.encode(), None, 0, out, 1024), "ENOTFOUND",
           missing)
    monkeypatch.setenv("BPTEE_TDX_GUEST_PATH", missing + "-env")
    expect(call(L.tdx_guest_report0, None, None, 0, out, 1024), "ENOTFOUND", missing + "-env")
    regular = tmp_path / "file"
    regular.write_bytes(b"")
    expect(call(L.tdx_guest_report0, str(regular).encode(), None, 0, out, 1024), "EUNSUPPORTED",
           "TDX_CMD_GET_REPORT0 is not supported")
    b, n = buf(bytes(65))
    expect(call(L.tdx_guest_report0, str(regular).encode(), b, n, out, 1024), "EINVAL",
           "at most 64")



def test_tdreport_as_the_module_builds_it(sim, state):
    r = sim.tdreport(b"abc")
    assert r[0] == 0x81 and r[0x80:0x83] == b"abc" and r[0x83:0xC0] == bytes(61)
    assert r[0x20:0x50] == hashlib.sha384(r[0x100:0x100 + 239]).digest()
    assert r[0x50:0x80] == hashlib.sha384(r[0x200:0x400]).digest()
    with open(state / "mac.key", "rb") as f:
        key = f.read()
    assert r[0xE0:0x100] == hmac.new(key, r[:0xE0], hashlib.sha256).digest()
    assert sim.tdreport(b"abd")[0xE0:0x100] != r[0xE0:0x100]
    b, n = buf(r)
    p = P()
    check(L.tdx_tdreport_to_json(b, n, byref(p)))
    assert json.loads(take_string(p))["mrtd"] == hashlib.sha384(b"bptee simulated TD").hexdigest()
    out = ctypes.create_string_buffer(1024)
    b, n = buf(bytes(65))
    expect(call(L.tdx_sim_tdreport, sim.h, b, n, out, 1024), "EINVAL", "at most 64")


# --- collateral -----------------------------------------------------------------------------------

def test_full_collateral_up_to_date(sim):
    q = sim.quote()
    c = sim.collateral()
    rc, reason, rep = verify_evidence(
        q, Policy('{"allow_simulation": true, "tcb_statuses": ["UpToDate"]}'), at=now(),
        collateral=c)
    assert rc == 0, reason
    tcb = rep["claims"]["custom"]["tcb"]
    # TEE_TCB_SVN[1] = 1: the module identity TDX_01 judges the module, index 2.. the platform.
    assert tcb["status"] == "UpToDate" and tcb["module_status"] == "UpToDate"
    assert tcb["platform_status"] == "UpToDate" and tcb["qe_status"] == "UpToDate"


def test_out_of_date_platform(sim):
    q = sim.quote()
    c = sim.collateral(tcb_status=5)  # OutOfDate
    rc, reason, _ = verify_evidence(q, Policy('{"allow_simulation": true}'), at=now(),
                                    collateral=c)
    assert bptee.NAMES[rc] == "EPOLICY" and "TCB status OutOfDate is not accepted" in reason
    pol = Policy('{"allow_simulation": true, "tcb_statuses": ["UpToDate", "OutOfDate"]}')
    rc, reason, rep = verify_evidence(q, pol, at=now(), collateral=c)
    assert rc == 0, reason
    tcb = rep["claims"]["custom"]["tcb"]
    # The platform's status decides even though the module is up to date (docs/tdx.md).
    assert tcb["status"] == "OutOfDate" and tcb["module_status"] == "UpToDate"
    assert tcb["advisory_ids"] == ["INTEL-SA-00000"]


def test_status_combination(sim):
    q = sim.quote()
    for status, name in [(2, "SWHardeningNeeded"), (4, "ConfigurationAndSWHardeningNeeded"),
                         (7, "Revoked")]:
        pol = Policy(json.dumps({"allow_simulation": True, "tcb_statuses": [name]}))
        rc, reason, rep = verify_evidence(q, pol, at=now(), collateral=sim.collateral(
            tcb_status=status))
        assert rc == 0, reason
        assert rep["claims"]["custom"]["tcb_status"] == name


def test_revoked_pck(sim):
    q = sim.quote()
    expect(verify(q, at=now(), allow_simulation=1, collateral=sim.collateral(revoke_pck=1)),
           "EVERIFY", "PCK certificate is revoked by the PCK CA CRL")


def test_simulated_collateral_validity(sim):
    q = sim.quote()
    t = now()
    old = sim.collateral(issue_time=t - 40 * 86400)
    expect(verify(q, at=t, allow_simulation=1, collateral=old), "EEXPIRED",
           "root CA CRL has expired at the collateral time")
    tcb_only = Collateral({k: sim.collateral_piece(k, issue_time=t - 40 * 86400)
                           for k in (TCB_INFO, SIGNING_CHAIN)})
    expect(verify(q, at=t, allow_simulation=1, collateral=tcb_only), "EEXPIRED",
           "TCB info has expired at the collateral time")
    # The signer was made (backdated a day) when this test's state was generated.
    early = sim.collateral(issue_time=t - 10 * 86400)
    expect(verify(q, at=t, allow_simulation=1, collateral=early, collateral_at=t - 9 * 86400),
           "EEXPIRED", "is not yet valid at the collateral time")
    fresh = sim.collateral(issue_time=t - 3600)
    assert verify(q, at=t, allow_simulation=1, collateral=fresh, collateral_at=t - 1800)[0] == 0


def test_simulated_collateral_does_not_vouch_for_intel_quotes(sim):
    from test_tdx_format import vector
    expect(verify(vector("quote-v4-spr-debug.dat"), collateral=sim.collateral(),
                  collateral_at=now()), "EVERIFY", "not rooted in the PCK chain's root")


def test_tampered_simulated_collateral(sim):
    q = sim.quote()
    raw = sim.collateral_piece(TCB_INFO)
    c = sim.collateral()
    assert c.set(TCB_INFO, raw.replace(b'"pcesvn":13', b'"pcesvn":12', 1))[0] == 0
    expect(verify(q, at=now(), allow_simulation=1, collateral=c), "EVERIFY",
           "TCB info signature does not verify")
