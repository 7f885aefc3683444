# SPDX-License-Identifier: Apache-2.0
"""One largest secret, end to end (issue 14; docs/agent.md "Limits"): `bptee provision`, the
agent's HTTP body limit and the secret store all take a secret of exactly
BPTEE_SECRET_MAX_SIZE bytes and all refuse one byte more, each with one clear line. (A 1 MiB
secret used to be refused from about 786 kB on: the body limit was 1 MiB of base64.)"""
import base64
import hashlib
import json
import os

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from test_agent import (BODY_MAX, SECRET_MAX, Agent, fetch_secret, policy_sim,  # noqa: F401
                        provision, sim_dir)


@pytest.fixture
def agent(tmp_path, sim_dir):
    a = Agent(tmp_path, sim_dir)
    yield a
    a.stop()


def seal_v1(offer, plaintext):
    """A v1 SealedSecretPayload (docs/exchange.md) made here, so no client-side limit
    applies: what a client that ignores the limit would send."""
    eph = X25519PrivateKey.generate()
    tee = X25519PublicKey.from_public_bytes(bytes.fromhex(offer["public_key_hex"]))
    key = hashlib.sha256(eph.exchange(tee)).digest()
    nonce = os.urandom(12)
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return {"session_id": offer["session_id"],
            "ciphertext": b64(ChaCha20Poly1305(key).encrypt(nonce, plaintext, None)),
            "nonce": b64(nonce),
            "ephemeral_public_key": b64(eph.public_key().public_bytes(Encoding.Raw,
                                                                      PublicFormat.Raw))}


def test_largest_secret_provisions_and_reads_back(agent, policy_sim, tmp_path):
    value = os.urandom(SECRET_MAX)
    r = provision(agent, policy_sim, {"big": value}, tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    assert fetch_secret(agent.sock, "big")[1] == value


def test_one_byte_over_refused_by_the_cli(agent, policy_sim, tmp_path):
    r = provision(agent, policy_sim, {"big": os.urandom(SECRET_MAX + 1)}, tmp=tmp_path)
    assert r.returncode == 1
    assert len(r.stderr.strip().splitlines()) == 1 and str(SECRET_MAX) in r.stderr
    assert agent.request("GET", "/v1/health")[2]["secrets"] == 0


@pytest.mark.parametrize("size,status", [(SECRET_MAX, 200), (SECRET_MAX + 1, 413)])
def test_agent_takes_the_largest_and_refuses_one_byte_more(agent, size, status):
    """Sealed without the CLI: the body fits either way (base64 pads both to one length),
    so the store's limit speaks, in one line, and the twin at the limit is stored."""
    _, _, offer = agent.request("POST", "/v1/sessions", {})
    body = json.dumps({"name": "big", "payload": seal_v1(offer, os.urandom(size))})
    assert len(body) <= BODY_MAX
    code, _, reply = agent.request("POST", "/v1/secrets", body)
    assert code == status, reply
    if status == 413:
        assert f"exceeds the {SECRET_MAX}-byte limit" in reply["error"]
        assert "\n" not in reply["error"]
    assert agent.request("GET", "/v1/health")[2]["secrets"] == (status == 200)


def test_largest_secret_with_everything_else_fits_the_body():
    """The body limit leaves room for the largest request besides the ciphertext: 64 allowed
    measurements, 64 uids, a signature, an owner, a 255-character session id, pretty-printed."""
    b64 = lambda n: base64.b64encode(bytes(n)).decode()  # noqa: E731
    body = {"name": "n" * 128, "version": 2**63 - 1, "owner": "o" * 64,
            "signature": "ab" * 64,
            "allow": {"measurements": ["ab" * 32] * 64, "uids": [4294967295] * 64},
            "payload": {"session_id": "s" * 255, "ciphertext": b64(SECRET_MAX + 16),
                        "nonce": b64(12), "ephemeral_public_key": b64(32), "scheme": "v2"}}
    assert len(json.dumps(body, indent=4)) <= BODY_MAX
