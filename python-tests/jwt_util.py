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


def cert_chain(not_before, not_after, leaf_key=None, leaf_window=None):
    """A root CA, an intermediate CA and a leaf (ES256 key unless given), as cryptography
    objects [leaf, intermediate, root] and the leaf's key. Validity [not_before, not_after] as
    datetimes; leaf_window overrides the leaf's."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    tag = x509.random_serial_number() % 10**6  # each chain's names its own

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{cn} {tag}")])

    def make(subject, issuer, key, signer, ca, window):
        b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
             .public_key(key.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(window[0]).not_valid_after(window[1])
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if ca:
            b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                              False, False), critical=True)
        return b.sign(signer, hashes.SHA256())

    root_key, inter_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(
        ec.SECP256R1())
    leaf_key = leaf_key or ec.generate_private_key(ec.SECP256R1())
    win = (not_before, not_after)
    root = make("test root", "test root", root_key, root_key, True, win)
    inter = make("test intermediate", "test root", inter_key, root_key, True, win)
    leaf = make("test signer", "test intermediate", leaf_key, inter_key, False,
                leaf_window or win)
    return [leaf, inter, root], leaf_key


def x5c(certs):
    return [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in certs]


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)
