# SPDX-License-Identifier: Apache-2.0
"""`bptee sim tsm-fs` mounts for tests. The server runs in the foreground as the test's own
child, so whatever happens in the test (an assertion failing halfway, an ordinary user whose
`fusermount3 -u` is refused because the mount is busy), leaving the block unmounts the file
system and ends the server: no mount and no `bptee sim tsm-fs` process outlives its test."""
import contextlib
import os
import signal
import subprocess
import time

from bptee import CLI


def mounted(where):
    where = os.path.abspath(str(where))
    with open("/proc/self/mounts") as f:
        return any(line.split()[1] == where for line in f)


class TsmFs:
    def __init__(self, where, log, pid):
        self.where = where
        self.pid = pid
        self.report = where / "report"
        self._log = log

    @property
    def stderr(self):
        return self._log.read_text()


@contextlib.contextmanager
def tsm_fs(where, *args, timeout=30):
    """Mount `bptee sim tsm-fs WHERE ARGS...` for the duration of the with block."""
    where.mkdir(exist_ok=True)
    log = where.parent / f"{where.name}.tsm-fs.log"
    with open(log, "w") as err:
        p = subprocess.Popen([CLI, "sim", "tsm-fs", str(where), "--foreground",
                              *[str(a) for a in args]],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + timeout
        while not (mounted(where) and "bptee: sim tsm-fs:" in log.read_text()):
            assert p.poll() is None, f"bptee sim tsm-fs exited {p.returncode}: {log.read_text()}"
            assert time.monotonic() < deadline, f"not mounted after {timeout} s: {log.read_text()}"
            time.sleep(0.01)
        yield TsmFs(where, log, p.pid)
    finally:
        stop(where, p)


def stop(where, p):
    subprocess.run(["fusermount3", "-u", str(where)], capture_output=True)
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)  # the server's FUSE signal handlers unmount and exit
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    if mounted(where):  # a server killed outright leaves a dead mount: detach it
        subprocess.run(["fusermount3", "-u", "-z", str(where)], capture_output=True)
    assert not mounted(where), f"{where} is still mounted"
