# SPDX-License-Identifier: Apache-2.0
"""The build's promises: the ABI is what the headers declare, the interposer brings only libc,
and an outside program compiles and runs against an installed copy through pkg-config."""
import os
import re
import subprocess

import bptee
from bptee import BUILD, ROOT


def exported_symbols(path):
    out = subprocess.run(["nm", "-D", "--defined-only", path], capture_output=True, text=True,
                         check=True).stdout
    syms = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDBRVW":
            syms.add(parts[2].split("@")[0])
    return syms


def version_script_symbols():
    text = open(os.path.join(BUILD, "libbptee.map")).read()
    return set(re.findall(r"^\s+(bptee_\w+);", text, re.M))


def test_exports_match_version_script():
    exported = exported_symbols(os.path.join(BUILD, "libbptee.so"))
    promised = version_script_symbols()
    assert promised, "the version script lists no symbol"
    assert exported == promised


def test_every_header_function_is_in_version_script():
    declared = set()
    inc = os.path.join(ROOT, "include", "bptee")
    for name in os.listdir(inc):
        for line in open(os.path.join(inc, name)):
            if line.startswith("BPTEE_API"):
                declared.update(re.findall(r"(bptee_\w+)\(", line)[:1])
    assert declared == version_script_symbols()


def test_soname_and_links():
    real = os.path.realpath(os.path.join(BUILD, "libbptee.so"))
    out = subprocess.run(["readelf", "-d", real], capture_output=True, text=True).stdout
    assert "Library soname: [libbptee.so.0]" in out
    assert os.path.islink(os.path.join(BUILD, "libbptee.so.0"))


def test_preload_needs_only_libc():
    out = subprocess.run(["readelf", "-d", bptee.PRELOAD], capture_output=True, text=True,
                         check=True).stdout
    needed = re.findall(r"\(NEEDED\).*\[(.*)\]", out)
    if bptee.ASAN:  # the sanitizer runtimes come with an instrumented build
        needed = [n for n in needed if not re.match(r"lib(asan|ubsan)\.so", n)]
    assert needed == ["libc.so.6"]


def test_error_codes_have_names():
    for name, code in bptee.CODES.items():
        assert bptee.strerror(code).decode().startswith("BPTEE_" + name + ":")
    assert bptee.strerror(-999).decode().startswith("BPTEE_E?")


def test_last_error_is_thread_local():
    import threading
    read_file = bptee.fn("bptee_read_file", bptee.c_int, bptee.c_char_p, bptee.c_size_t,
                         bptee.c_void_p, bptee.c_void_p)
    import ctypes
    p, n = ctypes.c_void_p(), ctypes.c_size_t()
    rc = read_file(b"/nonexistent/bptee", 100, ctypes.byref(p), ctypes.byref(n))
    assert rc == bptee.CODES["ENOTFOUND"]
    assert "/nonexistent/bptee" in bptee.last_error()
    seen = []
    t = threading.Thread(target=lambda: seen.append(bptee.last_error()))
    t.start()
    t.join()
    assert seen == [""]
    bptee.clear_error()
    assert bptee.last_error() == ""


def test_cli_help_and_unknown_command():
    r = bptee.cli("--help")
    assert r.returncode == 0 and "usage: bptee" in r.stdout
    r = bptee.cli("no-such-command")
    assert r.returncode == 2 and "unknown command 'no-such-command'" in r.stderr


OUTSIDE_PROGRAM = r"""
#include <bptee.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    printf("%s\n", bptee_version());
    return strcmp(bptee_strerror(BPTEE_EVERIFY), "BPTEE_EVERIFY: verification failed") != 0;
}
"""


def test_install_and_pkg_config(tmp_path):
    dest = tmp_path / "dest"
    prefix = "/opt/bptee-test"
    r = subprocess.run(["make", "-C", ROOT, f"B={BUILD}", "install", f"DESTDIR={dest}",
                        f"PREFIX={prefix}"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    root = f"{dest}{prefix}"
    for rel in ["lib/libbptee.so.0", "lib/libbptee.so", "lib/libbptee-preload.so", "bin/bptee",
                "include/bptee.h", "include/bptee/error.h", "lib/pkgconfig/bptee.pc"]:
        assert os.path.lexists(os.path.join(root, rel)), rel
    pc = open(os.path.join(root, "lib/pkgconfig/bptee.pc")).read()
    # The libraries it uses privately are for static links only; naming them in Requires.private
    # would pull their -I flags, which --define-prefix then points at a wrong directory.
    assert not re.search(r"^Requires.private", pc, re.M) and re.search(r"^Libs.private: .*-lsodium", pc, re.M)
    # pkg-config --define-prefix relocates the .pc's prefix to where DESTDIR put it.
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(root, "lib/pkgconfig"))
    flags = subprocess.run(["pkg-config", "--define-prefix", "--cflags", "--libs", "bptee"],
                           capture_output=True, text=True, env=env, check=True).stdout.split()
    assert f"-I{root}/include" in flags and "-lbptee" in flags
    strays = [f for f in flags if f[:2] in ("-I", "-L") and not f[2:].startswith(root)]
    assert not strays, strays
    src = tmp_path / "outside.c"
    src.write_text(OUTSIDE_PROGRAM)
    exe = tmp_path / "outside"
    r = subprocess.run(["cc", "-std=c11", "-Wall", "-Werror", str(src), "-o", str(exe), *flags],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(root, "lib"))
    if not bptee.ASAN:  # an instrumented libbptee needs the preloaded ASan runtime
        env.pop("LD_PRELOAD", None)
    r = subprocess.run([str(exe)], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and r.stdout.strip() == "0.1.0"
    r = subprocess.run(["make", "-C", ROOT, f"B={BUILD}", "uninstall", f"DESTDIR={dest}",
                        f"PREFIX={prefix}"], capture_output=True, text=True)
    assert r.returncode == 0
    assert not os.path.lexists(os.path.join(root, "lib/libbptee.so.0"))
    assert not os.path.lexists(os.path.join(root, "include/bptee"))
