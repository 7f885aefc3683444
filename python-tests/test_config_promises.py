# SPDX-License-Identifier: Apache-2.0
"""What the TEE config promises, kept by the agent at start and while it runs (issue 14):
"requirement": "required" with a provider allow list refuses to start where the evidence would
not come from a listed provider (the simulator is a provider of its own, never amd_sev_snp or
intel_tdx), and "max_attestation_age_secs" bounds the age of the signing key's evidence the
agent presents: it re-attests."""
import json
import os
import time

import pytest

import bptee as B
from test_agent import CLI, Agent, sim_dir, tee_config  # noqa: F401


def start(tmp_path, sim_dir, provider="sim", **fields):
    cfg = tee_config(tmp_path / "tee.json", sim_dir, provider=provider, **fields)
    return B.run([CLI, "agent", "--config", cfg, "--listen", "127.0.0.1:0", "--socket",
                  str(tmp_path / "agent.sock")], timeout=60)


@pytest.mark.parametrize("provider,allow", [
    ("sim", ["intel_tdx"]),           # the simulated SEV-SNP TEE, only TDX allowed
    ("sim", ["amd_sev_snp"]),         # it imitates SEV-SNP, but it is not SEV-SNP
    ("sim-tdx", ["intel_tdx"]),       # nor is the simulator playing TDX TDX
    ("sim", ["amd_sev_snp", "intel_tdx", "aws_nitro", "azure_snp", "gcp_confidential"]),
])
def test_required_allow_list_refuses_the_simulator(tmp_path, sim_dir, provider, allow):
    r = start(tmp_path, sim_dir, provider, requirement="required",
              provider_selector={"allow_list": allow})
    assert r.returncode == 1
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("bptee: ")]
    assert len(lines) == 1 and "allow list" in lines[0] and "simulator" in lines[0], r.stderr
    assert "ready" not in r.stdout
    assert not os.path.exists(tmp_path / "agent.sock")


def test_required_any_and_preferred_allow_list_start(tmp_path, sim_dir):
    """The twins: "any" lets a required config run on the simulator (loudly); a preferred
    config with an allow list that excludes it starts with a warning."""
    a = Agent(tmp_path, sim_dir, requirement="required", provider_selector="any")
    assert a.request("GET", "/v1/health")[2]["simulated"] is True
    a.stop()
    assert "SIMULATED" in a.log()
    b = Agent(tmp_path, sim_dir, requirement="preferred",
              provider_selector={"allow_list": ["intel_tdx"]})
    assert b.request("GET", "/v1/health")[0] == 200
    b.stop()
    assert "does not allow the simulator" in b.log()


def key_evidence(agent):
    _, _, sk = agent.request("GET", "/v1/signing-key")
    return sk["public_key_hex"], sk["attestation_digest"], sk["attestation"]["issued_at_unix"]


def test_signing_key_evidence_is_reattested_past_the_max_age(tmp_path, sim_dir):
    a = Agent(tmp_path, sim_dir, max_attestation_age_secs=2)
    try:
        key, digest, issued = key_evidence(a)
        time.sleep(3.2)
        key2, digest2, issued2 = key_evidence(a)
        assert key2 == key  # the same key ...
        assert digest2 != digest and issued2 > issued  # ... with younger evidence
        assert int(time.time()) - issued2 <= 2
    finally:
        a.stop()
    assert "signing key re-attested" in a.log()


def test_signing_key_evidence_kept_within_the_max_age(tmp_path, sim_dir):
    a = Agent(tmp_path, sim_dir, max_attestation_age_secs=3600)
    try:
        first = key_evidence(a)
        time.sleep(3.2)
        assert key_evidence(a) == first
    finally:
        a.stop()
    assert "signing key re-attested" not in a.log()
