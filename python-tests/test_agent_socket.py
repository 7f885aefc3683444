# SPDX-License-Identifier: Apache-2.0
"""One agent per job socket, and an agent that notices its socket is gone (issue 14). An
agent holds an flock on SOCKET.lock while it runs, so a second agent refuses even when the
socket file itself was removed; and an agent whose socket file is removed or replaced exits
with a clear message (jobs can no longer reach it) instead of serving nobody, after which a
new agent takes the path."""
import fcntl
import os
import socket
import time

import bptee as B
from test_agent import CLI, Agent, fetch_secret, sim_dir, tee_config  # noqa: F401


def start_second(tmp_path, sim_dir, sock):
    cfg = tee_config(tmp_path / "tee2.json", sim_dir)
    return B.run([CLI, "agent", "--config", cfg, "--listen", "127.0.0.1:0", "--socket", sock],
                 timeout=60)


def test_agent_holds_the_lock_while_it_runs(tmp_path, sim_dir):
    a = Agent(tmp_path, sim_dir)
    try:
        with open(a.sock + ".lock", "r+") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = False
            except BlockingIOError:
                held = True
            assert held and f.read().strip() == str(a.proc.pid)
        r = start_second(tmp_path, sim_dir, a.sock)
        assert r.returncode == 1 and f"another agent pid {a.proc.pid}" in r.stderr
        assert fetch_secret(a.sock, "x")[0].startswith("ERR notfound")  # the first serves on
    finally:
        a.stop()


def test_lock_refuses_even_without_a_socket_file(tmp_path, sim_dir):
    """What the connect probe cannot see: no socket file, yet an agent holds the path."""
    sock = str(tmp_path / "agent.sock")
    with open(sock + ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        r = start_second(tmp_path, sim_dir, sock)
        assert r.returncode == 1 and "another agent" in r.stderr and ".lock" in r.stderr
        assert not os.path.exists(sock)
    # the lock released (its holder gone): an agent starts
    a = Agent(tmp_path, sim_dir)
    a.stop()


def wait_exit(proc, seconds=15):
    deadline = time.monotonic() + seconds
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    return proc.poll()


def test_removed_socket_is_noticed_and_the_path_freed(tmp_path, sim_dir):
    a = Agent(tmp_path, sim_dir)
    os.unlink(a.sock)
    assert wait_exit(a.proc) == 1
    a.log_file.close()
    assert "job socket was removed or replaced" in a.log()
    b = Agent(tmp_path, sim_dir)  # the path is free again
    try:
        assert fetch_secret(b.sock, "x")[0].startswith("ERR notfound")
    finally:
        b.stop()


def test_replaced_socket_is_noticed(tmp_path, sim_dir):
    a = Agent(tmp_path, sim_dir)
    os.unlink(a.sock)
    impostor = socket.socket(socket.AF_UNIX)
    impostor.bind(a.sock)  # someone else's socket at the path
    try:
        assert wait_exit(a.proc) == 1
        assert os.path.exists(a.sock)  # the agent leaves what is not its own
    finally:
        impostor.close()
        a.log_file.close()
    assert "job socket was removed or replaced" in a.log()
