# SPDX-License-Identifier: Apache-2.0
"""The agent on TDX: `bptee agent --provider tdx|sim-tdx`, and "sim-tdx" as the config's
evidence provider. On the simulated TDX the agent reports provider intel_tdx, its offers carry
TDX quotes that `bptee seal` verifies under a tdx policy (and no SEV-SNP policy accepts), and
the whole owner flow and the signed access log work as on SEV-SNP."""
import os
import subprocess

import pytest

import bptee as B
from test_agent import Agent, fetch_secret, provision, tee_config, write_json
from test_agent import sim_dir  # noqa: F401  (fixture)

POLICY_TDX = {"tdx": {"allow_simulation": True}}
POLICY_SNP = {"sev_snp": {"allow_simulation": True}}


@pytest.fixture(params=["option", "config"])
def tdx_agent(request, tmp_path, sim_dir):
    """An agent on the simulated TDX, chosen by --provider or by the config."""
    if request.param == "option":
        a = Agent(tmp_path, sim_dir, args=("--provider", "sim-tdx"))
    else:
        a = Agent(tmp_path, sim_dir, provider="sim-tdx")
    yield a
    a.stop()


def seal(tmp_path, offer, policy, nonce):
    path = write_json(tmp_path / f"offer-{os.urandom(4).hex()}.json", offer)
    return subprocess.run([B.CLI, "seal", "--offer", path, "--policy",
                           write_json(tmp_path / "pol.json", policy), "--nonce", nonce.hex()],
                          input=b"secret", capture_output=True, timeout=60)


def test_health_names_the_real_provider(tdx_agent):
    h = tdx_agent.request("GET", "/v1/health")[2]
    assert (h["provider"], h["simulated"], h["evidence_source"]) == ("intel_tdx", True,
                                                                     "simulator")
    assert "SIMULATED TEE (TDX)" in tdx_agent.log()


def test_offer_verifies_under_a_tdx_policy_only(tdx_agent, tmp_path):
    nonce = os.urandom(32)
    status, _, offer = tdx_agent.request("POST", "/v1/sessions", {"nonce": nonce.hex()})
    assert status == 200 and offer["attestation"]["format"] == "tdx_quote"
    r = seal(tmp_path, offer, POLICY_TDX, nonce)
    assert r.returncode == 0, r.stderr
    status, _, res = tdx_agent.request("POST", "/v1/secrets", {
        "name": "td", "payload": __import__("json").loads(r.stdout)})
    assert status == 200 and fetch_secret(tdx_agent.sock, "td")[1] == b"secret"
    r = seal(tmp_path, offer, POLICY_SNP, nonce)  # the twin: no SEV-SNP policy takes a TDX quote
    assert r.returncode == 1 and b"refused" in r.stderr
    r = seal(tmp_path, offer, {"tdx": {}}, nonce)  # nor a TDX policy without simulation
    assert r.returncode == 1 and b"simulat" in r.stderr


def test_provision_and_audit_on_tdx(tdx_agent, tmp_path):
    pol = write_json(tmp_path / "tdx.json", POLICY_TDX)
    r = provision(tdx_agent, pol, {"k": b"on tdx"}, tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    status, _, doc = tdx_agent.request("GET", "/v1/audit")
    path = write_json(tmp_path / "audit.json", doc)
    r = B.cli("audit", "verify", path, "--policy", pol)
    assert r.returncode == 0 and "SIMULATED" in r.stdout, r.stderr
    r = B.cli("audit", "verify", path, "--policy", write_json(tmp_path / "snp.json", POLICY_SNP))
    assert r.returncode == 1 and "attestation" in r.stderr


def test_sev_snp_agent_still_says_sev_snp(tmp_path, sim_dir):
    a = Agent(tmp_path, sim_dir)
    try:
        assert a.request("GET", "/v1/health")[2]["provider"] == "amd_sev_snp"
    finally:
        a.stop()


def test_tdx_hardware_only_never_simulates(tmp_path, sim_dir):
    cfg = tee_config(tmp_path / "tee.json", sim_dir)
    env = dict(os.environ, BPTEE_TSM_PATH=str(tmp_path / "no-tsm"),
               BPTEE_TDX_GUEST_PATH=str(tmp_path / "no-dev"))
    r = B.run([B.CLI, "agent", "--config", cfg, "--listen", "127.0.0.1:0", "--socket",
               str(tmp_path / "s"), "--provider", "tdx"], env=env)
    assert r.returncode == 1 and "evidence" in r.stderr and "SIMULATED" not in r.stderr


def test_config_spelling_sim_tdx(tmp_path, sim_dir):
    cfg = tee_config(tmp_path / "tee.json", sim_dir, provider="sim-tdx")
    r = B.cli("config", "check", cfg)
    assert r.returncode == 0, r.stderr
    r = B.cli("attest", "--config", cfg, "--nonce", "00" * 32, "--public-key", "11" * 32)
    assert r.returncode == 0 and '"intel_tdx"' in r.stdout, r.stderr
