# SPDX-License-Identifier: Apache-2.0
"""Registering test processes as jobs with a real agent (docs/protocol.md, "Jobs and their
grants"). The agent serves SECRET, VERSION, SIGN and RESULT only to processes of a job
registered for them, so a test that fetches from a real agent registers first, with the
operator's own tool, `bptee grant`: `grant()` for a running process (this test process by
default), `granted()` for the argv that runs a command as the root of a job. `Keeper` is a
connection whose agent-side peer is a live `bptee` process (the JOB/WATCH side of `bptee run`),
driven from Python."""
import os
import socket
import subprocess

import bptee as B

SHIM = os.path.join(B.TESTC, "agent_for_shim.so")
JOB = "pytest-job"


def grant(sock, names, job_id=JOB, pid=None):
    """Register pid (default: this process) and its descendants as job_id, for names."""
    args = [B.CLI, "grant", "--socket", str(sock), "--job-id", job_id]
    for n in names:
        args += ["--secret", n]
    r = subprocess.run(args + ["--pid", str(pid or os.getpid())], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r


def granted(sock, names, cmd, job_id=JOB):
    """argv running cmd as the root of job_id, granted names (`bptee grant ... -- cmd`)."""
    args = [B.CLI, "grant", "--socket", str(sock), "--job-id", job_id]
    for n in names:
        args += ["--secret", n]
    return args + ["--", *cmd]


class Keeper:
    """A job socket connection made by a live bptee process (the test shim preloaded into it),
    handed to this test: the agent judges its requests as the agent's own binary's."""

    def __init__(self, sock):
        mine, theirs = socket.socketpair()
        pre = " ".join(filter(None, [os.environ.get("LD_PRELOAD"), SHIM]))
        env = dict(os.environ, LD_PRELOAD=pre, SHIM_SOCKET=str(sock),
                   SHIM_HANDOFF=str(theirs.fileno()))
        self.proc = subprocess.Popen([B.CLI, "--version"], env=env, stdin=subprocess.PIPE,
                                     pass_fds=[theirs.fileno()])
        theirs.close()
        mine.settimeout(30)
        _, fds, _, _ = socket.recv_fds(mine, 1, 1)
        mine.close()
        assert fds, "the shim handed no connection over"
        self.s = socket.socket(fileno=fds[0])
        self.s.settimeout(30)
        self.buf = b""
        self.pid = self.proc.pid

    def send(self, line):
        self.s.sendall(line.encode() + b"\n")

    def read_line(self, timeout=30):
        """(line or None at the end, [fds])."""
        self.s.settimeout(timeout)
        fds = []
        while b"\n" not in self.buf:
            msg, got, _, _ = socket.recv_fds(self.s, 4096, 4)
            fds += got
            if not msg:
                return None, fds
            self.buf += msg
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(), fds

    def call(self, line):
        self.send(line)
        return self.read_line()

    def close(self):
        self.s.close()
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
