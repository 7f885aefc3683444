# SPDX-License-Identifier: Apache-2.0
"""What the agent measures of a peer (bptee_peer_measure_pid: SHA-256 of /proc/PID/exe), whose
results are cached by the binary's file identity (src/agent/peer.c): a binary rewritten in
place between two runs, its size and mtime kept, is measured anew and never served from the
cache, whether the first measurement was cached (the file was old) or not (the file was fresh,
its timestamps within a clock tick of the rewrite); an unchanged binary measures the same."""
import ctypes
import hashlib
import os
import shutil
import subprocess
import time

import bptee
from bptee import fn

measure_pid = fn("bptee_peer_measure_pid", ctypes.c_int, ctypes.c_int32,
                 ctypes.POINTER(ctypes.c_uint8))

MARK = b"invalid time interval"  # a message in /bin/sleep: the program still runs when edited


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def measured(path):
    """Run path (sleep), measure the running process as the agent would, stop it."""
    p = subprocess.Popen([str(path), "60"])
    try:
        while os.readlink(f"/proc/{p.pid}/exe") != str(path):  # exec'd: the exe is path
            time.sleep(0.001)
        out = (ctypes.c_uint8 * 32)()
        bptee.check(measure_pid(p.pid, out))
        return bytes(out).hex()
    finally:
        p.kill()
        p.wait()


def rewrite_in_place(path, old, new):
    """The same inode, the same size, the mtime set back: only ctime can tell."""
    st = path.stat()
    data = path.read_bytes()
    assert data.count(old) == 1 and len(old) == len(new)
    with open(path, "r+b") as f:
        f.seek(data.index(old))
        f.write(new)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (st.st_ino, st.st_size,
                                                               st.st_mtime_ns)


def test_binary_rewritten_in_place_is_measured_anew(tmp_path):
    prog = tmp_path / "prog"
    shutil.copy("/bin/sleep", prog)
    first = sha256(prog)
    # a fresh file (ctime now) is measured but not cached; rewritten at once, and back
    assert measured(prog) == first
    rewrite_in_place(prog, MARK, b"Invalid time interval")
    edited = sha256(prog)
    assert edited != first and measured(prog) == edited
    rewrite_in_place(prog, b"Invalid time interval", MARK)
    assert measured(prog) == first
    # once the file is old enough, its measurement is cached (measured twice, the same), and
    # a rewrite in place still reaches the next measurement
    time.sleep(2.5)
    assert measured(prog) == first and measured(prog) == first
    rewrite_in_place(prog, MARK, b"Invalid time interval")
    assert measured(prog) == edited


def test_binary_replaced_on_its_path_is_measured_anew(tmp_path):
    prog = tmp_path / "prog"
    shutil.copy("/bin/sleep", prog)
    first = measured(prog)
    shutil.copy("/bin/sleep", tmp_path / "edited")
    rewrite_in_place(tmp_path / "edited", MARK, b"Invalid time interval")
    os.replace(tmp_path / "edited", prog)
    assert measured(prog) == sha256(prog) != first
