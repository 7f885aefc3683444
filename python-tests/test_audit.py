# SPDX-License-Identifier: Apache-2.0
"""The agent's access log (issue #8): every provision, rotation, revocation, refused write and
delivery to a job is on record, hash-chained, never with a secret's bytes; GET /v1/audit
signs it with the attested key, `bptee audit verify` checks it offline, and any edit (a byte of
an entry, a dropped or reordered entry, a truncated signature, another nonce) is caught. The
chain is also recomputed here from docs/formats.md, independently of the library."""
import base64
import copy
import ctypes
import hashlib
import json
import os
import stat
import subprocess
import sys
import types
from ctypes import POINTER, byref, c_char_p, c_int, c_size_t, c_uint8, c_uint64, c_void_p

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import bptee as B
from bptee import BpteeError, check, fn
from owners_util import Owner, owner_agent
from grants_util import granted
from hostcaps import check_job_measurement
from test_audit_read import signed_query
from test_agent import JobClient, fetch_secret, provision, write_json
from test_agent import policy_sim, sim_dir  # noqa: F401  (fixtures)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "c"))
from fake_agent import preload_env, run  # noqa: E402

EVENTS = {"start": 1, "provision": 2, "rotate": 3, "revoke": 4, "refuse": 5, "deliver": 6,
          "deny": 7}
SECRET = b"audited-secret-value"


def encode(e):
    """An entry's canonical bytes, from the specification."""
    flags = (1 if "pid" in e else 0) | (2 if "measurement" in e else 0)
    out = (e["seq"].to_bytes(8, "little") + e["time"].to_bytes(8, "little") +
           bytes([EVENTS[e["event"]], flags]) + e["version"].to_bytes(8, "little") +
           e.get("pid", 0).to_bytes(4, "little") + e.get("uid", 0).to_bytes(4, "little") +
           bytes.fromhex(e.get("measurement", "00" * 32)))
    for key in ("name", "owner", "job_id", "detail"):
        s = e.get(key, "").encode()
        out += len(s).to_bytes(2, "little") + s
    return out


def chain(prev, entries):
    for e in entries:
        prev = hashlib.sha256(b"bptee-audit-entry-v1\0" + prev + encode(e)).digest()
        assert prev.hex() == e["hash"]
    return prev


@pytest.fixture(scope="module")
def logged(tmp_path_factory, sim_dir):
    """An agent with owners and an audit file, after a provision, a rotation, a refused write,
    deliveries to a job (one tagged with a job id), a denied fetch and a revocation."""
    tmp = tmp_path_factory.mktemp("audit")
    policy = write_json(tmp / "policy.json", {"sev_snp": {"allow_simulation": True}})
    alice, bob = Owner(tmp, "alice"), Owner(tmp, "bob")
    audit_file = tmp / "audit.jsonl"
    a = owner_agent(tmp, sim_dir, [alice, bob], {"db": ["alice"]},
                    args=("--audit-log", str(audit_file)))
    try:
        assert provision(a, policy, {"db": b"first-value-1"}, *alice.args(),
                         tmp=tmp).returncode == 0
        assert provision(a, policy, {"db": SECRET}, *alice.args(), "--rotate",
                         tmp=tmp).returncode == 0
        assert provision(a, policy, {"db": b"bob's-value-2"}, *bob.args(), "--version", "9",
                         tmp=tmp).returncode == 1
        assert fetch_secret(a.sock, "db")[1] == SECRET  # this Python process reads it
        path = tmp / "secrets" / "db"
        env = preload_env([("db", path)], types.SimpleNamespace(path=a.sock))
        env["BPTEE_JOB_ID"] = "job-42"
        assert run(granted(a.sock, ["db"], ["/bin/cat", path], job_id="job-42"),
                   env).stdout == SECRET
        assert fetch_secret(a.sock, "nothing")[0].startswith("ERR notfound")
        r = subprocess.run([B.CLI, "revoke", "--agent", a.url, "--policy", policy,
                            *alice.args(), "db"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        nonce = os.urandom(32)
        status, _, doc = a.request("GET", "/v1/audit?" + signed_query(a, alice, nonce=nonce.hex()))
        assert status == 200
        yield types.SimpleNamespace(agent=a, doc=doc, nonce=nonce, file=audit_file, tmp=tmp,
                                    policy=policy, alice=alice)
    finally:
        a.stop()


def verify_file(logged, doc, *extra):
    path = write_json(logged.tmp / f"log-{os.urandom(4).hex()}.json", doc)
    return B.cli("audit", "verify", path, "--policy", logged.policy, *extra)


def test_every_access_is_on_record(logged):
    es = logged.doc["entries"]
    assert [e["event"] for e in es] == ["start", "provision", "rotate", "refuse", "deliver",
                                        "deliver", "deny", "revoke"]
    assert es[0]["detail"] == "signing key " + logged.doc["signing_key"]
    assert (es[1]["name"], es[1]["version"], es[1]["owner"]) == ("db", 1, "alice")
    assert (es[2]["version"], es[7]["version"], es[7]["owner"]) == (2, 3, "alice")
    assert es[3]["owner"] == "bob" and "may not write secret db" in es[3]["detail"]
    me = es[4]
    py_sha = hashlib.sha256(open(os.path.realpath(sys.executable), "rb").read()).hexdigest()
    assert (me["pid"], me["uid"], me["measurement"], me["version"]) == (
        os.getpid(), os.getuid(), py_sha, 2)
    cat = es[5]
    assert cat["job_id"] == "job-42" and cat["pid"] != os.getpid()
    check_job_measurement(cat, hashlib.sha256(open("/bin/cat", "rb").read()).hexdigest())
    assert es[6]["name"] == "nothing" and "not found" in es[6]["detail"]
    assert [e["seq"] for e in es] == list(range(1, 9)) and logged.doc["first_seq"] == 1


def test_chain_and_signature_from_the_specification(logged):
    d = logged.doc
    head = chain(bytes.fromhex(d["prev"]), d["entries"])
    assert head.hex() == d["head"] and d["prev"] == "00" * 32
    msg = (b"bptee-audit-log-v1\0" + d["first_seq"].to_bytes(8, "little") +
           d["count"].to_bytes(8, "little") + bytes.fromhex(d["prev"]) + head + logged.nonce)
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(d["signing_key"])).verify(
        bytes.fromhex(d["signature"]), msg)


def test_no_secret_value_anywhere(logged):
    text = json.dumps(logged.doc).encode() + logged.file.read_bytes() + \
        logged.agent.log().encode()
    for value in (SECRET, b"first-value-1", b"bob's-value-2"):
        assert value not in text and base64.b64encode(value) not in text


def test_cli_verifies_and_lists(logged):
    r = verify_file(logged, logged.doc, "--nonce", logged.nonce.hex())
    assert r.returncode == 0, r.stderr
    assert "audit log verified: 8 entries (seq 1 to 8)" in r.stdout
    assert "SIMULATED" in r.stdout and "job job-42" in r.stdout
    r = verify_file(logged, logged.doc, "--name", "nothing", "--nonce", logged.nonce.hex())
    assert r.returncode == 0 and r.stdout.count("\n") == 2 and " deny " in r.stdout
    # freshness: another nonce is refused, and so is a policy that does not trust the simulator
    r = verify_file(logged, logged.doc, "--nonce", "00" * 32)
    assert r.returncode == 1 and "another nonce" in r.stderr
    path = write_json(logged.tmp / "strict.json", {})
    r = B.cli("audit", "verify", write_json(logged.tmp / "l.json", logged.doc), "--policy", path)
    assert r.returncode == 1 and "attestation" in r.stderr


def flip(b64, at):
    """Base64 bytes with one bit of byte `at` flipped."""
    raw = bytearray(base64.b64decode(b64))
    raw[at] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def edited(doc, how):
    d = copy.deepcopy(doc)
    how(d)
    return d


@pytest.mark.parametrize("how,needle", [
    (lambda d: d["entries"][4].update(pid=d["entries"][4]["pid"] + 1), "entry seq 5: its hash"),
    (lambda d: d["entries"][1].update(owner="bob"), "entry seq 2: its hash"),
    (lambda d: d["entries"][2].update(version=1), "entry seq 3: its hash"),
    (lambda d: d["entries"][7].update(detail="nothing to see"), "entry seq 8: its hash"),
    (lambda d: d["entries"].pop(3), "7 entries, the signed count is 8"),
    (lambda d: (d["entries"].pop(3), d.update(count=7)), "signature does not verify"),
    (lambda d: d["entries"].insert(2, d["entries"].pop(4)), "entries[2] has seq 5, expected 3"),
    (lambda d: d["entries"].append(d["entries"][-1]), "9 entries, the signed count is 8"),
    (lambda d: d.update(signature=d["signature"][:-2]), "signature: expected 128 hex"),
    (lambda d: d.update(signature=d["signature"][:-2] +
                        "%02x" % (int(d["signature"][-2:], 16) ^ 1)), "signature does not verify"),
    (lambda d: d.update(head="11" * 32), "signature does not verify"),
    (lambda d: d["entries"][0].update(extra=1), "unknown key 'extra'"),
    (lambda d: d["entries"][5].update(job_id=""), "entries[5].job_id"),
    (lambda d: d["attestation"].update(evidence=flip(d["attestation"]["evidence"], 0x60)),
     "attestation"),
    (lambda d: d.update(signing_key="00" * 32), "signature does not verify"),
])
def test_any_edit_is_detected(logged, how, needle):
    r = verify_file(logged, edited(logged.doc, how))
    assert r.returncode == 1 and "refused" in r.stderr and needle in r.stderr, r.stderr


def test_recomputed_hashes_still_fail_at_the_signed_head(logged):
    d = copy.deepcopy(logged.doc)
    d["entries"][4]["uid"] += 1
    prev = bytes.fromhex(d["prev"])
    for e in d["entries"]:  # an attacker re-chains the whole log
        prev = hashlib.sha256(b"bptee-audit-entry-v1\0" + prev + encode(e)).digest()
        e["hash"] = prev.hex()
    r = verify_file(logged, d)
    assert r.returncode == 1 and "do not chain to the signed head" in r.stderr
    d["head"] = prev.hex()
    r = verify_file(logged, d)
    assert r.returncode == 1 and "signature does not verify" in r.stderr


def test_audit_file_holds_the_same_chain(logged):
    assert stat.S_IMODE(os.stat(logged.file).st_mode) == 0o600
    header, *lines = [json.loads(x) for x in logged.file.read_text().splitlines()]
    assert header == {"format": "bptee-audit-file-v1", "first_seq": 1, "prev": "00" * 32}
    assert lines[:8] == logged.doc["entries"]
    chain(bytes(32), lines)
    r = B.cli("audit", "verify", write_json(logged.tmp / "doc.json", logged.doc), "--policy",
              logged.policy, "--log", logged.file, "--quiet")
    assert r.returncode == 0 and "holding the signed head" in r.stdout, r.stderr


def test_audit_nonce_and_fetch_cli(logged):
    assert logged.agent.request("GET", "/v1/audit?nonce=abc")[0] == 400
    out = logged.tmp / "fetched.json"
    r = B.cli("audit", "fetch", "--agent", logged.agent.url, "--nonce", "ab" * 32, "-o", out,
              "--policy", logged.policy, *logged.alice.args())
    assert r.returncode == 0, r.stderr
    r = B.cli("audit", "verify", out, "--policy", logged.policy, "--nonce", "ab" * 32, "--quiet")
    assert r.returncode == 0 and r.stdout.startswith("audit log verified:")


@pytest.mark.parametrize("args,needle", [
    ([], "usage"), (["verify"], "FILE and --policy"), (["fetch"], "--agent"),
    (["verify", "x", "--policy", "p", "--nonce", "12"], "--nonce"), (["show"], "unknown subcommand"),
])
def test_audit_usage(args, needle):
    r = B.cli("audit", *args)
    assert r.returncode == 2 and needle in r.stderr


# ---- the library: memory cap and the entry rules

class GuestOpts(ctypes.Structure):
    _fields_ = [("sz", c_size_t), ("provider", c_int), ("tsm_path", c_char_p),
                ("device", c_char_p), ("state_dir", c_char_p)]


class Entry(ctypes.Structure):
    _fields_ = [("seq", c_uint64), ("time", c_uint64), ("event", c_int), ("name", c_char_p),
                ("version", c_uint64), ("owner", c_char_p), ("has_peer", ctypes.c_bool),
                ("pid", ctypes.c_int32), ("uid", ctypes.c_uint32),
                ("has_measurement", ctypes.c_bool), ("measurement", c_uint8 * 32),
                ("job_id", c_char_p), ("detail", c_char_p)]


log_new = fn("bptee_audit_log_new", c_int, c_size_t, POINTER(c_void_p))
log_free = fn("bptee_audit_log_free", None, c_void_p)
log_append = fn("bptee_audit_log_append", c_int, c_void_p, POINTER(Entry), POINTER(c_uint64))
log_export = fn("bptee_audit_log_export", c_int, c_void_p, c_void_p, c_char_p, POINTER(c_void_p))
key_new = fn("bptee_signing_key_new", c_int, POINTER(c_void_p))
key_free = fn("bptee_signing_key_free", None, c_void_p)
key_attest = fn("bptee_signing_key_attest", c_int, c_void_p, POINTER(GuestOpts), c_void_p)
entry_encode = fn("bptee_audit_entry_encode", c_int, POINTER(Entry), c_void_p, c_size_t,
                  POINTER(c_size_t))


def test_memory_cap_keeps_a_verifiable_tail(sim_dir, tmp_path, policy_sim):
    log, key = c_void_p(), c_void_p()
    check(log_new(2, byref(log)))
    check(key_new(byref(key)))
    try:
        g = GuestOpts(sz=ctypes.sizeof(GuestOpts), provider=3, state_dir=str(sim_dir).encode())
        check(key_attest(key, byref(g), None))
        for v in (1, 2, 3):
            seq = c_uint64()
            check(log_append(log, byref(Entry(event=2, name=b"k", version=v)), byref(seq)))
            assert seq.value == v
        out = c_void_p()
        check(log_export(log, key, None, byref(out)))
        doc = json.loads(B.take_string(out))
        assert (doc["first_seq"], doc["count"]) == (2, 2)
        assert [e["version"] for e in doc["entries"]] == [2, 3]
        chain(bytes.fromhex(doc["prev"]), doc["entries"])
        path = write_json(tmp_path / "tail.json", doc)
        r = B.cli("audit", "verify", path, "--policy", policy_sim)
        assert r.returncode == 0 and "2 entries (seq 2 to 3)" in r.stdout
        doc["prev"] = "00" * 32  # claiming it starts at the beginning
        r = B.cli("audit", "verify", write_json(tmp_path / "t2.json", doc), "--policy", policy_sim)
        assert r.returncode == 1
    finally:
        key_free(key)
        log_free(log)


@pytest.mark.parametrize("fields,needle", [
    (dict(event=9, name=b"k"), "unknown event"),
    (dict(event=2, name=b""), "not a secret name"),
    (dict(event=1, name=b"k"), "a start entry names no secret"),
    (dict(event=2, name=b"k", owner=b"a b"), "owner"),
    (dict(event=6, name=b"k", job_id=b"a b"), "job_id"),
    (dict(event=2, name=b"k", detail=b"x\n"), "printable"),
    (dict(event=6, name=b"k", has_measurement=True), "needs a peer"),
])
def test_entry_rules(fields, needle):
    buf = (c_uint8 * 1024)()
    n = c_size_t()
    with pytest.raises(BpteeError) as e:
        check(entry_encode(byref(Entry(**fields)), buf, 1024, byref(n)))
    assert e.value.name == "EINVAL" and needle in e.value.reason
    ok = Entry(seq=1, time=2, event=6, name=b"k", version=3, has_peer=True, pid=4, uid=5,
               has_measurement=True, job_id=b"j", detail=b"d")
    ok.measurement[:] = list(range(32))
    check(entry_encode(byref(ok), buf, 1024, byref(n)))
    assert bytes(buf[:n.value]) == encode({
        "seq": 1, "time": 2, "event": "deliver", "name": "k", "version": 3, "pid": 4, "uid": 5,
        "measurement": bytes(range(32)).hex(), "job_id": "j", "detail": "d"})


# ---- the docs/formats.md test vector

VEC_ENTRY = ("010000000000000000b95569000000000603020000000000000092100000e8030000e3b0c44298fc1c149a"
             "fbf4c8996fb92427ae41e4649b934ca495991b7852b8550b0064625f70617373776f7264000005006a6f"
             "622d310000")
VEC_HASH = "c5f17cbc78a67d59e991a9cd574d386971eaefafc75568e161e329abaafac466"
VEC_SIG = ("aba9595e2443203656c3461b08d20013c43287e2ce5b397c9148403888dcfbca"
           "84dec790810452f54637cbe3549c1140a06b8027e3d49d5632b245d877164507")
chain_next = fn("bptee_audit_chain_next", None, c_char_p, c_char_p, c_size_t, c_void_p)
head_message = fn("bptee_audit_head_message", None, c_uint64, c_uint64, c_char_p, c_char_p,
                  c_char_p, c_void_p)


def test_vector():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    e = Entry(seq=1, time=1767225600, event=6, name=b"db_password", version=2, has_peer=True,
              pid=4242, uid=1000, has_measurement=True, job_id=b"job-1")
    e.measurement[:] = list(hashlib.sha256(b"").digest())
    buf, n = (c_uint8 * 1024)(), c_size_t()
    check(entry_encode(byref(e), buf, 1024, byref(n)))
    enc = bytes(buf[:n.value])
    assert enc.hex() == VEC_ENTRY and len(enc) == 90
    h = (c_uint8 * 32)()
    chain_next(bytes(32), enc, len(enc), h)
    assert bytes(h).hex() == VEC_HASH
    msg = (c_uint8 * 131)()
    head_message(1, 1, bytes(32), bytes(h), bytes(32), msg)
    assert bytes(msg) == b"bptee-audit-log-v1\0" + (1).to_bytes(8, "little") * 2 + bytes(32) + \
        bytes(h) + bytes(32)
    sig = Ed25519PrivateKey.from_private_bytes(bytes(range(32))).sign(bytes(msg))
    assert sig.hex() == VEC_SIG
