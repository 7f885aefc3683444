# SPDX-License-Identifier: Apache-2.0
"""The TEE config: blueprint-tee's config_tests.rs ported under the same names, plus the ctypes
helpers test_config_input.py shares (bad input, the "bptee" object, `bptee config`).
Not ported: backend_registry_from_env (runtime) and error_display_variants (TeeError has no C
counterpart; the config's own message is checked in test_builder_required_disabled_fails)."""
import ctypes
import json
from ctypes import POINTER, byref, c_bool, c_char_p, c_int, c_size_t, c_uint32, c_uint64, c_void_p

import pytest

import bptee
from bptee import CODES, BpteeError, check, cli, fn, take_string

AUTO, DISABLED, DIRECT, REMOTE, HYBRID = range(5)
PREFERRED, REQUIRED = 0, 1
ENV_OR_SEALED, SEALED_ONLY = 0, 1
KEY_REQUIRED, KEY_OPTIONAL = 0, 1
CONTAINER, CLOUD_MANAGED = 0, 1
AWS_NITRO, AZURE_SNP, GCP, INTEL_TDX, AMD_SEV_SNP = range(5)
EV_AUTO, EV_SEV_SNP, EV_TDX, EV_SIM = range(4)
PRETTY = 1


class Selector(ctypes.Structure):
    _fields_ = [("any", c_bool), ("allow", c_uint32)]


class KeyExchange(ctypes.Structure):
    _fields_ = [("session_ttl_secs", c_uint64), ("max_sessions", c_uint64),
                ("on_chain_verification", c_bool)]


class Requirements(ctypes.Structure):
    _fields_ = [("requirement", c_int), ("providers", Selector),
                ("has_min_attestation_age", c_bool), ("min_attestation_age_secs", c_uint64)]


P = c_void_p
ENUMS = {k: (fn(f"bptee_{k}_name", c_char_p, c_int),
             fn(f"bptee_{k}_parse", c_int, c_char_p, POINTER(c_int)))
         for k in ("tee_mode", "tee_requirement", "secret_injection", "attestation_freshness",
                   "public_key_policy", "lifecycle_policy", "evidence_provider")}
provider_name = fn("bptee_provider_name", c_char_p, c_int)
sel_any = fn("bptee_provider_selector_any", None, POINTER(Selector))
sel_allow = fn("bptee_provider_selector_allow_list", c_int, POINTER(c_int), c_size_t,
               POINTER(Selector))
sel_accepts = fn("bptee_provider_selector_accepts", c_int, POINTER(Selector), c_int)
kx_default = fn("bptee_key_exchange_config_default", None, POINTER(KeyExchange))
req_init = fn("bptee_tee_requirements_init", c_int, POINTER(Requirements), c_int)
req_is_required = fn("bptee_tee_requirements_is_required", c_int, POINTER(Requirements))
req_from_json = fn("bptee_tee_requirements_from_json", c_int, c_char_p, c_size_t,
                   POINTER(Requirements))
req_to_json = fn("bptee_tee_requirements_to_json", c_int, POINTER(Requirements),
                 POINTER(c_void_p))
cfg_new = fn("bptee_config_new", c_int, POINTER(P))
cfg_free = fn("bptee_config_free", None, P)
cfg_dup = fn("bptee_config_dup", c_int, P, POINTER(P))
cfg_load = fn("bptee_config_load", c_int, c_char_p, c_size_t, POINTER(P))
cfg_load_file = fn("bptee_config_load_file", c_int, c_char_p, POINTER(P))
cfg_save = fn("bptee_config_save", c_int, P, ctypes.c_uint, POINTER(c_void_p))
cfg_save_file = fn("bptee_config_save_file", c_int, P, c_char_p, ctypes.c_uint)
cfg_validate = fn("bptee_config_validate", c_int, P)
cfg_is_enabled = fn("bptee_config_is_enabled", c_int, P)
cfg_lifecycle = fn("bptee_config_lifecycle_policy", c_int, P)
cfg_selector = fn("bptee_config_provider_selector", None, P, POINTER(Selector))
cfg_kx = fn("bptee_config_key_exchange", None, P, POINTER(KeyExchange))
cfg_set_selector = fn("bptee_config_set_provider_selector", c_int, P, POINTER(Selector))
cfg_set_kx = fn("bptee_config_set_key_exchange", c_int, P, POINTER(KeyExchange))
GET = {k: fn(f"bptee_config_{k}", t, P) for k, t in [
    ("requirement", c_int), ("mode", c_int), ("max_attestation_age_secs", c_uint64),
    ("secret_injection", c_int), ("attestation_freshness", c_int), ("public_key_policy", c_int),
    ("hybrid_policy_file", c_char_p), ("evidence_provider", c_int), ("tsm_report_path", c_char_p),
    ("sev_guest_path", c_char_p), ("tdx_guest_path", c_char_p), ("sim_state_dir", c_char_p)]}
SET = {k: fn(f"bptee_config_set_{k}", c_int, P, t) for k, t in [
    ("requirement", c_int), ("mode", c_int), ("max_attestation_age_secs", c_uint64),
    ("secret_injection", c_int), ("attestation_freshness", c_int), ("public_key_policy", c_int),
    ("hybrid_policy_file", c_char_p), ("evidence_provider", c_int), ("tsm_report_path", c_char_p),
    ("sev_guest_path", c_char_p), ("tdx_guest_path", c_char_p), ("sim_state_dir", c_char_p)]}
b_new = fn("bptee_config_builder_new", c_int, POINTER(P))
b_free = fn("bptee_config_builder_free", None, P)
b_build = fn("bptee_config_builder_build", c_int, P, POINTER(P))
b_allow = fn("bptee_config_builder_allow_providers", c_int, P, POINTER(c_int), c_size_t)
b_selector = fn("bptee_config_builder_provider_selector", c_int, P, POINTER(Selector))
b_kx = fn("bptee_config_builder_key_exchange", c_int, P, POINTER(KeyExchange))
BSET = {k: fn(f"bptee_config_builder_{k}", c_int, P, t) for k, t in [
    ("requirement", c_int), ("mode", c_int), ("max_attestation_age_secs", c_uint64),
    ("attestation_freshness", c_int), ("public_key_policy", c_int),
    ("hybrid_policy_file", c_char_p)]}

CANONICAL = ('{"requirement":"required","mode":"direct","provider_selector":"any",'
             '"key_exchange":{"session_ttl_secs":120,"max_sessions":10,'
             '"on_chain_verification":false},"max_attestation_age_secs":1800,'
             '"secret_injection":"sealed_only","attestation_freshness":"provision_time_only",'
             '"public_key_policy":"required",'
             '"hybrid_routing_source":{"policy_file":"/etc/tee/routing.json"}}')
TEE_KEYS = ["requirement", "mode", "provider_selector", "key_exchange",
            "max_attestation_age_secs", "secret_injection", "attestation_freshness",
            "public_key_policy", "hybrid_routing_source"]


class Config:
    """An owned struct bptee_config *, freed with the object."""

    def __init__(self, ptr):
        self.ptr = ptr

    def __del__(self):
        cfg_free(self.ptr)

    def __getattr__(self, name):
        if name not in GET:
            raise AttributeError(name)
        return GET[name](self.ptr)

    def set(self, name, value):
        return check(SET[name](self.ptr, value))

    def save(self, flags=0):
        out = c_void_p()
        check(cfg_save(self.ptr, flags, byref(out)))
        return take_string(out)

    def selector(self):
        s = Selector()
        cfg_selector(self.ptr, byref(s))
        return s

    def kx(self):
        k = KeyExchange()
        cfg_kx(self.ptr, byref(k))
        return k


def new():
    p = P()
    check(cfg_new(byref(p)))
    return Config(p)


def load(text):
    data = text.encode() if isinstance(text, str) else text
    p = P()
    check(cfg_load(data, len(data), byref(p)))
    return Config(p)


def load_err(text):
    with pytest.raises(BpteeError) as e:
        load(text)
    return e.value


def build(requirement=None, mode=None, allow=None, selector=None, kx=None, **kw):
    b = P()
    check(b_new(byref(b)))
    try:
        if requirement is not None:
            check(BSET["requirement"](b, requirement))
        if mode is not None:
            check(BSET["mode"](b, mode))
        if allow is not None:
            check(b_allow(b, (c_int * len(allow))(*allow), len(allow)))
        if selector is not None:
            check(b_selector(b, byref(selector)))
        if kx is not None:
            check(b_kx(b, byref(kx)))
        for k, v in kw.items():
            check(BSET[k](b, v))
        p = P()
        check(b_build(b, byref(p)))
        return Config(p)
    finally:
        b_free(b)


def allow_list(*providers):
    s = Selector()
    check(sel_allow((c_int * len(providers))(*providers), len(providers), byref(s)))
    return s


def any_selector():
    s = Selector()
    sel_any(byref(s))
    return s


def name(kind, value):
    r = ENUMS[kind][0](value)
    return r.decode() if r is not None else None


def parse(kind, text):
    v = c_int()
    check(ENUMS[kind][1](text.encode(), byref(v)))
    return v.value


def lib_has(symbol):
    return hasattr(bptee.lib, symbol)


def with_(base, **changes):
    d = json.loads(base)
    for k, v in changes.items():
        if v is DELETE:
            del d[k]
        else:
            d[k] = v
    return json.dumps(d)


DELETE = object()


# --- config_tests.rs, ported (same names) -----------------------------------------------------
def test_default_config():
    c = new()
    assert (c.mode, c.requirement, cfg_is_enabled(c.ptr)) == (AUTO, PREFERRED, 1)


def test_builder_basic():
    c = build(REQUIRED, DIRECT)
    assert (c.mode, c.requirement, cfg_is_enabled(c.ptr)) == (DIRECT, REQUIRED, 1)


def test_builder_with_providers():
    s = build(mode=DIRECT, allow=[INTEL_TDX, AMD_SEV_SNP]).selector()
    assert not s.any
    assert s.allow == (1 << INTEL_TDX) | (1 << AMD_SEV_SNP)
    assert [p for p in range(5) if sel_accepts(byref(s), p)] == [INTEL_TDX, AMD_SEV_SNP]


def test_builder_required_disabled_fails():
    with pytest.raises(BpteeError) as e:
        build(REQUIRED, DISABLED)
    assert e.value.code == CODES["EINVAL"]
    assert "Required" in e.value.reason and "Disabled" in e.value.reason
    assert e.value.reason == "tee config error: TEE requirement is Required but mode is Disabled"


def test_builder_defaults():
    c = build()
    k = c.kx()
    assert (c.mode, c.requirement, c.max_attestation_age_secs) == (AUTO, PREFERRED, 3600)
    assert (k.session_ttl_secs, k.max_sessions) == (300, 64)


def test_provider_selector_accepts():
    a, allow = any_selector(), allow_list(INTEL_TDX)
    assert sel_accepts(byref(a), INTEL_TDX) and sel_accepts(byref(a), AWS_NITRO)
    assert sel_accepts(byref(allow), INTEL_TDX)
    assert not sel_accepts(byref(allow), AWS_NITRO)
    assert not sel_accepts(byref(a), 5) and not sel_accepts(byref(a), -1)


def test_tee_mode_serde():
    assert name("tee_mode", DIRECT) == "direct"
    assert parse("tee_mode", "hybrid") == HYBRID
    for bad in ("Hybrid", "HYBRID", "", "hybrid "):
        with pytest.raises(BpteeError) as e:
            parse("tee_mode", bad)
        assert e.value.code == CODES["EPARSE"] and "tee mode" in e.value.reason


def test_tee_provider_display():
    names = [provider_name(p).decode() for p in range(5)]
    assert names == ["aws_nitro", "azure_snp", "gcp_confidential", "intel_tdx", "amd_sev_snp"]
    assert provider_name(5) is None


def test_config_serde_roundtrip():
    c = load(build(REQUIRED, DIRECT, max_attestation_age_secs=7200).save())
    assert (c.mode, c.requirement, c.max_attestation_age_secs) == (DIRECT, REQUIRED, 7200)


def test_key_exchange_config_defaults():
    k = KeyExchange()
    kx_default(byref(k))
    assert (k.session_ttl_secs, k.max_sessions, k.on_chain_verification) == (300, 64, True)


def test_secret_injection_sealed_only_when_tee_enabled():
    assert build(mode=DIRECT).secret_injection == SEALED_ONLY


def test_secret_injection_env_or_sealed_when_disabled():
    assert build(mode=DISABLED).secret_injection == ENV_OR_SEALED


def test_lifecycle_policy_cloud_managed_when_enabled():
    assert cfg_lifecycle(build(mode=REMOTE).ptr) == CLOUD_MANAGED


def test_lifecycle_policy_cloud_managed_when_auto():
    assert cfg_lifecycle(build(mode=AUTO).ptr) == CLOUD_MANAGED


def test_lifecycle_policy_container_when_disabled():
    assert cfg_lifecycle(build(mode=DISABLED).ptr) == CONTAINER


def test_attestation_freshness_default():
    assert new().attestation_freshness == 0


def test_attestation_freshness_provision_time_only():
    assert build(mode=DIRECT, attestation_freshness=0).attestation_freshness == 0
    with pytest.raises(BpteeError):  # the only variant: anything else is out of range
        build(mode=DIRECT, attestation_freshness=1)


def test_hybrid_routing_source_default():
    assert new().hybrid_policy_file == b"/etc/tee/routing.json"


def test_hybrid_routing_source_policy_file():
    c = build(mode=HYBRID, hybrid_policy_file=b"/etc/tee/routing.yaml")
    assert c.hybrid_policy_file == b"/etc/tee/routing.yaml"


def test_public_key_policy_default():
    assert new().public_key_policy == KEY_REQUIRED


def test_allow_list_keeps_its_order():
    # As written (first occurrence wins), not re-sorted; blueprint-tee's allow_list is a list.
    for order in (["intel_tdx", "amd_sev_snp"], ["amd_sev_snp", "aws_nitro", "intel_tdx"]):
        c = load(with_(CANONICAL, provider_selector={"allow_list": order + order[:1]}))
        assert json.loads(c.save())["provider_selector"] == {"allow_list": order}
        assert json.loads(load(c.save()).save())["provider_selector"] == {"allow_list": order}
    b = build(allow=[AMD_SEV_SNP, INTEL_TDX, AMD_SEV_SNP])
    assert json.loads(b.save())["provider_selector"] == {
        "allow_list": ["amd_sev_snp", "intel_tdx"]}


def test_cli_config_check_keeps_the_allow_list_order(tmp_path):
    f = tmp_path / "tee.json"
    # Not the enum's order (which puts intel_tdx first), so a re-sorting check would fail.
    f.write_text(with_(CANONICAL, provider_selector={"allow_list": ["amd_sev_snp", "intel_tdx"]}))
    r = cli("config", "check", f)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["provider_selector"] == {"allow_list": ["amd_sev_snp", "intel_tdx"]}


def test_provider_selector_empty_allowlist():
    s = allow_list()
    assert not s.any
    assert not any(sel_accepts(byref(s), p) for p in range(5))
    c = load(with_(CANONICAL, provider_selector={"allow_list": []}))
    assert json.loads(c.save())["provider_selector"] == {"allow_list": []}


def test_config_serde_provision_time_only():
    c = load(build(mode=DIRECT, attestation_freshness=0).save())
    assert json.loads(c.save())["attestation_freshness"] == "provision_time_only"


def test_secret_injection_sealed_only_for_all_tee_modes():
    for mode in (DIRECT, REMOTE, HYBRID):
        assert build(mode=mode).secret_injection == SEALED_ONLY, mode


def test_lifecycle_policy_for_all_tee_modes():
    for mode in (DIRECT, REMOTE, HYBRID):
        assert cfg_lifecycle(build(mode=mode).ptr) == CLOUD_MANAGED, mode


def test_builder_all_options():
    c = build(REQUIRED, HYBRID, selector=allow_list(INTEL_TDX, AMD_SEV_SNP),
              kx=KeyExchange(600, 128, True), max_attestation_age_secs=7200,
              attestation_freshness=0, public_key_policy=KEY_OPTIONAL,
              hybrid_policy_file=b"/etc/tee/routing.json")
    k, s = c.kx(), c.selector()
    assert (c.mode, c.requirement, c.max_attestation_age_secs) == (HYBRID, REQUIRED, 7200)
    assert (k.session_ttl_secs, k.max_sessions, k.on_chain_verification) == (600, 128, True)
    assert c.public_key_policy == KEY_OPTIONAL
    assert (s.any, s.allow) == (False, (1 << INTEL_TDX) | (1 << AMD_SEV_SNP))
    assert c.hybrid_policy_file == b"/etc/tee/routing.json"
    assert c.secret_injection == SEALED_ONLY


def test_tee_mode_all_variants_serde():
    for mode, text in [(DISABLED, "disabled"), (DIRECT, "direct"), (REMOTE, "remote"),
                       (HYBRID, "hybrid"), (AUTO, "auto")]:
        assert name("tee_mode", mode) == text and parse("tee_mode", text) == mode
    assert name("tee_mode", 5) is None and name("tee_mode", -1) is None


def test_tee_requirement_serde():
    for req, text in [(PREFERRED, "preferred"), (REQUIRED, "required")]:
        assert name("tee_requirement", req) == text and parse("tee_requirement", text) == req
    with pytest.raises(BpteeError):
        parse("tee_requirement", "optional")


def test_key_exchange_config_serde():
    c = new()
    check(cfg_set_kx(c.ptr, byref(KeyExchange(600, 32, True))))
    k = load(c.save()).kx()
    assert (k.session_ttl_secs, k.max_sessions, k.on_chain_verification) == (600, 32, True)
    k = load(with_(CANONICAL, key_exchange={})).kx()  # every field has its own default
    assert (k.session_ttl_secs, k.max_sessions, k.on_chain_verification) == (300, 64, True)


def test_config_from_json_string():
    c = load(CANONICAL)
    k = c.kx()
    assert (c.requirement, c.mode, c.selector().any) == (REQUIRED, DIRECT, True)
    assert (k.session_ttl_secs, k.max_sessions, k.on_chain_verification) == (120, 10, False)
    assert (c.max_attestation_age_secs, c.secret_injection) == (1800, SEALED_ONLY)
    assert (c.attestation_freshness, c.public_key_policy) == (0, KEY_REQUIRED)
    assert c.hybrid_policy_file == b"/etc/tee/routing.json"


def test_config_preferred_disabled_is_valid():
    c = build(PREFERRED, DISABLED)
    assert cfg_is_enabled(c.ptr) == 0
    check(cfg_validate(c.ptr))


def test_builder_mode_without_requirement():
    c = build(mode=DIRECT)
    assert c.requirement == PREFERRED


def test_provider_selector_serde():
    c = new()
    assert json.loads(c.save())["provider_selector"] == "any"
    check(cfg_set_selector(c.ptr, byref(allow_list(AMD_SEV_SNP, AWS_NITRO, AMD_SEV_SNP))))
    d = json.loads(c.save())
    assert d["provider_selector"] == {"allow_list": ["aws_nitro", "amd_sev_snp"]}
    s = load(json.dumps(d)).selector()
    assert (s.any, s.allow) == (False, (1 << AWS_NITRO) | (1 << AMD_SEV_SNP))
    assert load(with_(CANONICAL, provider_selector={"any": None})).selector().any


def test_lifecycle_policy_serde():
    for v, text in [(CONTAINER, "container"), (CLOUD_MANAGED, "cloud_managed")]:
        assert name("lifecycle_policy", v) == text and parse("lifecycle_policy", text) == v
    with pytest.raises(BpteeError):
        parse("lifecycle_policy", "cloudmanaged")


def test_secret_injection_policy_serde():
    for v, text in [(ENV_OR_SEALED, "env_or_sealed"), (SEALED_ONLY, "sealed_only")]:
        assert name("secret_injection", v) == text and parse("secret_injection", text) == v
    with pytest.raises(BpteeError):
        parse("secret_injection", "SealedOnly")


def test_public_key_policy_serde():
    for v, text in [(KEY_REQUIRED, "required"), (KEY_OPTIONAL, "optional")]:
        assert name("public_key_policy", v) == text and parse("public_key_policy", text) == v
    with pytest.raises(BpteeError):
        parse("public_key_policy", "preferred")


def test_config_deser_rejects_required_disabled():
    e = load_err(with_(CANONICAL, mode="disabled"))
    assert e.code == CODES["EINVAL"]
    assert e.reason == "tee config error: TEE requirement is Required but mode is Disabled"


def test_config_deser_rejects_tee_enabled_with_env_or_sealed():
    for mode in ("direct", "remote", "hybrid"):
        e = load_err(with_(CANONICAL, mode=mode, secret_injection="env_or_sealed"))
        assert e.code == CODES["EINVAL"]
        assert e.reason == ("tee config error: TEE-enabled configs must use SealedOnly "
                            "secret injection")


def test_config_deser_accepts_valid_tee_config():
    for mode in ("direct", "remote", "hybrid"):
        assert load(with_(CANONICAL, mode=mode)).secret_injection == SEALED_ONLY
    for mode in ("auto", "disabled"):
        c = load(with_(CANONICAL, mode=mode, requirement="preferred",
                       secret_injection="env_or_sealed"))
        assert c.secret_injection == ENV_OR_SEALED


def test_error_from_io():
    p = P()
    rc = cfg_load_file(b"/nonexistent/bptee/config.json", byref(p))
    assert rc == CODES["ENOTFOUND"]
    assert "/nonexistent/bptee/config.json" in bptee.last_error()
    assert "No such file or directory" in bptee.last_error()


def test_tee_requirements_default():
    r = Requirements()
    check(req_init(byref(r), PREFERRED))
    assert (r.requirement, r.providers.any, r.has_min_attestation_age) == (PREFERRED, True, False)
    assert not req_is_required(byref(r))


def test_tee_requirements_required():
    r = Requirements()
    check(req_init(byref(r), REQUIRED))
    assert req_is_required(byref(r)) and r.providers.any and not r.has_min_attestation_age
    with pytest.raises(BpteeError):
        check(req_init(byref(r), 2))


def test_tee_requirements_preferred():
    r = Requirements()
    check(req_init(byref(r), PREFERRED))
    assert r.requirement == PREFERRED and not req_is_required(byref(r))


def req_json(r):
    out = c_void_p()
    check(req_to_json(byref(r), byref(out)))
    return take_string(out)


def req_parse(text):
    r = Requirements()
    data = text.encode()
    check(req_from_json(data, len(data), byref(r)))
    return r


def test_tee_requirements_serde_roundtrip():
    r = Requirements(REQUIRED, allow_list(INTEL_TDX), True, 600)
    text = req_json(r)
    assert json.loads(text) == {"requirement": "required",
                                "providers": {"allow_list": ["intel_tdx"]},
                                "min_attestation_age_secs": 600}
    back = req_parse(text)
    assert (back.requirement, back.providers.any, back.providers.allow) == (REQUIRED, False, 8)
    assert (back.has_min_attestation_age, back.min_attestation_age_secs) == (True, 600)


def test_tee_requirements_serde_minimal():
    r = Requirements()
    check(req_init(byref(r), PREFERRED))
    assert req_json(r) == '{"requirement":"preferred","providers":"any"}'
    back = req_parse('{"requirement":"preferred","min_attestation_age_secs":null}')
    assert back.providers.any and not back.has_min_attestation_age


def test_tee_requirements_from_json():
    r = req_parse('{"requirement":"required","providers":{"allow_list":["aws_nitro"]}}')
    assert req_is_required(byref(r))
    assert sel_accepts(byref(r.providers), AWS_NITRO)
    assert not sel_accepts(byref(r.providers), INTEL_TDX)


def test_tee_requirements_from_json_rejects():
    cases = [('{"providers":"any"}', '"requirement": required key is missing'),
             ('{"requirement":"sometimes"}', '"requirement": unknown value "sometimes"'),
             ('{"requirement":"required","providers":{"allow_list":["x"]}}',
              '"providers.allow_list[0]": unknown value "x"'),
             ('{"requirement":"required","min_attestation_age_secs":-1}',
              '"min_attestation_age_secs": -1 is negative'),
             ('{"requirement":"required","min_attestation_age_secs":1e99}',
              '"min_attestation_age_secs": expected a non-negative integer'),
             ('{"requirement":"required","min_attestation_age_secs":99999999999999999999}',
              '"min_attestation_age_secs": integer too large')]
    for text, why in cases:
        with pytest.raises(BpteeError) as e:
            req_parse(text)
        assert e.value.code == CODES["EPARSE"] and why in e.value.reason, text


def test_attestation_freshness_serde():
    assert name("attestation_freshness", 0) == "provision_time_only"
    assert parse("attestation_freshness", "provision_time_only") == 0
    assert name("attestation_freshness", 1) is None
    e = load_err(with_(CANONICAL, attestation_freshness="periodic_refresh"))
    assert '"attestation_freshness": unknown value "periodic_refresh"' in e.reason


def test_hybrid_routing_source_policy_file_serde():
    c = build(mode=HYBRID, hybrid_policy_file=b"/srv/routing.json")
    d = json.loads(c.save())
    assert d["hybrid_routing_source"] == {"policy_file": "/srv/routing.json"}
    assert load(json.dumps(d)).hybrid_policy_file == b"/srv/routing.json"
