# SPDX-License-Identifier: Apache-2.0
"""The verified-collateral cache (src/tdx/collateral_cache.c): keyed by each piece's content
digest and the chain's root and PCK CA, used only inside the collateral's validity window, and
emptied by bptee_tdx_cache_clear. A hit must give the verdict a fresh verification gives; a
changed piece, another chain or a time outside the window must be verified afresh; revocation
is looked up on every call."""
import json

import pytest

from test_tdx_format import (COLL_AT, COLL_FILES, PCK_CRL, QE_IDENTITY, ROOT_CRL, SIGNING_CHAIN,
                             TCB_INFO, L, Policy, coll_file, expect, flip, spr_collateral, vector,
                             verify, verify_evidence)
from test_tdx_sim import Sim, now

DAY = 86400
DEBUG_OK = '{"allow_debug": true, "tcb_statuses": ["UpToDate"]}'


def spr_quote():
    return vector("quote-v4-spr-debug.dat")


def fresh(q, **kw):
    """The verdict with every cache empty."""
    L.tdx_cache_clear()
    return verify(q, **kw)


def test_hit_gives_the_same_verdict():
    c = spr_collateral()
    L.tdx_cache_clear()
    first = verify_evidence(spr_quote(), Policy(DEBUG_OK), collateral=c, collateral_at=COLL_AT)
    again = verify_evidence(spr_quote(), Policy(DEBUG_OK), collateral=c, collateral_at=COLL_AT)
    assert first[0] == 0, first[1]
    assert again[0] == 0 and again[2]["claims"] == first[2]["claims"]
    # Another object with the same bytes is the same collateral, and is judged the same.
    other = verify_evidence(spr_quote(), Policy(DEBUG_OK), collateral=spr_collateral(),
                            collateral_at=COLL_AT)
    assert other[0] == 0 and other[2]["claims"] == first[2]["claims"]


@pytest.mark.parametrize("kind,tamper,fragment", [
    (TCB_INFO, lambda b: b.replace(b'"tcbEvaluationDataNumber":15',
                                   b'"tcbEvaluationDataNumber":16', 1),
     "TCB info signature does not verify"),
    (QE_IDENTITY, lambda b: b.replace(b'"isvsvn":4', b'"isvsvn":3', 1),
     "QE identity signature does not verify"),
    (PCK_CRL, lambda b: flip(b, len(b) - 5), "PCK CA CRL signature does not verify"),
    (ROOT_CRL, lambda b: flip(b, len(b) - 3), "root CA CRL signature does not verify"),
    (SIGNING_CHAIN, lambda b: coll_file("pck_platform_ca_chain.pem"),
     'collateral signer is "Intel SGX PCK Platform CA"'),
])
def test_a_changed_piece_misses_and_is_rejected(kind, tamper, fragment):
    c = spr_collateral()
    L.tdx_cache_clear()
    assert verify(spr_quote(), collateral=c, collateral_at=COLL_AT)[0] == 0  # now cached
    bad = tamper(coll_file(COLL_FILES[kind]))
    assert c.set(kind, bad)[0] == 0  # the same object, one piece replaced
    expect(verify(spr_quote(), collateral=c, collateral_at=COLL_AT), "EVERIFY", fragment)
    expect(verify(spr_quote(), collateral=spr_collateral({kind: bad}), collateral_at=COLL_AT),
           "EVERIFY", fragment)
    # Put back, the genuine piece is accepted again.
    assert c.set(kind, coll_file(COLL_FILES[kind]))[0] == 0
    assert verify(spr_quote(), collateral=c, collateral_at=COLL_AT)[0] == 0


@pytest.mark.parametrize("at,fragment", [
    (COLL_AT + 20 * DAY, "PCK CA CRL has expired at the collateral time"),
    (COLL_AT + 3 * 365 * DAY, "TCB signing certificate has expired at the collateral time"),
    (COLL_AT - 10 * DAY, "TCB info is not yet valid at the collateral time"),
    (COLL_AT - 400 * DAY, "is not yet valid at the collateral time"),
])
def test_outside_the_window_the_entry_is_not_used(at, fragment):
    c = spr_collateral()
    assert verify(spr_quote(), collateral=c, collateral_at=COLL_AT)[0] == 0  # cached
    rc, reason = verify(spr_quote(), collateral=c, collateral_at=at)
    expect((rc, reason), "EEXPIRED", fragment)
    assert (rc, reason) == fresh(spr_quote(), collateral=c, collateral_at=at)


def test_clearing_forgets_verified_collateral():
    c = spr_collateral()
    assert verify(spr_quote(), collateral=c, collateral_at=COLL_AT)[0] == 0
    L.tdx_cache_clear()
    assert verify(spr_quote(), collateral=c, collateral_at=COLL_AT)[0] == 0  # verified afresh
    L.tdx_cache_clear()
    bad = spr_collateral({PCK_CRL: flip(coll_file("pckcrl"), 40)})
    assert verify(spr_quote(), collateral=bad, collateral_at=COLL_AT)[0] != 0


def test_another_chain_does_not_reuse_the_entry(tmp_path):
    c = spr_collateral()
    assert verify(spr_quote(), collateral=c, collateral_at=COLL_AT)[0] == 0  # Intel's chain
    sim = Sim(tmp_path / "state")
    q = sim.quote()
    # The simulated chain has its own root: Intel's collateral is not for it, cached or not.
    got = verify(q, at=now(), allow_simulation=1, collateral=c, collateral_at=COLL_AT)
    assert got[0] != 0
    assert got == fresh(q, at=now(), allow_simulation=1, collateral=c, collateral_at=COLL_AT)


def test_revocation_is_looked_up_on_every_call(tmp_path):
    sim = Sim(tmp_path / "state")
    q = sim.quote()
    revoking = sim.collateral(revoke_pck=1)
    L.tdx_cache_clear()
    for _ in range(2):  # the second call finds the authenticated collateral in the cache
        expect(verify(q, at=now(), allow_simulation=1, collateral=revoking), "EVERIFY",
               "PCK certificate is revoked by the PCK CA CRL")
    assert verify(q, at=now(), allow_simulation=1, collateral=sim.collateral())[0] == 0


def test_tcb_level_is_evaluated_on_every_call(tmp_path):
    sim = Sim(tmp_path / "state")
    q = sim.quote()
    c = sim.collateral(tcb_status=5)  # OutOfDate
    for _ in range(2):
        rc, reason, rep = verify_evidence(
            q, Policy(json.dumps({"allow_simulation": True, "tcb_statuses": ["UpToDate"]})),
            at=now(), collateral=c)
        assert rc != 0 and "OutOfDate" in reason, reason
