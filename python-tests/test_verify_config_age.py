# SPDX-License-Identifier: Apache-2.0
"""`bptee verify --config TEE.json`: the config's max_attestation_age_secs bounds the age of the
evidence a verifier accepts (issue 14), the stricter of it and the policy's max_age_secs
holding; evidence that carries no time is then refused. Evidence from the simulated TEE, whose
evidence JSON records when it was taken."""
import json
import subprocess

import pytest

import bptee as B
from bptee import BpteeError, check, fn
from ctypes import POINTER, byref, c_char_p, c_int, c_size_t, c_uint64, c_void_p

SIM_POLICY = {"sev_snp": {"allow_simulation": True}}


@pytest.fixture(scope="module")
def evidence(tmp_path_factory):
    d = tmp_path_factory.mktemp("age")
    path = d / "evidence.json"
    r = subprocess.run([B.CLI, "attest", "--provider", "sim", "--state-dir", d / "sim",
                        "--report-data", "ab" * 32, "-o", path], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return d, path, int(json.loads(path.read_text())["issued_at_unix"])


def write(d, name, obj):
    p = d / name
    p.write_text(json.dumps(obj))
    return p


def config(d, age):
    return write(d, f"tee-{age}.json", {"requirement": "preferred", "mode": "direct",
                                        "provider_selector": "any",
                                        "key_exchange": {"session_ttl_secs": 60,
                                                         "max_sessions": 16},
                                        "max_attestation_age_secs": age})


def verify(path, *args):
    return subprocess.run([B.CLI, "verify", path, *map(str, args)], capture_output=True,
                          text=True)


def test_config_age_bounds_what_verify_accepts(evidence):
    d, path, issued = evidence
    pol = write(d, "pol.json", SIM_POLICY)
    young, old = issued + 30, issued + 120
    assert verify(path, "--policy", pol, "--at", old).returncode == 0  # no bound: accepted
    r = verify(path, "--policy", pol, "--config", config(d, 60), "--at", old)
    assert r.returncode == 1 and "older than max_age_secs 60" in r.stderr, r.stderr
    assert verify(path, "--policy", pol, "--config", config(d, 60), "--at", young).returncode == 0
    assert verify(path, "--policy", pol, "--config", config(d, 3600), "--at", old).returncode == 0


def test_the_stricter_of_policy_and_config_holds(evidence):
    d, path, issued = evidence
    strict_policy = write(d, "strict.json", dict(SIM_POLICY, max_age_secs=10))
    r = verify(path, "--policy", strict_policy, "--config", config(d, 3600), "--at", issued + 60)
    assert r.returncode == 1 and "older than max_age_secs 10" in r.stderr, r.stderr


def test_config_without_policy_keeps_the_default_policy(evidence):
    """--config alone adds the bound to the default policy, which refuses simulated evidence:
    the bound never loosens anything."""
    d, path, issued = evidence
    r = verify(path, "--config", config(d, 3600), "--at", issued + 1)
    assert r.returncode == 1 and "simulat" in r.stderr, r.stderr


def test_a_bad_config_is_an_error_naming_it(evidence):
    d, path, _ = evidence
    good = json.loads(config(d, 60).read_text())
    bad = write(d, "bad.json", dict(good, max_attestation_age_secs="soon"))
    r = verify(path, "--policy", write(d, "p.json", SIM_POLICY), "--config", bad)
    assert r.returncode == 1 and "max_attestation_age_secs" in r.stderr, r.stderr
    r = verify(path, "--config", d / "missing.json")
    assert r.returncode == 1 and "missing.json" in r.stderr, r.stderr


def test_evidence_without_a_time_is_refused_under_a_bound(tmp_path):
    raw = B.VECTORS + "/sev-snp/teekit-gcp-milan-v5/sev-gcp-x25519-bound.bin"
    vcek = B.VECTORS + "/sev-snp/teekit-gcp-milan-v5/sev-gcp-x25519-vcek.pem"
    assert verify(raw, "--vcek", vcek, "--at", "2026-01-01").returncode == 0
    r = verify(raw, "--vcek", vcek, "--at", "2026-01-01", "--config", config(tmp_path, 3600))
    assert r.returncode == 1 and "no issued_at" in r.stderr, r.stderr


policy_parse = fn("bptee_policy_parse", c_int, c_char_p, c_size_t, POINTER(c_void_p))
policy_bound = fn("bptee_policy_bound_max_age", c_int, c_void_p, c_uint64)
policy_free = fn("bptee_policy_free", None, c_void_p)


def test_bound_api_refuses_out_of_range_and_null():
    p = c_void_p()
    check(policy_parse(b"{}", 2, byref(p)))
    try:
        check(policy_bound(p, 60))
        with pytest.raises(BpteeError) as e:
            check(policy_bound(p, 2 ** 63))
        assert "out of range" in e.value.reason
    finally:
        policy_free(p)
    with pytest.raises(BpteeError):
        check(policy_bound(None, 60))
