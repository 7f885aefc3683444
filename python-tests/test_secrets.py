# SPDX-License-Identifier: Apache-2.0
"""The in-memory secret store (include/bptee/secrets.h): versions, revocation, allow lists,
sealed read-only memfds that travel by SCM_RIGHTS, and a non-dumpable process."""
import ctypes
import errno
import fcntl
import json
import mmap
import os
import socket
import subprocess
import sys
import threading
from ctypes import POINTER, byref, c_char_p, c_int, c_size_t, c_uint32, c_uint64, c_void_p

import pytest

import bptee
from bptee import BpteeError, check, fn


class PutOpts(ctypes.Structure):
    _fields_ = [("sz", c_size_t), ("version", c_uint64),
                ("allow_measurements", POINTER(c_char_p)), ("n_allow_measurements", c_size_t),
                ("allow_uids", POINTER(c_uint32)), ("n_allow_uids", c_size_t)]


class Info(ctypes.Structure):
    _fields_ = [("version", c_uint64), ("size", c_size_t), ("revoked", c_int),
                ("n_allow_measurements", c_size_t), ("n_allow_uids", c_size_t)]


store_new = fn("bptee_secret_store_new", c_int, POINTER(c_void_p))
store_free = fn("bptee_secret_store_free", None, c_void_p)
store_put = fn("bptee_secret_store_put", c_int, c_void_p, c_char_p, c_char_p, c_size_t,
               POINTER(PutOpts))
store_remove = fn("bptee_secret_store_remove", c_int, c_void_p, c_char_p)
store_revoke = fn("bptee_secret_store_revoke", c_int, c_void_p, c_char_p)
store_info = fn("bptee_secret_store_info", c_int, c_void_p, c_char_p, POINTER(Info))
store_get = fn("bptee_secret_store_get", c_int, c_void_p, c_char_p, c_void_p, c_size_t,
               POINTER(c_size_t))
store_check_peer = fn("bptee_secret_store_check_peer", c_int, c_void_p, c_char_p, c_char_p,
                      c_uint32)
store_memfd = fn("bptee_secret_store_memfd", c_int, c_void_p, c_char_p, c_char_p, c_uint32,
                 POINTER(c_int))
store_count = fn("bptee_secret_store_count", c_size_t, c_void_p)
store_list = fn("bptee_secret_store_list_json", c_int, c_void_p, POINTER(c_void_p))
secret_memfd = fn("bptee_secret_memfd", c_int, c_char_p, c_char_p, c_size_t, POINTER(c_int))

M1, M2 = "ab" * 32, "cd" * 32
ALL_SEALS = fcntl.F_SEAL_WRITE | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_SEAL


class Store:
    def __init__(self):
        self.ptr = c_void_p()
        check(store_new(byref(self.ptr)))

    def __del__(self):
        if getattr(self, "ptr", None):
            store_free(self.ptr)
            self.ptr = None

    def put(self, name, data, version=0, measurements=(), uids=()):
        ms = (c_char_p * max(len(measurements), 1))(*[m.encode() for m in measurements])
        us = (c_uint32 * max(len(uids), 1))(*uids)
        o = PutOpts(ctypes.sizeof(PutOpts), version, ms, len(measurements), us, len(uids))
        check(store_put(self.ptr, name.encode(), data, len(data), byref(o)))

    def get(self, name, cap=None):
        n = c_size_t()
        if cap is None:
            rc = store_get(self.ptr, name.encode(), None, 0, byref(n))
            if rc != bptee.CODES["ELIMIT"]:
                check(rc)
            cap = n.value
        out = ctypes.create_string_buffer(max(cap, 1))
        check(store_get(self.ptr, name.encode(), out, cap, byref(n)))
        return out.raw[:n.value]

    def info(self, name):
        i = Info()
        check(store_info(self.ptr, name.encode(), byref(i)))
        return i

    def check_peer(self, name, measurement, uid):
        check(store_check_peer(self.ptr, name.encode(),
                               measurement.encode() if measurement else None, uid))

    def memfd(self, name, measurement=None, uid=0):
        fd = c_int(-1)
        check(store_memfd(self.ptr, name.encode(), measurement.encode() if measurement else None,
                          uid, byref(fd)))
        return fd.value

    remove = lambda self, name: check(store_remove(self.ptr, name.encode()))
    revoke = lambda self, name: check(store_revoke(self.ptr, name.encode()))
    count = lambda self: store_count(self.ptr)

    def list(self):
        p = c_void_p()
        check(store_list(self.ptr, byref(p)))
        return json.loads(bptee.take_string(p.value))


def raises(code, f, *args, **kw):
    with pytest.raises(BpteeError) as e:
        f(*args, **kw)
    assert e.value.name == code, e.value
    return e.value.reason


def read_all(fd):
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_put_get_replace_remove():
    st = Store()
    st.put("db_password", b"hunter2")
    assert st.get("db_password") == b"hunter2" and st.count() == 1
    assert st.info("db_password").version == 1
    st.put("db_password", b"correct horse")  # replaces, next version
    assert st.get("db_password") == b"correct horse"
    assert st.info("db_password").version == 2 and st.info("db_password").size == 13
    n = c_size_t()
    assert store_get(st.ptr, b"db_password", ctypes.create_string_buffer(4), 4, byref(n)) == \
        bptee.CODES["ELIMIT"] and n.value == 13
    st.remove("db_password")
    assert st.count() == 0
    assert raises("ENOTFOUND", st.get, "db_password") == "secret not found: db_password"
    raises("ENOTFOUND", st.remove, "db_password")
    st.put("db_password", b"again")
    assert st.info("db_password").version == 1  # removal forgets the version too


def test_versions_only_grow():
    st = Store()
    st.put("k", b"v5", version=5)
    assert "version 5 is not newer than the stored version 5" in \
        raises("EDENIED", st.put, "k", b"replay", version=5)
    raises("EDENIED", st.put, "k", b"older", version=4)
    assert st.get("k") == b"v5"
    st.put("k", b"v9", version=9)
    st.put("k", b"v10")
    assert st.get("k") == b"v10" and st.info("k").version == 10


def test_revoked_secret():
    st = Store()
    st.put("api_key", b"s3cr3t", version=3)
    st.revoke("api_key")
    i = st.info("api_key")
    assert i.revoked and i.size == 0 and i.version == 3
    assert raises("EDENIED", st.get, "api_key") == "secret revoked: api_key"
    assert raises("EDENIED", st.memfd, "api_key") == "secret revoked: api_key"
    assert raises("EDENIED", st.check_peer, "api_key", None, 0) == "secret revoked: api_key"
    raises("EDENIED", st.put, "api_key", b"old again", version=3)  # no replay after revoke
    st.put("api_key", b"rotated", version=4)
    assert st.get("api_key") == b"rotated" and not st.info("api_key").revoked


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "../etc", "sp ace", "x" * 129, "n\u00e9"])
def test_bad_names_refused(name):
    raises("EINVAL", Store().put, name, b"x")


def test_good_names_accepted():
    st = Store()
    for name in ("db_password", "A-1.b", "x" * 128, ".hidden"):
        st.put(name, b"x")
    assert st.count() == 4


def test_size_limit():
    st = Store()
    big = os.urandom(1 << 20)
    st.put("big", big)
    assert st.get("big") == big
    raises("ELIMIT", st.put, "huge", bytes((1 << 20) + 1))  # BPTEE_SECRET_MAX_SIZE, one more


def test_memfd_is_sealed_and_read_only():
    st = Store()
    st.put("token", b"sealed content")
    fd = st.memfd("token")
    try:
        assert read_all(fd) == b"sealed content"
        assert fcntl.fcntl(fd, fcntl.F_GET_SEALS) == ALL_SEALS
        assert fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY
        assert fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC
        assert os.readlink(f"/proc/self/fd/{fd}").startswith("/memfd:bptee:token")
        with pytest.raises(OSError) as e:
            os.write(fd, b"x")
        assert e.value.errno == errno.EBADF
        rw = os.open(f"/proc/self/fd/{fd}", os.O_RDWR)  # even a writable reopen cannot write
        try:
            for attempt in (lambda: os.write(rw, b"x"), lambda: os.ftruncate(rw, 0),
                            lambda: os.ftruncate(rw, 100),
                            lambda: fcntl.fcntl(rw, fcntl.F_ADD_SEALS, 0),
                            lambda: mmap.mmap(rw, 14, mmap.MAP_SHARED, mmap.PROT_WRITE)):
                with pytest.raises(OSError) as e:
                    attempt()
                assert e.value.errno == errno.EPERM
        finally:
            os.close(rw)
        assert read_all(fd) == b"sealed content"
    finally:
        os.close(fd)


def test_memfd_travels_by_scm_rights():
    st = Store()
    st.put("cert", b"-----BEGIN-----")
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    fd = st.memfd("cert")
    with a, b:
        socket.send_fds(a, [b"cert"], [fd])
        os.close(fd)
        msg, fds, _, _ = socket.recv_fds(b, 16, 1)
    assert msg == b"cert" and len(fds) == 1
    try:
        assert read_all(fds[0]) == b"-----BEGIN-----"
        assert fcntl.fcntl(fds[0], fcntl.F_GET_SEALS) == ALL_SEALS
    finally:
        os.close(fds[0])


def test_standalone_memfd_empty_and_label():
    fd = c_int(-1)
    check(secret_memfd(None, b"", 0, byref(fd)))
    try:
        assert read_all(fd.value) == b""
        assert fcntl.fcntl(fd.value, fcntl.F_GET_SEALS) == ALL_SEALS
    finally:
        os.close(fd.value)
    assert secret_memfd(b"x" * 300, b"a", 1, byref(fd)) == bptee.CODES["EINVAL"]


def test_allow_list_decisions():
    st = Store()
    st.put("restricted", b"x", measurements=[M1], uids=[1000, 1001])
    st.put("open", b"y")
    i = st.info("restricted")
    assert i.n_allow_measurements == 1 and i.n_allow_uids == 2
    st.check_peer("restricted", M1, 1000)
    st.check_peer("restricted", M1.upper(), 1001)
    assert "uid 0 is not on its allow list" in raises("EDENIED", st.check_peer, "restricted",
                                                      M1, 0)
    assert f"binary measurement {M2} is not on its allow list" in raises(
        "EDENIED", st.check_peer, "restricted", M2, 1000)
    assert "unknown" in raises("EDENIED", st.check_peer, "restricted", None, 1000)
    raises("EDENIED", st.check_peer, "restricted", M1[:-1], 1000)
    assert raises("EDENIED", st.memfd, "restricted", M2, 1000)
    fd = st.memfd("restricted", M1, 1000)
    os.close(fd)
    st.check_peer("open", None, 12345)  # no allow list: anyone
    raises("ENOTFOUND", st.check_peer, "missing", M1, 1000)
    assert "allowed measurement 1" in raises("EINVAL", st.put, "bad", b"x", measurements=["xyz"])


def test_secret_bytes_never_in_errors_or_listing():
    st = Store()
    st.put("pw", b"TOPSECRET-VALUE", measurements=[M1])
    reasons = [raises("EDENIED", st.check_peer, "pw", M2, 0),
               raises("EDENIED", st.put, "pw", b"TOPSECRET-VALUE", version=1)]
    n = c_size_t()
    store_get(st.ptr, b"pw", ctypes.create_string_buffer(2), 2, byref(n))
    reasons.append(bptee.last_error())
    assert all("TOPSECRET" not in r for r in reasons)
    st.put("a_first", b"zz")
    listing = st.list()
    assert [e["name"] for e in listing] == ["a_first", "pw"]
    assert listing[1] == {"name": "pw", "version": 1, "size": 15, "revoked": False}
    assert "TOPSECRET" not in json.dumps(listing)


def test_make_nondumpable_in_child():
    code = ("import ctypes,sys; lib=ctypes.CDLL(sys.argv[1]); libc=ctypes.CDLL(None);"
            "before=libc.prctl(3,0,0,0,0);"
            "rc=lib.bptee_secret_make_nondumpable() if sys.argv[2]=='1' else 0;"
            "print(before, rc, libc.prctl(3,0,0,0,0))")
    run = lambda flag: subprocess.run([sys.executable, "-c", code, bptee.LIBPATH, flag],
                                      capture_output=True, text=True, check=True).stdout.split()
    assert run("1") == ["1", "0", "0"]
    assert run("0") == ["1", "0", "1"]


def test_concurrent_store_use():
    st = Store()
    errors = []

    def worker(n):
        try:
            for i in range(50):
                name = f"s{n}"
                st.put(name, b"%d-%d" % (n, i))
                assert st.get(name) == b"%d-%d" % (n, i)
                fd = st.memfd(name)
                assert read_all(fd) == b"%d-%d" % (n, i)
                os.close(fd)
                st.put("shared", b"from %d" % n)
                st.get("shared")
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append((n, e))

    ts = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert errors == []
    assert st.count() == 9
    assert all(st.info(f"s{n}").version == 50 for n in range(8))
    assert st.info("shared").version == 8 * 50
