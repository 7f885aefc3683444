# SPDX-License-Identifier: Apache-2.0
"""The TEE config beyond the ported tests: bad input (each error names the field), the quirk
decisions of docs/config.md, the "bptee" object, saving, setters, and `bptee config`."""
import json
import os
import re
from ctypes import byref, c_void_p

import pytest

import bptee
from bptee import CODES, ROOT, BpteeError, check, cli
from test_config import (AUTO, CANONICAL, DELETE, DIRECT, DISABLED, ENV_OR_SEALED, EV_AUTO,
                         EV_SEV_SNP, EV_SIM, EV_TDX, INTEL_TDX, P, PRETTY, REQUIRED, SEALED_ONLY,
                         TEE_KEYS, KeyExchange, Selector, b_new, build, cfg_dup, cfg_load,
                         cfg_load_file, cfg_save, cfg_save_file, cfg_set_kx, cfg_set_selector,
                         cfg_validate, lib_has, load, load_err, new, with_)

MODES = "(expected auto, disabled, direct, remote or hybrid)"
BPTEE_DEFAULTS = {"evidence_provider": "auto", "tsm_report_path": "/sys/kernel/config/tsm/report",
                  "sev_guest_path": "/dev/sev-guest", "tdx_guest_path": "/dev/tdx_guest",
                  "sim_state_dir": None}
KX = {"session_ttl_secs": 120, "max_sessions": 10, "on_chain_verification": False}


def kx(**changes):
    return {**KX, **changes}


def with_bptee(**fields):
    return with_(CANONICAL, bptee=fields)


# (json text, code, text the reason must contain: the field and why)
BAD = [
    # malformed JSON: no field to name, so the position
    ('{"requirement":', "EPARSE", "config: line 1 column"),
    ("", "EPARSE", "config: line 1 column 0"),
    (CANONICAL + "x", "EPARSE", "config: line 1 column"),
    (b'{"mode":"\xff"}', "EPARSE", "config: line 1 column"),
    ('["requirement"]', "EPARSE", "config: expected a JSON object, got an array"),
    # wrong types
    (with_(CANONICAL, requirement=1), "EPARSE", '"requirement": expected a string, got integer'),
    (with_(CANONICAL, mode=None), "EPARSE", '"mode": expected a string, got null'),
    (with_(CANONICAL, provider_selector=["intel_tdx"]), "EPARSE", '"provider_selector": expected'),
    (with_(CANONICAL, provider_selector={"allow_list": "intel_tdx"}), "EPARSE",
     '"provider_selector.allow_list": expected an array of providers, got string'),
    (with_(CANONICAL, provider_selector={"allow_list": [3]}), "EPARSE",
     '"provider_selector.allow_list[0]": expected a string, got integer'),
    (with_(CANONICAL, provider_selector={"allow_list": [], "any": None}), "EPARSE",
     '"provider_selector": expected "any" or an object with the single key'),
    (with_(CANONICAL, key_exchange=[]), "EPARSE", '"key_exchange": expected an object, got array'),
    (with_(CANONICAL, key_exchange=kx(session_ttl_secs="120")), "EPARSE",
     '"key_exchange.session_ttl_secs": expected a non-negative integer, got string'),
    (with_(CANONICAL, key_exchange=kx(max_sessions=10.0)), "EPARSE",
     '"key_exchange.max_sessions": expected a non-negative integer, got non-integer number'),
    (with_(CANONICAL, key_exchange=kx(on_chain_verification=1)), "EPARSE",
     '"key_exchange.on_chain_verification": expected true or false, got integer'),
    (with_(CANONICAL, key_exchange=kx(on_chain_verification="true")), "EPARSE",
     '"key_exchange.on_chain_verification": expected true or false, got string'),
    (with_(CANONICAL, max_attestation_age_secs=True), "EPARSE",
     '"max_attestation_age_secs": expected a non-negative integer, got boolean'),
    (with_(CANONICAL, secret_injection=["sealed_only"]), "EPARSE",
     '"secret_injection": expected a string, got array'),
    (with_(CANONICAL, public_key_policy=False), "EPARSE", '"public_key_policy": expected a string'),
    (with_(CANONICAL, hybrid_routing_source="/etc/tee/routing.json"), "EPARSE",
     '"hybrid_routing_source": expected {"policy_file": "<path>"}, got string'),
    (with_(CANONICAL, hybrid_routing_source={"policy_file": "/x", "extra": 1}), "EPARSE",
     '"hybrid_routing_source": expected {"policy_file": "<path>"}, got an object with other'),
    (with_(CANONICAL, hybrid_routing_source={"policy_file": 5}), "EPARSE",
     '"hybrid_routing_source.policy_file": expected a string, got integer'),
    # unknown enum values (spellings are exact, as serde's)
    (with_(CANONICAL, mode="fast"), "EPARSE", f'config: "mode": unknown value "fast" {MODES}'),
    (with_(CANONICAL, mode="Direct"), "EPARSE", '"mode": unknown value "Direct"'),
    (with_(CANONICAL, requirement="optional"), "EPARSE",
     '"requirement": unknown value "optional" (expected preferred or required)'),
    (with_(CANONICAL, secret_injection="sealed"), "EPARSE",
     '"secret_injection": unknown value "sealed" (expected env_or_sealed or sealed_only)'),
    (with_(CANONICAL, public_key_policy="none"), "EPARSE",
     '"public_key_policy": unknown value "none" (expected required or optional)'),
    (with_(CANONICAL, provider_selector="all"), "EPARSE",
     '"provider_selector": unknown value "all" (expected "any" or {"allow_list": [...]})'),
    (with_(CANONICAL, provider_selector="allow_list"), "EPARSE",
     '"provider_selector": unknown value "allow_list"'),
    (with_(CANONICAL, provider_selector={"deny_list": []}), "EPARSE",
     '"provider_selector": unknown variant "deny_list"'),
    (with_(CANONICAL, provider_selector={"allow_list": ["intel_tdx", "sgx"]}), "EPARSE",
     '"provider_selector.allow_list[1]": unknown value "sgx" (expected aws_nitro, azure_snp, '
     'gcp_confidential, intel_tdx or amd_sev_snp)'),
    (with_(CANONICAL, mode="f\nast"), "EPARSE", '"mode": unknown value "f?ast"'),
    # missing required keys
    (with_(CANONICAL, requirement=DELETE), "EPARSE", '"requirement": required key is missing'),
    (with_(CANONICAL, mode=DELETE), "EPARSE", '"mode": required key is missing'),
    (with_(CANONICAL, provider_selector=DELETE), "EPARSE",
     '"provider_selector": required key is missing'),
    (with_(CANONICAL, key_exchange=DELETE), "EPARSE", '"key_exchange": required key is missing'),
    # negative and overflowing numbers
    (with_(CANONICAL, key_exchange=kx(session_ttl_secs=-1)), "EPARSE",
     '"key_exchange.session_ttl_secs": -1 is negative (expected 0 to 9223372036854775807)'),
    (with_(CANONICAL, max_attestation_age_secs=-3600), "EPARSE",
     '"max_attestation_age_secs": -3600 is negative'),
    (with_(CANONICAL, key_exchange=kx(max_sessions=2**64)), "EPARSE",
     '"key_exchange.max_sessions": integer too large (maximum 9223372036854775807)'),
    (with_(CANONICAL, key_exchange=kx(max_sessions=2**63)), "EPARSE",
     '"key_exchange.max_sessions": integer too large'),
    (with_(CANONICAL, max_attestation_age_secs=-(2**70)), "EPARSE",
     '"max_attestation_age_secs": negative integer'),
    (with_(CANONICAL, max_attestation_age_secs=1e3), "EPARSE",
     '"max_attestation_age_secs": expected a non-negative integer, got non-integer number'),
    # duplicate keys, at the top and nested (jansson names the key)
    (CANONICAL.replace('"mode":"direct"', '"mode":"direct","mode":"direct"'), "EPARSE",
     "duplicate object key near '\"mode\"'"),
    (CANONICAL.replace('"max_sessions":10', '"max_sessions":10,"max_sessions":11'), "EPARSE",
     "duplicate object key near '\"max_sessions\"'"),
    # the "bptee" object is ours, so it is strict
    (with_(CANONICAL, bptee=[]), "EPARSE", '"bptee": expected an object, got array'),
    (with_bptee(evidence_provider="sgx"), "EPARSE",
     '"bptee.evidence_provider": unknown value "sgx" (expected auto, sev-snp, tdx, sim, '
     'sim-tdx or azure-snp)'),
    (with_bptee(tsm_reprot_path="/x"), "EPARSE", '"bptee.tsm_reprot_path": unknown key'),
    (with_bptee(sev_guest_path=""), "EPARSE", '"bptee.sev_guest_path": must not be empty'),
    (with_bptee(tdx_guest_path=None), "EPARSE",
     '"bptee.tdx_guest_path": expected a string, got null'),
    (with_bptee(sim_state_dir=7), "EPARSE", '"bptee.sim_state_dir": expected a string or null, got integer'),
    # rules (blueprint-tee's messages)
    (with_(CANONICAL, mode="disabled"), "EINVAL",
     "tee config error: TEE requirement is Required but mode is Disabled"),
    (with_(CANONICAL, secret_injection="env_or_sealed"), "EINVAL",
     "tee config error: TEE-enabled configs must use SealedOnly secret injection"),
]


@pytest.mark.parametrize("text,code,why", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_input_names_the_field(text, code, why):
    e = load_err(text)
    assert e.name == code and why in e.reason, (text, e.reason)
    assert "\n" not in e.reason


def test_big_integer_outside_known_fields_reports_position():
    # jansson cannot hold it, so bptee refuses where blueprint-tee would ignore the key
    e = load_err(CANONICAL[:-1] + ',"extra":99999999999999999999}')
    assert e.name == "EPARSE" and "config: line 1 column" in e.reason
    assert "too big integer" in e.reason


def test_integer_limit_accepts_the_largest():
    big = 2**63 - 1
    c = load(with_(CANONICAL, max_attestation_age_secs=big, key_exchange=kx(max_sessions=big)))
    assert c.max_attestation_age_secs == big and c.kx().max_sessions == big
    assert json.loads(c.save())["max_attestation_age_secs"] == big


def test_oversize_input_is_refused_unread():
    pad = with_(CANONICAL, padding="")
    fill = (1 << 20) - len(pad)
    exact = with_(CANONICAL, padding="x" * fill)
    assert len(exact) == 1 << 20
    assert load(exact).mode == DIRECT  # at the limit: read, unknown key ignored
    e = load_err(with_(CANONICAL, padding="x" * (fill + 1)))
    assert e.name == "ELIMIT" and "exceeds the 1048576-byte limit" in e.reason


def test_oversize_file_is_refused(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(with_(CANONICAL, padding="x" * (1 << 20)))
    p = P()
    assert cfg_load_file(str(path).encode(), byref(p)) == CODES["ELIMIT"]
    assert str(path) in bptee.last_error()


def test_unknown_keys_are_ignored():
    c = load(with_(CANONICAL, future_field={"x": [1, 2]}, key_exchange=kx(rotate=True)))
    assert c.mode == DIRECT and c.kx().max_sessions == 10
    assert "future_field" not in c.save() and "rotate" not in c.save()


def test_optional_keys_take_the_defaults():
    text = ('{"requirement":"preferred","mode":"auto","provider_selector":"any",'
            '"key_exchange":{}}')
    assert json.loads(load(text).save()) == json.loads(new().save())


def test_quirk2_missing_secret_injection_follows_the_mode():
    for mode in ("direct", "remote", "hybrid"):
        c = load(with_(CANONICAL, mode=mode, secret_injection=DELETE))
        assert c.secret_injection == SEALED_ONLY
        assert json.loads(c.save())["secret_injection"] == "sealed_only"
    c = load(with_(CANONICAL, mode="auto", secret_injection=DELETE))
    assert c.secret_injection == ENV_OR_SEALED
    # only the omission is forgiven: an explicit env_or_sealed still breaks rule 2
    e = load_err(with_(CANONICAL, mode="remote", secret_injection="env_or_sealed"))
    assert "SealedOnly" in e.reason


def test_quirk1_auto_is_enabled_and_keeps_env_or_sealed():
    c = load(with_(CANONICAL, mode="auto", secret_injection="env_or_sealed"))
    assert bptee.fn("bptee_config_is_enabled", bptee.c_int, bptee.c_void_p)(c.ptr) == 1
    assert c.secret_injection == ENV_OR_SEALED
    assert load(with_(CANONICAL, mode="auto")).secret_injection == SEALED_ONLY


def test_nothing_else_is_validated():
    c = load(with_(CANONICAL, mode="auto", max_attestation_age_secs=0,
                   key_exchange=kx(session_ttl_secs=0, max_sessions=0),
                   provider_selector={"allow_list": []}))
    assert c.requirement == REQUIRED and c.mode == AUTO
    check(cfg_validate(c.ptr))


def test_canonical_json_saves_byte_identical():
    saved = load(CANONICAL).save()
    assert saved == CANONICAL[:-1] + ',"bptee":' + json.dumps(BPTEE_DEFAULTS,
                                                              separators=(",", ":")) + "}"


def test_save_writes_every_key_in_order():
    pairs = json.loads(new().save(), object_pairs_hook=lambda kv: kv)
    assert [k for k, _ in pairs] == TEE_KEYS + ["bptee"]
    assert dict(pairs)["bptee"] == list(BPTEE_DEFAULTS.items())
    pretty = new().save(PRETTY)
    assert pretty.startswith('{\n  "requirement": "preferred",\n  "mode": "auto",')
    assert json.loads(pretty) == json.loads(new().save())


def test_save_refuses_an_invalid_config():
    c = new()
    c.set("mode", DIRECT)  # a setter changes one field; the injection stays env_or_sealed
    out = c_void_p()
    assert cfg_save(c.ptr, 0, byref(out)) == CODES["EINVAL"]
    assert "SealedOnly" in bptee.last_error()
    c.set("secret_injection", SEALED_ONLY)
    assert json.loads(c.save())["mode"] == "direct"
    assert cfg_save(c.ptr, 2, byref(out)) == CODES["EINVAL"]  # unknown flag


def test_save_file_and_load_file(tmp_path):
    c = load(with_bptee(evidence_provider="sim", sim_state_dir="/var/lib/bptee-sim"))
    path = str(tmp_path / "tee.json").encode()
    check(cfg_save_file(c.ptr, path, PRETTY))
    text = open(path, "rb").read().decode()
    assert text.endswith("}\n") and text.count("\n") > 10
    p = P()
    check(cfg_load_file(path, byref(p)))
    from test_config import Config
    assert Config(p).save() == c.save()


def test_bptee_object_defaults_and_round_trip():
    c = new()
    assert (c.evidence_provider, c.sim_state_dir) == (EV_AUTO, None)
    assert (c.tsm_report_path, c.sev_guest_path, c.tdx_guest_path) == (
        b"/sys/kernel/config/tsm/report", b"/dev/sev-guest", b"/dev/tdx_guest")
    fields = {"evidence_provider": "tdx", "tsm_report_path": "/tmp/tsm",
              "sev_guest_path": "/tmp/sev", "tdx_guest_path": "/tmp/tdx", "sim_state_dir": "/s"}
    c = load(with_bptee(**fields))
    assert (c.evidence_provider, c.tsm_report_path, c.sim_state_dir) == (EV_TDX, b"/tmp/tsm", b"/s")
    assert json.loads(c.save())["bptee"] == fields
    for text, value in [("auto", EV_AUTO), ("sev-snp", EV_SEV_SNP), ("tdx", EV_TDX),
                        ("sim", EV_SIM)]:
        assert load(with_bptee(evidence_provider=text)).evidence_provider == value
    assert load(with_bptee(sim_state_dir=None)).sim_state_dir is None
    assert load(with_bptee()).tdx_guest_path == b"/dev/tdx_guest"  # {} keeps the defaults


def test_bptee_setters():
    c = new()
    c.set("evidence_provider", EV_SIM)
    c.set("sim_state_dir", b"/run/sim")
    c.set("tsm_report_path", b"/tmp/tsm")
    assert json.loads(c.save())["bptee"]["sim_state_dir"] == "/run/sim"
    c.set("tsm_report_path", None)  # NULL restores the default
    c.set("sim_state_dir", None)
    assert (c.tsm_report_path, c.sim_state_dir) == (b"/sys/kernel/config/tsm/report", None)
    for bad in [("evidence_provider", 6), ("sev_guest_path", b"")]:
        with pytest.raises(BpteeError) as e:
            c.set(*bad)
        assert e.value.name == "EINVAL"
    assert c.evidence_provider == EV_SIM and c.sev_guest_path == b"/dev/sev-guest"


def test_setters_check_ranges():
    c = new()
    for field, value in [("mode", 5), ("mode", -1), ("requirement", 2), ("secret_injection", 2),
                         ("public_key_policy", 2), ("attestation_freshness", 1),
                         ("max_attestation_age_secs", 2**63)]:
        with pytest.raises(BpteeError) as e:
            c.set(field, value)
        assert e.value.name == "EINVAL", field
    assert json.loads(c.save()) == json.loads(new().save())  # nothing changed
    c.set("max_attestation_age_secs", 2**63 - 1)
    assert c.max_attestation_age_secs == 2**63 - 1
    assert cfg_set_kx(c.ptr, byref(KeyExchange(2**63, 1, True))) == CODES["EINVAL"]
    assert cfg_set_selector(c.ptr, byref(Selector(False, 1 << 5))) == CODES["EINVAL"]
    check(cfg_set_selector(c.ptr, byref(Selector(False, 1 << INTEL_TDX))))
    assert c.selector().allow == 1 << INTEL_TDX


def test_validate_reports_both_rules():
    c = new()
    check(cfg_validate(c.ptr))
    c.set("requirement", REQUIRED)
    c.set("mode", DISABLED)
    assert cfg_validate(c.ptr) == CODES["EINVAL"]
    assert bptee.last_error() == "tee config error: TEE requirement is Required but mode is Disabled"
    c.set("mode", DIRECT)
    assert cfg_validate(c.ptr) == CODES["EINVAL"]
    assert bptee.last_error() == ("tee config error: TEE-enabled configs must use SealedOnly "
                                  "secret injection")


def test_dup_is_independent():
    c = load(CANONICAL)
    p = P()
    check(cfg_dup(c.ptr, byref(p)))
    from test_config import Config
    d = Config(p)
    d.set("hybrid_policy_file", b"/other.json")
    assert c.hybrid_policy_file == b"/etc/tee/routing.json"
    assert d.save() != c.save() and d.mode == c.mode


def test_builder_has_no_secret_injection_setter_and_is_reusable():
    assert not lib_has("bptee_config_builder_secret_injection")
    a, b = build(mode=DIRECT), build(mode=DISABLED)
    assert (a.secret_injection, b.secret_injection) == (SEALED_ONLY, ENV_OR_SEALED)
    with pytest.raises(BpteeError) as e:
        build(allow=[INTEL_TDX, 7])
    assert e.value.name == "EINVAL" and "7" in e.value.reason


def test_null_arguments_are_refused():
    assert cfg_load(None, 5, None) == CODES["EINVAL"]
    assert b_new(None) == CODES["EINVAL"]
    p = P()
    assert cfg_load(None, 5, byref(p)) == CODES["EINVAL"]


# --- the test vector of docs/config.md -----------------------------------------------------------
def doc_vector():
    text = open(os.path.join(ROOT, "docs", "config.md")).read()
    blocks = dict(re.findall(r"<!-- test-vector: (\w+) -->\n```json\n(.*?)```", text, re.S))
    return blocks["input"], blocks["normalized"]


def test_docs_test_vector():
    given, normalized = doc_vector()
    assert load(given).save(PRETTY) + "\n" == normalized
    assert load(normalized).save(PRETTY) + "\n" == normalized


# --- bptee config ---------------------------------------------------------------------------------
def write(tmp_path, text, name="tee.json"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_cli_config_check_prints_normalized(tmp_path):
    r = cli("config", "check", write(tmp_path, CANONICAL))
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout == load(CANONICAL).save(PRETTY) + "\n"
    assert list(json.loads(r.stdout)) == TEE_KEYS + ["bptee"]


def test_cli_config_check_reads_stdin():
    r = cli("config", "check", "-", input=with_(CANONICAL, mode="hybrid"))
    assert r.returncode == 0 and json.loads(r.stdout)["mode"] == "hybrid"
    r = cli("config", "check", "-", input="{")
    assert r.returncode == 1 and r.stderr.startswith("bptee: -: config: line")


def test_cli_config_check_rejects_with_one_line(tmp_path):
    path = write(tmp_path, with_(CANONICAL, mode="fast"))
    r = cli("config", "check", path)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == f'bptee: {path}: config: "mode": unknown value "fast" {MODES}\n'
    path = write(tmp_path, with_(CANONICAL, mode="disabled"), "rule.json")
    r = cli("config", "check", path)
    assert r.returncode == 1
    assert r.stderr == (f"bptee: {path}: tee config error: TEE requirement is Required but "
                        "mode is Disabled\n")


def test_cli_config_check_missing_file(tmp_path):
    path = str(tmp_path / "absent.json")
    r = cli("config", "check", path)
    assert r.returncode == 1 and r.stderr.startswith(f"bptee: {path}: No such file")
    assert r.stderr.count(path) == 1


def test_cli_config_show_prints_defaults():
    r = cli("config", "show")
    assert r.returncode == 0 and r.stdout == new().save(PRETTY) + "\n"
    assert json.loads(r.stdout)["bptee"] == BPTEE_DEFAULTS


@pytest.mark.parametrize("args", [["config", "--help"], ["config", "check", "--help"],
                                  ["config", "show", "-h"]])
def test_cli_config_help(args):
    r = cli(*args)
    assert r.returncode == 0 and r.stdout.startswith("usage: bptee config check FILE")


@pytest.mark.parametrize("args", [["config"], ["config", "check"], ["config", "frob"],
                                  ["config", "check", "a", "b"], ["config", "show", "x"]])
def test_cli_config_usage_errors(args):
    r = cli(*args)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("bptee: config") and r.stderr.count("\n") == 1


def test_cli_lists_config():
    r = cli("--help")
    assert r.returncode == 0 and re.search(r"^  config\s", r.stdout, re.M)
