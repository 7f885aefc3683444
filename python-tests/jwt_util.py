# SPDX-License-Identifier: Apache-2.0
"""Test helper: JWS tokens and JWKS documents made here with `cryptography`, for every algorithm
bptee accepts and for the attacks it must refuse (alg none, HMAC keyed with the public key)."""
import base64
import hashlib
import hmac
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

HASH = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def uint(n):
    return b64u(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def new_key(alg):
    if alg[:2] in ("RS", "PS"):
        return rsa.generate_private_key(65537, 2048)
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "ES384":
        return ec.generate_private_key(ec.SECP384R1())
    return ed25519.Ed25519PrivateKey.generate()


def jwk(key, kid, **extra):
    pub = key.public_key()
    if isinstance(pub, rsa.RSAPublicKey):
        n = pub.public_numbers()
        d = {"kty": "RSA", "n": uint(n.n), "e": uint(n.e)}
    elif isinstance(pub, ec.EllipticCurvePublicKey):
        n = pub.public_numbers()
        size = (pub.curve.key_size + 7) // 8
        d = {"kty": "EC", "crv": "P-256" if size == 32 else "P-384",
             "x": b64u(n.x.to_bytes(size, "big")), "y": b64u(n.y.to_bytes(size, "big"))}
    else:
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        d = {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}
    d["kid"] = kid
    d.update(extra)
    return d


def jwks(*keys):
    return json.dumps({"keys": list(keys)})


def token(key, alg, claims, kid="k1", header=None):
    h = {"alg": alg, "kid": kid, "typ": "JWT"}
    h.update(header or {})
    return raw_token(key, alg, json.dumps(h).encode(), json.dumps(claims).encode())


def raw_token(key, alg, header_bytes, payload_bytes):
    """A token over exactly these header and payload bytes (JSON made by hand, valid or not)."""
    signing = (b64u(header_bytes) + "." + b64u(payload_bytes)).encode()
    if alg.startswith("RS"):
        sig = key.sign(signing, padding.PKCS1v15(), HASH[alg[2:]])
    elif alg.startswith("PS"):
        h_ = HASH[alg[2:]]
        sig = key.sign(signing, padding.PSS(padding.MGF1(h_), h_.digest_size), h_)
    elif alg.startswith("ES"):
        r, s = decode_dss_signature(key.sign(signing, ec.ECDSA(HASH[alg[2:]])))
        size = 32 if alg == "ES256" else 48
        sig = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    elif alg == "EdDSA":
        sig = key.sign(signing)
    elif alg == "none":
        sig = b""
    elif alg.startswith("HS"):  # the classic attack: the verifier's public key as HMAC secret
        sig = hmac.new(key, signing, getattr(hashlib, "sha" + alg[2:])).digest()
    return signing.decode() + "." + b64u(sig)
