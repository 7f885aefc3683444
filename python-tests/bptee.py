# SPDX-License-Identifier: Apache-2.0
"""Thin ctypes access to libbptee for the tests, plus paths to the built programs.

Each test module declares the functions it calls with fn(), giving every one its restype and
argtypes (the ctypes default c_int would truncate pointers and size_t)."""
import ctypes
import os
import subprocess
from ctypes import POINTER, c_char_p, c_int, c_size_t, c_uint8, c_void_p

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BPTEE_BUILD", os.path.join(ROOT, "build"))
LIBPATH = os.path.join(BUILD, "libbptee.so")
CLI = os.path.join(BUILD, "bptee")
PRELOAD = os.path.join(BUILD, "libbptee-preload.so")
TESTC = os.path.join(BUILD, "testc")
VECTORS = os.path.abspath(os.path.join(ROOT, "..", "shared", "vectors"))
ASAN = os.environ.get("BPTEE_ASAN") == "1"

lib = ctypes.CDLL(LIBPATH)


def fn(name, restype, *argtypes):
    """Declare and return a library function with its exact C signature. lib[name] gives each
    caller its own function object (lib.NAME is cached and shared), so two test modules cannot
    overwrite each other's argtypes."""
    f = lib[name]
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


strerror = fn("bptee_strerror", c_char_p, c_int)
last_error_raw = fn("bptee_last_error", c_char_p)
clear_error = fn("bptee_clear_error", None)
free = fn("bptee_free", None, c_void_p)

CODES = {
    "OK": 0, "EINVAL": -1, "EPARSE": -2, "EVERIFY": -3, "EPOLICY": -4, "EEXPIRED": -5,
    "ENOTFOUND": -6, "EIO": -7, "EUNSUPPORTED": -8, "ELIMIT": -9, "ECRYPTO": -10,
    "ENOMEM": -11, "EDENIED": -12,
}
NAMES = {v: k for k, v in CODES.items()}


class BpteeError(Exception):
    def __init__(self, code, reason):
        super().__init__(f"{NAMES.get(code, code)}: {reason}")
        self.code = code
        self.name = NAMES.get(code, str(code))
        self.reason = reason


def preload_with(*libs):
    """An LD_PRELOAD value loading libs; under ASan the sanitizer runtime the suite was started
    with stays first, as an instrumented program requires."""
    base = os.environ.get("LD_PRELOAD", "").split() if ASAN else []
    return " ".join(base + [str(l) for l in libs])


def last_error():
    return last_error_raw().decode()


def check(rc):
    """Raise BpteeError for a negative return code, else return rc."""
    if rc < 0:
        raise BpteeError(rc, last_error())
    return rc


def take_string(ptr):
    """Copy a library-allocated C string (c_void_p) into Python and free it."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode()
    finally:
        free(ptr)


def take_bytes(ptr, length):
    if not ptr:
        return b""
    try:
        return ctypes.string_at(ptr, length)
    finally:
        free(ptr)


def buf(data):
    """A ctypes byte buffer and its length, for (const uint8_t *, size_t) arguments."""
    return (c_uint8 * len(data)).from_buffer_copy(data), len(data)


def run(args, **kw):
    """Run a program to completion, capturing text output; never raises on exit status."""
    kw.setdefault("capture_output", True)
    kw.setdefault("timeout", 60)
    if "input" in kw and isinstance(kw["input"], str):
        kw.setdefault("text", True)
    elif "input" not in kw:
        kw.setdefault("text", True)
    return subprocess.run(args, **kw)


def cli(*args, **kw):
    return run([CLI, *map(str, args)], **kw)


__all__ = ["POINTER", "c_char_p", "c_int", "c_size_t", "c_uint8", "c_void_p"]
