# SPDX-License-Identifier: Apache-2.0
"""Job binaries through libelf (include/bptee/elf.h): dynamic (PT_INTERP) or static, the
measurement (SHA-256 of the file), the DT_NEEDED list, and refusals of what is not an
executable ELF file."""
import ctypes
import hashlib
import json
import os
import shutil
import subprocess
import sys
from ctypes import POINTER, c_char, c_char_p, c_int, c_uint, c_void_p

import pytest

import bptee
from bptee import BpteeError, check, fn, take_string


class ElfInfo(ctypes.Structure):
    _fields_ = [("dynamic", c_int), ("elf_class", c_int), ("machine", c_uint), ("type", c_uint),
                ("interp", c_char * 256), ("measurement", c_char * 65)]


elf_inspect = fn("bptee_elf_inspect", c_int, c_char_p, POINTER(ElfInfo))
elf_inspect_fd = fn("bptee_elf_inspect_fd", c_int, c_int, c_char_p, POINTER(ElfInfo))
elf_measure = fn("bptee_elf_measure", c_int, c_char_p, c_char * 65)
elf_measure_fd = fn("bptee_elf_measure_fd", c_int, c_int, c_char_p, c_char * 65)
elf_needed = fn("bptee_elf_needed", c_int, c_char_p, POINTER(c_void_p))

STATIC_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "c", "job_static.c")


def inspect(path):
    info = ElfInfo()
    check(elf_inspect(str(path).encode(), ctypes.byref(info)))
    return info


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def build(tmp_path, name, *flags):
    out = tmp_path / name
    subprocess.run(["cc", *flags, "-o", str(out), STATIC_SRC], check=True)
    return out


@pytest.fixture(scope="module")
def binaries(tmp_path_factory):
    d = tmp_path_factory.mktemp("elf")
    return {"static": build(d, "job_static", "-static"),
            "static_pie": build(d, "job_static_pie", "-static-pie"),
            "dynamic": build(d, "job_dynamic")}


def test_dynamic_binary_has_interp_and_measurement():
    info = inspect("/bin/cat")
    assert info.dynamic == 1
    assert info.elf_class == 64
    assert info.type in (2, 3)
    assert info.interp.decode().startswith("/lib")
    assert "ld-linux" in info.interp.decode()
    assert info.measurement.decode() == sha256_file("/bin/cat")


def test_static_binary_is_not_dynamic(binaries):
    info = inspect(binaries["static"])
    assert info.dynamic == 0
    assert info.interp == b""
    assert info.measurement.decode() == sha256_file(binaries["static"])
    # it is a real program: it runs and prints its JSON
    out = subprocess.run([str(binaries["static"]), "x"], capture_output=True, text=True)
    assert json.loads(out.stdout) == {"static_job": True, "argc": 2, "first": "x"}


def test_static_pie_is_not_dynamic(binaries):
    """static-pie has PT_DYNAMIC (it relocates itself) but no PT_INTERP: no ld.so, no preload."""
    info = inspect(binaries["static_pie"])
    assert info.type == 3  # ET_DYN
    assert info.dynamic == 0


def test_dynamic_build_of_the_same_source_is_dynamic(binaries):
    assert inspect(binaries["dynamic"]).dynamic == 1


def test_measurement_follows_every_byte(tmp_path, binaries):
    copy = tmp_path / "copy"
    shutil.copy(binaries["dynamic"], copy)
    before = inspect(copy).measurement.decode()
    with open(copy, "ab") as f:
        f.write(b"\0")
    after = inspect(copy).measurement.decode()
    assert before != after
    assert after == sha256_file(copy)


def test_measure_any_file_and_fd_keeps_offset(tmp_path):
    p = tmp_path / "data"
    p.write_bytes(b"hello world" * 100000)
    out = (c_char * 65)()
    check(elf_measure(str(p).encode(), out))
    assert out.value.decode() == sha256_file(p)
    fd = os.open(p, os.O_RDONLY)
    try:
        os.lseek(fd, 5, os.SEEK_SET)
        out2 = (c_char * 65)()
        check(elf_measure_fd(fd, b"data", out2))
        assert out2.value == out.value
        assert os.lseek(fd, 0, os.SEEK_CUR) == 5
    finally:
        os.close(fd)


def test_inspect_fd_matches_path():
    fd = os.open("/bin/cat", os.O_RDONLY)
    try:
        info = ElfInfo()
        check(elf_inspect_fd(fd, b"cat", ctypes.byref(info)))
    finally:
        os.close(fd)
    assert info.dynamic == 1 and info.measurement == inspect("/bin/cat").measurement


def test_needed_lists_libc_for_dynamic_and_nothing_for_static(binaries):
    out = c_void_p()
    check(elf_needed(b"/bin/cat", ctypes.byref(out)))
    assert "libc.so.6" in json.loads(take_string(out))
    check(elf_needed(str(binaries["static"]).encode(), ctypes.byref(out)))
    assert json.loads(take_string(out)) == []


def test_shared_library_is_not_an_interposable_executable():
    info = inspect(os.path.join(bptee.BUILD, "libbptee-preload.so"))
    assert info.dynamic == 0  # ET_DYN without PT_INTERP: not a program ld.so starts


@pytest.mark.parametrize("content, needle", [
    (b"#!/bin/sh\necho hi\n", "not an ELF file"),
    (b"", "not an ELF file"),
    (b"\x7fELF\x02\x01\x01", "ELF"),
])
def test_not_elf_rejected(tmp_path, content, needle):
    p = tmp_path / "f"
    p.write_bytes(content)
    with pytest.raises(BpteeError) as e:
        inspect(p)
    assert e.value.name == "EPARSE"
    assert needle in e.value.reason


def test_truncated_elf_rejected(tmp_path):
    data = open("/bin/cat", "rb").read()
    p = tmp_path / "cut"
    p.write_bytes(data[:100])  # the header survives, the program headers do not
    with pytest.raises(BpteeError) as e:
        inspect(p)
    assert e.value.name == "EPARSE"


def test_interp_outside_file_rejected(tmp_path):
    data = bytearray(open("/bin/cat", "rb").read())
    # find PT_INTERP in the 64-bit program headers and point it past the end of the file
    phoff = int.from_bytes(data[0x20:0x28], "little")
    phentsize = int.from_bytes(data[0x36:0x38], "little")
    phnum = int.from_bytes(data[0x38:0x3a], "little")
    for i in range(phnum):
        off = phoff + i * phentsize
        if int.from_bytes(data[off:off + 4], "little") == 3:  # PT_INTERP
            data[off + 8:off + 16] = (len(data) + 10).to_bytes(8, "little")
            break
    else:
        pytest.fail("no PT_INTERP in /bin/cat")
    p = tmp_path / "bad"
    p.write_bytes(bytes(data))
    with pytest.raises(BpteeError) as e:
        inspect(p)
    assert "PT_INTERP" in e.value.reason


def test_missing_file_and_directory():
    with pytest.raises(BpteeError) as e:
        inspect("/nonexistent/bin")
    assert e.value.name == "ENOTFOUND"
    with pytest.raises(BpteeError) as e:
        inspect("/tmp")
    assert e.value.name == "EINVAL" and "regular file" in e.value.reason


def test_python_interpreter_is_dynamic():
    info = inspect(os.path.realpath(sys.executable))
    assert info.dynamic == 1
