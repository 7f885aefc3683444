# SPDX-License-Identifier: Apache-2.0
"""`bptee agent`: the HTTP API, the job socket, the attested signing key, shutdown.

The agent runs as a real process on the simulated TEE (a state directory shared by the
session), serving real HTTP on 127.0.0.1; jobs are played by this Python process speaking the
job socket protocol (docs/protocol.md) with socket.recvmsg for SCM_RIGHTS. The helpers here are
shared with test_provision.py."""
import array
import fcntl
import ctypes
import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import time

import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import bptee as B
from grants_util import grant
from bptee import CLI, POINTER, c_char_p, c_int, c_size_t, c_void_p, check

POLICY_SIM = {"sev_snp": {"allow_simulation": True}}
# The largest secret (BPTEE_SECRET_MAX_SIZE) and the largest body that carries it sealed in
# base64 with room for the rest of the request (BPTEE_PROVISION_BODY_MAX; docs/agent.md).
SECRET_MAX = 1 << 20
BODY_MAX = (SECRET_MAX + 16 + 2) // 3 * 4 + (64 << 10)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f)
    return str(path)


def tee_config(path, sim_dir, ttl=300, max_sessions=64, provider="sim", owners="open",
               **fields):
    """A TEE config for the agent. These tests exercise blueprint-tee's unsigned (v1)
    provisioning, which issue #8 keeps only behind "owners": "open" (test_owners.py covers
    owners); owners=None writes a config without any."""
    bptee = {"evidence_provider": provider, "sim_state_dir": str(sim_dir)}
    if owners is not None:
        bptee["owners"] = owners
    return write_json(path, {
        "requirement": "preferred", "mode": "direct", "provider_selector": "any",
        "key_exchange": {"session_ttl_secs": ttl, "max_sessions": max_sessions},
        "max_attestation_age_secs": 3600, "secret_injection": "sealed_only",
        "bptee": bptee, **fields,  # fields: other top-level keys, or these replaced
    })


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Agent:
    """A running agent; stop() sends SIGTERM and returns the exit status."""

    def __init__(self, tmp, sim_dir, ttl=300, max_sessions=64, args=(), owners="open",
                 provider="sim", **config):
        self.dir = tmp
        self.sock = os.path.join(str(tmp), "agent.sock")
        self.config = tee_config(os.path.join(str(tmp), "tee.json"), sim_dir, ttl, max_sessions,
                                 provider=provider, owners=owners, **config)
        self.log_path = os.path.join(str(tmp), "agent.log")
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [CLI, "agent", "--config", self.config, "--listen", "127.0.0.1:0",
             "--socket", self.sock, *args],
            stdout=subprocess.PIPE, stderr=self.log_file, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("ready "):
            self.proc.wait(timeout=30)
            raise RuntimeError(f"agent did not start: {line!r} {self.log()}")
        self.url = line.split()[1]
        self.port = int(self.url.rsplit(":", 1)[1])

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def request(self, method, path, body=None, headers=None, raw=False):
        """(status, headers, JSON body) of one HTTP request."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if headers is None:  # the agent reads JSON bodies only when they say so
            headers = {"Content-Type": "application/json"} if body else {}
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, dict(resp.getheaders()), data if raw else json.loads(data)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        self.log_file.close()
        return self.proc.returncode


class JobClient:
    """The job socket protocol from Python: one line out, one line (and maybe an fd) back."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(30)
        self.s.connect(path)
        self.buf = b""

    def close(self):
        self.s.close()

    def send(self, data):
        self.s.sendall(data)

    def read_line(self):
        fds = []
        while b"\n" not in self.buf:
            msg, anc, _, _ = self.s.recvmsg(4096, socket.CMSG_SPACE(4 * 4))
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.extend(array.array("i", data[:len(data) - len(data) % 4]))
            if not msg:
                return None, fds
            self.buf += msg
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(), fds

    def read_exact(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            assert chunk, "connection closed early"
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def call(self, line):
        self.send(line.encode() + b"\n")
        return self.read_line()

    def secret(self, name):
        """(reply words, fd or None)."""
        line, fds = self.call(f"SECRET {name}")
        return line, (fds[0] if fds else None)


def fetch_secret(path, name):
    """(reply line, bytes or None) of SECRET name from this process, registered for it first
    (the agent serves only a job's processes)."""
    grant(path, [name])
    c = JobClient(path)
    try:
        line, fd = c.secret(name)
        if fd is None:
            return line, None
        try:
            data = os.pread(fd, 1 << 24, 0)
        finally:
            os.close(fd)
        return line, data
    finally:
        c.close()


def provision(agent, policy_path, secrets, *extra, tmp):
    """Run `bptee provision` for {name: bytes}; returns the CompletedProcess."""
    args = []
    for name, value in secrets.items():
        p = os.path.join(str(tmp), f"secret-{name}-{time.monotonic_ns()}")
        with open(p, "wb") as f:
            f.write(value)
        args += ["--secret", f"{name}=@{p}"]
    return subprocess.run([CLI, "provision", "--agent", agent.url, "--policy", policy_path,
                           *args, *extra], capture_output=True, text=True, timeout=120)


def report_data_of(report_json):
    """REPORT_DATA (bytes 0x50..0x90) of the SEV-SNP report inside an evidence JSON."""
    ev = report_json["evidence"]
    raw = bytes(ev) if isinstance(ev, list) else __import__("base64").b64decode(ev)
    return raw[0x50:0x90]


# ---- fixtures


@pytest.fixture(scope="session")
def sim_dir(tmp_path_factory):
    """One simulated platform for the whole run (its RSA-4096 chain takes seconds to make)."""
    return tmp_path_factory.mktemp("sim") / "state"


@pytest.fixture
def policy_sim(tmp_path):
    return write_json(tmp_path / "policy-sim.json", POLICY_SIM)


@pytest.fixture
def agent(tmp_path, sim_dir):
    a = Agent(tmp_path, sim_dir)
    yield a
    a.stop()


# ---- ctypes: verification options and the signing-key check


class VerifyOpts(ctypes.Structure):
    _fields_ = [("sz", c_size_t), ("at", ctypes.c_int64), ("policy", c_void_p),
                ("vcek", c_void_p), ("vcek_len", c_size_t), ("chain", c_void_p),
                ("chain_len", c_size_t)]


policy_parse = B.fn("bptee_policy_parse", c_int, c_char_p, c_size_t, POINTER(c_void_p))
policy_free = B.fn("bptee_policy_free", None, c_void_p)
report_load = B.fn("bptee_report_load_json", c_int, c_char_p, c_size_t, POINTER(c_void_p))
report_free = B.fn("bptee_report_free", None, c_void_p)
report_save = B.fn("bptee_report_save_json", c_int, c_void_p, ctypes.c_uint,
                   POINTER(c_void_p))
sk_verify = B.fn("bptee_signing_key_verify_evidence", c_int, c_void_p, POINTER(VerifyOpts),
                 ctypes.c_char * 32, POINTER(c_void_p))
sk_report_data = B.fn("bptee_signing_key_report_data", None, c_char_p, ctypes.c_char * 64)


def verify_opts(policy_json, at=0):
    pol = c_void_p()
    data = json.dumps(policy_json).encode()
    check(policy_parse(data, len(data), ctypes.byref(pol)))
    return VerifyOpts(sz=ctypes.sizeof(VerifyOpts), at=at, policy=pol), pol


def verify_signing_key_evidence(evidence, policy_json):
    """The Ed25519 key the evidence binds (raises BpteeError when it does not verify)."""
    text = json.dumps(evidence).encode()
    rep, verified = c_void_p(), c_void_p()
    check(report_load(text, len(text), ctypes.byref(rep)))
    opts, pol = verify_opts(policy_json)
    key = (ctypes.c_char * 32)()
    try:
        check(sk_verify(rep, ctypes.byref(opts), key, ctypes.byref(verified)))
        return key.raw
    finally:
        report_free(verified)
        report_free(rep)
        policy_free(pol)


def python_measurement():
    return sha256_file("/proc/self/exe")


# ---- HTTP API: health, routing, limits, malformed bodies


def test_ready_health_and_socket_mode(agent):
    status, _, body = agent.request("GET", "/v1/health")
    assert status == 200
    assert body["status"] == "ok" and body["evidence_source"] == "simulator"
    assert body["simulated"] is True and body["secrets"] == 0
    assert len(body["signing_key"]) == 64
    st = os.stat(agent.sock)
    assert (st.st_mode & 0o777) == 0o600
    assert "SIMULATED TEE" in agent.log()


def test_unknown_path_404_and_wrong_method_405(agent):
    status, _, body = agent.request("GET", "/v1/nothing")
    assert status == 404 and "no such endpoint" in body["error"]
    status, headers, body = agent.request("GET", "/v1/secrets")
    assert status == 405 and headers["Allow"] == "POST" and "POST" in body["error"]
    status, headers, _ = agent.request("DELETE", "/v1/health")
    assert status == 405 and headers["Allow"] == "GET"
    status, _, _ = agent.request("GET", "/v1/x%0Abptee%20agent:%20forged")
    assert status == 404
    agent.stop()
    lines = agent.log().splitlines()
    assert all(line.startswith("bptee agent: ") for line in lines)
    assert "bptee agent: GET /v1/x?bptee?agent:?forged 404" in lines


def test_oversize_body_413_announced_and_chunked(agent):
    # announced: refused from the headers alone, before any of the body is sent
    with socket.create_connection(("127.0.0.1", agent.port), timeout=30) as s:
        s.sendall(b"POST /v1/secrets HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                  b"Content-Type: application/json\r\n\r\n" % (BODY_MAX + 1))
        reply = b""
        while b"}" not in reply:
            chunk = s.recv(4096)
            assert chunk
            reply += chunk
    head, body = reply.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 413")
    assert f"larger than {BODY_MAX} bytes" in json.loads(body)["error"]
    conn = http.client.HTTPConnection("127.0.0.1", agent.port, timeout=30)
    conn.request("POST", "/v1/secrets", body=iter([b"y" * 65536] * 24), encode_chunked=True,
                 headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    assert resp.status == 413 and "larger than" in json.loads(resp.read())["error"]
    conn.close()
    # the twin: a body at the limit is read and judged on its content
    status, _, body = agent.request("POST", "/v1/secrets", b" " * BODY_MAX)
    assert status == 400 and "413" not in body["error"]


@pytest.mark.parametrize("body,needle", [
    (b"{not json", "line 1 column"),
    (b"[]", "expected a JSON object"),
    (b'{"payload": {}}', "name: required"),
    (b'{"name": "db"}', "payload: required"),
    (b'{"name": "../x", "payload": {}}', "name: character 3"),
    (b'{"name": "db", "payload": {}, "owners": "alice"}', "unknown key 'owners'"),
    (b'{"name": "db", "payload": {}, "owner": "alice"}', "signature: required"),
    (b'{"name": "db", "payload": {}, "owner": "al ice", "signature": ""}', "owner: expected"),
    (b'{"name": "db", "payload": {}, "version": 0}', "version: expected an integer"),
    (b'{"name": "db", "payload": {}, "allow": {"uids": [-1]}}', "allow.uids[0]"),
    (b'{"name": "db", "payload": {}, "allow": {"measurements": ["abc"]}}',
     "allow.measurements[0]"),
    (b'{"name": "db", "payload": {"ciphertext": [1]}}', "session_id"),
    (b'{"name": "db", "name": "x", "payload": {}}', "duplicate"),
])
def test_secrets_malformed_400_names_the_field(agent, body, needle):
    status, headers, reply = agent.request("POST", "/v1/secrets", body)
    assert status == 400, reply
    assert headers["Content-Type"] == "application/json"
    assert needle in reply["error"]


def test_sessions_malformed_nonce_400(agent):
    status, _, body = agent.request("POST", "/v1/sessions", {"nonce": "zz"})
    assert status == 400 and "nonce" in body["error"]
    status, _, body = agent.request("POST", "/v1/sessions", b"{")
    assert status == 400 and "key exchange request" in body["error"]
    assert agent.request("GET", "/v1/health")[2]["sessions"] == 0


# ---- key exchange offers


def test_offer_binds_key_to_request_nonce(agent):
    nonce = os.urandom(32)
    status, _, offer = agent.request("POST", "/v1/sessions", {"nonce": nonce.hex()})
    assert status == 200
    key = bytes.fromhex(offer["public_key_hex"])
    assert len(offer["session_id"]) == 32 and offer["nonce"] == nonce.hex()
    want = hashlib.sha512(nonce + key).digest()
    att = offer["attestation"]
    assert report_data_of(att) == want  # the evidence itself binds nonce and key
    binding = att["public_key_binding"]
    assert bytes(binding["public_key"]) == key and binding["key_type"] == "x25519"
    assert binding["binding_digest"] == want.hex()
    assert isinstance(att["evidence"], list)  # blueprint-tee's integer arrays
    # the twin: another nonce does not match what the evidence binds
    assert report_data_of(att) != hashlib.sha512(os.urandom(32) + key).digest()


def test_offer_without_nonce_generates_one(agent):
    status, _, offer = agent.request("POST", "/v1/sessions", b"")
    assert status == 200
    nonce, key = bytes.fromhex(offer["nonce"]), bytes.fromhex(offer["public_key_hex"])
    assert report_data_of(offer["attestation"]) == hashlib.sha512(nonce + key).digest()
    _, _, other = agent.request("POST", "/v1/sessions", {})
    assert other["nonce"] != offer["nonce"] and other["session_id"] != offer["session_id"]


def test_max_sessions_reached_429(tmp_path, sim_dir):
    a = Agent(tmp_path, sim_dir, max_sessions=2)
    try:
        assert a.request("POST", "/v1/sessions", {})[0] == 200
        assert a.request("POST", "/v1/sessions", {})[0] == 200
        status, _, body = a.request("POST", "/v1/sessions", {})
        assert status == 429
        assert body["error"] == "key exchange failed: maximum session limit reached (2)"
    finally:
        assert a.stop() == 0


def test_attestation_endpoint_binds_nonce(agent):
    nonce = bytes(range(1, 17))
    status, _, rep = agent.request("GET", "/v1/attestation?nonce=" + nonce.hex())
    assert status == 200
    assert report_data_of(rep) == nonce + bytes(48)
    assert rep["simulated"] is True and rep["provider"] == "amd_sev_snp"
    for bad in ["", "?nonce=", "?nonce=abc", "?nonce=zz", "?nonce=" + "00" * 65]:
        status, _, body = agent.request("GET", "/v1/attestation" + bad)
        assert status == 400 and "nonce" in body["error"]


# ---- the attested signing key


def test_signing_key_evidence_verifies_and_binds_key(agent):
    status, _, body = agent.request("GET", "/v1/signing-key")
    assert status == 200 and body["key_type"] == "ed25519"
    key = bytes.fromhex(body["public_key_hex"])
    tag = b"bptee-signing-key-v1\x00"
    assert report_data_of(body["attestation"]) == hashlib.sha512(tag + key).digest()
    assert verify_signing_key_evidence(body["attestation"], POLICY_SIM) == key
    assert body["attestation_digest"] == hashlib.sha256(
        bytes(body["attestation"]["evidence"])).hexdigest()


def test_signing_key_evidence_rejects(agent):
    _, _, body = agent.request("GET", "/v1/signing-key")
    ev = body["attestation"]
    with pytest.raises(B.BpteeError) as e:  # the default policy refuses the simulator
        verify_signing_key_evidence(ev, {})
    assert e.value.name == "EPOLICY" and "simulat" in e.value.reason
    forged = json.loads(json.dumps(ev))
    other = os.urandom(32)
    forged["public_key_binding"]["public_key"] = list(other)
    forged["public_key_binding"]["binding_digest"] = hashlib.sha512(
        b"bptee-signing-key-v1\x00" + other).hexdigest()
    with pytest.raises(B.BpteeError) as e:  # a key the evidence does not bind
        verify_signing_key_evidence(forged, POLICY_SIM)
    assert e.value.name == "EVERIFY" and "REPORT_DATA does not bind" in e.value.reason
    forged = json.loads(json.dumps(ev))
    forged["public_key_binding"]["key_type"] = "x25519"
    with pytest.raises(B.BpteeError) as e:
        verify_signing_key_evidence(forged, POLICY_SIM)
    assert "key_type" in e.value.reason


DOC_PK = bytes.fromhex("03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8")


def test_signing_key_report_data_layout():
    """The vectors in docs/formats.md, "Attested signing key"."""
    out = (ctypes.c_char * 64)()
    sk_report_data(DOC_PK, out)
    assert out.raw.hex() == (
        "bfbe2e9da6b35a428be98af49eee67bf16aafb488895885b0d73c372792672592e8a8d9ba7cb8acc3af5fe44"
        "382c9a09d6f2e99a75d2fbae12e5fe084f1091aa")
    sk_report_data(bytes(range(32)), out)
    assert out.raw == hashlib.sha512(b"bptee-signing-key-v1\x00" + bytes(range(32))).digest()
    assert out.raw.hex().startswith("d7249cec881d41a4")


def test_refresh_reattests_same_key(agent):
    _, _, before = agent.request("GET", "/v1/signing-key")
    status, _, after = agent.request("POST", "/v1/attestation/refresh", b"")
    assert status == 200
    assert after["public_key_hex"] == before["public_key_hex"]
    assert after["attestation_digest"] != before["attestation_digest"]
    assert verify_signing_key_evidence(after["attestation"], POLICY_SIM).hex() == \
        before["public_key_hex"]
    _, _, now = agent.request("GET", "/v1/signing-key")
    assert now["attestation_digest"] == after["attestation_digest"]


# ---- end to end: provision over HTTP, fetch over the job socket


def test_provision_two_secrets_and_fetch_sealed_memfds(agent, policy_sim, tmp_path):
    secrets = {"db_password": b"hunter2\n", "api_key": os.urandom(3000)}
    r = provision(agent, policy_sim, secrets, tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("provisioned ") == 2
    grant(agent.sock, list(secrets))
    for name, value in secrets.items():
        c = JobClient(agent.sock)
        line, fd = c.secret(name)
        c.close()
        assert line == f"OK {len(value)} 1" and fd is not None
        try:
            assert os.pread(fd, 1 << 20, 0) == value
            seals = fcntl.fcntl(fd, 1034)  # F_GET_SEALS
            assert seals & 0xF == 0xF  # SEAL, SHRINK, GROW, WRITE
            assert fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY
            with pytest.raises(OSError):
                os.write(fd, b"x")
            wfd = os.open(f"/proc/self/fd/{fd}", os.O_WRONLY)  # reopened for writing:
            try:
                with pytest.raises(PermissionError):  # F_SEAL_WRITE still refuses
                    os.write(wfd, b"x")
                with pytest.raises(PermissionError):  # and F_SEAL_SHRINK truncation
                    os.ftruncate(wfd, 0)
            finally:
                os.close(wfd)
            assert os.pread(fd, 1 << 20, 0) == value
        finally:
            os.close(fd)
    assert agent.stop() == 0  # every log line is written once it has stopped
    log = agent.log()
    for value in secrets.values():  # no secret in a log line
        assert value.decode("latin-1") not in log and value.hex() not in log
    assert "secret db_password version 1 delivered" in log


# ---- the job socket


def test_allow_list_refuses_other_binaries(agent, policy_sim, tmp_path):
    cat = sha256_file("/bin/cat")
    r = provision(agent, policy_sim, {"only_cat": b"meow"}, "--allow-measurement", cat,
                  tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    line, data = fetch_secret(agent.sock, "only_cat")
    assert line.startswith("ERR denied ") and data is None
    assert python_measurement() in line
    log = agent.log()
    assert "secret only_cat refused to pid" in log and python_measurement() in log
    r = provision(agent, policy_sim, {"for_python": b"hiss"}, "--allow-measurement",
                  python_measurement().upper(), tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    assert fetch_secret(agent.sock, "for_python") == ("OK 4 1", b"hiss")


def test_allow_list_by_uid(agent, policy_sim, tmp_path):
    r = provision(agent, policy_sim, {"other_uid": b"a"}, "--allow-uid", "12345", tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    line, _ = fetch_secret(agent.sock, "other_uid")
    assert line.startswith("ERR denied ") and f"uid {os.getuid()}" in line
    r = provision(agent, policy_sim, {"my_uid": b"b"}, "--allow-uid", str(os.getuid()),
                  tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    assert fetch_secret(agent.sock, "my_uid") == ("OK 1 1", b"b")


def test_sign_verifies_over_documented_layout(agent):
    _, _, sk = agent.request("GET", "/v1/signing-key")
    pub = Ed25519PublicKey.from_public_bytes(bytes.fromhex(sk["public_key_hex"]))
    result = hashlib.sha256(b'{"answer": 42}').digest()
    grant(agent.sock, ["unused"], job_id="job-7")
    grant(agent.sock, ["unused"], job_id="job-8")
    c = JobClient(agent.sock)
    line, _ = c.call(f"SIGN job-7 {result.hex()} -")
    words = line.split()
    assert words[0] == "OK" and len(words) == 5
    sig, meas, res, argv = (bytes.fromhex(w) for w in words[1:])
    assert meas.hex() == python_measurement() and res == result
    with open("/proc/self/cmdline", "rb") as f:
        assert argv == hashlib.sha256(f.read()).digest()
    msg = b"bptee-job-result-v1\x00" + result + meas + argv + b"job-7"
    pub.verify(sig, msg)  # raises if it does not verify
    with pytest.raises(Exception):  # the twin: any other result digest
        pub.verify(sig, msg.replace(result, hashlib.sha256(b"other").digest()))
    given = hashlib.sha256(b"argv\0").digest()
    line, _ = c.call(f"SIGN job-8 {result.hex()} {given.hex()}")
    c.close()
    words = line.split()
    assert bytes.fromhex(words[4]) == given
    pub.verify(bytes.fromhex(words[1]),
               b"bptee-job-result-v1\x00" + result + meas + given + b"job-8")


def test_attest_over_socket_matches_http(agent):
    _, _, sk = agent.request("GET", "/v1/signing-key")
    c = JobClient(agent.sock)
    line, _ = c.call("ATTEST")
    ok, length, key = line.split()
    assert ok == "OK" and key == sk["public_key_hex"]
    ev = json.loads(c.read_exact(int(length)))
    assert verify_signing_key_evidence(ev, POLICY_SIM).hex() == key
    line, _ = c.call("REFRESH")
    ok, length, key2 = line.split()
    fresh = json.loads(c.read_exact(int(length)))
    assert key2 == key and fresh["evidence"] != ev["evidence"]
    assert c.call("PING")[0] == "OK 1"  # the stream stayed in step
    c.close()


@pytest.mark.parametrize("line,kind,needle", [
    ("HELLO", "unsupported", "unknown command"),
    ("SECRET", "parse", "SECRET <name>"),
    ("SECRET  db", "parse", "empty word"),
    ("SECRET ..", "parse", "must not be"),
    ("SECRET a/b", "parse", "character 2"),
    ("SIGN j " + "0" * 63 + " -", "parse", "hex digits"),
    ("SIGN j/k " + "0" * 64 + " -", "parse", "job id"),
    ("SIGN j " + "0" * 64, "parse", "SIGN <job-id>"),
    ("PING extra", "parse", "no arguments"),
    ("SECRET db\r", "parse", "printable"),
])
def test_job_protocol_errors(agent, line, kind, needle):
    c = JobClient(agent.sock)
    reply, fds = c.call(line)
    assert reply.startswith(f"ERR {kind} ") and needle in reply and not fds
    assert c.call("PING")[0] == "OK 1"  # a bad line does not end the connection
    c.close()


def test_job_line_too_long_closes(agent):
    c = JobClient(agent.sock)
    c.send(b"SECRET " + b"a" * 600 + b"\n")
    reply, _ = c.read_line()
    assert reply.startswith("ERR limit ")
    assert c.read_line()[0] is None  # hung up: the stream is out of step
    c.close()


def test_unknown_secret_err_notfound(agent):
    assert fetch_secret(agent.sock, "nope") == ("ERR notfound secret not found: nope", None)


# ---- concurrency


def test_many_clients_provision_at_once(agent, policy_sim, tmp_path):
    values = {f"s{i:02d}": os.urandom(64 + i) for i in range(24)}
    results = {}
    # All from 127.0.0.1: at most 8 unfinished request heads per address are let in (the
    # front door's limit, tested in test_agent_limits.py); a loaded machine reads heads late.
    gate = threading.BoundedSemaphore(6)

    def one(name):
        with gate:
            results[name] = provision(agent, policy_sim, {name: values[name]}, tmp=tmp_path)

    threads = [threading.Thread(target=one, args=(n,)) for n in values]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name, r in results.items():
        assert r.returncode == 0, (name, r.stderr)
    assert agent.request("GET", "/v1/health")[2]["secrets"] == len(values)
    got = {}

    def fetch(names):
        for n in names:
            got[n] = fetch_secret(agent.sock, n)[1]

    names = sorted(values)
    threads = [threading.Thread(target=fetch, args=(names[i::6],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == values
    assert agent.proc.poll() is None


def test_many_job_connections_at_once(agent, policy_sim, tmp_path):
    """One process may hold 8 connections at once (the per-peer limit), all served in
    parallel."""
    assert provision(agent, policy_sim, {"shared": b"s3cret"}, tmp=tmp_path).returncode == 0
    grant(agent.sock, ["shared"])
    errors = []

    def loop():
        c = JobClient(agent.sock)
        for _ in range(50):
            line, fd = c.secret("shared")
            if fd is None or os.pread(fd, 64, 0) != b"s3cret":
                errors.append(line)
            if fd is not None:
                os.close(fd)
        c.close()

    threads = [threading.Thread(target=loop) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# ---- lifecycle


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_cleanly_and_removes_socket(tmp_path, sim_dir, policy_sim, sig):
    a = Agent(tmp_path, sim_dir)
    assert provision(a, policy_sim, {"x": b"y"}, tmp=tmp_path).returncode == 0
    c = JobClient(a.sock)  # an idle job connection must not hold shutdown up
    assert c.call("PING")[0] == "OK 1"
    assert os.path.exists(a.sock)
    assert a.stop(sig) == 0
    assert not os.path.exists(a.sock)
    assert c.read_line()[0] is None
    c.close()
    assert "sessions, secrets and the signing key are wiped" in a.log()


def test_restart_forgets_secrets(tmp_path, sim_dir, policy_sim):
    a = Agent(tmp_path, sim_dir)
    assert provision(a, policy_sim, {"gone": b"soon"}, tmp=tmp_path).returncode == 0
    assert fetch_secret(a.sock, "gone")[1] == b"soon"
    _, _, key1 = a.request("GET", "/v1/signing-key")
    a.stop()
    b = Agent(tmp_path, sim_dir)
    try:
        assert fetch_secret(b.sock, "gone")[0].startswith("ERR notfound")
        _, _, key2 = b.request("GET", "/v1/signing-key")
        assert key2["public_key_hex"] != key1["public_key_hex"]  # a new key per start
    finally:
        b.stop()


def test_second_agent_on_same_socket_refused(agent, tmp_path, sim_dir):
    r = B.cli("agent", "--config", agent.config, "--listen", "127.0.0.1:0", "--socket",
              agent.sock)
    assert r.returncode == 1 and "another agent pid" in r.stderr
    assert fetch_secret(agent.sock, "x")[0].startswith("ERR notfound")  # still serving


def test_stale_socket_replaced_and_non_socket_refused(tmp_path, sim_dir):
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(tmp_path / "agent.sock"))
    stale.close()  # a socket file with nobody behind it
    a = Agent(tmp_path, sim_dir)
    a.stop()
    path = tmp_path / "plain"
    path.write_text("not a socket")
    r = B.cli("agent", "--config", a.config, "--listen", "127.0.0.1:0", "--socket", path)
    assert r.returncode == 1 and "not a socket" in r.stderr
    assert path.read_text() == "not a socket"


def test_startup_errors(tmp_path, sim_dir):
    cfg = tee_config(tmp_path / "tee.json", sim_dir)
    sock = str(tmp_path / "s")
    r = B.cli("agent", "--config", cfg, "--socket", sock)
    assert r.returncode == 2 and "--listen" in r.stderr
    r = B.cli("agent", "--config", cfg, "--listen", "nowhere", "--socket", sock)
    assert r.returncode == 1 and "HOST:PORT" in r.stderr
    assert not os.path.exists(sock)
    r = B.cli("agent", "--config", cfg, "--listen", "127.0.0.1:0", "--socket", sock,
              "--provider", "sgx")
    assert r.returncode == 2 and "--provider" in r.stderr
    r = B.cli("agent", "--config", tmp_path / "missing.json", "--listen", "127.0.0.1:0",
              "--socket", sock)
    assert r.returncode == 1 and "missing.json" in r.stderr
    # no hardware here: sev-snp never falls back to the simulator
    env = dict(os.environ, BPTEE_TSM_PATH=str(tmp_path / "no-tsm"),
               BPTEE_SEV_GUEST_PATH=str(tmp_path / "no-dev"))
    r = B.run([CLI, "agent", "--config", cfg, "--listen", "127.0.0.1:0", "--socket", sock,
               "--provider", "sev-snp"], env=env)
    assert r.returncode == 1 and "evidence" in r.stderr and "SIMULATED" not in r.stderr
    assert B.cli("agent", "--help").returncode == 0


def test_port_in_use_refused(agent, tmp_path, sim_dir):
    cfg = tee_config(tmp_path / "tee2.json", sim_dir)
    r = B.cli("agent", "--config", cfg, "--listen", f"127.0.0.1:{agent.port}", "--socket",
              tmp_path / "s2")
    assert r.returncode == 1 and "cannot listen" in r.stderr
    assert not os.path.exists(tmp_path / "s2")


# ---- the job protocol codec and the result layout, through the C API


class JobRequest(ctypes.Structure):
    _fields_ = [("cmd", c_int), ("name", ctypes.c_char * 129), ("job_id", ctypes.c_char * 129),
                ("result_sha256", ctypes.c_uint8 * 32), ("has_argv_sha256", ctypes.c_bool),
                ("argv_sha256", ctypes.c_uint8 * 32), ("has_for_measurement", ctypes.c_bool),
                ("for_measurement", ctypes.c_uint8 * 32), ("want_slot", ctypes.c_bool),
                ("pid", ctypes.c_int32), ("n_names", c_size_t), ("names", ctypes.c_char * 512),
                ("version", ctypes.c_uint64)]


class JobReply(ctypes.Structure):
    _fields_ = [("cmd", c_int), ("error", c_int), ("reason", ctypes.c_char * 512),
                ("size", ctypes.c_uint64), ("version", ctypes.c_uint64),
                ("signature", ctypes.c_uint8 * 64), ("measurement", ctypes.c_uint8 * 32),
                ("result_sha256", ctypes.c_uint8 * 32), ("argv_sha256", ctypes.c_uint8 * 32),
                ("length", ctypes.c_uint64), ("public_key", ctypes.c_uint8 * 32),
                ("protocol", ctypes.c_uint32), ("has_slot", ctypes.c_bool),
                ("slot", ctypes.c_uint32)]


req_parse = B.fn("bptee_job_request_parse", c_int, c_char_p, c_size_t, POINTER(JobRequest))
req_format = B.fn("bptee_job_request_format", c_int, POINTER(JobRequest), c_char_p, c_size_t,
                  POINTER(c_size_t))
rep_parse = B.fn("bptee_job_reply_parse", c_int, c_int, c_char_p, c_size_t, POINTER(JobReply))
rep_format = B.fn("bptee_job_reply_format", c_int, POINTER(JobReply), c_char_p, c_size_t,
                  POINTER(c_size_t))
result_message = B.fn("bptee_job_result_message", c_int, c_char_p, c_char_p, c_char_p,
                      c_char_p, c_char_p, c_size_t, POINTER(c_size_t))
argv_digest = B.fn("bptee_job_argv_digest", None, POINTER(c_char_p), c_size_t,
                   ctypes.c_char * 32)
CMD = {"PING": 1, "SECRET": 2, "SIGN": 3, "ATTEST": 4, "REFRESH": 5}


def parse_request(line):
    r = JobRequest()
    check(req_parse(line, len(line), ctypes.byref(r)))
    return r


def format_request(r):
    out, n = ctypes.create_string_buffer(600), c_size_t()
    check(req_format(ctypes.byref(r), out, 600, ctypes.byref(n)))
    return out.raw[:n.value]


@pytest.mark.parametrize("line", [
    b"PING\n", b"ATTEST\n", b"REFRESH\n", b"SECRET db_password\n", b"SECRET a.b-c_9\n",
    b"SIGN job-1 " + b"ab" * 32 + b" -\n",
    b"SIGN j:1@x+y " + b"00" * 32 + b" " + b"11" * 32 + b"\n",
    b"SECRET db " + b"ab" * 32 + b"\n",
    b"SIGN j " + b"00" * 32 + b" " + b"11" * 32 + b" " + b"22" * 32 + b"\n",
])
def test_job_request_round_trip(line):
    assert format_request(parse_request(line)) == line


@pytest.mark.parametrize("line,code", [
    (b"PING", "EPARSE"), (b"PING\n\n", "EPARSE"), (b"", "EPARSE"), (b"NOPE\n", "EUNSUPPORTED"),
    (b"SECRET .\n", "EPARSE"), (b"SECRET " + b"a" * 129 + b"\n", "EPARSE"),
    (b"SECRET a\x00b\n", "EPARSE"), (b" PING\n", "EPARSE"), (b"PING \n", "EPARSE"),
    (b"SIGN " + b"j" * 129 + b" " + b"00" * 32 + b" -\n", "EPARSE"),
    (b"SIGN j " + b"0g" * 32 + b" -\n", "EPARSE"),
    (b"SECRET db " + b"ab" * 31 + b"\n", "EPARSE"),
    (b"SECRET db " + b"ab" * 32 + b" x\n", "EPARSE"),
    (b"SECRET " + b"a" * 600 + b"\n", "ELIMIT"),
])
def test_job_request_rejects(line, code):
    r = JobRequest()
    rc = req_parse(line, len(line), ctypes.byref(r))
    assert B.NAMES[rc] == code, B.last_error()


def test_job_request_format_refuses_bad_fields():
    r = JobRequest(cmd=CMD["SECRET"], name=b"a b")
    out, n = ctypes.create_string_buffer(600), c_size_t()
    assert req_format(ctypes.byref(r), out, 600, ctypes.byref(n)) < 0
    r = JobRequest(cmd=CMD["SECRET"], name=b"ok")
    assert format_request(r) == b"SECRET ok\n"


def test_job_secret_slot_word_round_trips():
    r = JobRequest()
    line = b"SECRET db job=j-1 slot\n"
    check(req_parse(line, len(line), ctypes.byref(r)))
    assert r.want_slot and r.job_id == b"j-1" and r.name == b"db"
    assert format_request(r) == line
    line = b"SECRET db\n"
    check(req_parse(line, len(line), ctypes.byref(r)))
    assert not r.want_slot
    for bad in (b"SECRET slot slot extra\n", b"SECRET db slot job=j\n", b"SECRET db slots\n"):
        assert req_parse(bad, len(bad), ctypes.byref(r)) < 0, bad
    rep = JobReply()
    line = b"OK 7 3 12\n"
    check(rep_parse(CMD["SECRET"], line, len(line), ctypes.byref(rep)))
    assert rep.has_slot and rep.slot == 12 and rep.version == 3
    out, n = ctypes.create_string_buffer(600), c_size_t()
    check(rep_format(ctypes.byref(rep), out, 600, ctypes.byref(n)))
    assert out.raw[:n.value] == line
    for bad in (b"OK 7 3 4096\n", b"OK 7 3 x\n", b"OK 7 3 1 2\n"):
        assert rep_parse(CMD["SECRET"], bad, len(bad), ctypes.byref(rep)) < 0, bad


def test_job_grant_lines_codec():
    m = "ab" * 32
    for line in (f"JOB run-9 {m}\n".encode(), b"WATCH\n", b"GRANT hand-1 5000 db api.key\n",
                 b"ACK db 2\n", b"ACK db 0\n"):
        assert format_request(parse_request(line)) == line
    r = parse_request(b"GRANT hand-1 5000 db api.key\n")
    assert (r.cmd, r.job_id, r.pid, r.n_names, r.names) == (10, b"hand-1", 5000, 2, b"db api.key")
    r = parse_request(f"JOB run-9 {m}\n".encode())
    assert r.cmd == 8 and r.has_for_measurement and bytes(r.for_measurement).hex() == m
    for bad in (b"GRANT j 5000\n", b"GRANT j 0 db\n", b"GRANT j 05 db\n", b"GRANT j 5 a/b\n",
                b"GRANT j/k 5 db\n", b"JOB j\n", b"JOB j " + b"a" * 63 + b"\n", b"WATCH x\n",
                b"ACK db\n", b"ACK db -1\n", b"GRANT j 4294967296 db\n"):
        r = JobRequest()
        assert req_parse(bad, len(bad), ctypes.byref(r)) < 0, bad
    rep = JobReply()
    for cmd in (8, 9, 10):
        check(rep_parse(cmd, b"OK\n", 3, ctypes.byref(rep)))
        assert rep_parse(cmd, b"OK 1\n", 5, ctypes.byref(rep)) < 0


class JobPush(ctypes.Structure):
    _fields_ = [("kind", c_int), ("name", ctypes.c_char * 129), ("size", ctypes.c_uint64),
                ("version", ctypes.c_uint64), ("error", c_int), ("reason", ctypes.c_char * 512)]


push_parse = B.fn("bptee_job_push_parse", c_int, c_char_p, c_size_t, POINTER(JobPush))
push_format = B.fn("bptee_job_push_format", c_int, POINTER(JobPush), c_char_p, c_size_t,
                   POINTER(c_size_t))


def test_job_push_codec():
    out, n = ctypes.create_string_buffer(600), c_size_t()
    for line in (b"CHANGED db 9 2\n", b"REVOKED db denied secret revoked: db\n",
                 b"REVOKED db notfound\n"):
        p = JobPush()
        check(push_parse(line, len(line), ctypes.byref(p)))
        check(push_format(ctypes.byref(p), out, 600, ctypes.byref(n)))
        assert out.raw[:n.value] == line
    p = JobPush()
    line = b"REVOKED db denied secret revoked: db\n"
    check(push_parse(line, len(line), ctypes.byref(p)))
    assert (p.kind, p.name, p.error, p.reason) == (2, b"db", B.CODES["EDENIED"],
                                                   b"secret revoked: db")
    for bad in (b"CHANGED db 9\n", b"CHANGED a/b 1 1\n", b"REVOKED db\n", b"REVOKED  x y\n",
                b"GONE db\n", b"CHANGED db 9 2"):
        assert push_parse(bad, len(bad), ctypes.byref(p)) < 0, bad


def test_job_result_request_codec():
    r = JobRequest()
    line = b"RESULT job-7\n"
    check(req_parse(line, len(line), ctypes.byref(r)))
    assert r.cmd == 7 and r.job_id == b"job-7"
    assert format_request(r) == line
    for bad in (b"RESULT\n", b"RESULT a b\n", b"RESULT a/b\n"):
        assert req_parse(bad, len(bad), ctypes.byref(r)) < 0, bad
    rep = JobReply()
    check(rep_parse(7, b"OK\n", 3, ctypes.byref(rep)))
    assert rep_parse(7, b"OK 1\n", 5, ctypes.byref(rep)) < 0


def test_job_result_needs_its_descriptors(agent):
    c = JobClient(agent.sock)
    line, fds = c.call("RESULT job-1")  # not a process of job-1 yet
    assert line.startswith("ERR denied ") and line.endswith("registered for job job-1")
    grant(agent.sock, ["unused"], job_id="job-1")
    line, fds = c.call("RESULT job-1")
    assert line.startswith("ERR invalid RESULT needs two descriptors") and not fds
    with open(agent.log_path) as f:  # a regular file but no directory
        c.s.sendmsg([b"RESULT job-1\n"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                           array.array("i", [f.fileno(), f.fileno()]))])
        line, fds = c.read_line()
    assert line.startswith("ERR invalid RESULT needs the result file") and not fds
    c.close()


def test_job_reply_round_trip_and_errors():
    sig, m = bytes(range(64)), bytes(range(32, 64))
    lines = {
        "SECRET": b"OK 7 3\n", "PING": b"OK 1\n",
        "SIGN": b"OK " + sig.hex().encode() + b" " + m.hex().encode() + b" " +
                b"00" * 32 + b" " + b"ff" * 32 + b"\n",
        "ATTEST": b"OK 8458 " + b"cd" * 32 + b"\n",
    }
    for cmd, line in lines.items():
        r = JobReply()
        check(rep_parse(CMD[cmd], line, len(line), ctypes.byref(r)))
        assert r.error == 0
        out, n = ctypes.create_string_buffer(600), c_size_t()
        check(rep_format(ctypes.byref(r), out, 600, ctypes.byref(n)))
        assert out.raw[:n.value] == line
    r = JobReply()
    line = b"ERR denied secret db: binary abc is not allowed\n"
    check(rep_parse(CMD["SECRET"], line, len(line), ctypes.byref(r)))
    assert B.NAMES[r.error] == "EDENIED"
    assert r.reason == b"secret db: binary abc is not allowed"
    for bad in [b"OK 07 1\n", b"OK 1\n", b"OK -1 1\n", b"OK 18446744073709551616 1\n",
                b"MAYBE\n", b"ERR\n"]:
        assert rep_parse(CMD["SECRET"], bad, len(bad), ctypes.byref(r)) < 0, bad


def test_job_result_message_layout():
    res, meas, argv = bytes([1]) * 32, bytes([2]) * 32, bytes([3]) * 32
    out, n = ctypes.create_string_buffer(300), c_size_t()
    check(result_message(res, meas, argv, b"job-1", out, 300, ctypes.byref(n)))
    msg = out.raw[:n.value]
    assert msg == b"bptee-job-result-v1\x00" + res + meas + argv + b"job-1"
    assert len(msg) == 121
    assert result_message(res, meas, argv, b"bad id", out, 300, ctypes.byref(n)) < 0
    assert result_message(res, meas, argv, b"job-1", out, 120, ctypes.byref(n)) < 0


result_verify = B.fn("bptee_job_result_verify", c_int, c_char_p, c_char_p, c_char_p, c_char_p,
                     c_char_p, c_char_p)


def test_job_result_vector_from_docs():
    """docs/formats.md, "Job result signature": made with Python's Ed25519, checked in C."""
    res = hashlib.sha256(b'{"answer":42}\n').digest()
    meas = hashlib.sha256(b"").digest()
    argv = hashlib.sha256(b"/bin/echo\0hello\0").digest()
    sig = bytes.fromhex(
        "5192eae9b77b25231afc0e1494b9cb06314c6f065bfa5d89749195a9f124a9ea66afd28be52edb835a91fb5e"
        "8c665bd28156d376dd914d2618c351e2c980aa05")
    check(result_verify(DOC_PK, sig, res, meas, argv, b"job-1"))
    for args in [(DOC_PK, sig, res, meas, argv, b"job-2"), (DOC_PK, sig, meas, res, argv, b"job-1"),
                 (DOC_PK, sig[:-1] + b"\x04", res, meas, argv, b"job-1"),
                 (bytes(32), sig, res, meas, argv, b"job-1")]:
        rc = result_verify(*args)
        assert B.NAMES[rc] == "EVERIFY", B.last_error()


def test_argv_digest_matches_cmdline():
    args = [b"/bin/cat", b"-n", b""]
    arr = (c_char_p * 3)(*args)
    out = (ctypes.c_char * 32)()
    argv_digest(arr, 3, out)
    assert out.raw == hashlib.sha256(b"/bin/cat\0-n\0\0").digest()


# ---- a launcher (`bptee run`) acting for a job binary


SHIM = os.path.join(B.TESTC, "agent_for_shim.so")


def as_bptee(sock, line):
    """Send line from a process running the bptee binary (the test shim preloaded into it)."""
    pre = " ".join(filter(None, [os.environ.get("LD_PRELOAD"), SHIM]))
    env = dict(os.environ, LD_PRELOAD=pre, SHIM_SOCKET=sock, SHIM_LINE=line)
    r = subprocess.run([CLI, "--version"], env=env, capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_secret_for_a_job_binary_only_from_bptee(agent, policy_sim, tmp_path):
    cat = sha256_file("/bin/cat")
    assert provision(agent, policy_sim, {"only_cat": b"meow"}, "--allow-measurement", cat,
                     tmp=tmp_path).returncode == 0
    assert as_bptee(agent.sock, f"JOB j-1 {cat}\nSECRET only_cat {cat} job=j-1") == \
        b"OK\nOK 4 1\nmeow"
    # the twins: bptee for itself is not cat; without a JOB on its connection, nor for
    # another job id than the one registered, it may not act for cat either
    assert as_bptee(agent.sock, "SECRET only_cat").startswith(b"ERR denied ")
    reply = as_bptee(agent.sock, f"SECRET only_cat {cat} job=j-1")
    assert reply.startswith(b"ERR denied ") and b"no job registered on this connection" in reply
    reply = as_bptee(agent.sock, f"JOB j-1 {cat}\nSECRET only_cat {cat} job=j-2")
    assert reply.startswith(b"OK\nERR denied ") and b"keeps job j-1" in reply
    line, data = JobClient(agent.sock).secret(f"only_cat {cat}")
    assert line.startswith("ERR denied only the agent's own binary") and data is None
    assert f"runs {python_measurement()}" in line


def test_sign_for_a_job_binary(agent):
    _, _, sk = agent.request("GET", "/v1/signing-key")
    pub = Ed25519PublicKey.from_public_bytes(bytes.fromhex(sk["public_key_hex"]))
    cat = sha256_file("/bin/cat")
    res, argv = hashlib.sha256(b"out").digest(), hashlib.sha256(b"/bin/cat\0f\0").digest()
    reply = as_bptee(agent.sock, f"SIGN job-3 {res.hex()} {argv.hex()} {cat}").decode()
    words = reply.split()
    assert words[0] == "OK" and words[2] == cat
    pub.verify(bytes.fromhex(words[1]), b"bptee-job-result-v1\x00" + res +
               bytes.fromhex(cat) + argv + b"job-3")
    reply = as_bptee(agent.sock, f"SIGN job-3 {res.hex()} - {cat}").decode()
    assert reply.startswith("ERR invalid ") and "argv digest" in reply
    c = JobClient(agent.sock)
    line, _ = c.call(f"SIGN job-3 {res.hex()} {argv.hex()} {cat}")
    c.close()
    assert line.startswith("ERR denied only the agent's own binary")
