# SPDX-License-Identifier: Apache-2.0
"""The PCK certificate reader of TDX's cold path (src/tdx/leaf.c) against OpenSSL's d2i_X509,
through the test helper pckleaf_diff: on the real PCK certificates of every TDX vector and on
thousands of mutations of them, whatever the reader accepts OpenSSL accepts whole, to the same
fields; what it leaves (another profile, a broken encoding) goes to OpenSSL's full path. And the
verifier gives the full path's verdict and reason for a chain the reader leaves."""
import base64
import datetime
import os
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

import bptee
from test_tdx_format import der_of, expect, pem_certs, vector, verify

HELPER = os.path.join(bptee.TESTC, "pckleaf_diff")
QUOTES = ["quote-v4-phala.dat", "quote-v4-spr-debug.dat", "quote-v4-spr-e4.dat",
          "quote-v5-emr.dat"]


def verdicts(tmp_path, blobs):
    """The helper's verdict for each blob; a mismatch fails the test with its input kept."""
    paths = []
    for i, b in enumerate(blobs):
        p = tmp_path / f"c{i:05d}.der"
        p.write_bytes(b)
        paths.append(str(p))
    out = []
    for k in range(0, len(paths), 2000):
        r = subprocess.run([HELPER] + paths[k:k + 2000], capture_output=True, text=True)
        assert r.returncode in (0, 1), r.stderr
        out += [line.split()[1] for line in r.stdout.splitlines()]
    bad = [paths[i] for i, v in enumerate(out) if v == "MISMATCH"]
    assert not bad, f"the reader accepts what OpenSSL reads otherwise: {bad[:5]}"
    assert len(out) == len(blobs)
    return out


def leaves():
    return [der_of(pem_certs(vector(q))[0]) for q in QUOTES]


def test_real_pck_certificates_read_as_openssl_reads_them(tmp_path):
    assert verdicts(tmp_path, leaves()) == ["agree"] * len(QUOTES)


def test_mutated_pck_certificates(tmp_path):
    blobs = []
    for der in leaves()[::3]:  # phala (Platform CA) and EMR
        for i in range(len(der)):
            for bit in (0x01, 0x80):
                m = bytearray(der)
                m[i] ^= bit
                blobs.append(bytes(m))
        blobs += [der[:n] for n in range(0, len(der), 7)]
        blobs += [der + b"\0", der[:4] + b"\0" + der[4:]]
    got = verdicts(tmp_path, blobs)
    # Flips inside names and extension bytes still parse for both; flips in the frame, the
    # algorithms or the key are left to OpenSSL or rejected by both.
    assert got.count("agree") > 100
    assert got.count("both-reject") > 100
    assert got.count("full-path") > 10


def other_profile_certs():
    """Certificates OpenSSL parses that the reader must leave to it: a P-384 key, ECDSA with
    SHA-384, no extensions."""
    out = []
    now = datetime.datetime(2025, 1, 1)
    for curve, md, ext in ((ec.SECP384R1(), hashes.SHA256(), True),
                           (ec.SECP256R1(), hashes.SHA384(), True),
                           (ec.SECP256R1(), hashes.SHA256(), False)):
        key = ec.generate_private_key(curve)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bptee test")])
        b = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
             .public_key(key.public_key()).serial_number(7).not_valid_before(now)
             .not_valid_after(now + datetime.timedelta(days=1)))
        if ext:
            b = b.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        out.append(b.sign(key, md).public_bytes(Encoding.DER))
    return out


def test_other_profiles_go_to_openssl(tmp_path):
    assert verdicts(tmp_path, other_profile_certs()) == ["full-path"] * 3


def with_leaf(q, der):
    """The quote with its PCK certificate replaced by der (of the same length, same layout)."""
    pem = pem_certs(q)[0]
    body = base64.b64encode(bytes(der))
    lines = [body[k:k + 64] for k in range(0, len(body), 64)]
    new = b"-----BEGIN CERTIFICATE-----\n" + b"\n".join(lines) + b"\n-----END CERTIFICATE-----\n"
    assert len(new) == len(pem)
    return q.replace(pem, new)


@pytest.mark.parametrize("where,code,fragment", [
    ("key", "EVERIFY", "PCK certificate key is not ECDSA P-256"),
    ("validity", "EVERIFY", "PCK certificate: certificate signature failure"),
])
def test_chains_the_reader_leaves_keep_their_verdict(where, code, fragment):
    """A PCK certificate changed where the cold path's reader or its checks refuse it: the
    full path judges, with the reason it always gave."""
    q = vector("quote-v4-phala.dat")
    der = bytearray(der_of(pem_certs(q)[0]))
    if where == "key":  # a compressed-point prefix: OpenSSL cannot decode the key
        der[der.index(bytes.fromhex("03420004")) + 3] = 0x02
    else:  # notBefore a year earlier: the signature no longer covers it
        i = der.index(b"\x17\x0d") + 3
        der[i] = der[i] - 1
    expect(verify(with_leaf(q, der)), code, fragment)
