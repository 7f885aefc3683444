# SPDX-License-Identifier: Apache-2.0
"""Test helper: AWS Nitro attestation documents built here, signed by a locally generated P-384
chain (root, intermediate, leaf), for the cases real documents cannot give (another root, a
bound X25519 key, wrong lengths, other algorithms). A minimal CBOR encoder writes them."""
import datetime
import struct

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID


def _head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for add, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | add]) + struct.pack(fmt, n)
    raise ValueError(n)


class Raw(bytes):
    """Pre-encoded CBOR, inserted as is."""


def cbor(v):
    if isinstance(v, Raw):
        return bytes(v)
    if v is None:
        return b"\xf6"
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return _head(0, v) if v >= 0 else _head(1, -1 - v)
    if isinstance(v, (bytes, bytearray)):
        return _head(2, len(v)) + bytes(v)
    if isinstance(v, str):
        b = v.encode()
        return _head(3, len(b)) + b
    if isinstance(v, list):
        return _head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return _head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    if isinstance(v, tuple):  # a list of (key, value) pairs: duplicates allowed
        return _head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v)
    raise TypeError(v)


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "bptee test"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, key, issuer, issuer_key, ca, nb, na):
    b = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(nb).not_valid_after(na)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        b = b.add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False,
                                          False), critical=True)
    return b.sign(issuer_key, hashes.SHA384())


class Chain:
    """root -> intermediate -> leaf, all P-384, valid around `when` (unix seconds)."""

    def __init__(self, when, leaf_ca=False):
        t = datetime.datetime.fromtimestamp(when, datetime.timezone.utc)
        day = datetime.timedelta(days=1)
        self.root_key = ec.generate_private_key(ec.SECP384R1())
        self.inter_key = ec.generate_private_key(ec.SECP384R1())
        self.leaf_key = ec.generate_private_key(ec.SECP384R1())
        self.root = _cert("test root", self.root_key, "test root", self.root_key, True,
                          t - 30 * day, t + 30 * day)
        self.inter = _cert("test inter", self.inter_key, "test root", self.root_key, True,
                           t - 20 * day, t + 20 * day)
        self.leaf = _cert("test leaf", self.leaf_key, "test inter", self.inter_key, leaf_ca,
                          t - day, t + day)

    def der(self, c):
        return c.public_bytes(Encoding.DER)

    def root_sha256(self):
        return self.root.fingerprint(hashes.SHA256()).hex()


def payload(chain, when_ms, pcr_len=48, digest="SHA384", extra=(), **fields):
    """The payload map in the real order; fields override or add (None keeps a null)."""
    m = {"module_id": "i-0123456789abcdef0-enc0123456789abcdef", "digest": digest,
         "timestamp": when_ms,
         "pcrs": {i: bytes([i + 1]) * pcr_len for i in range(16)},
         "certificate": chain.der(chain.leaf),
         "cabundle": [chain.der(chain.root), chain.der(chain.inter)],
         "public_key": None, "user_data": None, "nonce": None}
    m.update(fields)
    return tuple(list(m.items()) + list(extra))


def sign(chain, payload_map, protected=None, tag=False, key=None):
    """A COSE_Sign1 over the payload (a map or pre-encoded bytes), ES384 by the leaf."""
    body = cbor(payload_map) if not isinstance(payload_map, (bytes, Raw)) else bytes(payload_map)
    prot = cbor(protected if protected is not None else {1: -35})
    tbs = cbor(["Signature1", prot, b"", body])
    der = (key or chain.leaf_key).sign(tbs, ec.ECDSA(hashes.SHA384()))
    r, s = decode_dss_signature(der)
    sig = r.to_bytes(48, "big") + s.to_bytes(48, "big")
    doc = cbor([prot, {}, body, sig])
    return (b"\xd2" + doc) if tag else doc
