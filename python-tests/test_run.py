# SPDX-License-Identifier: Apache-2.0
"""`bptee run` and the runtime module (include/bptee/runtime.h): the job spec, the hybrid
routing file, TEE hardware detection under a fake device tree, routing per mode, the direct
backend, and the CLI end to end with real processes: exit statuses and signals pass through,
plain jobs are scrubbed of every BPTEE_* variable and get no secret even with an agent
reachable, static binaries are refused in the TEE path, and TEE jobs that exit 0 get an
attested result (a "tee" member or a sidecar) while failing, crashing or killed jobs get none.

The agent is the real `bptee agent` on the simulated TEE (one per module): secrets fetched on
behalf of the job binary and handed down, results signed for the job binary, fresh evidence,
and the C API's own requests; its log shows what it did."""
import ctypes
import hashlib
import json
import os
import pwd
import signal
import subprocess
import sys
from ctypes import POINTER, Structure, byref, c_bool, c_char, c_char_p, c_int, c_size_t, c_void_p

import pytest

import bptee
from hostcaps import skip_if_refused_unconfined, skip_unless_view_possible
from bptee import CLI, BpteeError, check, fn
from test_result import POLICY_SIM, argv_sha256

HERE = os.path.dirname(os.path.abspath(__file__))
STATIC_SRC = os.path.join(HERE, "c", "job_static.c")
SHA_PY = hashlib.sha256(open(os.path.realpath(sys.executable), "rb").read()).hexdigest()

# ---- ctypes: spec, routing, detection, route decision, backend


class DetectOpts(Structure):
    _fields_ = [("sz", c_size_t), ("root", c_char_p), ("sev_guest", c_char_p),
                ("tdx_guest", c_char_p), ("ignore_env", c_bool)]


class RouteOpts(Structure):
    _fields_ = [("sz", c_size_t), ("routing", c_void_p), ("detect", POINTER(DetectOpts))]


class Decision(Structure):
    _fields_ = [("route", c_int), ("provider", c_int), ("reason", c_char * 200)]


class DeployRequest(Structure):
    _fields_ = [("sz", c_size_t), ("path", c_char_p), ("argv", POINTER(c_char_p)),
                ("envp", POINTER(c_char_p)), ("stdin_fd", POINTER(c_int)),
                ("stdout_fd", POINTER(c_int)), ("stderr_fd", POINTER(c_int)),
                ("sigmask", c_void_p), ("harden", c_bool), ("deployment_id", c_char_p)]


spec_parse = fn("bptee_job_spec_parse", c_int, c_char_p, c_size_t, POINTER(c_void_p))
spec_free = fn("bptee_job_spec_free", None, c_void_p)
spec_job_id = fn("bptee_job_spec_job_id", c_char_p, c_void_p)
spec_secret_count = fn("bptee_job_spec_secret_count", c_size_t, c_void_p)
spec_secret = fn("bptee_job_spec_secret", c_int, c_void_p, c_size_t, POINTER(c_char_p),
                 POINTER(c_char_p))
spec_result_file = fn("bptee_job_spec_result_file", c_char_p, c_void_p)
spec_sidecar = fn("bptee_job_spec_sidecar_path", c_int, c_void_p, POINTER(c_void_p))
spec_inherit = fn("bptee_job_spec_inherit_preload", c_int, c_void_p)
spec_fresh = fn("bptee_job_spec_fresh_attestation", c_int, c_void_p)
spec_env = fn("bptee_job_spec_secrets_env", c_int, c_void_p, POINTER(c_void_p))
routing_parse = fn("bptee_routing_parse", c_int, c_char_p, c_size_t, POINTER(c_void_p))
routing_free = fn("bptee_routing_free", None, c_void_p)
routing_lookup = fn("bptee_routing_lookup", c_int, c_void_p, c_char_p, POINTER(c_int))
detect = fn("bptee_detect_provider", c_int, POINTER(DetectOpts), POINTER(c_int), c_char_p,
            c_size_t)
provider_name = fn("bptee_provider_name", c_char_p, c_int)
config_load = fn("bptee_config_load", c_int, c_char_p, c_size_t, POINTER(c_void_p))
config_free = fn("bptee_config_free", None, c_void_p)
route_job = fn("bptee_route_job", c_int, c_void_p, c_char_p, POINTER(RouteOpts),
               POINTER(Decision))
direct_new = fn("bptee_direct_backend_new", c_int, c_void_p, POINTER(c_void_p))
backend_free = fn("bptee_backend_free", None, c_void_p)
backend_name = fn("bptee_backend_name", c_char_p, c_void_p)
backend_deploy = fn("bptee_backend_deploy", c_int, c_void_p, POINTER(DeployRequest),
                    POINTER(c_void_p))
dep_status = fn("bptee_deployment_status", c_int, c_void_p)
dep_stop = fn("bptee_deployment_stop", c_int, c_void_p)
dep_wait = fn("bptee_deployment_wait", c_int, c_void_p, POINTER(c_int))
dep_destroy = fn("bptee_deployment_destroy", None, c_void_p)
dep_id = fn("bptee_deployment_id", c_char_p, c_void_p)
dep_pid = fn("bptee_deployment_pid", ctypes.c_int32, c_void_p)
status_name = fn("bptee_deployment_status_name", c_char_p, c_int)
registry_new = fn("bptee_registry_new", c_int, POINTER(c_void_p))
registry_free = fn("bptee_registry_free", None, c_void_p)
registry_register = fn("bptee_registry_register", c_int, c_void_p, c_void_p)
registry_get = fn("bptee_registry_get", c_int, c_void_p, c_char_p, POINTER(c_void_p))

PROVIDERS = {0: "aws_nitro", 1: "azure_snp", 2: "gcp_confidential", 3: "intel_tdx",
             4: "amd_sev_snp"}


def parse_spec(obj):
    text = (obj if isinstance(obj, (bytes, str)) else json.dumps(obj))
    text = text.encode() if isinstance(text, str) else text
    p = c_void_p()
    check(spec_parse(text, len(text), byref(p)))
    return p


def parse_routing(obj):
    text = json.dumps(obj).encode()
    p = c_void_p()
    check(routing_parse(text, len(text), byref(p)))
    return p


def config_json(mode, sim_dir, requirement="preferred", extra=None, providers="any"):
    cfg = {"requirement": requirement, "mode": mode, "provider_selector": providers,
           "key_exchange": {"session_ttl_secs": 300, "max_sessions": 64,
                            "on_chain_verification": False},
           "max_attestation_age_secs": 3600,
           "secret_injection": "env_or_sealed" if mode in ("auto", "disabled") else "sealed_only",
           "bptee": {"evidence_provider": "sim", "sim_state_dir": str(sim_dir), "owners": "open"}}
    cfg.update(extra or {})
    return cfg


# ---- the job spec


def test_spec_reads_every_field():
    s = parse_spec({"job_id": "train-1", "secrets": {"db": "/run/secrets/db",
                                                     "k.e_y-2": "/srv/a:b=c\\d"},
                    "result": {"file": "/tmp/out.json"}, "sidecar": "/tmp/side.json",
                    "inherit_preload": True, "fresh_attestation": True})
    try:
        assert spec_job_id(s) == b"train-1"
        assert spec_secret_count(s) == 2
        name, path = c_char_p(), c_char_p()
        check(spec_secret(s, 1, byref(name), byref(path)))
        assert (name.value, path.value) == (b"k.e_y-2", b"/srv/a:b=c\\d")
        assert spec_result_file(s) == b"/tmp/out.json"
        out = c_void_p()
        check(spec_sidecar(s, byref(out)))
        assert bptee.take_string(out) == "/tmp/side.json"
        assert spec_inherit(s) == 1 and spec_fresh(s) == 1
        check(spec_env(s, byref(out)))
        # docs/interposer.md: entries joined by ':', '\', ':' and '=' escaped with '\'
        assert bptee.take_string(out) == "db=/run/secrets/db:k.e_y-2=/srv/a\\:b\\=c\\\\d"
        with pytest.raises(BpteeError):
            check(spec_secret(s, 2, byref(name), byref(path)))
    finally:
        spec_free(s)


def test_spec_defaults():
    s = parse_spec({})
    try:
        assert spec_job_id(s) is None and spec_secret_count(s) == 0
        assert spec_result_file(s) is None  # stdout
        out = c_void_p()
        check(spec_sidecar(s, byref(out)))
        assert out.value is None  # a stdout result has no sidecar unless the spec names one
        assert spec_inherit(s) == 0 and spec_fresh(s) == 0
        check(spec_env(s, byref(out)))
        assert bptee.take_string(out) == ""
    finally:
        spec_free(s)
    s = parse_spec({"result": {"file": "out.bin"}})
    try:
        out = c_void_p()
        check(spec_sidecar(s, byref(out)))
        assert bptee.take_string(out) == "out.bin.tee.json"
    finally:
        spec_free(s)


@pytest.mark.parametrize("spec, needle", [
    ({"job": "x"}, "unknown key 'job'"),
    ({"job_id": "a b"}, "job_id"),
    ({"job_id": 7}, "job_id"),
    ({"secrets": {"db": "relative/path"}}, "secrets.db: path must be absolute"),
    ({"secrets": {"db": "/run/secrets/"}}, "secrets.db"),
    ({"secrets": {"../x": "/a"}}, "bad secret name"),
    ({"secrets": {"a": "/p", "b": "/p"}}, "already declared"),
    ({"secrets": ["a"]}, "secrets"),
    ({"result": {"stdout": False}}, "result.stdout"),
    ({"result": {"stdout": True, "file": "x"}}, "result"),
    ({"result": {"file": ""}}, "result.file"),
    ({"inherit_preload": "yes"}, "inherit_preload"),
    ({"fresh_attestation": 1}, "fresh_attestation"),
    ({"sidecar": ""}, "sidecar"),
    ('{"job_id": "a", "job_id": "b"}', "duplicate"),
    ("[]", "JSON object"),
])
def test_spec_is_strict(spec, needle):
    with pytest.raises(BpteeError) as e:
        parse_spec(spec)
    assert e.value.name == "EPARSE"
    assert needle in e.value.reason, e.value.reason


# ---- the routing file


def lookup(r, job):
    req = c_int(-1)
    listed = check(routing_lookup(r, job.encode(), byref(req)))
    return listed, req.value


def test_routing_lookup_and_default():
    r = parse_routing({"default": {"tee_required": False},
                       "jobs": {"train": {"tee_required": True}, "etl": {"tee_required": False}}})
    try:
        assert lookup(r, "train") == (1, 1)
        assert lookup(r, "etl") == (1, 0)
        assert lookup(r, "other") == (0, 0)
    finally:
        routing_free(r)


def test_routing_without_default_keeps_unlisted_jobs_in_the_tee():
    r = parse_routing({"jobs": {"etl": {"tee_required": False}}})
    try:
        assert lookup(r, "etl") == (1, 0)
        assert lookup(r, "anything") == (0, 1)
    finally:
        routing_free(r)


@pytest.mark.parametrize("doc, needle", [
    ({"defaults": {}}, "unknown key 'defaults'"),
    ({"default": True}, "default"),
    ({"default": {"tee_required": "yes"}}, "default.tee_required"),
    ({"default": {"tee_required": True, "x": 1}}, "default"),
    ({"jobs": {"a b": {"tee_required": True}}}, "jobs"),
    ({"jobs": {"a": {"teeRequired": True}}}, "jobs.a"),
    ({"jobs": []}, "jobs"),
])
def test_routing_is_strict(doc, needle):
    with pytest.raises(BpteeError) as e:
        parse_routing(doc)
    assert e.value.name == "EPARSE" and needle in e.value.reason, e.value.reason


# ---- hardware detection under a fake root


def fake_root(tmp_path, *entries, chars=()):
    """A tree with the given regular files and character devices (symlinks to /dev/null)."""
    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    for e in entries:
        p = root / e.lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("Microsoft Corporation\n" if e.endswith("board_vendor") else "")
    for c in chars:
        p = root / c.lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.symlink_to("/dev/null")
    return root


def detected(root, **kw):
    o = DetectOpts(sz=ctypes.sizeof(DetectOpts), root=str(root).encode(), ignore_env=True, **kw)
    prov, why = c_int(), ctypes.create_string_buffer(200)
    found = check(detect(byref(o), byref(prov), why, 200))
    return (PROVIDERS[prov.value] if found else None), why.value.decode()


@pytest.mark.parametrize("files, chars, want", [
    ((), ("/dev/nsm",), "aws_nitro"),
    ((), ("/dev/tdx-guest",), "intel_tdx"),
    ((), ("/dev/tdx_guest",), "intel_tdx"),
    (("/sys/firmware/acpi/tables/CCEL",), (), "intel_tdx"),
    ((), ("/dev/sev-guest",), "amd_sev_snp"),
    (("/run/container_launcher/attestation_verifier_claims_token",), (), "gcp_confidential"),
    (("/sys/class/dmi/id/board_vendor", "/sys/kernel/mm/sev"), (), "azure_snp"),
    (("/sys/class/dmi/id/board_vendor",), (), None),
    ((), (), None),
])
def test_detection_rules(tmp_path, files, chars, want):
    got, why = detected(fake_root(tmp_path, *files, chars=chars))
    assert got == want
    assert (why != "") == (want is not None)


def test_detection_order_first_match_wins(tmp_path):
    root = fake_root(tmp_path, chars=("/dev/nsm", "/dev/sev-guest", "/dev/tdx_guest"))
    assert detected(root)[0] == "aws_nitro"
    (root / "dev" / "nsm").unlink()
    assert detected(root)[0] == "intel_tdx"
    (root / "dev" / "tdx_guest").unlink()
    assert detected(root) == ("amd_sev_snp", f"{root}/dev/sev-guest is a character device")


def test_detection_needs_a_character_device(tmp_path):
    root = fake_root(tmp_path, "/dev/sev-guest")  # a regular file is not the device
    assert detected(root)[0] is None


def test_detection_config_paths_and_env(tmp_path):
    root = fake_root(tmp_path)
    dev = tmp_path / "my-sev"
    dev.symlink_to("/dev/null")
    assert detected(root, sev_guest=str(dev).encode())[0] == "amd_sev_snp"
    o = DetectOpts(sz=ctypes.sizeof(DetectOpts), root=str(root).encode())
    prov = c_int()
    os.environ["CONFIDENTIAL_SPACE_VERSION"] = "240900"
    try:
        assert check(detect(byref(o), byref(prov), None, 0)) == 1
        assert PROVIDERS[prov.value] == "gcp_confidential"
    finally:
        del os.environ["CONFIDENTIAL_SPACE_VERSION"]
    assert check(detect(byref(o), byref(prov), None, 0)) == 0


# ---- routing decisions per mode


def decide(cfg, job="job-1", routing=None, root=None):
    text = json.dumps(cfg).encode()
    c = c_void_p()
    check(config_load(text, len(text), byref(c)))
    d = DetectOpts(sz=ctypes.sizeof(DetectOpts), root=str(root).encode() if root else b"/nonexistent",
                   ignore_env=True)
    o = RouteOpts(sz=ctypes.sizeof(RouteOpts), routing=routing, detect=ctypes.pointer(d))
    out = Decision()
    try:
        check(route_job(c, job.encode(), byref(o), byref(out)))
        return ("tee" if out.route else "plain"), out.reason.decode()
    finally:
        config_free(c)


def test_route_disabled_direct(tmp_path):
    assert decide(config_json("disabled", tmp_path))[0] == "plain"
    assert decide(config_json("direct", tmp_path))[0] == "tee"


def test_route_hybrid(tmp_path):
    r = parse_routing({"default": {"tee_required": False}, "jobs": {"a": {"tee_required": True}}})
    try:
        cfg = config_json("hybrid", tmp_path)
        assert decide(cfg, "a", r) == ("tee", "hybrid: routing lists job 'a' with tee_required true")
        assert decide(cfg, "b", r)[0] == "plain"
        assert "not listed" in decide(cfg, "b", r)[1]
    finally:
        routing_free(r)
    with pytest.raises(BpteeError) as e:
        decide(config_json("hybrid", tmp_path), "a")
    assert "no routing file" in e.value.reason


def test_route_auto(tmp_path):
    root = fake_root(tmp_path, chars=("/dev/sev-guest",))
    empty = fake_root(tmp_path / "e") if (tmp_path / "e").mkdir() is None else None
    assert decide(config_json("auto", tmp_path), root=root)[0] == "tee"
    assert "amd_sev_snp" in decide(config_json("auto", tmp_path), root=root)[1]
    assert decide(config_json("auto", tmp_path), root=empty)[0] == "plain"
    with pytest.raises(BpteeError) as e:
        decide(config_json("auto", tmp_path, requirement="required"), root=empty)
    assert e.value.name == "EDENIED"
    assert e.value.reason == "TEE required but no TEE hardware detected"
    # a detected provider the selector does not accept is no TEE for this config
    only_tdx = config_json("auto", tmp_path, providers={"allow_list": ["intel_tdx"]})
    assert decide(only_tdx, root=root)[0] == "plain"


def test_route_remote(tmp_path):
    with pytest.raises(BpteeError) as e:
        decide(config_json("remote", tmp_path))
    assert e.value.name == "EUNSUPPORTED"
    assert "no remote backend configured" in e.value.reason


# ---- the direct backend and the registry


def argv_array(*args):
    return (c_char_p * (len(args) + 1))(*[a.encode() for a in args], None)


def test_direct_backend_lifecycle(tmp_path):
    b = c_void_p()
    check(direct_new(None, byref(b)))
    try:
        assert backend_name(b) == b"direct"
        rfd, out = os.pipe()
        fd = c_int(out)
        argv = argv_array("sh", "-c", "echo $0 $BPTEE_T; sleep 30", "zero")
        env = argv_array("BPTEE_T=t1")
        req = DeployRequest(sz=ctypes.sizeof(DeployRequest), path=b"/bin/sh", argv=argv,
                            envp=env, stdout_fd=ctypes.pointer(fd), deployment_id=b"direct-test")
        d = c_void_p()
        check(backend_deploy(b, byref(req), byref(d)))
        os.close(out)
        with os.fdopen(rfd) as r:
            assert r.readline() == "zero t1\n"  # running, with its argv and environment
        assert dep_id(d) == b"direct-test" and dep_pid(d) > 0
        assert status_name(dep_status(d)) == b"running"
        check(dep_stop(d))
        ws = c_int()
        check(dep_wait(d, byref(ws)))
        assert os.WIFSIGNALED(ws.value) and os.WTERMSIG(ws.value) == signal.SIGTERM
        assert status_name(dep_status(d)) == b"stopped"
        with pytest.raises(BpteeError):
            check(dep_stop(d))  # already ended
        dep_destroy(d)
    finally:
        backend_free(b)


def test_direct_backend_failed_status_and_exec_errors(tmp_path):
    b = c_void_p()
    check(direct_new(None, byref(b)))
    try:
        d = c_void_p()
        req = DeployRequest(sz=ctypes.sizeof(DeployRequest), path=b"/bin/sh",
                            argv=argv_array("sh", "-c", "exit 3"))
        check(backend_deploy(b, byref(req), byref(d)))
        ws = c_int()
        check(dep_wait(d, byref(ws)))
        assert os.WEXITSTATUS(ws.value) == 3 and status_name(dep_status(d)) == b"failed"
        assert dep_id(d).startswith(b"direct-") and len(dep_id(d)) == 7 + 16
        dep_destroy(d)
        for path, code in ((b"/nonexistent/job", "ENOTFOUND"), (b"/etc/passwd", "EDENIED")):
            req = DeployRequest(sz=ctypes.sizeof(DeployRequest), path=path,
                                argv=argv_array("job"))
            with pytest.raises(BpteeError) as e:
                check(backend_deploy(b, byref(req), byref(d)))
            assert e.value.name == code and "cannot execute" in e.value.reason
    finally:
        backend_free(b)


def test_registry_by_name():
    r, b, got = c_void_p(), c_void_p(), c_void_p()
    check(registry_new(byref(r)))
    try:
        check(direct_new(None, byref(b)))
        check(registry_register(r, b))
        check(registry_get(r, b"direct", byref(got)))
        assert got.value == b.value
        with pytest.raises(BpteeError) as e:
            check(registry_get(r, b"remote", byref(got)))
        assert e.value.reason == "no backend registered for 'remote'"
    finally:
        registry_free(r)


# ---- bptee run: helpers and agents

LIBM = "/lib/x86_64-linux-gnu/libm.so.6"
# What a job sees: its BPTEE_* and LD_PRELOAD variables (the interposer removes its own at
# start unless children inherit it) and whether the interposer is mapped into it.
ENV_DUMP = ("import json, os; e = {k: v for k, v in os.environ.items() "
            "if k.startswith('BPTEE_') or k == 'LD_PRELOAD'}; "
            "e['preloaded'] = 'libbptee-preload.so' in open('/proc/self/maps').read(); "
            "print(json.dumps(e))")


def base_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BPTEE_") or k == "BPTEE_BUILD"}
    env.update(extra)
    return env


class Job:
    """Files for one `bptee run`: config, spec, routing, and the command line."""

    def __init__(self, tmp, sim_dir, mode="direct", spec=None, routing=None, socket_path=None,
                 requirement="preferred", config_extra=None):
        self.tmp = tmp
        self.config = tmp / "tee.json"
        self.config.write_text(json.dumps(config_json(mode, sim_dir, requirement,
                                                      config_extra)))
        self.spec = tmp / "job.json"
        spec = dict(spec) if spec is not None else {"job_id": "job-1"}
        # These tests are about routing, secrets and results in pytest's private (0700) temp
        # directories, which a dynamic uid cannot enter: they run the job as the user running
        # the tests (root, or an ordinary user, who may run jobs only as itself). The uid a
        # job gets by default has tests of its own (test_view.py).
        if spec.get("user", "") is None:
            del spec["user"]
        else:
            spec.setdefault("user", pwd.getpwuid(os.geteuid()).pw_name)
        self.spec.write_text(json.dumps(spec))
        self.routing = None
        if routing is not None:
            self.routing = tmp / "routing.json"
            self.routing.write_text(json.dumps(routing))
        self.socket = socket_path

    def args(self, *cmd, extra=()):
        a = [CLI, "run", "--config", str(self.config), "--spec", str(self.spec)]
        if self.routing:
            a += ["--routing", str(self.routing)]
        if self.socket:
            a += ["--agent-socket", str(self.socket)]
        return a + list(extra) + ["--", *cmd]

    def run(self, *cmd, extra=(), env=None, text=True, **kw):
        if json.loads(self.spec.read_text()).get("secrets"):
            skip_unless_view_possible()
        r = subprocess.run(self.args(*cmd, extra=extra), capture_output=True, text=text,
                           timeout=120, env=env or base_env(), **kw)
        skip_if_refused_unconfined(r)  # a TEE-path job where it cannot be confined
        return r


def write_policy(tmp, results=None):
    p = tmp / "policy.json"
    pol = dict(POLICY_SIM)
    if results:
        pol["results"] = results
    p.write_text(json.dumps(pol))
    return p


def cli_verify(tmp, path, *extra, results=None):
    return bptee.cli("result", "verify", path, "--policy", write_policy(tmp, results), *extra)


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("sim") / "state"


class RealAgent:
    def __init__(self, tmp, sim_dir):
        self.sock = tmp / "agent.sock"
        self.log = open(tmp / "agent.log", "w")
        cfg = tmp / "agent-tee.json"
        cfg.write_text(json.dumps(config_json("direct", sim_dir)))
        self.proc = subprocess.Popen([CLI, "agent", "--config", str(cfg), "--listen",
                                      "127.0.0.1:0", "--socket", str(self.sock)],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("ready "), line
        self.url = line.split()[1]

    def provision(self, tmp, name, value, *extra):
        f = tmp / f"secret-{name}"
        f.write_bytes(value)
        r = bptee.cli("provision", "--agent", self.url, "--policy", write_policy(tmp),
                      "--secret", f"{name}=@{f}", *extra)
        assert r.returncode == 0, r.stderr

    def log_text(self):
        self.log.flush()
        return (self.sock.parent / "agent.log").read_text()

    def signed(self, job_id):
        return f"result of job {job_id} signed" in self.log_text()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.log.close()


@pytest.fixture(scope="module")
def real_agent(tmp_path_factory, sim_dir):
    tmp = tmp_path_factory.mktemp("agent")
    a = RealAgent(tmp, sim_dir)
    a.provision(tmp, "db", b"s3cret-db-password")
    # only python3 may read this one: the agent checks the job's binary, never bptee's
    a.provision(tmp, "py_only", b"for-python", "--allow-measurement", SHA_PY)
    yield a
    a.stop()


@pytest.fixture(scope="module")
def static_job(tmp_path_factory):
    out = tmp_path_factory.mktemp("static") / "job_static"
    subprocess.run(["cc", "-static", "-o", str(out), STATIC_SRC], check=True)
    return out


# ---- plain jobs: as if run directly


def test_plain_job_status_stdio_and_scrubbed_environment(tmp_path, sim_dir):
    job = Job(tmp_path, sim_dir, mode="disabled")
    env = base_env(LD_PRELOAD=(os.environ.get("LD_PRELOAD", "") + ":" + LIBM).strip(":"),
                   BPTEE_AGENT_SOCKET="/run/x.sock", BPTEE_SECRETS="db=/run/secrets/db",
                   BPTEE_ANYTHING="1")
    r = job.run(sys.executable, "-c", ENV_DUMP + "; import sys; print(sys.stdin.read()); "
                "print('err', file=sys.stderr); sys.exit(3)", input="from stdin", env=env)
    assert r.returncode == 3
    lines = r.stdout.splitlines()
    assert json.loads(lines[0]) == {"preloaded": False}  # no LD_PRELOAD, no BPTEE_* at all
    assert lines[1] == "from stdin"
    assert r.stderr == "err\n"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL, signal.SIGSEGV])
def test_plain_job_killed_by_a_signal_kills_bptee_run_with_it(tmp_path, sim_dir, sig):
    job = Job(tmp_path, sim_dir, mode="disabled")
    r = job.run("sh", "-c", f"kill -{sig.name[3:]} $$")
    assert r.returncode == -sig


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 7), (signal.SIGINT, 8)])
def test_signals_sent_to_bptee_run_reach_the_job(tmp_path, sim_dir, sig, code):
    job = Job(tmp_path, sim_dir, mode="disabled")
    p = subprocess.Popen(job.args("sh", "-c", f'trap "exit {code}" {sig.name[3:]}; echo ready; '
                                  "while :; do sleep 0.05; done"),
                         stdout=subprocess.PIPE, text=True, env=base_env())
    assert p.stdout.readline() == "ready\n"
    p.send_signal(sig)
    assert p.wait(timeout=30) == code


def test_command_not_found_not_executable_and_usage(tmp_path, sim_dir):
    job = Job(tmp_path, sim_dir, mode="disabled")
    r = job.run("no-such-command-xyz")
    assert r.returncode == 127 and "no-such-command-xyz: command not found" in r.stderr
    r = job.run("/etc/passwd")
    assert r.returncode == 126 and "cannot execute" in r.stderr
    r = bptee.cli("run", "--config", job.config, "--", "true")
    assert r.returncode == 2 and "--spec" in r.stderr
    job.spec.write_text("{}")
    r = job.run("true")
    assert r.returncode == 2 and "no job id" in r.stderr
    r = job.run("true", extra=["--job-id", "bad id"])
    assert r.returncode == 2
    assert job.run("true", extra=["--job-id", "given"]).returncode == 0


def test_bad_spec_is_refused_before_running(tmp_path, sim_dir):
    job = Job(tmp_path, sim_dir, mode="disabled", spec={"job_id": "a", "secrets": {"x": "rel"}})
    marker = tmp_path / "ran"
    r = job.run("touch", str(marker))
    assert r.returncode == 125 and "secrets.x: path must be absolute" in r.stderr
    assert not marker.exists()


# ---- modes


def test_remote_mode_is_a_clear_error(tmp_path, sim_dir):
    job = Job(tmp_path, sim_dir, mode="remote")
    r = job.run("true")
    assert r.returncode == 125
    assert r.stderr == "bptee: run: mode remote: no remote backend configured\n"


def test_auto_required_without_tee_refuses(tmp_path, sim_dir):
    job = Job(tmp_path, sim_dir, mode="auto", requirement="required")
    marker = tmp_path / "ran"
    empty = tmp_path / "root"
    empty.mkdir()
    r = job.run("touch", str(marker), extra=["--detect-root", str(empty)])
    assert r.returncode == 125
    assert "TEE required but no TEE hardware detected" in r.stderr
    assert not marker.exists()


def test_auto_preferred_without_tee_runs_plainly(tmp_path, sim_dir):
    job = Job(tmp_path, sim_dir, mode="auto")
    empty = tmp_path / "root"
    empty.mkdir()
    r = job.run(sys.executable, "-c", ENV_DUMP, extra=["--detect-root", str(empty), "--verbose"])
    assert r.returncode == 0 and json.loads(r.stdout) == {"preloaded": False}
    assert "-> plain (auto: no TEE hardware detected" in r.stderr


def test_auto_with_detected_tee_runs_in_the_tee_path(tmp_path, sim_dir):
    job = Job(tmp_path, sim_dir, mode="auto", spec={"job_id": "auto-1",
                                                     "fresh_attestation": True})
    root = fake_root(tmp_path, chars=("/dev/sev-guest",))
    r = job.run(sys.executable, "-c", ENV_DUMP, extra=["--detect-root", str(root), "--verbose"])
    assert r.returncode == 0, r.stderr
    assert "-> TEE (auto: detected amd_sev_snp" in r.stderr
    out = json.loads(r.stdout)
    assert out["preloaded"] and out["BPTEE_JOB_ID"] == "auto-1"
    # the interposer removed itself (a sanitizer runtime of an ASan build may stay)
    assert "libbptee-preload" not in out.get("LD_PRELOAD", "")
    assert "tee" in out


def test_direct_mode_hands_down_the_variables(tmp_path, sim_dir):
    spec = {"job_id": "d-1", "secrets": {"db": "/run/secrets/db"}, "inherit_preload": True,
            "fresh_attestation": True}
    job = Job(tmp_path, sim_dir, mode="direct", spec=spec, socket_path=tmp_path / "none.sock")
    # secrets need the agent: unreachable, the job is refused before it starts
    r = job.run(sys.executable, "-c", ENV_DUMP)
    assert r.returncode == 125 and "agent is unreachable" in r.stderr
    spec.pop("secrets")
    job.spec.write_text(json.dumps(spec))
    r = job.run(sys.executable, "-c", ENV_DUMP, env=base_env(BPTEE_PRELOAD_DEBUG="0"))
    assert r.returncode == 0, r.stderr
    env = json.loads(r.stdout)
    env.pop("tee")
    assert env.pop("preloaded") is True
    # inherit_preload: the interposer leaves the hand-down in place for children
    assert env.pop("LD_PRELOAD").endswith(os.path.realpath(bptee.PRELOAD))
    assert env.pop("BPTEE_DEPLOYMENT_ID").startswith("direct-")
    assert env == {"BPTEE_AGENT_SOCKET": str(tmp_path / "none.sock"),
                   "BPTEE_JOB_SOCKET": str(tmp_path / "none.sock"),
                   "BPTEE_PRELOAD_INHERIT": "1", "BPTEE_JOB_ID": "d-1",
                   "BPTEE_PRELOAD_DEBUG": "0"}


@pytest.mark.parametrize("job_id, tee", [("secure", True), ("open", False), ("other", False)])
def test_hybrid_routes_per_job(tmp_path, sim_dir, job_id, tee):
    routing = {"default": {"tee_required": False}, "jobs": {"secure": {"tee_required": True},
                                                            "open": {"tee_required": False}}}
    job = Job(tmp_path, sim_dir, mode="hybrid", routing=routing,
              spec={"job_id": job_id, "fresh_attestation": True})
    r = job.run(sys.executable, "-c", ENV_DUMP)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert ("tee" in out) == tee
    assert out["preloaded"] == tee
    assert ("BPTEE_JOB_ID" in out) == tee


def test_hybrid_routing_file_from_the_config(tmp_path, sim_dir):
    routing = tmp_path / "cfg-routing.json"
    routing.write_text(json.dumps({"default": {"tee_required": True}}))
    job = Job(tmp_path, sim_dir, mode="hybrid", spec={"job_id": "x", "fresh_attestation": True},
              config_extra={"hybrid_routing_source": {"policy_file": str(routing)}})
    r = job.run(sys.executable, "-c", "print('{}')", extra=["--verbose"])
    assert r.returncode == 0 and "routing default is tee_required true" in r.stderr
    routing.unlink()
    r = job.run("true")
    assert r.returncode == 125 and str(routing) in r.stderr


# ---- static binaries


def test_static_binary_runs_in_the_tee_path(tmp_path, sim_dir, static_job):
    """The interposer cannot enter a static binary; the kernel-served view needs no entry, so
    bptee run no longer refuses one. Its result is attested like any other."""
    job = Job(tmp_path, sim_dir, mode="direct", spec={"job_id": "s-1", "fresh_attestation": True})
    r = job.run(str(static_job), "x")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["static_job"] is True and doc["first"] == "x"
    assert doc["tee"]["job"]["binary_sha256"] == hashlib.sha256(static_job.read_bytes()).hexdigest()


def test_script_measured_as_itself(tmp_path, sim_dir, static_job):
    job = Job(tmp_path, sim_dir, mode="direct", spec={"job_id": "sh-1", "fresh_attestation": True})
    script = tmp_path / "job.sh"
    script.write_text("#!/bin/sh\necho '{\"script\": 1}'\n")
    script.chmod(0o755)
    r = job.run(str(script))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["tee"]["job"]["binary_sha256"] == \
        hashlib.sha256(script.read_bytes()).hexdigest()
    # a script whose interpreter is static runs too (the interposer never loads; the view
    # serves it)
    static_sh = tmp_path / "static.sh"
    static_sh.write_text(f"#!{static_job}\n")
    static_sh.chmod(0o755)
    # its interpreter lies in the caller's /tmp, which the sandbox replaces: shown explicitly
    job = Job(tmp_path, sim_dir, mode="direct", spec={
        "job_id": "sh-1", "fresh_attestation": True,
        "sandbox": {"readable": [str(static_job)]}})
    r = job.run(str(static_sh))
    assert r.returncode == 0 and json.loads(r.stdout)["static_job"] is True, r.stderr


# ---- secrets: only TEE jobs get them


def secret_job(tmp_path, sim_dir, agent_sock, mode="direct", job_id="sec-1", routing=None):
    path = "/run/secrets/db"
    spec = {"job_id": job_id, "secrets": {"db": path}, "fresh_attestation": True}
    return Job(tmp_path, sim_dir, mode=mode, spec=spec, socket_path=agent_sock,
               routing=routing), path


READ_SECRET = ("import json, sys\ntry:\n    v = open(sys.argv[1]).read()\n"
               "except OSError as e:\n    v = 'ERROR ' + e.strerror\n"
               "print(json.dumps({'db': v}))")


def test_tee_job_reads_its_secret_from_the_real_agent(tmp_path, sim_dir, real_agent):
    job, path = secret_job(tmp_path, sim_dir, real_agent.sock)
    r = job.run(sys.executable, "-c", READ_SECRET, path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["db"] == "s3cret-db-password"
    assert out["tee"]["attestation"] == "fresh"
    res = tmp_path / "out.json"
    res.write_text(r.stdout)
    v = cli_verify(tmp_path, res, results={"job_ids": ["sec-1"], "binary_sha256": [SHA_PY]})
    assert v.returncode == 0, v.stderr


def test_plain_job_gets_no_secret_even_with_the_agent_reachable(tmp_path, sim_dir, real_agent):
    routing = {"jobs": {"open": {"tee_required": False}}}
    job, path = secret_job(tmp_path, sim_dir, real_agent.sock, mode="hybrid", job_id="open",
                           routing=routing)
    r = job.run(sys.executable, "-c", READ_SECRET, path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"db": "ERROR No such file or directory"}
    assert "s3cret" not in r.stdout + r.stderr
    r = job.run("cat", path)
    assert r.returncode == 1 and "No such file" in r.stderr


def test_cat_reads_secret_in_the_tee_path(tmp_path, sim_dir, real_agent):
    job, path = secret_job(tmp_path, sim_dir, real_agent.sock)
    spec = json.loads(job.spec.read_text())
    spec["sidecar"] = str(tmp_path / "stdout.tee.json")
    job.spec.write_text(json.dumps(spec))
    r = job.run("cat", path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "s3cret-db-password"  # not JSON: the bytes pass, the sidecar attests
    res = tmp_path / "stdout"
    res.write_text(r.stdout)
    v = cli_verify(tmp_path, res, "--sidecar", spec["sidecar"])
    assert v.returncode == 0, v.stderr


def test_secrets_fetched_for_the_job_binary_and_served_by_the_kernel(tmp_path, sim_dir,
                                                                      real_agent):
    spec = {"job_id": "hand-1", "secrets": {"db": "/run/secrets/db", "py_only": "/run/p"},
            "inherit_preload": True, "fresh_attestation": True}
    job = Job(tmp_path, sim_dir, mode="direct", spec=spec, socket_path=real_agent.sock)
    code = ENV_DUMP.replace("print(json.dumps(e))",
                            "e['db'] = open('/run/secrets/db').read(); "
                            "e['py'] = open('/run/p').read(); "
                            "e['fs'] = hex(os.statvfs('/run/p').f_fsid); "
                            "e['mode'] = oct(os.stat('/run/p').st_mode); print(json.dumps(e))")
    r = job.run(sys.executable, "-c", code)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["db"] == "s3cret-db-password" and out["py"] == "for-python"
    assert out["mode"] == oct(0o100400)
    # the kernel serves the paths: no descriptor is handed down, the interposer is told so
    assert out["BPTEE_SECRET_VIEW"] == "1"
    assert "BPTEE_SECRET_FDS" not in out and "BPTEE_SECRET_PAGE" not in out
    log = real_agent.log_text()
    assert "secret py_only version 1 delivered to pid" in log
    assert f"acts for binary {SHA_PY[:16]}" in log
    # outside the job nothing changed on disk
    assert not os.path.exists("/run/p")


def test_allow_list_judges_the_job_binary(tmp_path, sim_dir, real_agent):
    """py_only may be read by python3 only: cat, run the same way, is refused and its open
    fails closed with the interposer's line."""
    spec = {"job_id": "cat-1", "secrets": {"py_only": "/run/p"}, "sidecar": str(tmp_path / "s"),
            "fresh_attestation": True}
    job = Job(tmp_path, sim_dir, mode="direct", spec=spec, socket_path=real_agent.sock)
    r = job.run("cat", "/run/p")
    assert r.returncode == 1 and r.stdout == ""
    assert "bptee: run: secret 'py_only' is not served to job cat-1" in r.stderr
    assert "denied" in r.stderr and "Permission denied" in r.stderr  # cat's own EACCES
    assert "bptee: secret 'py_only' (/run/p)" in r.stderr  # the interposer's line
    assert "for-python" not in r.stdout + r.stderr


# ---- attested results through the agent's key (SIGN on behalf of the job's binary)


def signed_job(tmp_path, sim_dir, agent, **spec):
    spec.setdefault("job_id", "sig-1")
    return Job(tmp_path, sim_dir, mode="direct", spec=spec, socket_path=agent.sock)


PRINT_JSON = "import json; print(json.dumps({'answer': 42}))"


def test_signed_stdout_result_injected_and_verifies(tmp_path, sim_dir, real_agent):
    job = signed_job(tmp_path, sim_dir, real_agent, job_id="sig-stdout")
    r = job.run(sys.executable, "-c", PRINT_JSON)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["answer"] == 42
    tee = doc["tee"]
    assert tee["attestation"] == "signed"
    assert tee["job"]["binary_sha256"] == SHA_PY  # the job's binary, not bptee's
    argv = [sys.executable, "-c", PRINT_JSON]
    assert tee["job"]["argv_sha256"] == argv_sha256(argv).hex()
    log = real_agent.log_text()
    assert f"acts for binary {SHA_PY[:16]}" in log
    assert f"result of job sig-stdout signed for pid" in log
    res = tmp_path / "out.json"
    res.write_text(r.stdout)
    v = cli_verify(tmp_path, res, "--json", results={"binary_sha256": [SHA_PY]})
    assert v.returncode == 0, v.stderr
    assert json.loads(v.stdout)["job_id"] == "sig-stdout"
    assert json.loads(v.stdout)["public_key"] == tee["signature"]["public_key"]
    v = cli_verify(tmp_path, res, results={"binary_sha256": ["ab" * 32]})
    assert v.returncode == 1 and "not allowed" in v.stderr
    v = bptee.run([CLI, "result", "original", str(res)])
    assert v.stdout == '{"answer": 42}\n'


def test_signed_file_results(tmp_path, sim_dir, real_agent):
    out = tmp_path / "result.json"
    job = signed_job(tmp_path, sim_dir, real_agent, result={"file": str(out)})
    r = job.run(sys.executable, "-c", f"open({str(out)!r}, 'w').write('{{\"n\": 1}}')")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert json.loads(out.read_text())["tee"]["result"]["size"] == len('{"n": 1}')
    assert cli_verify(tmp_path, out).returncode == 0
    # not a JSON object: the file keeps its bytes, the sidecar goes next to it
    binary = tmp_path / "result.bin"
    job = signed_job(tmp_path, sim_dir, real_agent, result={"file": str(binary)})
    r = job.run(sys.executable, "-c", f"open({str(binary)!r}, 'wb').write(b'\\x00\\x01raw')")
    assert r.returncode == 0, r.stderr
    assert binary.read_bytes() == b"\x00\x01raw"
    side = json.loads((tmp_path / "result.bin.tee.json").read_text())
    assert side["result"]["covers"] == "bytes"
    assert cli_verify(tmp_path, binary).returncode == 0
    binary.write_bytes(b"\x00\x02raw")
    v = cli_verify(tmp_path, binary)
    assert v.returncode == 1 and "not the attested ones" in v.stderr


def test_stdout_not_json_needs_a_sidecar(tmp_path, sim_dir, real_agent):
    job = signed_job(tmp_path, sim_dir, real_agent, job_id="sig-text")
    r = job.run("echo", "plain text")
    assert r.returncode == 125
    assert r.stdout == "plain text\n"  # the job's output is never lost
    assert "not attested" in r.stderr
    side = tmp_path / "side.json"
    job = signed_job(tmp_path, sim_dir, real_agent, sidecar=str(side))
    r = job.run("echo", "plain text")
    assert r.returncode == 0 and r.stdout == "plain text\n"
    res = tmp_path / "stdout.txt"
    res.write_text(r.stdout)
    assert cli_verify(tmp_path, res, "--sidecar", side).returncode == 0


@pytest.mark.parametrize("name, code, expect", [
    ("exit3", "import sys; print('{\"partial\": 1}'); sys.exit(3)", 3),
    ("segv", "import os, signal, sys; print('{\"partial\": 1}'); sys.stdout.flush(); "
     "os.kill(os.getpid(), signal.SIGSEGV)", -signal.SIGSEGV),
    ("kill", "import os, signal, sys; print('{\"partial\": 1}'); sys.stdout.flush(); "
     "os.kill(os.getpid(), signal.SIGKILL)", -signal.SIGKILL),
])
def test_failing_crashing_killed_jobs_get_no_attestation(tmp_path, sim_dir, real_agent, name,
                                                          code, expect):
    job = signed_job(tmp_path, sim_dir, real_agent, job_id="fail-" + name)
    # an ASan build preloads the sanitizer into the job too: let the job's SIGSEGV be its own
    env = base_env(ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":handle_segv=0")
    r = job.run(sys.executable, "-c", code, env=env)
    assert r.returncode == expect
    assert r.stdout == '{"partial": 1}\n'  # passed through untouched
    assert not real_agent.signed("fail-" + name)
    # the same job succeeding is signed: the check above can fail
    ok = job.run(sys.executable, "-c", "print('{}')")
    assert ok.returncode == 0 and real_agent.signed("fail-" + name)


def test_failing_job_removes_no_sidecar(tmp_path, sim_dir, real_agent):
    """Nothing the spec names is removed before the job has succeeded (test_result_files.py
    has the rest)."""
    out = tmp_path / "r.bin"
    stale = tmp_path / "r.bin.tee.json"
    stale.write_text("{}")
    job = signed_job(tmp_path, sim_dir, real_agent, job_id="fail-file",
                     result={"file": str(out)})
    r = job.run("sh", "-c", f"echo data > {out}; exit 4")
    assert r.returncode == 4
    assert out.read_text() == "data\n" and stale.read_text() == "{}"
    assert not real_agent.signed("fail-file")


def test_signed_path_needs_an_agent(tmp_path, sim_dir):
    job = Job(tmp_path, sim_dir, mode="direct", spec={"job_id": "x"},
              socket_path=tmp_path / "nobody.sock")
    marker = tmp_path / "ran"
    r = job.run("touch", str(marker))
    assert r.returncode == 125 and "cannot attest results" in r.stderr
    assert not marker.exists()


# ---- the C API for new programs, inside a job, against the real agent

JOB_API = r"""
import ctypes, json, os, sys
from ctypes import POINTER, byref, c_char_p, c_int, c_size_t, c_void_p, c_int64
L = ctypes.CDLL(sys.argv[1])
def f(name, res, *args):
    fn = L[name]; fn.restype = res; fn.argtypes = list(args); return fn
class VO(ctypes.Structure):
    _fields_ = [("sz", c_size_t), ("at", c_int64), ("policy", c_void_p), ("vcek", c_void_p),
                ("vcek_len", c_size_t), ("chain", c_void_p), ("chain_len", c_size_t)]
class CO(ctypes.Structure):
    _fields_ = [("sz", c_size_t), ("socket", c_char_p), ("verify", POINTER(VO))]
pol = c_void_p()
text = b'{"sev_snp": {"allow_simulation": true}}'
assert f("bptee_policy_parse", c_int, c_char_p, c_size_t, POINTER(c_void_p))(text, len(text), byref(pol)) == 0
vo = VO(sz=ctypes.sizeof(VO), policy=pol)
out = {}
for label, opts in (("default", None), ("sim", CO(sz=ctypes.sizeof(CO), verify=ctypes.pointer(vo)))):
    ctx = c_void_p()
    rc = f("bptee_job_context_load", c_int, POINTER(CO), POINTER(c_void_p))(
        byref(opts) if opts else None, byref(ctx))
    assert rc == 0, rc
    g = lambda n, r=c_char_p: f("bptee_job_context_" + n, r, c_void_p)(ctx)
    out[label] = {"active": g("is_tee_active", c_int), "attested": g("is_attested", c_int),
                  "provider": g("provider", c_int), "job_id": g("job_id").decode(),
                  "deployment": g("deployment_id").decode(),
                  "measurement": g("measurement").decode(),
                  "error": g("attestation_error").decode()}
    m = c_void_p()
    f("bptee_job_context_metadata_json", c_int, c_void_p, POINTER(c_void_p))(ctx, byref(m))
    out[label]["metadata"] = json.loads(ctypes.string_at(m))
buf = ctypes.create_string_buffer(64)
n = c_size_t()
rc = f("bptee_job_secret_read", c_int, c_char_p, c_char_p, c_void_p, c_size_t, POINTER(c_size_t))(
    None, b"db", buf, 64, byref(n))
out["secret"] = buf.raw[:n.value].decode() if rc == 0 else rc
rc = f("bptee_job_secret_read", c_int, c_char_p, c_char_p, c_void_p, c_size_t, POINTER(c_size_t))(
    None, b"db", buf, 4, byref(n))
out["short"] = [rc, n.value]
doc = json.dumps({k: out[k] for k in ("secret",)}).encode()
meta = c_void_p()
assert f("bptee_job_attest_result", c_int, c_char_p, c_char_p, c_char_p, c_size_t, POINTER(c_void_p))(
    None, None, doc, len(doc), byref(meta)) == 0
res, rlen = c_void_p(), c_size_t()
assert f("bptee_result_inject", c_int, c_void_p, c_char_p, c_size_t, POINTER(c_void_p), POINTER(c_size_t))(
    meta, doc, len(doc), byref(res), byref(rlen)) == 0
open(sys.argv[2], "wb").write(ctypes.string_at(res, rlen.value))
print(json.dumps(out))
"""


def test_c_api_inside_a_tee_job(tmp_path, sim_dir, real_agent):
    result = tmp_path / "api-result.json"
    job = Job(tmp_path, sim_dir, mode="direct", socket_path=real_agent.sock,
              spec={"job_id": "api-1", "fresh_attestation": True,
                    # the agent serves a job only what it declares (docs/protocol.md, grants)
                    "secrets": {"db": "/run/secrets/db"},
                    "sidecar": str(tmp_path / "ctx.tee.json"),
                    # the job writes its own file: the sandbox's root is read-only
                    "sandbox": {"writable": [str(tmp_path)]}})
    r = job.run(sys.executable, "-c", JOB_API, bptee.LIBPATH, str(result))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out.pop("tee")["job"]["id"] == "api-1"  # its stdout was attested by bptee run too
    dflt, sim = out["default"], out["sim"]
    assert dflt["active"] == 1 and dflt["attested"] == 0 and "simulat" in dflt["error"]
    assert dflt["metadata"] == {}
    assert sim["attested"] == 1 and sim["provider"] == 4 and sim["error"] == ""
    assert sim["job_id"] == "api-1" and sim["deployment"].startswith("direct-")
    assert sim["metadata"]["tee.provider"] == "amd_sev_snp"
    assert sim["metadata"]["tee.measurement"] == sim["measurement"]
    assert out["secret"] == "s3cret-db-password"
    assert out["short"] == [-9, len("s3cret-db-password")]  # BPTEE_ELIMIT with the size
    # the agent measured the job itself: python3 is the binary, job id from the environment
    tee = json.loads(result.read_text())["tee"]
    assert tee["job"]["id"] == "api-1" and tee["job"]["binary_sha256"] == SHA_PY
    assert cli_verify(tmp_path, result, results={"job_ids": ["api-1"]}).returncode == 0


def test_c_api_outside_a_tee_job(tmp_path, sim_dir):
    ctx = c_void_p()
    ctx_load = fn("bptee_job_context_load", c_int, c_void_p, POINTER(c_void_p))
    env = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("BPTEE_") and
           k != "BPTEE_BUILD"}
    try:
        check(ctx_load(None, byref(ctx)))
        assert fn("bptee_job_context_is_tee_active", c_int, c_void_p)(ctx) == 0
        assert fn("bptee_job_context_measurement", c_char_p, c_void_p)(ctx) is None
        fn("bptee_job_context_free", None, c_void_p)(ctx)
        buf = ctypes.create_string_buffer(8)
        n = c_size_t()
        with pytest.raises(BpteeError) as e:
            check(fn("bptee_job_secret_read", c_int, c_char_p, c_char_p, c_void_p, c_size_t,
                     POINTER(c_size_t))(None, b"db", buf, 8, byref(n)))
        assert e.value.name == "ENOTFOUND" and "not a TEE job" in e.value.reason
    finally:
        os.environ.update(env)
