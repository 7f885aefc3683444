# SPDX-License-Identifier: Apache-2.0
"""Session secrets live in guarded key pages that are wiped and kept for the next secret
(src/exchange/keypage.c, at most 16 pooled). Whatever page a session gets, it gets its own
fresh key: a recycled page never lets a payload for an old session open in a new one, more
sessions than the pool holds all work, and threads creating and opening at once are safe."""
import threading

import pytest

from bptee import BpteeError
from test_exchange import V1, V2, Service, Session, raises, seal

SECRET = b"key pages are wiped and reused"


@pytest.mark.parametrize("scheme", [V1, V2])
def test_sessions_beyond_the_pool_each_open_their_own(scheme):
    svc = Service(max_sessions=100)
    sessions = [svc.create_session() for _ in range(40)]  # more than the pool keeps
    payloads = [seal(sid, SECRET + sid.encode(), pk, scheme) for sid, pk in sessions]
    assert len({pk for _, pk in sessions}) == 40
    for (sid, _), p in reversed(list(zip(sessions, payloads))):
        assert svc.open(p)[0] == SECRET + sid.encode()
    assert svc.active_session_count() == 0


def test_a_recycled_page_holds_a_new_key():
    svc = Service()
    old_sid, old_pk = svc.create_session()
    old_payload = seal(old_sid, SECRET, old_pk)
    assert svc.open(old_payload)[0] == SECRET  # its page goes back to the pool
    new_sid, new_pk = svc.create_session()     # and most likely comes out again here
    assert new_pk != old_pk and new_sid != old_sid
    replayed = dict(old_payload, session_id=new_sid)
    assert "decryption failed" in raises("ECRYPTO", svc.open, replayed)
    assert raises("ENOTFOUND", svc.open, old_payload)  # one-time: the old session is gone


def test_sessions_freed_unopened_and_opened_by_hand():
    # bptee_session_new / _open / _free, outside a service, share the pages with it.
    for _ in range(20):
        s = Session()
        p = seal(s.id, SECRET, s.public_key)
        assert s.open(p) == SECRET
        assert s.open(p) == SECRET  # a session by itself may open more than once
        del s
        Session()  # created and freed without use


def test_threads_create_and_open_at_once():
    svc = Service(max_sessions=1000)
    errors = []

    def worker(n):
        try:
            for i in range(40):
                sid, pk = svc.create_session()
                msg = b"%d/%d" % (n, i)
                got, _ = svc.open(seal(sid, msg, pk, V2 if i % 2 else V1))
                assert got == msg
        except (AssertionError, BpteeError) as e:  # reported below, not lost in the thread
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert svc.active_session_count() == 0
