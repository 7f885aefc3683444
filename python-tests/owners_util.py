# SPDX-License-Identifier: Apache-2.0
"""Secret owners from Python, written from docs/formats.md ("Owner requests") with
python3-cryptography rather than through the library, so the tests check the specification and
not only the code against itself: the signed message, the sealed payload digest, owner keys,
and an agent whose config names owners."""
import base64
import hashlib
import json
import os
import subprocess
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bptee import CLI
from test_agent import Agent, write_json

TAG = b"bptee-owner-request-v1\0"
PAYLOAD_TAG = b"bptee-sealed-payload-v1\0"
PROVISION, REVOKE = 1, 2


def _lp(b):
    return bytes([len(b)]) + b


def request_message(op, attestation_digest, session_id, owner, name, version, payload_digest):
    return (TAG + bytes([op]) + attestation_digest + _lp(session_id.encode()) +
            _lp(owner.encode()) + _lp(name.encode()) + version.to_bytes(8, "little") +
            payload_digest)


def _bytes_field(v):
    if v is None:
        return b""
    return bytes(v) if isinstance(v, list) else base64.b64decode(v + "=" * (-len(v) % 4))


def payload_digest(p):
    """SHA-256 over the tag, the scheme byte, and each byte field with a u32 LE length."""
    h = hashlib.sha256(PAYLOAD_TAG + bytes([2 if p.get("scheme") == "v2" else 1]))
    for key in ("ephemeral_public_key", "nonce", "ciphertext"):
        b = _bytes_field(p.get(key))
        h.update(len(b).to_bytes(4, "little") + b)
    return h.digest()


def offer_digest(offer):
    ev = offer["attestation"]["evidence"]
    return hashlib.sha256(bytes(ev) if isinstance(ev, list) else base64.b64decode(ev)).digest()


class Owner:
    """An owner key made by `bptee owner keygen`, usable from Python too."""

    def __init__(self, tmp, owner_id):
        self.id = owner_id
        self.prefix = os.path.join(str(tmp), owner_id)
        r = subprocess.run([CLI, "owner", "keygen", "--out", self.prefix], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        self.entry = json.loads(r.stdout)
        self.key_path = self.prefix + ".key"
        line = open(self.key_path).read()
        self.seed = base64.b64decode(line.split(" ", 1)[1])
        self.sk = Ed25519PrivateKey.from_private_bytes(self.seed)
        pk = self.sk.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        assert self.entry == {"id": owner_id, "public_key": pk.hex()}

    def args(self):
        return ["--owner-key", self.key_path, "--owner-id", self.id]

    def sign(self, *fields):
        return self.sk.sign(request_message(*fields)).hex()


def owners_doc(owners, rules):
    return {"owners": [o.entry for o in owners], "secrets": rules}


def owner_agent(tmp, sim_dir, owners, rules, **kw):
    """An agent whose config names these owners and rules."""
    return Agent(tmp, sim_dir, owners=owners_doc(owners, rules), **kw)


def sealed_body(agent, tmp, policy, name, value, version=None):
    """A fresh offer and `bptee seal --name` of value to it: (unsigned body, offer)."""
    status, _, offer = agent.request("POST", "/v1/sessions", {})
    assert status == 200
    path = write_json(os.path.join(str(tmp), f"offer-{time.monotonic_ns()}.json"), offer)
    extra = ["--version", str(version)] if version else []
    r = subprocess.run([CLI, "seal", "--offer", path, "--policy", policy, "--name", name,
                        "--base64", *extra], input=value, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout), offer


def sign_body(body, offer, owner, version, signer=None):
    """Add owner, version and signature (by signer, default owner) to a provisioning body."""
    body = dict(body, owner=owner.id, version=version)
    fields = (PROVISION, offer_digest(offer), body["payload"]["session_id"], owner.id,
              body["name"], version, payload_digest(body["payload"]))
    body["signature"] = (signer or owner).sign(*fields)
    return body


def revoke_body(agent, owner, name, version, signer=None):
    status, _, offer = agent.request("POST", "/v1/sessions", {})
    assert status == 200
    sig = (signer or owner).sign(REVOKE, offer_digest(offer), offer["session_id"], owner.id,
                                 name, version, bytes(32))
    return {"owner": owner.id, "session_id": offer["session_id"], "version": version,
            "signature": sig}
