# SPDX-License-Identifier: Apache-2.0
"""Certificates the library carries (util/known_certs.c): AMD's ASK/ASVK/ARK and Intel's SGX
Root CA and PCK Platform CA are parsed once, and a chain holding their exact PEM text or DER
uses those copies. This only saves parsing: the same chain in another text form verifies the
same, and a changed character anywhere is decoded as usual and rejected, with every cache
empty (cold) and warm."""
import base64
import re

import pytest

from test_snp_verify import MILAN_CHAIN, TRUSTEE, TRUSTEE_VCEK, cache_clear, rejected, snp
from test_tdx_format import L, expect, pem_certs, vector, verify

PHALA = "quote-v4-phala.dat"


def rewrap(pem, width=76, eol=b"\r\n"):
    """The same certificates in another PEM layout: other line width and line ends."""
    out = b""
    for body in re.findall(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", pem,
                           re.S):
        b64 = b"".join(body.split())
        lines = [b64[i:i + width] for i in range(0, len(b64), width)]
        out += eol.join([b"-----BEGIN CERTIFICATE-----"] + lines +
                        [b"-----END CERTIFICATE-----"]) + eol
    return out


def change_base64(pem, index, at):
    """Flip one bit of the DER inside the index-th certificate of pem, at byte `at`."""
    blocks = re.findall(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", pem, re.S)
    body = b"".join(blocks[index].split(b"\n")[1:-2])
    der = bytearray(base64.b64decode(body))
    der[at] ^= 0x01
    blocks[index] = rewrap(b"-----BEGIN CERTIFICATE-----" + base64.b64encode(bytes(der)) +
                           b"-----END CERTIFICATE-----", 64, b"\n")
    return b"".join(blocks)


@pytest.mark.parametrize("cold", [True, False])
def test_amd_chain_in_any_pem_layout_verifies_the_same(cold):
    for chain in (MILAN_CHAIN, rewrap(MILAN_CHAIN), rewrap(MILAN_CHAIN, 64, b"\n")):
        if cold:
            cache_clear()
        v = snp(TRUSTEE, vcek=TRUSTEE_VCEK, chain=chain)
        assert v.product == 1


@pytest.mark.parametrize("cold", [True, False])
@pytest.mark.parametrize("index,at", [(0, 300), (0, 1400), (1, 300), (1, 1400)])
def test_a_changed_amd_certificate_is_decoded_and_rejected(cold, index, at):
    snp(TRUSTEE, vcek=TRUSTEE_VCEK, chain=MILAN_CHAIN)  # the genuine chain, cached
    if cold:
        cache_clear()
    bad = change_base64(MILAN_CHAIN, index, at)
    assert bad != MILAN_CHAIN
    e = rejected(snp, TRUSTEE, vcek=TRUSTEE_VCEK, chain=bad)
    assert e.name in ("EVERIFY", "EPARSE"), e.reason


@pytest.mark.parametrize("cold", [True, False])
def test_intel_chain_in_any_pem_layout_verifies_the_same(cold):
    q = vector(PHALA)
    chain = b"".join(pem_certs(q))
    for c in (chain, rewrap(chain), rewrap(chain, 64, b"\n") + b"\0"):
        if cold:
            L.tdx_cache_clear()
        assert verify(q, pck_chain=c) == (0, "")


@pytest.mark.parametrize("cold", [True, False])
@pytest.mark.parametrize("index,at,fragment", [
    (1, 200, "certificate chain"),  # the PCK Platform CA
    (2, 200, "root"),               # the Intel SGX Root CA
])
def test_a_changed_intel_certificate_is_decoded_and_rejected(cold, index, at, fragment):
    q = vector(PHALA)
    chain = b"".join(pem_certs(q))
    assert verify(q, pck_chain=chain)[0] == 0  # the genuine chain, cached
    if cold:
        L.tdx_cache_clear()
    rc, reason = verify(q, pck_chain=change_base64(chain, index, at))
    assert rc != 0 and fragment in reason, reason
