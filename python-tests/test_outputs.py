# SPDX-License-Identifier: Apache-2.0
"""What bptee writes out: files named with -o (attest, sim report), the library's
bptee_write_file and bptee_replace_file_at under them, and standard output. A regular file or a
new path is replaced atomically (the old file whole on a full disk, no temporary left); a FIFO
or a device is written through, with its write errors reported; a symbolic link is refused; a
write error on stdout is one line and a non-zero exit (docs/results.md, "Writing files")."""
import os
import pathlib
import stat
import subprocess
import sys
import tempfile
import threading

import pytest

import bptee
from bptee import c_char_p, c_int, c_size_t
from ctypes import c_uint
from fs_util import fill, names, small_fs  # noqa: F401  (fixture)
from test_guest import state  # noqa: F401  (fixture: a simulated TEE's state directory)

replace_at = bptee.fn("bptee_replace_file_at", c_int, c_int, c_char_p, c_char_p, c_size_t, c_uint,
                      c_uint)
write_file = bptee.fn("bptee_write_file", c_int, c_char_p, c_char_p, c_size_t, c_uint)
AT_FDCWD = -100
NEW_ONLY, KEEP_ATTRS = 1, 2
REPORT_SIZE = 1184  # SEV-SNP


def replace(path, data, mode=0o644, flags=0, dirfd=AT_FDCWD):
    return replace_at(dirfd, str(path).encode(), data, len(data), mode, flags)


def write(path, data, mode=0o644):
    return write_file(str(path).encode(), data, len(data), mode)


def full_device(tmp_path):
    """A device node of our own that answers every write with ENOSPC (what /dev/full is)."""
    node = tmp_path / "full"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except PermissionError:
        pytest.skip("mknod needs root: no device node to write to")
    return node


def read_fifo(path):
    """Start a reader of the FIFO; returns a function giving what it read."""
    got = []
    t = threading.Thread(target=lambda: got.append(open(path, "rb").read()), daemon=True)
    t.start()

    def result():
        t.join(30)
        return got[0] if got else None
    return result


# ---- the library


def test_replace_on_a_full_disk_keeps_the_old_file_whole(small_fs):
    old = small_fs / "result.json"
    old.write_bytes(b"A" * 20000)
    fill(small_fs, 8192)
    for call in (replace, write):
        assert call(old, b"B" * 30000) == bptee.CODES["EIO"]
        why = bptee.last_error()
        assert str(old) in why and "No space left on device" in why
        assert old.read_bytes() == b"A" * 20000
        assert names(small_fs) == ["filler", "result.json"]  # no temporary left behind
    # the twin: with room, the same call replaces it
    (small_fs / "filler").unlink()
    assert replace(old, b"B" * 30000) == 0 and old.read_bytes() == b"B" * 30000
    assert names(small_fs) == ["result.json"]


def test_replace_refuses_symlinks_and_other_files(tmp_path):
    target = tmp_path / "target"
    target.write_bytes(b"keep")
    link = tmp_path / "link"
    link.symlink_to(target)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path, needle in ((link, "symbolic link"), (fifo, "not a regular file"),
                         (tmp_path, "not a regular file")):
        assert replace(path, b"new") == bptee.CODES["EINVAL"]
        assert str(path) in bptee.last_error() and needle in bptee.last_error()
    assert link.is_symlink() and target.read_bytes() == b"keep"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert write(link, b"new") == bptee.CODES["EINVAL"] and link.is_symlink()
    assert "symbolic link" in bptee.last_error() and target.read_bytes() == b"keep"


def test_replace_modes_and_new_only(tmp_path):
    f = tmp_path / "f"
    assert replace(f, b"one", mode=0o640) == 0
    assert f.read_bytes() == b"one" and stat.S_IMODE(os.stat(f).st_mode) == 0o640
    os.chmod(f, 0o600)
    assert replace(f, b"two", mode=0o644, flags=KEEP_ATTRS) == 0
    assert f.read_bytes() == b"two" and stat.S_IMODE(os.stat(f).st_mode) == 0o600
    assert replace(f, b"three", mode=0o644) == 0 and stat.S_IMODE(os.stat(f).st_mode) == 0o644
    assert replace(f, b"four", flags=NEW_ONLY) == bptee.CODES["EIO"]
    assert "never replaced" in bptee.last_error() and f.read_bytes() == b"three"
    # relative to a directory descriptor, as the agent names a job's result
    d = os.open(tmp_path, os.O_PATH | os.O_DIRECTORY)
    try:
        assert replace("g", b"new", dirfd=d, flags=NEW_ONLY) == 0
        assert replace("g", b"newer", dirfd=d) == 0
    finally:
        os.close(d)
    assert (tmp_path / "g").read_bytes() == b"newer"
    assert names(tmp_path) == ["f", "g"]
    assert replace(tmp_path / "missing-dir" / "x", b"") == bptee.CODES["ENOTFOUND"]
    assert replace_at(AT_FDCWD, str(f).encode(), b"", 0, 0o644, 0x100) == bptee.CODES["EINVAL"]


def test_replaced_file_keeps_its_owner_as_root(tmp_path):
    """A result the agent or bptee run (root) replaces stays the job user's file."""
    if os.geteuid() != 0:
        pytest.skip("giving a file to another owner needs root")
    f = tmp_path / "result.json"
    f.write_bytes(b"{}")
    os.chown(f, 65534, 65534)
    os.chmod(f, 0o640)
    assert replace(f, b'{"tee": 1}', flags=KEEP_ATTRS) == 0
    st = os.stat(f)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (65534, 65534, 0o640)
    # the twin: without the flag the new file is ours, with the mode given
    assert replace(f, b"{}", mode=0o600) == 0
    st = os.stat(f)
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (0, 0o600)


def test_an_ordinary_user_replaces_files_too():
    """Not only root: run as nobody, in a directory it may write. (Before Linux 6.10 linking
    an unnamed file in needed CAP_DAC_READ_SEARCH, and the library links through
    /proc/self/fd instead; on a newer kernel this test takes the direct way.)"""
    if os.geteuid() != 0:
        pytest.skip("needs root to run a process as nobody")
    d = pathlib.Path(tempfile.mkdtemp(prefix="bptee-outputs-"))  # pytest's tree is 0700
    os.chmod(d, 0o777)
    (d / "old").write_bytes(b"old")
    os.chmod(d / "old", 0o666)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import bptee, test_outputs as t; "
            "print(t.replace(sys.argv[2] + '/old', b'new'), t.replace(sys.argv[2] + '/new', "
            "b'new'), bptee.last_error())")
    try:
        r = subprocess.run([sys.executable, "-c", code, os.path.dirname(__file__), str(d)],
                           user=65534, group=65534, extra_groups=[], capture_output=True,
                           text=True, timeout=60, env=dict(os.environ))
        assert r.stdout.split() == ["0", "0"], r.stderr + r.stdout
        assert (d / "old").read_bytes() == b"new" and (d / "new").read_bytes() == b"new"
        assert names(d) == ["new", "old"] and (d / "new").stat().st_uid == 65534
    finally:
        for f in d.iterdir():
            f.unlink()
        d.rmdir()


def test_write_file_writes_through_fifos_and_devices(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = read_fifo(fifo)
    assert write(fifo, b"through the pipe") == 0
    assert got() == b"through the pipe" and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    node = full_device(tmp_path)
    assert write(node, b"x" * 100) == bptee.CODES["EIO"]
    assert "No space left on device" in bptee.last_error()
    assert stat.S_ISCHR(os.lstat(node).st_mode)


# ---- -o of the CLI


def sim_report(state, out, **kw):
    return bptee.cli("sim", "report", "--state-dir", state, "-o", out, **kw)


def attest(tmp_path, out):
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "xdg"))
    return bptee.cli("attest", "--tsm-path", tmp_path / "no-tsm", "--device",
                     tmp_path / "no-dev", "-o", out, env=env, timeout=120)


def lines(stderr):
    return [l for l in stderr.splitlines() if "simulated TEE" not in l]


@pytest.mark.parametrize("command", ["sim report", "attest"])
def test_output_to_a_device_reports_its_error_and_keeps_it(tmp_path, state, command):
    node = full_device(tmp_path)
    r = sim_report(state, node) if command == "sim report" else attest(tmp_path, node)
    assert r.returncode == 1
    assert lines(r.stderr) == [l for l in lines(r.stderr) if l.startswith("bptee: ")]
    assert len(lines(r.stderr)) == 1 and "No space left on device" in r.stderr
    assert stat.S_ISCHR(os.lstat(node).st_mode)  # a device node, not a regular file
    # the twin: a regular file gets the output
    out = tmp_path / "out"
    r = sim_report(state, out) if command == "sim report" else attest(tmp_path, out)
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size > 0


@pytest.mark.parametrize("command", ["sim report", "attest"])
def test_output_to_a_symlink_is_refused(tmp_path, state, command):
    target = tmp_path / "target"
    target.write_bytes(b"not yours")
    link = tmp_path / "evidence"
    link.symlink_to(target)
    r = sim_report(state, link) if command == "sim report" else attest(tmp_path, link)
    assert r.returncode == 1
    assert len(lines(r.stderr)) == 1 and "is a symbolic link" in r.stderr and str(link) in r.stderr
    assert link.is_symlink() and target.read_bytes() == b"not yours"


def test_output_to_a_fifo_and_stdout_is_written_through(tmp_path, state):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = read_fifo(fifo)
    r = sim_report(state, fifo)
    assert r.returncode == 0, r.stderr
    assert len(got()) == REPORT_SIZE and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    r = bptee.cli("sim", "report", "--state-dir", state, "-o", "/dev/stdout", text=False)
    assert r.returncode == 0 and len(r.stdout) == REPORT_SIZE
    with open("/dev/full", "wb") as full:
        r = subprocess.run([bptee.CLI, "sim", "report", "--state-dir", str(state), "-o",
                            "/dev/stdout"], stdout=full, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 1 and "stdout: write failed: No space left on device" in r.stderr


def test_output_on_a_full_disk_keeps_the_old_file(small_fs, state):
    out = small_fs / "report.bin"
    out.write_bytes(b"old report")
    os.chmod(out, 0o600)
    fill(small_fs, 512)
    r = sim_report(state, out)
    assert r.returncode == 1 and "No space left on device" in r.stderr
    assert out.read_bytes() == b"old report" and names(small_fs) == ["filler", "report.bin"]
    (small_fs / "filler").unlink()
    r = sim_report(state, out)
    assert r.returncode == 0 and out.stat().st_size == REPORT_SIZE
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # replaced, keeping its mode


# ---- standard output


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["config", "show"],
                                  ["config", "--help"], ["sim", "--help"]])
def test_write_errors_on_stdout_are_one_line_and_a_failure(args):
    with open("/dev/full", "wb") as full:
        r = subprocess.run([bptee.CLI, *args], stdout=full, stderr=subprocess.PIPE, text=True,
                           timeout=60)
    assert r.returncode == 1
    assert r.stderr.splitlines() == [r.stderr.strip()]
    assert r.stderr.startswith("bptee: write error on standard output")
    ok = bptee.cli(*args)
    assert ok.returncode == 0 and ok.stdout and ok.stderr == ""


def test_closed_stdout_is_an_error_only_when_written_to():
    r = subprocess.run(f"{bptee.CLI} config check /nonexistent >&-", shell=True,
                       capture_output=True, text=True)
    assert r.returncode == 1 and "write error" not in r.stderr and "/nonexistent" in r.stderr
    r = subprocess.run(f"{bptee.CLI} --version >&-", shell=True, capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr == "bptee: write error on standard output: Bad file descriptor\n"
