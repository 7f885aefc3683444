# SPDX-License-Identifier: Apache-2.0
"""The configfs-tsm path of `bptee attest` (src/guest/tsm.c), end to end against
`bptee sim tsm-fs`: a FUSE file system that behaves as the kernel's configfs-tsm report tree,
backed by the simulated TEE. The client makes exactly the calls it makes on a real guest
(mkdir an instance, write inblob/privlevel, read outblob/auxblob/generation, rmdir); the
emulation's own semantics are checked here too. Also: provider selection (auto falls back to
the simulator loudly, sev-snp never does)."""
import base64
import errno
import json
import os
import struct
import subprocess

import pytest

from bptee import cli
from test_sim import VCEK, Sim, verify_report_sig
from tsmfs_util import mounted, tsm_fs

ALLOW_SIM = '{"sev_snp": {"allow_simulation": true}}'


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    return tmp_path_factory.mktemp("tsmstate") / "state"


@pytest.fixture(scope="module")
def sim(state):
    s = Sim(state)
    yield s
    s.close()


def mount(state, where, *extra):
    return tsm_fs(where, "--state-dir", state, *extra)


@pytest.fixture
def tsm(sim, state, tmp_path):
    with mount(state, tmp_path / "mnt") as m:
        assert "simulated" in m.stderr
        yield m.report


def attest(*args, **kw):
    return cli("attest", *args, **kw)


def test_attest_through_configfs(sim, tsm, tmp_path):
    out = tmp_path / "ev.json"
    r = attest("--tsm-path", tsm, "--device", tmp_path / "none", "--report-data", "5a" * 64,
               "-o", out)
    assert r.returncode == 0, r.stderr
    assert "no TEE hardware" not in r.stderr and "configfs-tsm" in r.stderr
    ev = json.loads(out.read_text())
    assert ev["provider"] == "amd_sev_snp" and ev["format"] == "sev_snp_report"
    assert ev["simulated"] is True
    rep = base64.b64decode(ev["evidence"])
    assert rep[0x50:0x90] == b"\x5a" * 64
    assert ev["measurement"] == {"algorithm": "sha384", "digest": rep[0x90:0xC0].hex()}
    kinds = [c["kind"] for c in ev["certificates"]]
    assert kinds == ["vcek", "ask", "ark"]
    verify_report_sig(rep, sim.cert(VCEK))
    assert os.listdir(tsm) == []  # the instance is always removed


def test_configfs_evidence_verifies_only_when_simulation_is_allowed(tsm, tmp_path):
    out = tmp_path / "ev.json"
    assert attest("--tsm-path", tsm, "-o", out).returncode == 0
    policy = tmp_path / "allow.json"
    policy.write_text(ALLOW_SIM)
    ok = cli("verify", "--policy", policy, out)
    assert ok.returncode == 0, ok.stderr
    assert "SIMULATED" in ok.stdout
    no = cli("verify", out)
    assert no.returncode == 1 and "simulat" in no.stderr


def test_configfs_privlevel_sets_vmpl(tsm, tmp_path):
    out = tmp_path / "ev.json"
    assert attest("--tsm-path", tsm, "--vmpl", "3", "-o", out).returncode == 0
    rep = base64.b64decode(json.loads(out.read_text())["evidence"])
    assert struct.unpack_from("<I", rep, 0x30)[0] == 3


def test_configfs_emulation_semantics(tsm):
    inst = tsm / "probe"
    inst.mkdir()
    try:
        assert sorted(os.listdir(inst)) == sorted(["inblob", "outblob", "auxblob", "provider",
                                                   "generation", "privlevel",
                                                   "privlevel_floor"])
        assert (inst / "provider").read_text() == "sev_guest\n"
        assert (inst / "privlevel_floor").read_text() == "0\n"
        g0 = int((inst / "generation").read_text())
        (inst / "inblob").write_bytes(b"\x11" * 64)
        assert int((inst / "generation").read_text()) == g0 + 1
        first = (inst / "outblob").read_bytes()
        assert first[0x50:0x90] == b"\x11" * 64
        assert (inst / "outblob").read_bytes() == first  # cached for this generation
        (inst / "privlevel").write_text("2\n")
        assert int((inst / "generation").read_text()) == g0 + 2
        second = (inst / "outblob").read_bytes()
        assert second != first and struct.unpack_from("<I", second, 0x30)[0] == 2
        assert len((inst / "auxblob").read_bytes()) > 3000
        with pytest.raises(OSError) as e:
            (inst / "inblob").write_bytes(bytes(65))
        assert e.value.errno == errno.EFBIG
        with pytest.raises(OSError) as e:
            (inst / "privlevel").write_text("4\n")
        assert e.value.errno == errno.EINVAL
        with pytest.raises(PermissionError):
            (inst / "inblob").read_bytes()
        with pytest.raises(PermissionError):
            (inst / "outblob").write_bytes(b"x")
        with pytest.raises(FileExistsError):
            inst.mkdir()
    finally:
        inst.rmdir()
    assert not inst.exists()


def test_configfs_generation_race_is_retried(sim, state, tmp_path):
    with mount(state, tmp_path / "raced", "--race", "2") as m:
        r = attest("--tsm-path", m.report, "-o", tmp_path / "ev.json")
        assert r.returncode == 0, r.stderr


def test_configfs_generation_race_fails_after_the_bound(sim, state, tmp_path):
    with mount(state, tmp_path / "raced", "--race", "50") as m:
        r = attest("--tsm-path", m.report, "-o", tmp_path / "ev.json")
        assert r.returncode == 1 and "raced" in r.stderr and "5 attempts" in r.stderr
        assert not (tmp_path / "ev.json").exists()
        assert os.listdir(m.report) == []


def test_tsm_fs_detaches_by_default(sim, state, tmp_path):
    # Every other test runs the server in the foreground (tsmfs_util); this is the daemon path.
    where = tmp_path / "detached"
    where.mkdir()
    r = cli("sim", "tsm-fs", where, "--state-dir", state)
    try:
        assert r.returncode == 0 and "simulated" in r.stderr, r.stderr
        assert mounted(where) and os.listdir(where / "report") == []
    finally:
        subprocess.run(["fusermount3", "-u", where])
        if mounted(where):
            subprocess.run(["fusermount3", "-u", "-z", where])
    assert not mounted(where)


def test_a_failing_test_leaves_no_mount_and_no_server(sim, state, tmp_path):
    # Even with the mount busy (a descriptor open inside it, so plain `fusermount3 -u` is
    # refused), a test that fails inside the block leaves nothing behind.
    fds = []
    try:
        with pytest.raises(AssertionError, match="the test failed"):
            with mount(state, tmp_path / "busy") as m:
                pid = m.pid
                fds.append(os.open(m.report, os.O_RDONLY | os.O_DIRECTORY))
                assert subprocess.run(["fusermount3", "-u", m.where],
                                      capture_output=True).returncode != 0
                assert False, "the test failed"
        assert not mounted(tmp_path / "busy")
        assert not os.path.exists(f"/proc/{pid}")
    finally:
        for fd in fds:
            os.close(fd)


def test_configfs_path_that_is_not_configfs(tmp_path):
    fake = tmp_path / "report"
    fake.mkdir()
    r = attest("--provider", "sev-snp", "--tsm-path", fake)
    assert r.returncode == 1 and "provider" in r.stderr
    assert os.listdir(fake) == []  # the instance it made was removed


def test_tsm_fs_usage_errors(state, tmp_path):
    assert cli("sim", "tsm-fs").returncode == 2
    assert cli("sim", "tsm-fs", tmp_path, "--race", "x").returncode == 2
    r = cli("sim", "tsm-fs", tmp_path / "missing", "--state-dir", state)
    assert r.returncode == 1 and "cannot mount" in r.stderr


def test_auto_falls_back_to_the_simulator_loudly(state, tmp_path):
    out = tmp_path / "ev.json"
    r = attest("--tsm-path", tmp_path / "no-tsm", "--device", tmp_path / "no-dev",
               "--state-dir", state, "-o", out)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ("bptee: no TEE hardware found; using the simulated TEE (evidence is "
                        "marked simulated)\n")
    assert json.loads(out.read_text())["simulated"] is True


def test_sev_snp_never_falls_back(state, tmp_path):
    out = tmp_path / "ev.json"
    r = attest("--provider", "sev-snp", "--tsm-path", tmp_path / "no-tsm", "--device",
               tmp_path / "no-dev", "--state-dir", state, "-o", out)
    assert r.returncode == 1 and "never simulates" in r.stderr
    assert "simulated TEE" not in r.stderr and not out.exists()


def test_policy_can_trust_the_simulation_root(sim, tsm, tmp_path):
    out = tmp_path / "ev.json"
    assert attest("--tsm-path", tsm, "-o", out).returncode == 0
    policy = tmp_path / "roots.json"
    policy.write_text(json.dumps({"sev_snp": {"trusted_roots": [sim.ark_fingerprint()]}}))
    ok = cli("verify", "--policy", policy, out)
    assert ok.returncode == 0, ok.stderr
    policy.write_text(json.dumps({"sev_snp": {"trusted_roots": ["00" * 32]}}))
    assert cli("verify", "--policy", policy, out).returncode == 1
