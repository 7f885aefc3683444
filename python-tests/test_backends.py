# SPDX-License-Identifier: Apache-2.0
"""Backends by provider and mode (docs/backends.md): blueprint-tee's TEE_BACKEND values and
messages, selection by detection and the config's provider selector, the deployment handle
with the attestation taken at provision time (re-provisioning returns it and starts nothing),
and the lifecycle of real sandboxed jobs: a job over its memory limit is stopped and reported,
and stop then destroy leaves no process, mount, cgroup or file behind."""
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from ctypes import (CFUNCTYPE, POINTER, Structure, byref, c_bool, c_char_p, c_int, c_size_t,
                    c_uint8, c_uint32, c_uint64, c_void_p)

import pytest

from bptee import BpteeError, check, fn, take_string
from hostcaps import chrooted, memory_cgroup_possible, user_namespaces
from test_run import DetectOpts, argv_array, config_free, config_json, config_load

READY_FN = CFUNCTYPE(c_int, c_void_p, c_int, c_int)


class SandboxOpts(Structure):
    _fields_ = [("sz", c_size_t), ("writable", POINTER(c_char_p)), ("n_writable", c_size_t),
                ("visible", POINTER(c_char_p)), ("n_visible", c_size_t),
                ("devices", POINTER(c_char_p)), ("n_devices", c_size_t),
                ("network", c_bool), ("io_uring", c_bool), ("memory_bytes", c_uint64),
                ("cpu_seconds", c_uint64), ("max_pids", c_uint64),
                ("max_open_files", c_uint64), ("on_ready", READY_FN),
                ("on_ready_arg", c_void_p)]


class FullRequest(Structure):
    _fields_ = [("sz", c_size_t), ("path", c_char_p), ("argv", POINTER(c_char_p)),
                ("envp", POINTER(c_char_p)), ("stdin_fd", POINTER(c_int)),
                ("stdout_fd", POINTER(c_int)), ("stderr_fd", POINTER(c_int)),
                ("sigmask", c_void_p), ("harden", c_bool), ("deployment_id", c_char_p),
                ("inherit_fds", POINTER(c_int)), ("n_inherit_fds", c_size_t),
                ("set_ids", c_bool), ("uid", c_uint32), ("gid", c_uint32),
                ("die_with_parent", c_bool), ("sandbox", POINTER(SandboxOpts)),
                ("attest_on_deploy", c_bool), ("report_data", POINTER(c_uint8)),
                ("report_data_len", c_size_t)]


class GuestOpts(Structure):
    _fields_ = [("sz", c_size_t), ("provider", c_int), ("tsm_path", c_char_p),
                ("device", c_char_p), ("state_dir", c_char_p), ("set_vmpl", c_bool),
                ("vmpl", c_uint32), ("max_attempts", ctypes.c_uint),
                ("backoff_ms", ctypes.c_uint), ("tdx_device", c_char_p), ("sim_tee", c_int),
                ("tpm_tcti", c_char_p), ("azure_nv_index", c_uint32),
                ("azure_ak_handle", c_uint32), ("azure_certs", c_char_p)]


from_env = fn("bptee_registry_from_env", c_int, c_char_p, POINTER(DetectOpts),
              POINTER(GuestOpts), POINTER(c_void_p))
registry_free = fn("bptee_registry_free", None, c_void_p)
registry_count = fn("bptee_registry_count", c_size_t, c_void_p)
registry_at = fn("bptee_registry_at", c_void_p, c_void_p, c_size_t)
registry_find = fn("bptee_registry_find", c_int, c_void_p, c_int, c_int, c_bool,
                   POINTER(c_void_p))
registry_select = fn("bptee_registry_select", c_int, c_void_p, c_void_p, POINTER(DetectOpts),
                     POINTER(c_void_p), c_char_p, c_size_t)
backend_for = fn("bptee_direct_backend_for", c_int, c_int, c_bool, POINTER(GuestOpts),
                 POINTER(c_void_p))
backend_free = fn("bptee_backend_free", None, c_void_p)
backend_name = fn("bptee_backend_name", c_char_p, c_void_p)
backend_provider = fn("bptee_backend_provider", c_int, c_void_p)
backend_simulated = fn("bptee_backend_simulated", c_int, c_void_p)
backend_mode = fn("bptee_backend_mode", c_int, c_void_p)
deploy = fn("bptee_backend_deploy", c_int, c_void_p, POINTER(FullRequest), POINTER(c_void_p))
dep_status = fn("bptee_deployment_status", c_int, c_void_p)
dep_stop = fn("bptee_deployment_stop", c_int, c_void_p)
dep_wait = fn("bptee_deployment_wait", c_int, c_void_p, POINTER(c_int))
dep_destroy = fn("bptee_deployment_destroy", None, c_void_p)
dep_pid = fn("bptee_deployment_pid", ctypes.c_int32, c_void_p)
dep_cached = fn("bptee_deployment_cached_attestation", c_int, c_void_p, POINTER(c_void_p))
dep_attest = fn("bptee_deployment_attest", c_int, c_void_p, POINTER(c_uint8), c_size_t,
                POINTER(c_void_p))
dep_end = fn("bptee_deployment_end_reason", c_char_p, c_void_p)
dep_mem_exceeded = fn("bptee_deployment_memory_exceeded", c_int, c_void_p)
dep_mem_how = fn("bptee_deployment_memory_enforcement", c_char_p, c_void_p)
dep_handle = fn("bptee_deployment_handle_json", c_int, c_void_p, POINTER(c_void_p))
status_name = fn("bptee_deployment_status_name", c_char_p, c_int)
report_free = fn("bptee_report_free", None, c_void_p)
report_load = fn("bptee_report_load_json", c_int, c_char_p, c_size_t, POINTER(c_void_p))
report_digest = fn("bptee_report_evidence_digest", c_int, c_void_p, c_char_p)
report_provider = fn("bptee_report_provider", c_int, c_void_p)
report_simulated = fn("bptee_report_simulated", c_int, c_void_p)

SNP, TDX, AZURE, NITRO = 4, 3, 1, 0
VALID = ("valid options: direct, direct-tdx, direct-sev-snp, direct-azure-snp, direct-sim, "
         "direct-sim-tdx, aws-nitro, gcp-confidential, azure-snp")


def mode_value(name):
    f = fn("bptee_tee_mode_parse", c_int, c_char_p, POINTER(c_int))
    m = c_int()
    check(f(name.encode(), byref(m)))
    return m.value


def fake_tree(tmp_path, *chars):
    """A detection root where each given path is a character device (a link to /dev/null)."""
    for p in chars:
        dest = tmp_path / p.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.symlink_to("/dev/null")
    return DetectOpts(sz=ctypes.sizeof(DetectOpts), root=str(tmp_path).encode(),
                      ignore_env=True)


def registry(value, detect=None, guest=None):
    r = c_void_p()
    check(from_env(value.encode() if value is not None else None,
                   byref(detect) if detect else None, byref(guest) if guest else None,
                   byref(r)))
    return r


def names(r):
    return [backend_name(registry_at(r, i)).decode() for i in range(registry_count(r))]


def sim_guest(state):
    return GuestOpts(sz=ctypes.sizeof(GuestOpts), state_dir=str(state).encode())


@pytest.fixture
def sim_backend(tmp_path):
    """The direct backend of the simulator playing SEV-SNP, freed (its jobs with it) after."""
    b = c_void_p()
    check(backend_for(SNP, True, byref(sim_guest(tmp_path / "sim")), byref(b)))
    yield b
    backend_free(b)


# ---- TEE_BACKEND


def test_every_direct_value_registers_its_backend(tmp_path):
    r = registry(" direct-sev-snp , direct-tdx,direct-azure-snp,direct-sim,direct-sim-tdx ")
    try:
        assert names(r) == ["direct-sev-snp", "direct-tdx", "direct-azure-snp", "direct-sim",
                            "direct-sim-tdx"]
        got = [(backend_provider(registry_at(r, i)), backend_simulated(registry_at(r, i)),
                backend_mode(registry_at(r, i))) for i in range(5)]
        direct = mode_value("direct")
        assert got == [(SNP, 0, direct), (TDX, 0, direct), (AZURE, 0, direct),
                       (SNP, 1, direct), (TDX, 1, direct)]
        b = c_void_p()
        check(registry_find(r, direct, TDX, True, byref(b)))
        assert backend_name(b) == b"direct-sim-tdx"
    finally:
        registry_free(r)


def test_direct_is_the_detected_local_tee(tmp_path):
    r = registry("direct", detect=fake_tree(tmp_path, "/dev/sev-guest"))
    try:
        assert names(r) == ["direct-sev-snp"]
    finally:
        registry_free(r)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BpteeError) as e:
        registry("direct", detect=DetectOpts(sz=ctypes.sizeof(DetectOpts),
                                             root=str(empty).encode(), ignore_env=True))
    assert e.value.name == "EUNSUPPORTED"
    assert e.value.reason == ("unsupported tee provider: TEE_BACKEND value 'direct': no TEE "
                              "hardware detected (direct-sim runs on the simulator)")


@pytest.mark.parametrize("value", ["aws-nitro", "gcp-confidential", "azure-snp",
                                   "direct-sim,aws-nitro"])
def test_cloud_backends_are_not_built(value):
    with pytest.raises(BpteeError) as e:
        registry(value)
    name = value.split(",")[-1]
    assert e.value.name == "EUNSUPPORTED"
    assert e.value.reason.startswith(f"unsupported tee provider: {name} backend requested but "
                                     "bptee builds no cloud backends"), e.value.reason


@pytest.mark.parametrize("value,shown", [("", ""), ("direct-sim,", ""), ("kvm", "kvm"),
                                         ("Direct", "Direct"), ("direct-sim,,direct-tdx", "")])
def test_unknown_values_are_refused_as_blueprint_tee_does(value, shown):
    with pytest.raises(BpteeError) as e:
        registry(value)
    assert e.value.name == "EINVAL"
    assert e.value.reason == f"tee config error: unknown TEE_BACKEND value: '{shown}'; {VALID}"


def test_unset_variable_is_an_empty_registry(monkeypatch):
    monkeypatch.delenv("TEE_BACKEND", raising=False)
    r = registry(None)
    try:
        assert registry_count(r) == 0
    finally:
        registry_free(r)
    monkeypatch.setenv("TEE_BACKEND", "direct-sim-tdx")
    r = registry(None)
    try:
        assert names(r) == ["direct-sim-tdx"]
    finally:
        registry_free(r)


def test_missing_provider_names_it():
    r = registry("direct-sim")
    direct = mode_value("direct")
    try:
        b = c_void_p()
        with pytest.raises(BpteeError) as e:
            check(registry_find(r, direct, SNP, False, byref(b)))
        assert e.value.reason == "unsupported tee provider: no backend registered for " \
            "amd_sev_snp"
        with pytest.raises(BpteeError) as e:
            check(backend_for(NITRO, False, None, byref(b)))
        assert e.value.reason == "unsupported tee provider: no direct backend for aws_nitro"
    finally:
        registry_free(r)


# ---- selection by the config


def load_config(obj):
    text = json.dumps(obj).encode()
    c = c_void_p()
    check(config_load(text, len(text), byref(c)))
    return c


def select(r, cfg_obj, detect=None):
    cfg = load_config(cfg_obj)
    try:
        b, why = c_void_p(), ctypes.create_string_buffer(400)
        check(registry_select(r, cfg, byref(detect) if detect else None, byref(b), why, 400))
        return backend_name(b).decode(), why.value.decode()
    finally:
        config_free(cfg)


def with_provider(cfg, evidence_provider):
    cfg["bptee"]["evidence_provider"] = evidence_provider
    return cfg


def test_selection_by_evidence_provider_and_detection(tmp_path):
    r = registry("direct-sev-snp,direct-tdx,direct-sim,direct-sim-tdx")
    try:
        assert select(r, config_json("direct", tmp_path))[0] == "direct-sim"
        assert select(r, with_provider(config_json("hybrid", tmp_path), "sim-tdx"))[0] == \
            "direct-sim-tdx"
        assert select(r, with_provider(config_json("direct", tmp_path), "tdx"))[0] == \
            "direct-tdx"
        name, why = select(r, with_provider(config_json("auto", tmp_path), "auto"),
                           fake_tree(tmp_path / "t", "/dev/sev-guest"))
        assert name == "direct-sev-snp"
        assert why.startswith("amd_sev_snp: detected amd_sev_snp (") and \
            why.endswith("/dev/sev-guest is a character device); backend direct-sev-snp"), why
    finally:
        registry_free(r)


def refusal(r, cfg, detect=None):
    with pytest.raises(BpteeError) as e:
        select(r, cfg, detect)
    return e.value


def test_selection_refusals(tmp_path):
    r = registry("direct-sim,direct-tdx")
    try:
        listed = config_json("direct", tmp_path, requirement="required",
                             providers={"allow_list": ["amd_sev_snp", "intel_tdx"]})
        e = refusal(r, listed)  # the simulator is never a listed provider
        assert e.name == "EDENIED" and "does not allow amd_sev_snp on the simulator" in e.reason
        e = refusal(r, with_provider(config_json("direct", tmp_path, providers={
            "allow_list": ["amd_sev_snp"]}), "tdx"))
        assert e.name == "EDENIED" and "does not allow intel_tdx" in e.reason
        e = refusal(r, with_provider(config_json("direct", tmp_path), "sev-snp"))
        assert (e.name, e.reason) == ("EUNSUPPORTED", "unsupported tee provider: no backend "
                                      "registered for amd_sev_snp")
        empty = tmp_path / "none"
        empty.mkdir()
        e = refusal(r, with_provider(config_json("auto", tmp_path), "auto"),
                    DetectOpts(sz=ctypes.sizeof(DetectOpts), root=str(empty).encode(),
                               ignore_env=True))
        assert e.name == "EUNSUPPORTED" and "no TEE hardware detected" in e.reason
        remote = config_json("remote", tmp_path)
        e = refusal(r, remote)
        assert e.reason == "mode remote: no remote backend configured"
    finally:
        registry_free(r)


# ---- deployments: provision-time attestation, re-provisioning, the handle


def request(argv, dep_id=None, report_data=None, sandbox=None, stdout=None):
    req = FullRequest(sz=ctypes.sizeof(FullRequest), path=argv[0].encode(),
                      argv=argv_array(*argv), deployment_id=dep_id and dep_id.encode(),
                      harden=True)
    if report_data is not None:
        req.attest_on_deploy = True
        req.report_data = (c_uint8 * len(report_data))(*report_data)
        req.report_data_len = len(report_data)
    if sandbox is not None:
        req.sandbox = ctypes.pointer(sandbox)
    if stdout is not None:
        req.stdout_fd = ctypes.pointer(c_int(stdout))
    req._keep = (argv, report_data, sandbox)
    return req


def started_lines(path):
    return path.read_text().splitlines() if path.exists() else []


def test_reprovisioning_returns_the_deployment_and_its_attestation(tmp_path):
    b = c_void_p()
    check(backend_for(SNP, True, byref(sim_guest(tmp_path / "sim")), byref(b)))
    log = tmp_path / "starts"
    job = ["/bin/sh", "-c", f'echo $$ >> "{log}"; exec sleep 300']
    try:
        d, again = c_void_p(), c_void_p()
        assert deploy(b, byref(request(job, "job-7", report_data=b"n" * 32)), byref(d)) == 0
        cached = c_void_p()
        check(dep_cached(d, byref(cached)))
        assert report_provider(cached) == SNP and report_simulated(cached) == 1
        first = ctypes.create_string_buffer(65)
        check(report_digest(cached, first))
        # a later attest does not replace what was taken at provision time
        fresh = c_void_p()
        check(dep_attest(d, (c_uint8 * 3)(1, 2, 3), 3, byref(fresh)))
        report_free(fresh)
        rc = deploy(b, byref(request(job, "job-7", report_data=b"m" * 32)), byref(again))
        assert rc == 1 and again.value == d.value, "re-provisioning recreated the deployment"
        check(dep_cached(again, byref(cached)))
        second = ctypes.create_string_buffer(65)
        check(report_digest(cached, second))
        assert second.value == first.value
        for _ in range(100):
            if started_lines(log):
                break
            time.sleep(0.02)
        time.sleep(0.2)
        assert started_lines(log) == [str(dep_pid(d))], "a second job was started"
        handle = json.loads(take_string_of(d))
        assert list(handle) == ["id", "provider", "metadata", "cached_attestation",
                                "port_mapping", "lifecycle_policy"]
        assert handle["id"] == "job-7" and handle["provider"] == "amd_sev_snp"
        assert handle["metadata"] == {"backend": "direct", "pid": str(dep_pid(d)),
                                      "provider": "amd_sev_snp", "simulated": "true"}
        assert handle["port_mapping"] == {} and handle["lifecycle_policy"] == "cloud_managed"
        # the cached attestation is blueprint-tee's report JSON, bytes as integer arrays
        assert isinstance(handle["cached_attestation"]["evidence"], list)
        text = json.dumps(handle["cached_attestation"]).encode()
        back = c_void_p()
        check(report_load(text, len(text), byref(back)))
        digest = ctypes.create_string_buffer(65)
        check(report_digest(back, digest))
        report_free(back)
        assert digest.value == first.value
        dep_destroy(again)  # one destroy per deploy that returned it
        dep_destroy(d)
        # destroyed: the id is free, and a new deployment gets its own attestation
        assert deploy(b, byref(request(job, "job-7", report_data=b"m" * 32)), byref(d)) == 0
        check(dep_cached(d, byref(cached)))
        check(report_digest(cached, second))
        assert second.value != first.value
        dep_destroy(d)
    finally:
        backend_free(b)


def take_string_of(d):
    out = c_void_p()
    check(dep_handle(d, byref(out)))
    return take_string(out)


def test_no_attestation_before_one_is_taken(tmp_path, sim_backend):
    b = sim_backend
    d = c_void_p()
    check(deploy(b, byref(request(["/bin/true"])), byref(d)))
    cached = c_void_p()
    with pytest.raises(BpteeError) as e:
        check(dep_cached(d, byref(cached)))
    assert e.value.name == "ENOTFOUND"
    assert "cached_attestation" not in json.loads(take_string_of(d))
    dep_destroy(d)


def processes_with(marker):
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


def test_a_deployment_that_cannot_be_attested_is_undone(tmp_path):
    """The hardware backend on a machine without the hardware: the job it started is killed,
    nothing is returned, the reason says why."""
    marker = f"bptee-unattested-{os.getpid()}"
    guest = GuestOpts(sz=ctypes.sizeof(GuestOpts), tsm_path=str(tmp_path / "no-tsm").encode(),
                      device=str(tmp_path / "no-sev-guest").encode())
    b = c_void_p()
    check(backend_for(SNP, False, byref(guest), byref(b)))
    try:
        d = c_void_p()
        with pytest.raises(BpteeError) as e:
            check(deploy(b, byref(request(["/bin/sh", "-c", "sleep 300; true", marker],
                                          "hw-1", report_data=b"x" * 64)), byref(d)))
        assert e.value.reason.startswith("tee deployment failed: hw-1: attestation at "
                                         "provision time: "), e.value.reason
        assert processes_with(marker) == []
        with pytest.raises(BpteeError) as e:
            check(deploy(b, byref(request(["/bin/true"], report_data=b"x" * 65)), byref(d)))
        assert e.value.reason == "deploy: report_data is 65 bytes (at most 64)"
    finally:
        backend_free(b)


def test_freeing_the_backend_destroys_its_deployments(tmp_path):
    marker = f"bptee-orphan-{os.getpid()}"
    b = c_void_p()
    check(backend_for(SNP, True, byref(sim_guest(tmp_path / "sim")), byref(b)))
    d = c_void_p()
    check(deploy(b, byref(request(["/bin/sh", "-c", "sleep 300; true", marker])), byref(d)))
    assert processes_with(marker)
    backend_free(b)
    assert processes_with(marker) == []


# ---- the lifecycle of sandboxed jobs


def sandbox_possible():
    if os.geteuid() != 0 and not user_namespaces():
        pytest.skip("this host refuses user namespaces to an ordinary user: no sandbox")


def sandbox(memory=0):
    return SandboxOpts(sz=ctypes.sizeof(SandboxOpts), memory_bytes=memory)


def own_memory_cgroup():
    for line in open("/proc/self/cgroup"):
        _, controllers, path = line.rstrip("\n").split(":", 2)
        if "memory" in controllers.split(","):
            return f"/sys/fs/cgroup/memory{path}"
    for line in open("/proc/self/cgroup"):
        if line.startswith("0::"):
            return "/sys/fs/cgroup" + line[3:].rstrip("\n")
    return None


def our_cgroups():
    base = own_memory_cgroup()
    if not base or not os.path.isdir(base):
        return []
    return sorted(e for e in os.listdir(base) if e.startswith(f"bptee-{os.getpid()}-"))


def need_memory_cgroup():
    sandbox_possible()
    if not memory_cgroup_possible():
        pytest.skip("no memory cgroup can be made here (an ordinary user, or no cgroup file "
                    "system): the limit is RLIMIT_AS")


HOG = "x = bytearray(400 * 1024 * 1024)\nfor i in range(0, len(x), 4096): x[i] = 1\nprint('survived')"


def test_a_job_over_its_memory_limit_is_stopped_and_reported(tmp_path, sim_backend):
    sandbox_possible()
    b = sim_backend
    d = c_void_p()
    sb = sandbox(memory=64 << 20)
    check(deploy(b, byref(request([sys.executable, "-c", HOG], sandbox=sb)), byref(d)))
    how = dep_mem_how(d).decode()
    ws = c_int()
    check(dep_wait(d, byref(ws)))
    assert status_name(dep_status(d)) == b"failed"
    if how == "rlimit":
        # no memory cgroup here (an ordinary user): the address-space limit still holds
        assert os.WIFEXITED(ws.value) and os.WEXITSTATUS(ws.value) != 0
        assert dep_mem_exceeded(d) == 0
        pytest.skip("no memory cgroup can be made here: the limit is RLIMIT_AS, which "
                    "cannot tell why a job ended")
    assert how == "cgroup"
    assert os.WIFSIGNALED(ws.value) and os.WTERMSIG(ws.value) == signal.SIGKILL
    assert dep_mem_exceeded(d) == 1
    assert dep_end(d) == (b"memory limit exceeded: the kernel stopped the job at its "
                          b"limit of 67108864 bytes")
    assert json.loads(take_string_of(d))["metadata"]["memory_limit"] == "cgroup"
    dep_destroy(d)
    assert our_cgroups() == [], "the deployment's cgroup was left behind"


def test_a_job_within_its_memory_limit_runs_to_the_end(tmp_path, sim_backend):
    sandbox_possible()
    b = sim_backend
    d = c_void_p()
    rfd, wfd = os.pipe()
    small = HOG.replace("400 *", "8 *")
    check(deploy(b, byref(request([sys.executable, "-c", small], sandbox=sandbox(256 << 20),
                                  stdout=wfd)), byref(d)))
    os.close(wfd)
    with os.fdopen(rfd) as r:
        assert r.read() == "survived\n"
    ws = c_int()
    check(dep_wait(d, byref(ws)))
    assert status_name(dep_status(d)) == b"stopped" and dep_mem_exceeded(d) == 0
    assert dep_end(d) == b"exited with status 0"
    dep_destroy(d)


def mountinfo():
    with open("/proc/self/mountinfo") as f:
        return sorted(line.split(" ", 4)[4] for line in f)


@pytest.mark.parametrize("ignore_term", [False, True])
def test_stop_then_destroy_leaves_nothing_behind(tmp_path, ignore_term, sim_backend):
    """A job with children: a shell, two sleeps and a daemonised grandchild that left the
    job's session and process group. One variant ignores SIGTERM, so only destroy's SIGKILL
    ends it. Afterwards: no process, no mount, no cgroup, no file in /tmp."""
    sandbox_possible()
    tag = f"{os.getpid() % 10000 + 10000}{int(ignore_term)}"
    marker = f"bptee-lifecycle-{tag}"
    trap = "trap '' TERM; " if ignore_term else ""
    script = (f"{trap}sleep {tag}1 & sleep {tag}2 & (setsid sleep {tag}3 &); echo up; "
              f"while :; do sleep 1; done")
    sleeps = f"sleep\0{tag}"
    before_mounts = mountinfo()
    before_tmp = {d: set(os.listdir(d)) for d in ("/tmp", "/dev/shm", "/run")
                  if os.path.isdir(d)}
    b = sim_backend
    d = c_void_p()
    rfd, wfd = os.pipe()
    check(deploy(b, byref(request(["/bin/sh", "-c", script, marker],
                                  sandbox=sandbox(128 << 20), stdout=wfd)), byref(d)))
    os.close(wfd)
    with os.fdopen(rfd) as r:
        assert r.readline() == "up\n"
    deadline = time.time() + 10
    while len(processes_with(sleeps)) < 3 and time.time() < deadline:
        time.sleep(0.02)
    assert len(processes_with(sleeps)) == 3 and processes_with(marker)
    assert status_name(dep_status(d)) == b"running"
    if memory_cgroup_possible():  # so that "no cgroup left" below means something
        assert dep_mem_how(d) == b"cgroup" and len(our_cgroups()) == 1
    check(dep_stop(d))
    if not ignore_term:
        ws = c_int()
        check(dep_wait(d, byref(ws)))
        assert status_name(dep_status(d)) == b"stopped"
        assert dep_end(d) == b"killed by signal 15 after stop"
    else:
        assert status_name(dep_status(d)) == b"stopping"
    dep_destroy(d)
    assert processes_with(marker) == [], "the job outlived destroy"
    assert processes_with(sleeps) == [], "a child of the job outlived destroy"
    assert our_cgroups() == [], "the deployment's cgroup was left behind"
    if not chrooted():  # the one known exception: docs/sandbox.md, "In a chroot"
        assert mountinfo() == before_mounts, "a mount of the job stayed on the host"
    # /tmp is shared with whatever else runs here: judge what bptee would name
    left = [e for d, before in before_tmp.items() for e in set(os.listdir(d)) - before
            if "bptee" in e]
    assert left == [], f"the deployment left files behind: {left}"


def test_a_child_over_the_limit_stops_the_whole_job(tmp_path, sim_backend):
    """The OOM killer picks the largest process, here a child: the job is stopped whole (v2's
    oom.group, v1's OOM event watched by the sandbox's init), not left to carry on."""
    need_memory_cgroup()
    b = sim_backend
    d = c_void_p()
    rfd, wfd = os.pipe()
    script = f"{sys.executable} -c \"{HOG}\"; echo child=$?; sleep 5; echo carried-on"
    check(deploy(b, byref(request(["/bin/sh", "-c", script], sandbox=sandbox(64 << 20),
                                  stdout=wfd)), byref(d)))
    os.close(wfd)
    with os.fdopen(rfd) as r:
        out = r.read()
    ws = c_int()
    check(dep_wait(d, byref(ws)))
    assert "carried-on" not in out and "survived" not in out, out
    assert os.WIFSIGNALED(ws.value) and os.WTERMSIG(ws.value) == signal.SIGKILL
    assert dep_mem_exceeded(d) == 1 and status_name(dep_status(d)) == b"failed"
    assert dep_end(d).startswith(b"memory limit exceeded: the kernel stopped the job")
    dep_destroy(d)


ANCESTOR = r"""
import ctypes, os, sys
sys.path.insert(0, sys.argv[1])
import test_backends as t
base = t.own_memory_cgroup()
parent = os.path.join(base, "bptee-test-ancestor-%d" % os.getpid())
os.mkdir(parent)
try:
    for f, v in (("memory.limit_in_bytes", "100663296"), ("memory.max", "100663296")):
        if os.path.exists(os.path.join(parent, f)):
            open(os.path.join(parent, f), "w").write(v)
    open(os.path.join(parent, "cgroup.procs"), "w").write(str(os.getpid()))
    b = ctypes.c_void_p()
    t.check(t.backend_for(t.SNP, True, ctypes.byref(t.sim_guest(sys.argv[2])), ctypes.byref(b)))
    d = ctypes.c_void_p()
    hog = t.HOG.replace("400 *", "200 *")
    t.check(t.deploy(b, ctypes.byref(t.request([sys.executable, "-c", hog],
                                               sandbox=t.sandbox(512 << 20))), ctypes.byref(d)))
    ws = ctypes.c_int()
    t.check(t.dep_wait(d, ctypes.byref(ws)))
    print(t.dep_mem_exceeded(d), t.dep_end(d).decode())
    t.dep_destroy(d)
    t.backend_free(b)
finally:
    open(os.path.join(base, "cgroup.procs"), "w").write(str(os.getpid()))
    os.rmdir(parent)
"""


def test_an_ancestors_limit_is_not_reported_as_the_jobs(tmp_path):
    """The caller sits in a cgroup limited to 96 MiB; the job's own limit is 512 MiB: the
    kernel's OOM kill is not the job's limit, and the end reason says so."""
    need_memory_cgroup()
    r = subprocess.run([sys.executable, "-c", ANCESTOR, os.path.dirname(__file__),
                        str(tmp_path / "sim")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    exceeded, reason = r.stdout.strip().split(" ", 1)
    assert exceeded == "0", r.stdout
    assert reason == ("killed by signal 9 (the kernel's OOM killer: memory ran out above the "
                      "job's own limit)"), r.stdout


def test_a_limit_too_small_to_start_says_so(tmp_path, sim_backend):
    need_memory_cgroup()
    b = sim_backend
    d = c_void_p()
    with pytest.raises(BpteeError) as e:
        check(deploy(b, byref(request(["/bin/true"], sandbox=sandbox(65536))), byref(d)))
    assert (e.value.name, e.value.reason) == (
        "ELIMIT", "sandbox: the memory limit of 65536 bytes is too small to start the job")
    assert our_cgroups() == []


@pytest.mark.parametrize("dep_id", ["x" * 64, "a b", "caf\u00e9", "id\nnext", ""])
def test_deployment_ids_are_checked(tmp_path, dep_id, sim_backend):
    b = sim_backend
    d = c_void_p()
    with pytest.raises(BpteeError) as e:
        check(deploy(b, byref(request(["/bin/true"], dep_id or None)), byref(d))
              if dep_id else deploy_empty_id(b, d))
    assert e.value.name == "EINVAL" and "1 to 63 of A-Z a-z 0-9" in e.value.reason
    assert "\n" not in e.value.reason or dep_id == "id\nnext"


def deploy_empty_id(b, d):
    req = request(["/bin/true"])
    req.deployment_id = b""
    return check(deploy(b, byref(req), byref(d)))


def test_63_characters_reprovision_the_same_deployment(tmp_path, sim_backend):
    b = sim_backend
    d, again = c_void_p(), c_void_p()
    dep_id = "job." + "x" * 59
    job = ["/bin/sh", "-c", "sleep 300; true"]
    assert deploy(b, byref(request(job, dep_id)), byref(d)) == 0
    assert deploy(b, byref(request(job, dep_id)), byref(again)) == 1
    assert again.value == d.value
    dep_destroy(again)
    dep_destroy(d)


def test_each_holder_destroys_once_and_the_job_ends_at_the_last(tmp_path, sim_backend):
    marker = f"bptee-holders-{os.getpid()}"
    b = sim_backend
    d, again = c_void_p(), c_void_p()
    job = ["/bin/sh", "-c", "sleep 300; true", marker]
    assert deploy(b, byref(request(job, "shared")), byref(d)) == 0
    # asked for a provision-time attestation it never had: taken now
    assert deploy(b, byref(request(job, "shared", report_data=b"r" * 64)),
                  byref(again)) == 1
    cached = c_void_p()
    check(dep_cached(again, byref(cached)))
    dep_destroy(d)
    assert processes_with(marker), "the first destroy ended a job another holder has"
    assert json.loads(take_string_of(again))["id"] == "shared"
    assert status_name(dep_status(again)) == b"running"
    dep_destroy(again)
    assert processes_with(marker) == []


def test_a_backend_with_deployments_is_not_replaced(tmp_path):
    r = registry("direct-sim")
    try:
        d = c_void_p()
        check(deploy(registry_at(r, 0), byref(request(["/bin/sh", "-c", "sleep 300; true"])),
                     byref(d)))
        other = c_void_p()
        check(backend_for(SNP, True, byref(sim_guest(tmp_path / "sim")), byref(other)))
        register = fn("bptee_registry_register", c_int, c_void_p, c_void_p)
        with pytest.raises(BpteeError) as e:
            check(register(r, other))  # taken, and freed, on failure too
        assert e.value.reason == ("registry: backend direct-sim still has deployments: destroy "
                                  "them before replacing it")
        assert status_name(dep_status(d)) == b"running"
        dep_destroy(d)
    finally:
        registry_free(r)


@pytest.mark.parametrize("value", ["direct-sim\n", "\r\ndirect-sim\r\n", "\vdirect-sim\f"])
def test_tee_backend_is_trimmed_as_rust_trims(value):
    r = registry(value)
    try:
        assert names(r) == ["direct-sim"]
    finally:
        registry_free(r)


def test_a_bad_value_is_shown_on_one_line():
    with pytest.raises(BpteeError) as e:
        registry("direct\x1bsim")
    assert e.value.reason.startswith("tee config error: unknown TEE_BACKEND value: "
                                     "'direct?sim'; ")


def test_no_handle_for_a_backend_without_a_provider():
    b, d = c_void_p(), c_void_p()
    direct_new = fn("bptee_direct_backend_new", c_int, c_void_p, POINTER(c_void_p))
    check(direct_new(None, byref(b)))
    try:
        check(deploy(b, byref(request(["/bin/true"])), byref(d)))
        out = c_void_p()
        with pytest.raises(BpteeError) as e:
            check(dep_handle(d, byref(out)))
        assert e.value.name == "EUNSUPPORTED"
        dep_destroy(d)
    finally:
        backend_free(b)
