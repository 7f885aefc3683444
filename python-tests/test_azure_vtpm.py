# SPDX-License-Identifier: Apache-2.0
"""Azure vTPM evidence collected with tpm2-tss (`bptee attest --provider azure-snp`, the agent
with --provider azure-snp) from a real software TPM (swtpm) holding a real AK at Azure's
persistent handle and a simulated HCL report bound to that AK in Azure's NV index; then
verified end to end by `bptee verify` and `bptee seal`. Every accept has its reject twin: another
nonce, a flipped quote, signature, PCR or runtime-data byte, an AK that is not the report's, a
TDX HCL report, an NV index that is not there (never the simulator instead)."""
import base64
import hashlib
import json
import os
import subprocess

import pytest

import bptee as B
from azure_vtpm_util import AK_HANDLE, HCL_NV_INDEX, Swtpm, sim_hcl, split_evidence
from test_agent import Agent, fetch_secret, write_json
from test_agent import sim_dir  # noqa: F401  (fixture)

OTHER_AK, OTHER_NV = 0x81000004, 0x01500001


@pytest.fixture(scope="module")
def tpm(tmp_path_factory, sim_dir):  # noqa: F811
    d = tmp_path_factory.mktemp("vtpm")
    t = Swtpm(d)
    try:
        ak = d / "ak.pem"
        ak.write_bytes(t.create_ak(AK_HANDLE))
        t.certs = d / "certs.bin"
        t.hcl = sim_hcl(sim_dir, ak, d / "hcl.bin", t.certs)
        t.nv_write(HCL_NV_INDEX, t.hcl)
        fp = subprocess.run([B.CLI, "sim", "init", "--state-dir", str(sim_dir)], check=True,
                            capture_output=True, text=True).stdout.strip()
        t.trust = {"allow_simulation": True, "trusted_roots": [f"sha256:{fp}"]}
        yield t
    finally:
        t.close()


def attest(tpm, tmp_path, *extra, name="ev.json"):
    out = tmp_path / name
    r = subprocess.run([B.CLI, "attest", "--provider", "azure-snp", "--tcti", tpm.tcti,
                        "--azure-certs", str(tpm.certs), "-o", str(out), *extra],
                       capture_output=True, text=True, timeout=120)
    return r, out


def verify(tmp_path, evidence_path, sev_snp=None, tpm=None):
    pol = dict(tpm.trust if tpm else {}, **(sev_snp or {}))
    policy = write_json(tmp_path / "policy.json", {"sev_snp": pol})
    return subprocess.run([B.CLI, "verify", str(evidence_path), "--policy", policy, "--json"],
                          capture_output=True, text=True, timeout=120)


def evidence_of(path):
    with open(path) as f:
        doc = json.load(f)
    return doc, base64.b64decode(doc["evidence"])


def rewrite(tmp_path, doc, ev, name):
    doc = dict(doc, evidence=base64.b64encode(ev).decode())
    return write_json(tmp_path / name, doc)


def flip(b, i):
    b = bytearray(b)
    b[i] ^= 1
    return bytes(b)


def test_collected_evidence_verifies_with_the_key_binding(tpm, tmp_path):
    nonce, key = os.urandom(32), os.urandom(32)
    r, ev = attest(tpm, tmp_path, "--nonce", nonce.hex(), "--public-key", key.hex())
    assert r.returncode == 0, r.stderr
    doc, raw = evidence_of(ev)
    assert (doc["provider"], doc["format"]) == ("azure_snp", "sev_snp_report")
    assert raw[8:12] == b"HCLA" and raw[8:8 + len(tpm.hcl)] == tpm.hcl
    binding = {"report_data": {"x25519_binding": {"nonce": nonce.hex(), "public_key": key.hex()}}}
    v = verify(tmp_path, ev, binding, tpm)
    assert v.returncode == 0, v.stderr
    out = json.loads(v.stdout)
    assert out["provider"] == "azure_snp" and out["simulated"] is True
    want = hashlib.sha512(nonce + key).digest()
    ud = out["claims"]["user_data"]
    assert (bytes(ud) if isinstance(ud, list) else base64.b64decode(ud)) == want
    assert out["public_key_binding"]["binding_digest"] == want.hex()
    assert len(out["claims"]["custom"]["tpm_pcrs_sha256"]) == 24
    # the twin: the same evidence against another nonce
    other = {"report_data": {"x25519_binding": {"nonce": os.urandom(32).hex(),
                                                "public_key": key.hex()}}}
    v = verify(tmp_path, ev, other, tpm)
    assert v.returncode == 1 and "qualifying data is not SHA-512" in v.stderr


def test_report_data_goes_into_the_quote_not_report_data(tpm, tmp_path):
    r, ev = attest(tpm, tmp_path, "--report-data", "ab" * 64)
    assert r.returncode == 0, r.stderr
    assert verify(tmp_path, ev, {"report_data": "ab" * 64}, tpm).returncode == 0
    v = verify(tmp_path, ev, {"report_data": "cd" * 64}, tpm)
    assert v.returncode == 1 and "qualifying data does not match" in v.stderr
    # without the simulation trusted, the same evidence is refused (never trusted silently)
    v = subprocess.run([B.CLI, "verify", str(ev)], capture_output=True, text=True)
    assert v.returncode == 1 and "simulat" in v.stderr


@pytest.mark.parametrize("part,reason", [
    ("runtime", "REPORT_DATA is not SHA-256 of the runtime data"),
    ("quote", "quote signature does not verify"),
    ("signature", "quote signature does not verify"),
    ("pcr", "pcrDigest does not match"),
    ("snp_signature", "signature"),
])
def test_flipped_byte_rejected_with_its_reason(tpm, tmp_path, part, reason):
    r, ev = attest(tpm, tmp_path, "--report-data", "01")
    assert r.returncode == 0, r.stderr
    doc, raw = evidence_of(ev)
    h, _, s, _, a, alen, p = split_evidence(raw)
    at = {"runtime": h + 0x4D4 + 20, "quote": a + alen - 40, "signature": s + 7,
          "pcr": p + 32 * 7 + 3, "snp_signature": h + 0x20 + 0x2A0 + 5}[part]
    bad = rewrite(tmp_path, doc, flip(raw, at), "bad.json")
    v = verify(tmp_path, bad, tpm=tpm)
    assert v.returncode == 1 and reason in v.stderr, v.stderr
    assert verify(tmp_path, ev, tpm=tpm).returncode == 0


def test_ak_in_the_tpm_that_is_not_the_reports(tpm, tmp_path, sim_dir):  # noqa: F811
    if not hasattr(tpm, "other_hcl"):
        ak2 = tmp_path / "ak2.pem"
        ak2.write_bytes(tpm.create_ak(OTHER_AK))
        tpm.other_hcl = sim_hcl(sim_dir, ak2, tmp_path / "hcl2.bin")
        tpm.nv_write(OTHER_NV, tpm.other_hcl)
    # collecting refuses: the AK at the handle is not the HCL report's HCLAkPub
    r, ev = attest(tpm, tmp_path, "--ak-handle", hex(OTHER_AK))
    assert r.returncode == 1 and "is not the HCL report's HCLAkPub" in r.stderr
    assert not ev.exists()
    # a quote by the other AK spliced under the first report: the verifier refuses it too
    r, ev2 = attest(tpm, tmp_path, "--ak-handle", hex(OTHER_AK), "--nv-index", hex(OTHER_NV),
                    name="ev2.json")
    assert r.returncode == 0, r.stderr
    assert verify(tmp_path, ev2, tpm=tpm).returncode == 0
    doc, raw = evidence_of(ev2)
    spliced = len(tpm.hcl).to_bytes(8, "little") + tpm.hcl + raw[8 + len(tpm.other_hcl):]
    v = verify(tmp_path, rewrite(tmp_path, doc, spliced, "spliced.json"), tpm=tpm)
    assert v.returncode == 1 and "quote signature does not verify with the AK" in v.stderr


def test_tdx_hcl_report_is_never_accepted(tpm, tmp_path):
    r, ev = attest(tpm, tmp_path)
    assert r.returncode == 0, r.stderr
    doc, raw = evidence_of(ev)
    with open(os.path.join(B.VECTORS, "azure-cvm", "hcl-report-tdx.bin"), "rb") as f:
        tdx = f.read()
    spliced = len(tdx).to_bytes(8, "little") + tdx + raw[8 + len(tpm.hcl):]
    v = verify(tmp_path, rewrite(tmp_path, doc, spliced, "tdx.json"), tpm=tpm)
    assert v.returncode == 1 and "TDX HCL report" in v.stderr and "never evidence" in v.stderr


def test_absent_nv_index_is_an_error_never_the_simulator(tpm, tmp_path):
    r, ev = attest(tpm, tmp_path, "--nv-index", "0x01600001")
    assert r.returncode == 1 and not ev.exists()
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "no HCL report (NV index 0x01600001)" in lines[0]
    assert "simulat" not in r.stderr
    r, ev = attest(tpm, tmp_path, "--ak-handle", "0x81000009")
    assert r.returncode == 1 and "nothing at handle 0x81000009" in r.stderr
    r = subprocess.run([B.CLI, "attest", "--provider", "azure-snp", "--tcti",
                        f"device:{tmp_path}/no-tpm"], capture_output=True, text=True)
    assert r.returncode == 1 and "no vTPM at" in r.stderr and "never simulates" in r.stderr
    r = subprocess.run([B.CLI, "attest", "--provider", "azure-snp", "--nv-index", "zz"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--nv-index" in r.stderr
    env = dict(os.environ, BPTEE_TPM_TCTI=tpm.tcti, BPTEE_AZURE_AK_HANDLE="zz")
    r = subprocess.run([B.CLI, "attest", "--provider", "azure-snp"], capture_output=True,
                       text=True, env=env)
    assert r.returncode == 1 and "BPTEE_AZURE_AK_HANDLE: not a TPM handle: 'zz'" in r.stderr


def test_library_does_not_link_tpm2_tss(tpm, tmp_path):
    """tpm2-tss is dlopened on the azure-snp path only (docs/azure.md): a process that loads
    libbptee.so and verifies evidence maps none of it; one that collects does."""
    needed = subprocess.run(["readelf", "-d", B.LIBPATH], capture_output=True, text=True).stdout
    assert "NEEDED" in needed and "tss2" not in needed
    probe = ("import ctypes, sys\n"
             "lib = ctypes.CDLL(sys.argv[1])\n"
             "if len(sys.argv) > 2:\n"
             "    lib.bptee_guest_attest.restype = ctypes.c_int\n"
             "    p = ctypes.c_void_p()\n"
             "    opts = (ctypes.c_int * 64)()\n"
             "    ctypes.memmove(opts, ctypes.byref(ctypes.c_size_t(256)), 8)\n"
             "    opts[2] = 5  # provider azure-snp, after the 8-byte sz\n"
             "    print(lib.bptee_guest_attest(opts, None, 0, ctypes.byref(p), None))\n"
             "print('tss2' in open('/proc/self/maps').read())\n")
    r = subprocess.run(["/usr/bin/python3", "-c", probe, B.LIBPATH], capture_output=True,
                       text=True, timeout=60)
    assert r.stdout.split() == ["False"], r.stderr
    env = dict(os.environ, BPTEE_TPM_TCTI=tpm.tcti)
    r = subprocess.run(["/usr/bin/python3", "-c", probe, B.LIBPATH, "collect"],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.stdout.split() == ["0", "True"], r.stderr


@pytest.fixture
def azure_agent(tpm, tmp_path, sim_dir, monkeypatch):  # noqa: F811
    monkeypatch.setenv("BPTEE_TPM_TCTI", tpm.tcti)
    monkeypatch.setenv("BPTEE_AZURE_CERTS", str(tpm.certs))
    a = Agent(tmp_path, sim_dir, args=("--provider", "azure-snp"))
    yield a
    a.stop()


def test_agent_offer_on_azure_verifies(azure_agent, tpm, tmp_path):
    h = azure_agent.request("GET", "/v1/health")[2]
    assert (h["provider"], h["evidence_source"]) == ("azure_snp", "vtpm")
    nonce = os.urandom(32)
    status, _, offer = azure_agent.request("POST", "/v1/sessions", {"nonce": nonce.hex()})
    assert status == 200 and offer["attestation"]["provider"] == "azure_snp"
    path = write_json(tmp_path / "offer.json", offer)
    pol = write_json(tmp_path / "pol.json", {"sev_snp": tpm.trust})

    def seal(n):
        return subprocess.run([B.CLI, "seal", "--offer", path, "--policy", pol, "--nonce",
                               n.hex()], input=b"azure secret", capture_output=True, timeout=60)
    r = seal(nonce)
    assert r.returncode == 0, r.stderr
    status, _, _ = azure_agent.request("POST", "/v1/secrets", {"name": "az",
                                                               "payload": json.loads(r.stdout)})
    assert status == 200 and fetch_secret(azure_agent.sock, "az")[1] == b"azure secret"
    r = seal(os.urandom(32))  # the twin: another nonce than the offer was made for
    assert r.returncode == 1
