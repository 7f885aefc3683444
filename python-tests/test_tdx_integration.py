# SPDX-License-Identifier: Apache-2.0
"""Intel TDX through the shared pieces: the one policy file ("tdx" section next to "sev_snp",
top-level max_age_secs), `bptee verify` (--collateral, --collateral-at), `bptee inspect` (quotes
and TDREPORTs) and `bptee attest --provider sim-tdx`. The guest side (configfs-tsm emulation in
TDX mode, the emulated /dev/tdx_guest, the guest C API) is in test_tdx_guest.py."""
import base64
import ctypes
import hashlib
import json
import os
import shutil
from ctypes import POINTER, Structure, byref, c_char_p, c_int, c_int64, c_size_t, c_void_p

import pytest

import bptee
from bptee import BpteeError, check, cli

TDX = os.path.join(bptee.VECTORS, "tdx")
COLL = os.path.join(TDX, "collateral")
AT = "2026-02-03"
COLL_AT = "1687251600"  # 2023-06-20: inside every piece of the SPR collateral's validity
VECTORS = ["quote-v4-phala.dat", "quote-v4-spr-debug.dat", "quote-v4-spr-e4.dat",
           "quote-v5-emr.dat"]
NONCE, PUBKEY = "11" * 32, "22" * 32


def vector(name):
    with open(os.path.join(TDX, name), "rb") as f:
        return f.read()


def body(quote):
    """The TD body of a v4 quote (after the 48-byte header) or a v5 one (+ 6-byte descriptor)."""
    return quote[48:] if quote[0] == 4 else quote[54:]


def mrtd(quote):
    return body(quote)[0x88:0xB8].hex()


def report_data(quote):
    return body(quote)[0x208:0x248]


def policy(tmp_path, doc, name="policy.json"):
    p = tmp_path / name
    p.write_text(json.dumps(doc))
    return p


def verify(*args, **kw):
    return cli("verify", *args, **kw)


def evidence_quote(path):
    return base64.b64decode(json.loads(path.read_text())["evidence"])


@pytest.fixture(scope="module")
def pcs_dir(tmp_path_factory):
    """The vectors' SPR collateral under the names bptee_tdx_collateral_load_dir reads."""
    d = tmp_path_factory.mktemp("pcs")
    for src, dst in [("sample_tcbInfo_response", "tcb_info.json"),
                     ("sample_qeIdentity_response", "qe_identity.json"),
                     ("tcb_signing_chain.pem", "tcb_signing_chain.pem"),
                     ("rootcrl.der", "root_crl.der"), ("pckcrl", "pck_crl.der")]:
        shutil.copyfile(os.path.join(COLL, src), d / dst)
    return d


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    """One simulator state directory; the simulated TDX lives in "<state>-tdx"."""
    return tmp_path_factory.mktemp("tdxint") / "sim"


# --- real quotes through the shared policy file ------------------------------------------------

@pytest.mark.parametrize("name", VECTORS)
def test_mrtd_pin_accepts_and_rejects(name, tmp_path):
    q = vector(name)
    ok = policy(tmp_path, {"tdx": {"mrtd": ["sha384:" + mrtd(q)], "allow_debug": True}})
    r = verify(os.path.join(TDX, name), "--at", AT, "--policy", ok)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("verified: intel_tdx tdx_quote\n")
    assert f"measurement    sha384:{mrtd(q)}" in r.stdout and "simulated      no" in r.stdout
    other = ("00" if mrtd(q)[:2] != "00" else "01") + mrtd(q)[2:]
    no = policy(tmp_path, {"tdx": {"mrtd": other, "allow_debug": True}}, "no.json")
    r = verify(os.path.join(TDX, name), "--at", AT, "--policy", no)
    assert r.returncode == 1 and r.stdout == ""
    assert f"mrtd {mrtd(q)} is not in tdx.mrtd" in r.stderr


@pytest.mark.parametrize("name", ["quote-v4-phala.dat", "quote-v4-spr-e4.dat",
                                  "quote-v5-emr.dat"])
def test_non_debug_vectors_pass_the_default_policy(name):
    r = verify(os.path.join(TDX, name), "--at", AT)
    assert r.returncode == 0, r.stderr
    assert "debug          no" in r.stdout and "tcb_status     NotEvaluated" in r.stdout


def test_debug_quote_rejected_by_default(tmp_path):
    q = os.path.join(TDX, "quote-v4-spr-debug.dat")
    r = verify(q, "--at", AT)
    assert r.returncode == 1 and "debug mode TDs are not permitted" in r.stderr
    r = verify(q, "--at", AT, "--policy", policy(tmp_path, {"tdx": {"allow_debug": False}}))
    assert r.returncode == 1 and "debug mode TDs are not permitted" in r.stderr
    r = verify(q, "--at", AT, "--policy", policy(tmp_path, {"tdx": {"allow_debug": True}}))
    assert r.returncode == 0 and "debug          yes" in r.stdout


def test_e4_quote_with_collateral_has_no_matching_tcb_level(pcs_dir):
    r = verify(os.path.join(TDX, "quote-v4-spr-e4.dat"), "--at", AT, "--collateral", pcs_dir,
               "--collateral-at", COLL_AT)
    assert r.returncode == 1 and "no matching TCB level" in r.stderr, r.stderr


def test_collateral_evaluates_the_same_platforms_debug_quote(pcs_dir, tmp_path):
    """The E4 quote's twin: the same SPR platform's production quote gets a TCB status."""
    q = os.path.join(TDX, "quote-v4-spr-debug.dat")
    p = policy(tmp_path, {"tdx": {"allow_debug": True, "tcb_statuses": ["UpToDate"]}})
    r = verify(q, "--at", AT, "--collateral", pcs_dir, "--collateral-at", COLL_AT, "--policy", p,
               "--json")
    assert r.returncode == 0, r.stderr
    custom = json.loads(r.stdout)["claims"]["custom"]
    assert custom["tcb_status"] == "UpToDate" and custom["tcb"]["qe_status"] == "UpToDate"
    # Judged at the quote's time, Intel's TCB signing certificate (expired 2025-05-21) fails.
    r = verify(q, "--at", AT, "--collateral", pcs_dir, "--policy", p)
    assert r.returncode == 1 and r.stdout == ""
    # tcb_statuses makes collateral required.
    r = verify(q, "--at", AT, "--policy", p)
    assert r.returncode == 1 and "not evaluated" in r.stderr


def test_collateral_option_errors(tmp_path):
    q = os.path.join(TDX, "quote-v5-emr.dat")
    r = verify(q, "--collateral", tmp_path / "absent")
    assert r.returncode == 1 and r.stderr.startswith("bptee: verify: --collateral: ")
    r = verify(q, "--collateral-at", "yesterday")
    assert r.returncode == 2 and "--collateral-at" in r.stderr


def test_hex_input_and_damaged_quotes(tmp_path):
    q = vector("quote-v5-emr.dat")
    h = tmp_path / "q.hex"
    h.write_text(q.hex() + "\n")
    r = verify(h, "--at", AT)
    assert r.returncode == 0 and "intel_tdx" in r.stdout, r.stderr
    bad = bytearray(q)
    bad[-1000] ^= 1  # inside the PCK chain's PEM: still a quote, no longer verifiable
    (tmp_path / "bad.dat").write_bytes(bytes(bad))
    r = verify(tmp_path / "bad.dat", "--at", AT)
    assert r.returncode == 1 and "tdx: certificate chain" in r.stderr
    (tmp_path / "short.dat").write_bytes(q[:600])  # a quote's header, then cut off
    r = verify(tmp_path / "short.dat", "--at", AT)
    assert r.returncode == 1 and "tdx: quote: " in r.stderr and "runs past the end" in r.stderr


def test_unknown_keys_in_the_tdx_section_name_the_key(tmp_path):
    q = os.path.join(TDX, "quote-v5-emr.dat")
    for doc, key in [({"tdx": {"allow_debgu": True}}, "tdx.allow_debgu"),
                     ({"tdx": {"report_data": {"x25519_binding": {"nonce": NONCE,
                                                                  "public_key": PUBKEY,
                                                                  "pk": PUBKEY}}}},
                      "tdx.report_data.x25519_binding.pk"),
                     ({"sev_snp": {}, "tdx": {}, "tdxx": {}}, "tdxx")]:
        r = verify(q, "--at", AT, "--policy", policy(tmp_path, doc))
        assert r.returncode == 1
        assert r.stderr.strip().endswith(f"policy: unknown key '{key}'"), r.stderr
    r = verify(q, "--at", AT, "--policy", policy(tmp_path, {"tdx": {"mrtd": "zz"}}))
    assert r.returncode == 1 and "tdx.mrtd" in r.stderr
    r = verify(q, "--at", AT, "--policy", policy(tmp_path, {"tdx": []}))
    assert r.returncode == 1 and "tdx: expected an object" in r.stderr


def test_tdreport_is_refused_as_evidence(state, tmp_path):
    out = tmp_path / "r.bin"
    r = cli("attest", "--provider", "sim-tdx", "--state-dir", state, "--tdreport", "-o", out)
    assert r.returncode == 0, r.stderr
    r = verify(out)
    assert r.returncode == 1 and "TDREPORT" in r.stderr and "cannot be verified" in r.stderr


# --- the C API: bptee_verify with collateral, policy parsing ------------------------------------

class VerifyOpts(Structure):
    _fields_ = [("sz", c_size_t), ("at", c_int64), ("policy", c_void_p), ("vcek", c_void_p),
                ("vcek_len", c_size_t), ("chain", c_void_p), ("chain_len", c_size_t),
                ("tdx_collateral", c_void_p), ("tdx_collateral_at", c_int64)]


api_verify = bptee.fn("bptee_verify", c_int, c_void_p, c_size_t, POINTER(VerifyOpts),
                      POINTER(c_void_p))
coll_new = bptee.fn("bptee_tdx_collateral_new", c_int, POINTER(c_void_p))
coll_free = bptee.fn("bptee_tdx_collateral_free", None, c_void_p)
coll_load_dir = bptee.fn("bptee_tdx_collateral_load_dir", c_int, c_void_p, c_char_p)
policy_parse = bptee.fn("bptee_policy_parse", c_int, c_char_p, c_size_t, POINTER(c_void_p))
policy_free = bptee.fn("bptee_policy_free", None, c_void_p)
report_free = bptee.fn("bptee_report_free", None, c_void_p)


def test_verify_api_takes_tdx_collateral(pcs_dir):
    c = c_void_p()
    check(coll_new(byref(c)))
    try:
        check(coll_load_dir(c, str(pcs_dir).encode()))
        for name, code in [("quote-v4-spr-e4.dat", "EVERIFY"), ("quote-v4-phala.dat", "EVERIFY")]:
            b, n = bptee.buf(vector(name))
            o = VerifyOpts(sz=ctypes.sizeof(VerifyOpts), at=1770076800, tdx_collateral=c,
                           tdx_collateral_at=int(COLL_AT))
            out = c_void_p()
            with pytest.raises(BpteeError) as e:
                check(api_verify(b, n, byref(o), byref(out)))
            assert e.value.name == code
        # Without collateral both verify (the TCB is then not evaluated).
        for name in ("quote-v4-spr-e4.dat", "quote-v4-phala.dat"):
            b, n = bptee.buf(vector(name))
            o = VerifyOpts(sz=ctypes.sizeof(VerifyOpts), at=1770076800)
            out = c_void_p()
            check(api_verify(b, n, byref(o), byref(out)))
            report_free(out)
    finally:
        coll_free(c)


def test_policy_api_reads_the_tdx_section():
    p = c_void_p()
    doc = b'{"max_age_secs": 60, "sev_snp": {"allow_simulation": true}, "tdx": {"mrtd": []}}'
    check(policy_parse(doc, len(doc), byref(p)))
    policy_free(p)
    with pytest.raises(BpteeError) as e:
        bad = b'{"tdx": {"rtmr4": "00"}}'
        check(policy_parse(bad, len(bad), byref(p)))
    assert e.value.name == "EPARSE" and e.value.reason == "policy: unknown key 'tdx.rtmr4'"


# --- bptee inspect ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["quote-v4-phala.dat", "quote-v5-emr.dat"])
def test_inspect_a_quote(name, tmp_path):
    q = vector(name)
    r = cli("inspect", os.path.join(TDX, name))
    assert r.returncode == 0, r.stderr
    assert "provider             intel_tdx" in r.stdout
    assert f"TDX quote v{q[0]} (" in r.stdout
    assert f"  mrtd                   {mrtd(q)}\n" in r.stdout
    assert f"  report_data            {report_data(q).hex()}\n" in r.stdout
    assert "DEBUG off" in r.stdout and "3 certificates" in r.stdout
    assert ("TD 1.5" in r.stdout) == (name == "quote-v5-emr.dat")
    (tmp_path / "cut.dat").write_bytes(q[:len(q) // 2])
    r = cli("inspect", tmp_path / "cut.dat")
    assert r.returncode == 1 and r.stdout == "" and "tdx" in r.stderr


def test_inspect_shows_the_debug_bit():
    r = cli("inspect", os.path.join(TDX, "quote-v4-spr-debug.dat"))
    assert r.returncode == 0 and "DEBUG on" in r.stdout


# --- bptee attest --provider sim-tdx -----------------------------------------------------------

def attest_sim_tdx(state, out, *args):
    r = cli("attest", "--provider", "sim-tdx", "--state-dir", state, "-o", out, *args)
    assert r.returncode == 0, r.stderr
    assert "using the simulated TDX" in r.stderr
    return json.loads(out.read_text())


def test_sim_tdx_verifies_only_under_allow_simulation(state, tmp_path):
    out = tmp_path / "ev.json"
    ev = attest_sim_tdx(state, out, "--report-data", "ab" * 64)
    assert ev["provider"] == "intel_tdx" and ev["format"] == "tdx_quote"
    assert ev["simulated"] is True and ev["issued_at_unix"] > 0
    q = evidence_quote(out)
    assert report_data(q) == b"\xab" * 64
    assert ev["measurement"]["digest"] == mrtd(q)
    assert os.path.isdir(str(state) + "-tdx")  # "<state_dir>-tdx"
    r = verify(out)
    assert r.returncode == 1 and "simulated evidence (policy does not allow simulation)" in r.stderr
    # Simulation is allowed per section: the sev_snp section's permission is not TDX's.
    r = verify(out, "--policy", policy(tmp_path, {"sev_snp": {"allow_simulation": True}}))
    assert r.returncode == 1 and "simulat" in r.stderr
    p = policy(tmp_path, {"tdx": {"allow_simulation": True, "report_data": "ab" * 64}})
    r = verify(out, "--policy", p)
    assert r.returncode == 0, r.stderr
    assert "SIMULATED" in r.stdout and "simulated      YES" in r.stdout
    r = verify(out, "--policy", policy(tmp_path, {"tdx": {"allow_simulation": True,
                                                          "report_data": "ac" * 64}}))
    assert r.returncode == 1 and "REPORTDATA does not match the policy's report_data" in r.stderr


def test_sim_tdx_trusted_root_is_its_fingerprint(state, tmp_path):
    out = tmp_path / "ev.json"
    attest_sim_tdx(state, out)
    fp = cli("sim", "init", "--tee", "tdx", "--state-dir", state)
    assert fp.returncode == 0 and len(fp.stdout.strip()) == 64
    snp_fp = cli("sim", "init", "--state-dir", state, timeout=120).stdout.strip()
    assert snp_fp != fp.stdout.strip()
    r = verify(out, "--json", "--policy",
               policy(tmp_path, {"tdx": {"trusted_roots": ["sha256:" + fp.stdout.strip()]}}))
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["claims"]["custom"]["root_sha256"] == fp.stdout.strip() and rep["simulated"]
    r = verify(out, "--policy", policy(tmp_path, {"tdx": {"trusted_roots": [snp_fp]}}))
    assert r.returncode == 1 and "simulat" in r.stderr


def test_sim_tdx_key_binding_and_max_age(state, tmp_path):
    out = tmp_path / "ev.json"
    ev = attest_sim_tdx(state, out, "--nonce", NONCE, "--public-key", PUBKEY)
    want = hashlib.sha512(bytes.fromhex(NONCE + PUBKEY)).digest()
    assert report_data(evidence_quote(out)) == want
    assert ev["public_key_binding"]["binding_digest"] == want.hex()
    bind = {"x25519_binding": {"nonce": NONCE, "public_key": PUBKEY}}
    doc = {"max_age_secs": 300, "tdx": {"allow_simulation": True, "report_data": bind}}
    at = str(ev["issued_at_unix"] + 100)
    r = verify(out, "--at", at, "--json", "--policy", policy(tmp_path, doc))
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["public_key_binding"]["key_type"] == "x25519"
    wrong = dict(doc, tdx={"allow_simulation": True,
                           "report_data": {"x25519_binding": {"nonce": "33" * 32,
                                                              "public_key": PUBKEY}}})
    r = verify(out, "--at", at, "--policy", policy(tmp_path, wrong, "wrong.json"))
    assert r.returncode == 1 and "REPORTDATA is not SHA-512(nonce || public_key)" in r.stderr
    # The top-level max_age_secs applies to TDX evidence as to SEV-SNP's.
    r = verify(out, "--at", str(ev["issued_at_unix"] + 400), "--policy", policy(tmp_path, doc))
    assert r.returncode == 1 and "older than max_age_secs 300" in r.stderr
    raw = tmp_path / "raw.dat"
    raw.write_bytes(evidence_quote(out))
    r = verify(raw, "--at", at, "--policy", policy(tmp_path, doc))
    assert r.returncode == 1 and "no issued_at" in r.stderr


def test_one_policy_file_for_both_simulators(state, tmp_path):
    tdx, snp = tmp_path / "tdx.json", tmp_path / "snp.json"
    attest_sim_tdx(state, tdx)
    r = cli("attest", "--provider", "sim", "--state-dir", state, "-o", snp, timeout=120)
    assert r.returncode == 0, r.stderr
    both = policy(tmp_path, {"sev_snp": {"allow_simulation": True},
                             "tdx": {"allow_simulation": True}}, "both.json")
    only_snp = policy(tmp_path, {"sev_snp": {"allow_simulation": True}}, "snp-only.json")
    only_tdx = policy(tmp_path, {"tdx": {"allow_simulation": True}}, "tdx-only.json")
    assert verify(tdx, "--policy", both).returncode == 0
    assert verify(snp, "--policy", both).returncode == 0
    assert verify(tdx, "--policy", only_snp).returncode == 1
    assert verify(snp, "--policy", only_tdx).returncode == 1
    r = cli("inspect", tdx)
    assert r.returncode == 0 and "SIMULATED" in r.stdout and "TDX quote v4" in r.stdout


def test_sim_tdx_usage(state, tmp_path):
    r = cli("attest", "--provider", "sim-tdx", "--state-dir", state, "--vmpl", "1")
    assert r.returncode == 1 and "VMPL applies to SEV-SNP only" in r.stderr
    r = cli("attest", "--provider", "sim-tdz")
    assert r.returncode == 2 and "sim-tdx" in r.stderr
    r = cli("attest", "--provider", "sim", "--state-dir", state, "--tdreport", "-o",
            tmp_path / "x.bin")
    assert r.returncode == 1 and "TDREPORT comes from provider tdx" in r.stderr
