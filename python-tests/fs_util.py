# SPDX-License-Identifier: Apache-2.0
"""Odd places to write to, for the tests of outputs and results: a small tmpfs that fills up
(a full disk), and a directory listing that shows every name, hidden ones included."""
import os
import subprocess

import pytest


@pytest.fixture
def small_fs(tmp_path):
    """A 64 KiB tmpfs (root mounts it; unmounted in teardown), where a few large writes meet
    ENOSPC. Skipped, saying why, where mounting is impossible."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs for a full disk: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=True)


def fill(fs, leave):
    """Fill fs with a file 'filler' until only about `leave` bytes are free."""
    st = os.statvfs(fs)
    free = st.f_bavail * st.f_frsize
    with open(fs / "filler", "wb") as f:
        f.write(b"\0" * max(0, free - leave))


def names(d):
    return sorted(os.listdir(d))
