# SPDX-License-Identifier: Apache-2.0
"""For the Python benches (make bench): a real agent on the simulated TEE in a temporary
directory, with secrets provisioned, and the job spec files `bptee run` takes."""
import json
import os
import shutil
import subprocess
import tempfile

B = os.environ.get("BPTEE_BUILD", os.path.abspath("build"))
CLI = os.path.join(B, "bptee")


class BenchAgent:
    """`bptee agent` (simulated TEE, open owners) in a fresh 0755 directory, so that a job
    under a dynamic uid reaches the files it is given; stop() removes everything."""

    def __init__(self, prefix):
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.tmp, 0o755)
        self.proc = None
        self.config = os.path.join(self.tmp, "tee.json")
        with open(self.config, "w") as f:
            json.dump({"requirement": "preferred", "mode": "direct", "provider_selector": "any",
                       "key_exchange": {"session_ttl_secs": 60, "max_sessions": 64},
                       "secret_injection": "sealed_only",
                       "bptee": {"evidence_provider": "sim", "owners": "open",
                                 "sim_state_dir": os.path.join(self.tmp, "sim")}}, f)
        self.sock = os.path.join(self.tmp, "agent.sock")
        log = open(os.path.join(self.tmp, "agent.log"), "w")
        self.proc = subprocess.Popen([CLI, "agent", "--config", self.config, "--listen",
                                      "127.0.0.1:0", "--socket", self.sock],
                                     stdout=subprocess.PIPE, stderr=log, text=True)
        ready = self.proc.stdout.readline()
        if not ready.startswith("ready "):
            self.stop()
            raise RuntimeError("the agent did not start")
        self.url = ready.split()[1]

    def path(self, name):
        return os.path.join(self.tmp, name)

    def provision(self, name, value):
        pol = self.path("policy.json")
        with open(pol, "w") as f:
            f.write('{"sev_snp":{"allow_simulation":true}}')
        src = self.path("secret-" + name)
        with open(src, "wb") as f:
            f.write(value)
        subprocess.run([CLI, "provision", "--agent", self.url, "--policy", pol,
                        "--secret", f"{name}=@{src}"], check=True, capture_output=True)
        os.unlink(src)

    def spec(self, name, secrets, job_id="bench", **extra):
        """A job spec file declaring secrets ({name: path}) and any other keys given."""
        p = self.path(name)
        with open(p, "w") as f:
            json.dump({"job_id": job_id, "secrets": secrets, **extra}, f)
        return p

    def run_argv(self, spec):
        """`bptee run` against this agent, up to the "--" before the job's command."""
        return [CLI, "run", "--config", self.config, "--agent-socket", self.sock, "--spec", spec]

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc.stdout.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
