# SPDX-License-Identifier: Apache-2.0
"""TDX evidence from the guest side, against the emulations: the FUSE configfs-tsm emulation in
TDX mode (`bptee sim tsm-fs --tee tdx`: provider tdx_guest, the quote as outblob, no auxblob or
privlevel), the ioctl shim's emulated /dev/tdx_guest (TDX_CMD_GET_REPORT0 -> a TDREPORT), and
the guest C API's TDX options (tdx_device, sim_tee)."""
import contextlib
import ctypes
import errno
import hashlib
import json
import os
from ctypes import POINTER, Structure, byref, c_char_p, c_int, c_size_t, c_void_p

import pytest

import bptee
from bptee import BpteeError, check, cli
from test_tdx_integration import (NONCE, PUBKEY, attest_sim_tdx, evidence_quote, mrtd, policy,
                                  report_data, report_free, verify)
from tsmfs_util import tsm_fs

SHIM = os.path.join(bptee.TESTC, "sevguest_shim.so")


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    """One simulator state directory; the simulated TDX lives in "<state>-tdx"."""
    return tmp_path_factory.mktemp("tdxguest") / "sim"


# --- configfs-tsm emulation in TDX mode ----------------------------------------------------------

@contextlib.contextmanager
def mount(state, where, *extra):
    with tsm_fs(where, "--tee", "tdx", "--state-dir", state, *extra) as m:
        assert "provider tdx_guest" in m.stderr and "simulated" in m.stderr
        yield m.where


@pytest.fixture
def tsm(state, tmp_path):
    with mount(state, tmp_path / "mnt") as m:
        yield m / "report"


def test_configfs_tdx_end_to_end(tsm, tmp_path):
    out = tmp_path / "ev.json"
    r = cli("attest", "--tsm-path", tsm, "--provider", "tdx", "--nonce", NONCE, "--public-key",
            PUBKEY, "-o", out)
    assert r.returncode == 0, r.stderr
    assert "from configfs-tsm is signed by the bptee simulation root, not Intel" in r.stderr
    ev = json.loads(out.read_text())
    assert ev["provider"] == "intel_tdx" and ev["simulated"] is True and "certificates" not in ev
    assert report_data(evidence_quote(out)) == hashlib.sha512(
        bytes.fromhex(NONCE + PUBKEY)).digest()
    assert os.listdir(tsm) == []
    bind = {"x25519_binding": {"nonce": NONCE, "public_key": PUBKEY}}
    assert verify(out, "--policy", policy(tmp_path, {"tdx": {
        "allow_simulation": True, "report_data": bind}})).returncode == 0
    r = verify(out)
    assert r.returncode == 1 and "simulat" in r.stderr
    bind["x25519_binding"]["public_key"] = "23" * 32
    r = verify(out, "--policy", policy(tmp_path, {"tdx": {"allow_simulation": True,
                                                          "report_data": bind}}, "b.json"))
    assert r.returncode == 1 and "REPORTDATA is not SHA-512(nonce || public_key)" in r.stderr


def test_configfs_tdx_auto_and_wrong_provider(tsm, tmp_path):
    out = tmp_path / "ev.json"
    r = cli("attest", "--tsm-path", tsm, "--device", tmp_path / "none", "-o", out)
    assert r.returncode == 0 and "no TEE hardware" not in r.stderr, r.stderr
    assert json.loads(out.read_text())["provider"] == "intel_tdx"
    r = cli("attest", "--tsm-path", tsm, "--provider", "sev-snp")
    assert r.returncode == 1 and 'provider is "tdx_guest", not "sev_guest"' in r.stderr
    r = cli("attest", "--tsm-path", tsm, "--vmpl", "1")
    assert r.returncode == 1 and "tdx_guest has no privlevel" in r.stderr
    assert os.listdir(tsm) == []


def test_configfs_tdx_emulation_semantics(tsm):
    inst = tsm / "probe"
    inst.mkdir()
    try:
        assert sorted(os.listdir(inst)) == ["generation", "inblob", "outblob", "provider"]
        assert (inst / "provider").read_text() == "tdx_guest\n"
        assert not (inst / "auxblob").exists() and not (inst / "privlevel").exists()
        g0 = int((inst / "generation").read_text())
        (inst / "inblob").write_bytes(b"\x5a" * 64)
        assert int((inst / "generation").read_text()) == g0 + 1
        first = (inst / "outblob").read_bytes()
        assert first[:2] == b"\x04\x00" and report_data(first) == b"\x5a" * 64
        assert (inst / "outblob").read_bytes() == first  # cached for this generation
        (inst / "inblob").write_bytes(b"\x01")
        second = (inst / "outblob").read_bytes()
        assert report_data(second) == b"\x01" + bytes(63)
        with pytest.raises(OSError) as e:
            (inst / "inblob").write_bytes(bytes(65))
        assert e.value.errno == errno.EFBIG
    finally:
        inst.rmdir()


def test_configfs_tdx_race_is_retried(state, tmp_path):
    with mount(state, tmp_path / "mnt", "--race", "2") as m:
        r = cli("attest", "--tsm-path", m / "report", "--provider", "tdx", "-o",
                tmp_path / "ev.json")
        assert r.returncode == 0, r.stderr
    with mount(state, tmp_path / "mnt2", "--race", "9") as m2:
        r = cli("attest", "--tsm-path", m2 / "report", "--provider", "tdx")
        assert r.returncode == 1 and "raced" in r.stderr


def test_configfs_tdx_measurement_is_the_mrtd(state, tmp_path):
    want = "c0" * 48
    with mount(state, tmp_path / "mnt", "--measurement", want) as m:
        out = tmp_path / "ev.json"
        assert cli("attest", "--tsm-path", m / "report", "-o", out).returncode == 0
        assert mrtd(evidence_quote(out)) == want
        pin = policy(tmp_path, {"tdx": {"allow_simulation": True, "mrtd": want}})
        assert verify(out, "--policy", pin).returncode == 0
        pin = policy(tmp_path, {"tdx": {"allow_simulation": True, "mrtd": "c1" * 48}}, "n.json")
        assert verify(out, "--policy", pin).returncode == 1


def test_tsmfs_tdx_usage(tmp_path):
    r = cli("sim", "tsm-fs", tmp_path, "--tee", "tdx", "--policy", "1")
    assert r.returncode == 2 and "SEV-SNP options" in r.stderr
    r = cli("sim", "tsm-fs", tmp_path, "--tee", "sgx")
    assert r.returncode == 2 and "expected sev-snp or tdx" in r.stderr


# --- /dev/tdx_guest through the ioctl shim --------------------------------------------------------

@pytest.fixture
def tdxdev(tmp_path, state):
    node, sev = tmp_path / "tdx_guest", tmp_path / "sev-guest"
    node.write_bytes(b"")
    sev.write_bytes(b"")
    env = dict(os.environ, LD_PRELOAD=bptee.preload_with(SHIM), SEVGUEST_SHIM_TDX_PATH=str(node),
               SEVGUEST_SHIM_PATH=str(sev), SEVGUEST_SHIM_STATE_DIR=str(state),
               SEVGUEST_SHIM_LOG=str(tmp_path / "shim.log"), XDG_STATE_HOME=str(tmp_path / "x"))
    return type("Dev", (), {"node": node, "sev": sev, "env": env, "tmp": tmp_path})


def test_tdreport_through_the_ioctl_shim(tdxdev, state):
    out = tdxdev.tmp / "r.bin"
    r = cli("attest", "--provider", "tdx", "--tdx-device", tdxdev.node, "--report-data", "5a" * 64,
            "--tdreport", "-o", out, env=tdxdev.env)
    assert r.returncode == 0, r.stderr
    assert "not remotely verifiable" in r.stderr
    assert (tdxdev.tmp / "shim.log").read_text().splitlines() == ["GET_REPORT0 -> ok"]
    rep = out.read_bytes()
    assert len(rep) == 1024 and rep[0] == 0x81 and rep[0x80:0xC0] == b"\x5a" * 64
    r = cli("inspect", out)
    assert r.returncode == 0 and r.stdout.startswith("TDREPORT (1024 bytes")
    assert f"  report_data            {'5a' * 64}\n" in r.stdout
    # The same simulated TD quotes with the same MRTD.
    ev = tdxdev.tmp / "ev.json"
    attest_sim_tdx(state, ev)
    assert f"  mrtd                   {mrtd(evidence_quote(ev))}\n" in r.stdout
    assert rep[0x210:0x240].hex() == mrtd(evidence_quote(ev))


def test_tdreport_path_from_config_and_env(tdxdev):
    cfg = tdxdev.tmp / "tee.json"
    cfg.write_text(json.dumps({"requirement": "preferred", "mode": "auto",
                               "provider_selector": "any", "key_exchange": {},
                               "bptee": {"evidence_provider": "tdx",
                                         "tdx_guest_path": str(tdxdev.node)}}))
    r = cli("attest", "--config", cfg, "--tdreport", "-o", tdxdev.tmp / "a.bin", env=tdxdev.env)
    assert r.returncode == 0, r.stderr
    env = dict(tdxdev.env, BPTEE_TDX_GUEST_PATH=str(tdxdev.node))
    r = cli("attest", "--provider", "tdx", "--tdreport", "-o", tdxdev.tmp / "b.bin", env=env)
    assert r.returncode == 0, r.stderr


def test_tdreport_on_the_wrong_device_and_no_quote_without_configfs(tdxdev):
    r = cli("attest", "--provider", "tdx", "--tdx-device", tdxdev.sev, "--tdreport", "-o",
            tdxdev.tmp / "r.bin", env=tdxdev.env)
    assert r.returncode == 1 and "TDX_CMD_GET_REPORT0 is not supported" in r.stderr
    # A TDREPORT is all /dev/tdx_guest gives: evidence needs a quote, hence configfs-tsm.
    for provider in ("tdx", "auto"):
        r = cli("attest", "--provider", provider, "--tdx-device", tdxdev.node, "--tsm-path",
                tdxdev.tmp / "no-tsm", "--device", tdxdev.tmp / "no-sev", env=tdxdev.env)
        assert r.returncode == 1 and r.stdout == ""
        assert "cannot be verified remotely" in r.stderr and "configfs-tsm" in r.stderr
        assert "quoting enclave" in r.stderr


# --- the guest C API ----------------------------------------------------------------------------

class GuestOpts(Structure):
    _fields_ = [("sz", c_size_t), ("provider", c_int), ("tsm_path", c_char_p),
                ("device", c_char_p), ("state_dir", c_char_p), ("set_vmpl", ctypes.c_bool),
                ("vmpl", ctypes.c_uint32), ("max_attempts", ctypes.c_uint),
                ("backoff_ms", ctypes.c_uint), ("tdx_device", c_char_p), ("sim_tee", c_int)]


AUTO, SEV_SNP, TDX_P, SIM = 0, 1, 2, 3
guest_tdreport = bptee.fn("bptee_guest_tdreport", c_int, POINTER(GuestOpts), c_char_p, c_size_t,
                          c_char_p, c_size_t, POINTER(c_int))
guest_attest = bptee.fn("bptee_guest_attest", c_int, POINTER(GuestOpts), c_char_p, c_size_t,
                        POINTER(c_void_p), POINTER(c_int))
derived_key = bptee.fn("bptee_guest_derived_key", c_int, POINTER(GuestOpts), c_void_p, c_char_p,
                       c_size_t, POINTER(c_int))


def gopts(**kw):
    o = GuestOpts(sz=ctypes.sizeof(GuestOpts))
    for k, v in kw.items():
        setattr(o, k, str(v).encode() if isinstance(v, (str, os.PathLike)) else v)
    return o


def test_guest_api_tdx(state):
    out, src = ctypes.create_string_buffer(1024), c_int()
    check(guest_tdreport(byref(gopts(provider=SIM, sim_tee=TDX_P, state_dir=state)), b"\x07", 1,
                         out, 1024, byref(src)))
    assert src.value == 3 and out.raw[0x80] == 7
    with pytest.raises(BpteeError) as e:
        check(guest_tdreport(byref(gopts(provider=SIM, state_dir=state)), None, 0, out, 1024,
                             byref(src)))
    assert e.value.name == "EUNSUPPORTED"
    rep = c_void_p()
    check(guest_attest(byref(gopts(provider=SIM, sim_tee=TDX_P, state_dir=state)), b"", 0,
                       byref(rep), byref(src)))
    report_free(rep)
    with pytest.raises(BpteeError) as e:
        check(guest_attest(byref(gopts(provider=SIM, sim_tee=9)), b"", 0, byref(rep), None))
    assert e.value.name == "EINVAL"
    key = ctypes.create_string_buffer(32)
    req = (ctypes.c_uint8 * 64)()
    for o in (gopts(provider=TDX_P), gopts(provider=SIM, sim_tee=TDX_P, state_dir=state)):
        with pytest.raises(BpteeError) as e:
            check(derived_key(byref(o), ctypes.cast(req, c_void_p), key, 32, None))
        assert e.value.name == "EUNSUPPORTED" and "derived key" in e.value.reason
