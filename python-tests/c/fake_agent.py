# SPDX-License-Identifier: Apache-2.0
"""A stand-in for the agent's job socket (docs/protocol.md), SECRET and VERSION, so the
interposer can be tested on its own: a unix stream socket server answering "SECRET <name>\\n"
(optionally with " job=<id>") with "OK <size> <version>\\n" and a sealed, read-only memfd by
SCM_RIGHTS, "VERSION <name>\\n" with "OK <version>\\n", or "ERR <kind> <reason>\\n".
Secrets can be rotated (put again with a higher version) and revoked, as the agent does.
Like the agent it keeps a version page (one 64-bit word per name, sealed against writes by
anyone but itself) and, to "SECRET <name> ... slot", answers "OK <size> <version> <slot>" with
the memfd and a read-only descriptor of the page; with slots=False it plays an agent from
before the page ("ERR parse" to the "slot" word).

Per secret a behaviour can be chosen to play a broken or hostile agent: "ok", "unsealed" (a
writable memfd), "wrong-size" (announces one byte more), "no-fd" (OK without a descriptor),
"garbage" (a reply that is not the protocol), "hang-up" (closes without a reply)."""
import fcntl
import mmap
import os
import socket
import struct
import subprocess
import threading

import bptee

PY = "/usr/bin/python3"

SEALS = fcntl.F_SEAL_WRITE | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_SEAL
F_SEAL_FUTURE_WRITE = 0x10
PAGE_SLOTS = 4096
REVOKED = 1 << 63
GONE = (1 << 64) - 1


class VersionPage:
    """The agent's version page: writable here, sealed against every later writer."""

    def __init__(self):
        self.fd = os.memfd_create("bptee:versions", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        os.ftruncate(self.fd, PAGE_SLOTS * 8)
        self.map = mmap.mmap(self.fd, PAGE_SLOTS * 8, mmap.MAP_SHARED,
                             mmap.PROT_READ | mmap.PROT_WRITE)
        fcntl.fcntl(self.fd, fcntl.F_ADD_SEALS, F_SEAL_FUTURE_WRITE | fcntl.F_SEAL_GROW |
                    fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_SEAL)
        self.slots = {}

    def publish(self, name, word):
        slot = self.slots.setdefault(name, len(self.slots))
        struct.pack_into("=Q", self.map, slot * 8, word)
        return slot

    def read_only(self):
        return os.open(f"/proc/self/fd/{self.fd}", os.O_RDONLY | os.O_CLOEXEC)

    def close(self):
        for slot in self.slots.values():  # a stopped agent vouches for nothing
            struct.pack_into("=Q", self.map, slot * 8, GONE)
        self.map.close()
        os.close(self.fd)


def sealed_memfd(name, data, seal=True):
    """A memfd holding data, sealed and reopened read-only, as bptee_secret_memfd makes it."""
    fd = os.memfd_create(name, os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        os.write(fd, data)
        if not seal:
            return os.dup(fd)
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, SEALS)
        return os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(fd)


class FakeAgent:
    def __init__(self, path, slots=True):
        self.path = str(path)
        self.slots = slots
        self.page = VersionPage()
        self.secrets = {}
        self.behaviour = {}
        self.versions = {}
        self.revoked = set()
        self.requests = []
        self.version_requests = []
        self.job_ids = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(64)
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def put(self, name, data, behaviour="ok", version=1):
        with self.lock:
            self.secrets[name] = data
            self.behaviour[name] = behaviour
            self.versions[name] = version
            self.revoked.discard(name)
            self.page.publish(name, version)

    def revoke(self, name):
        with self.lock:
            self.revoked.add(name)
            self.page.publish(name, self.versions[name] | REVOKED)

    def count(self, name):
        """SECRET requests for name (deliveries)."""
        with self.lock:
            return self.requests.count(name)

    def version_count(self, name):
        with self.lock:
            return self.version_requests.count(name)

    def close(self):
        if self.sock.fileno() < 0:  # closed already (a test stopped the agent)
            return
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join()
        with self.lock:
            self.page.close()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        buf = b""
        with conn:
            while True:
                try:
                    chunk = conn.recv(512)
                except OSError:
                    return
                if not chunk:
                    return
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if not self._answer(conn, line.decode("ascii", "replace")):
                        return

    def _refusal(self, name):
        if name not in self.secrets:
            return f"ERR notfound secret not found: {name}\n"
        if name in self.revoked:
            return f"ERR denied secret revoked: {name}\n"
        return None

    def _answer(self, conn, line):
        words = line.split(" ")
        if words[0] not in ("SECRET", "VERSION"):
            conn.sendall(b"ERR unsupported unknown command\n")
            return True
        want_slot = self.slots and len(words) >= 3 and words[0] == "SECRET" and \
            words[-1] == "slot"
        if want_slot:
            words = words[:-1]
        if len(words) == 3 and words[0] == "SECRET" and words[2].startswith("job="):
            with self.lock:
                self.job_ids.append(words[2][4:])
            words = words[:2]
        if len(words) != 2:
            conn.sendall(b"ERR parse expected SECRET|VERSION <name>\n")
            return True
        name = words[1]
        with self.lock:
            (self.requests if words[0] == "SECRET" else self.version_requests).append(name)
            refusal = self._refusal(name)
            version = self.versions.get(name, 0)
            slot = self.page.slots.get(name)
        if refusal:
            conn.sendall(refusal.encode())
            return True
        if words[0] == "VERSION":
            conn.sendall(f"OK {version}\n".encode())
            return True
        data, how = self.secrets[name], self.behaviour[name]
        if how == "hang-up":
            return False
        if how == "garbage":
            conn.sendall(b"HELLO there\n")
            return True
        if how == "no-fd":
            conn.sendall(f"OK {len(data)} {version}\n".encode())
            return True
        fds = [sealed_memfd(f"bptee:{name}@{version}", data, seal=how != "unsealed")]
        if want_slot:
            fds.append(self.page.read_only())
        try:
            size = len(data) + (1 if how == "wrong-size" else 0)
            line = f"OK {size} {version}" + (f" {slot}" if want_slot else "")
            socket.send_fds(conn, [(line + "\n").encode()], fds)
        finally:
            for fd in fds:
                os.close(fd)
        return True


# ---- running jobs under the interposer

def escape(path):
    return str(path).replace("\\", "\\\\").replace(":", "\\:")


def preload_env(secrets, agent=None, fds=None, inherit=False, debug=False):
    """A job's environment as `bptee run` hands it down (docs/interposer.md)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BPTEE_")}
    base = os.environ.get("LD_PRELOAD", "") if bptee.ASAN else ""
    env["LD_PRELOAD"] = (base + " " + bptee.PRELOAD).strip()
    env["BPTEE_SECRETS"] = ":".join(f"{n}={escape(p)}" for n, p in secrets)
    if agent:
        env["BPTEE_AGENT_SOCKET"] = agent.path
    if fds:
        env["BPTEE_SECRET_FDS"] = ":".join(f"{n}={fd}" for n, fd in fds)
    if inherit:
        env["BPTEE_PRELOAD_INHERIT"] = "1"
    if debug:
        env["BPTEE_PRELOAD_DEBUG"] = "1"
    return env


def run(cmd, env, **kw):
    return subprocess.run([str(c) for c in cmd], env=env, capture_output=True, timeout=120, **kw)


def py(code, env, *args, **kw):
    return run([PY, "-c", code, *args], env, **kw)
