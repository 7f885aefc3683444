# SPDX-License-Identifier: Apache-2.0
"""A software TPM (swtpm, socket mode) provisioned the way an Azure confidential VM's vTPM is:
a real attestation key at a persistent handle, made by the TPM itself, and an HCL report in an
NV index. The HCL report comes from the simulator (`bptee sim hcl`), bound to that AK, since
only Azure's paravisor can make a real one. Each instance has its own state directory and
ports; close() kills the process it started."""
import os
import socket
import subprocess
import time

import bptee as B

HCL_NV_INDEX = 0x01400001
AK_HANDLE = 0x81000003


def free_port_pair():
    """Two free loopback ports, the second right after the first (swtpm's server and control)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port >= 65535:
            continue
        with socket.socket() as s2:
            try:
                s2.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair for swtpm")


class Swtpm:
    def __init__(self, tmp):
        self.dir = str(tmp)
        self.state = os.path.join(self.dir, "tpmstate")
        os.makedirs(self.state, exist_ok=True)
        self.port = free_port_pair()
        self.tcti = f"swtpm:host=127.0.0.1,port={self.port}"
        self.log = open(os.path.join(self.dir, "swtpm.log"), "w")
        self.proc = subprocess.Popen(
            ["swtpm", "socket", "--tpm2", "--tpmstate", f"dir={self.state}",
             "--server", f"type=tcp,port={self.port},bindaddr=127.0.0.1",
             "--ctrl", f"type=tcp,port={self.port + 1},bindaddr=127.0.0.1",
             "--flags", "not-need-init,startup-clear"],
            stdout=self.log, stderr=self.log)
        self._wait_listening()
        self.ek = os.path.join(self.dir, "ek.ctx")
        self.tool("tpm2_createek", "-c", self.ek, "-G", "rsa", "-u",
                  os.path.join(self.dir, "ek.pub"))
        self.tool("tpm2_flushcontext", "-t")

    def _wait_listening(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"swtpm exited with {self.proc.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("swtpm did not listen within 10 s")

    def tool(self, *args):
        env = dict(os.environ, TPM2TOOLS_TCTI=self.tcti)
        r = subprocess.run(args, capture_output=True, env=env, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {r.stderr.decode(errors='replace')}")
        return r.stdout

    def create_ak(self, handle):
        """A restricted RSA-2048 signing key (RSASSA SHA-256) under the EK, made persistent at
        handle, as Azure's AK; returns its public key (PEM). No resource manager runs in front
        of swtpm, so every transient object and session is flushed after use."""
        ctx, pem = (os.path.join(self.dir, f"ak-{handle:x}.{e}") for e in ("ctx", "pem"))
        self.tool("tpm2_createak", "-C", self.ek, "-c", ctx, "-G", "rsa", "-g", "sha256", "-s",
                  "rsassa", "-u", pem, "-f", "pem", "-n", ctx + ".name")
        self.tool("tpm2_flushcontext", "-t")
        self.tool("tpm2_flushcontext", "-s")
        self.tool("tpm2_evictcontrol", "-C", "o", "-c", ctx, hex(handle))
        self.tool("tpm2_flushcontext", "-t")
        with open(pem, "rb") as f:
            return f.read()

    def nv_write(self, index, data):
        """Define the index (owner read/write, as Azure's tooling reads it) and fill it."""
        path = os.path.join(self.dir, f"nv-{index:x}.bin")
        with open(path, "wb") as f:
            f.write(data)
        self.tool("tpm2_nvdefine", hex(index), "-C", "o", "-s", str(len(data)), "-a",
                  "ownerread|ownerwrite|authread|authwrite")
        self.tool("tpm2_nvwrite", hex(index), "-C", "o", "-i", path)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()


def sim_hcl(sim_dir, ak_pem_path, out, certs=None):
    """`bptee sim hcl`: a simulated HCL report naming the AK, and the simulator's VCEK chain."""
    args = [B.CLI, "sim", "hcl", "--state-dir", str(sim_dir), "--ak-pub", str(ak_pem_path),
            "-o", str(out)]
    if certs:
        args += ["--certs", str(certs)]
    subprocess.run(args, check=True, capture_output=True, timeout=120)
    with open(out, "rb") as f:
        return f.read()


def split_evidence(ev):
    """Offsets of the container's parts: (hcl_start, hcl_len, sig_start, sig_len, attest_start,
    attest_len, pcrs_start)."""
    le = lambda o: int.from_bytes(ev[o:o + 8], "little")  # noqa: E731
    hcl_len = le(0)
    o = 8 + hcl_len
    sig_len = le(o)
    a = o + 8 + sig_len
    attest_len = le(a)
    return 8, hcl_len, o + 8, sig_len, a + 8, attest_len, a + 8 + attest_len + 8
