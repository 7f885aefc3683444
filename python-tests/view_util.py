# SPDX-License-Identifier: Apache-2.0
"""Fixtures and helpers for the kernel-served secret view (issue #11, python-tests/test_view.py):
a real `bptee agent` (as root or as another uid), secrets provisioned to it, a decoy planted at
every declared path on disk, job specs, `bptee run` in the TEE path (config mode "direct"), the
job programs of python-tests/progs built once into a directory every uid can read, and
assertions whose messages say exactly what a job read.

Everything a job touches lives under a directory made with tempfile.mkdtemp() in /tmp and
opened to every uid (0755; output directories 1777), because a job that `bptee run` starts as
root runs under a dynamic uid of its own."""
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time

from bptee import CLI
from hostcaps import skip_unless_view_possible
from test_result import POLICY_SIM

HERE = os.path.dirname(os.path.abspath(__file__))
PROGS_SRC = os.path.join(HERE, "progs")
RAMFS_MAGIC = "858458f6"  # statfs f_type of ramfs, as `stat -f -c %t` prints it


def open_dir(prefix, mode=0o755, base="/tmp"):
    """A fresh directory under base that every uid can enter (mode 0755, or 1777 for output).
    Programs a job runs go under /var/tmp: a job's sandbox replaces /tmp (docs/sandbox.md)."""
    d = tempfile.mkdtemp(prefix=prefix, dir=base)
    os.chmod(d, mode)
    return d


def write_json(path, obj, mode=0o644):
    with open(path, "w") as f:
        json.dump(obj, f)
    os.chmod(path, mode)
    return path


def tee_config(sim_dir):
    """The TEE config of the agent and of `bptee run` (mode direct: every job takes the TEE
    path), on the simulated SEV-SNP, with open owners so tests provision and revoke unsigned."""
    return {"requirement": "preferred", "mode": "direct", "provider_selector": "any",
            "key_exchange": {"session_ttl_secs": 300, "max_sessions": 64,
                             "on_chain_verification": False},
            "max_attestation_age_secs": 3600, "secret_injection": "sealed_only",
            "bptee": {"evidence_provider": "sim", "sim_state_dir": str(sim_dir),
                      "owners": "open"}}


def demote(uid):
    """Popen keyword arguments that run a process as uid (its own group, no others), or {}."""
    if uid is None:
        return {}
    return {"user": uid, "group": uid, "extra_groups": []}


# ---- the agent


class Agent:
    """A real `bptee agent` on the simulated TEE. uid: run it as this user (its state, socket
    and log in a directory that user owns); sock: listen at this path (a restarted agent takes
    the same socket as the one it replaces)."""

    def __init__(self, sim_dir, uid=None, sock=None, home=None):
        self.uid = uid
        self.sim_dir = str(sim_dir)
        self.home = home or open_dir("bptee-view-agent-")
        if uid is not None:
            os.chown(self.home, uid, uid)
        self.sock = sock or os.path.join(self.home, "agent.sock")
        self.log_path = os.path.join(self.home, f"agent-{time.monotonic_ns()}.log")
        self.config = write_json(os.path.join(self.home, f"agent-{time.monotonic_ns()}.json"),
                                 tee_config(sim_dir))
        self.policy = write_json(os.path.join(self.home, "policy.json"), POLICY_SIM)
        self.log = open(self.log_path, "w")
        if uid is not None:
            os.chown(self.log_path, uid, uid)
        if os.path.lexists(self.sock):
            os.unlink(self.sock)  # what a dead agent left behind
        self.proc = subprocess.Popen([CLI, "agent", "--config", self.config, "--listen",
                                      "127.0.0.1:0", "--socket", self.sock],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     **demote(uid))
        line = self.proc.stdout.readline()
        assert line.startswith("ready "), f"agent did not start: {line!r}\n{self.log_text()}"
        self.url = line.split()[1]

    def provision(self, name, value, rotate=False):
        """Provision (or, rotate=True, rotate) one secret; returns when the agent holds it."""
        f = os.path.join(self.home, f"secret-{name}-{time.monotonic_ns()}")
        with open(f, "wb") as out:
            out.write(value)
        r = subprocess.run([CLI, "provision", "--agent", self.url, "--policy", self.policy,
                            "--secret", f"{name}=@{f}", *(["--rotate"] if rotate else [])],
                           capture_output=True, text=True, timeout=120)
        os.unlink(f)
        assert r.returncode == 0, f"provisioning {name} failed: {r.stderr}"

    def revoke(self, name):
        r = subprocess.run([CLI, "revoke", "--agent", self.url, name], capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 0, f"revoking {name} failed: {r.stderr}"

    def kill9(self):
        self.proc.kill()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()
        self.log.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
            self.proc.stdout.close()
            self.log.close()

    def cleanup(self):
        """Stop the agent and remove its directory (socket, log, config, policy)."""
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)

    def log_text(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()


# ---- secrets, decoys and specs


class View:
    """The declared secrets of one job, provisioned to agent under names unique to this view.

    Every name in `names` gets a path DIR/NAME in a fresh directory (0755): for each name but
    `absent` a DECOY file (0644, readable by any uid, so a job that falls through to the disk
    would read it) is planted there; for `absent` nothing exists on disk, only the directory.
    secret(name) is the bytes the job must read, decoy(name) what it must never read."""

    def __init__(self, agent, label, names=("db", "absent"), absent="absent"):
        self.agent = agent
        self.label = label
        self.root = open_dir(f"bptee-view-{label}-")
        self.dir = os.path.join(self.root, "secrets")
        os.mkdir(self.dir)
        os.chmod(self.dir, 0o755)
        self.out = os.path.join(self.root, "out")  # where the job may write
        os.mkdir(self.out)
        os.chmod(self.out, 0o1777)
        tag = os.urandom(4).hex()
        self.names = list(names)
        self.absent = absent
        self.agent_names = {n: f"{label}.{n}.{tag}" for n in names}
        self.values = {n: f"view-secret-{label}-{n}-{tag}".encode() for n in names}
        self.decoys = {n: f"DECOY-on-disk-{n}-{tag[:4]}".encode() for n in names if n != absent}
        for n in names:
            agent.provision(self.agent_names[n], self.values[n])
        self.plant()

    def path(self, name="db"):
        return os.path.join(self.dir, name)

    def paths(self):
        return [self.path(n) for n in self.names]

    def secret(self, name="db"):
        return self.values[name]

    def decoy(self, name="db"):
        return self.decoys.get(name)

    def plant(self):
        """(Re)write the decoys on disk and make sure the absent path is absent."""
        for n in self.names:
            p = self.path(n)
            if n == self.absent:
                if os.path.lexists(p):
                    os.unlink(p)
                continue
            with open(p, "wb") as f:
                f.write(self.decoys[n])
            os.chmod(p, 0o644)

    def rotate(self, name, value):
        self.agent.provision(self.agent_names[name], value, rotate=True)
        self.values[name] = value

    def disk_problems(self):
        """What a job changed on disk at the declared paths: [] when every decoy still holds its
        bytes and the absent path is still absent (the view never writes through to disk)."""
        problems = []
        for n in self.names:
            p = self.path(n)
            if n == self.absent:
                if os.path.lexists(p):
                    problems.append(f"{p} (absent on disk before the job) now exists on disk "
                                    f"holding {read_or_error(p)!r}")
                continue
            got = read_or_error(p)
            if got != self.decoys[n]:
                problems.append(f"the decoy on disk at {p} changed: {self.decoys[n]!r} -> "
                                f"{got!r}")
        return problems

    def assert_disk_untouched(self):
        problems = self.disk_problems()
        assert not problems, "; ".join(problems)

    def spec(self, job_id=None, **extra):
        """The job spec: every name declared at its path; a sidecar (stdout need not be JSON)."""
        spec = {"job_id": job_id or f"view-{self.label}",
                "secrets": {self.agent_names[n]: self.path(n) for n in self.names},
                "sidecar": os.path.join(self.out, "stdout.tee.json"),
                # the job writes its outputs there: widened explicitly (docs/sandbox.md)
                "sandbox": {"writable": [self.out]}}
        spec.update(extra)
        return spec

    def known(self):
        """Every byte string a job could have read, with what it is, for messages."""
        k = {}
        for n in self.names:
            k[self.values[n]] = f"the secret {n!r}"
            if n in self.decoys:
                k[self.decoys[n]] = f"the DECOY on disk at {self.path(n)}"
        return k

    def describe(self, data):
        return describe(data, self.known())

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)


def read_or_error(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        return f"<{os.strerror(e.errno)}>"


def describe(data, known):
    """Name what data is made of, e.g. "the DECOY on disk at /tmp/x/db (b'DECOY-...')" or
    "the secret 'db' + b'\\n'", so a failure says exactly what a job read."""
    if isinstance(data, str):
        return data
    parts, rest = [], data
    while rest:
        for value, name in sorted(known.items(), key=lambda kv: -len(kv[0])):
            if value and rest.startswith(value):
                parts.append(f"{name} ({value!r})")
                rest = rest[len(value):]
                break
        else:
            cut = min([rest.find(v) for v in known if v and rest.find(v) > 0] or [len(rest)])
            parts.append(repr(rest[:cut]))
            rest = rest[cut:]
    return " + ".join(parts) if parts else "nothing (b'')"


# ---- running jobs


def job_env(home, **extra):
    """The environment `bptee run` is started with: the test's minus BPTEE_* (a developer's
    BPTEE_BUILD stays), HOME a directory every uid can read."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("BPTEE_") or k == "BPTEE_BUILD"}
    env.update(HOME=home, XDG_CONFIG_HOME=home, LC_ALL="C")
    env.update(extra)
    return env


def run_args(view, spec, cmd):
    """The `bptee run` command line for cmd with spec (its config and spec files written),
    against view's agent and its simulated platform."""
    tag = time.monotonic_ns()
    config = write_json(os.path.join(view.root, f"tee-{tag}.json"),
                        tee_config(view.agent.sim_dir))
    specf = write_json(os.path.join(view.root, f"job-{tag}.json"), spec)
    return [CLI, "run", "--config", config, "--spec", specf, "--agent-socket",
            view.agent.sock, "--", *map(str, cmd)]


def run_job(view, cmd, spec=None, uid=None, env=None, timeout=60, cwd=None, wrap=(), **kw):
    """Run cmd under `bptee run` with view's secrets declared (spec: view.spec() unless given);
    the decoys are planted afresh first. wrap: a command `bptee run` itself is started through
    (e.g. progs/nouserns.py). Returns the CompletedProcess (bytes)."""
    if not wrap:  # a wrapped run is one that means to be refused (test_view.py)
        skip_unless_view_possible()
    view.plant()
    args = [*wrap, *run_args(view, spec or view.spec(), cmd)]
    return subprocess.run(args, capture_output=True, timeout=timeout,
                          env=env or job_env(view.root), cwd=cwd or view.root, **demote(uid),
                          **kw)


def start_job(view, cmd, spec=None, uid=None, env=None, **kw):
    """As run_job, but returns the running Popen (stdout and stderr piped, bytes)."""
    skip_unless_view_possible()
    view.plant()
    args = run_args(view, spec or view.spec(), cmd)
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env or job_env(view.root), cwd=view.root, **demote(uid), **kw)


def outcome(r):
    """How a finished `bptee run` ended, for messages."""
    err = r.stderr.decode(errors="replace") if isinstance(r.stderr, bytes) else r.stderr
    return f"(bptee run exit {r.returncode}; stderr: {err.strip()!r})"


# ---- what jobs print


def parse_path_lines(text):
    """Lines "PATH size=N data=HEX" or "PATH ERR MESSAGE" (progs/readfile.c, go/, read.js) as
    {path: (size or None, bytes) or "ERR MESSAGE"}."""
    got = {}
    for line in text.splitlines():
        path, _, rest = line.partition(" ")
        if rest.startswith("ERR"):
            got[path] = rest
            continue
        fields = dict(f.split("=", 1) for f in rest.split())
        got[path] = (int(fields["size"]) if "size" in fields else None,
                     bytes.fromhex(fields.get("data", "")))
    return got


def check_path_lines(view, r, what):
    """Assert a job printing progs' "PATH size=N data=HEX" lines read, for every declared
    path, the secret's bytes with the secret's size, and nothing else."""
    out = r.stdout.decode(errors="replace")
    got = parse_path_lines(out)
    for n in view.names:
        p = view.path(n)
        assert p in got, f"{what} printed nothing for {p} {outcome(r)}; stdout: {out!r}"
        res = got[p]
        where = "(absent on disk)" if n == view.absent else "(decoy planted on disk)"
        assert not isinstance(res, str), \
            f"{what} could not read {p} {where}: {res} {outcome(r)}"
        size, data = res
        assert data == view.secret(n), \
            f"{what} read {view.describe(data)} from {p} {where}, not the secret {outcome(r)}"
        if size is not None:
            whose = (" (the DECOY's size)" if n in view.decoys and size == len(view.decoy(n))
                     else "")
            assert size == len(view.secret(n)), (f"{what}: stat of {p} gives size {size}{whose}"
                                                 f", the secret has {len(view.secret(n))} bytes")
    assert r.returncode == 0, f"{what} read every secret but {outcome(r)}"


def check_bytes(view, got, want, what, r=None):
    """Assert got (what a job read) is want; the message names what got is made of."""
    assert got == want, (f"{what} read {view.describe(got)}; expected {view.describe(want)} "
                         + (outcome(r) if r is not None else ""))


def git_blob_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def wait_for(pred, timeout=20.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def read_counter(path):
    """The last read index a looping job published (progs/loopread.c, loop.sh), or -1."""
    try:
        with open(path) as f:
            return int(f.read().strip() or -1)
    except (OSError, ValueError):
        return -1


# ---- building the job programs


def has_interp(path):
    """Whether the ELF file has a PT_INTERP program header (readelf -l)."""
    r = subprocess.run(["readelf", "-lW", str(path)], capture_output=True, text=True,
                       check=True)
    return "INTERP" in r.stdout


def build_progs(dest):
    """Copy python-tests/progs into dest (0755) and build the programs there; returns
    {name: path}. Go gets its own GOCACHE, GOPATH and HOME under dest (no network)."""
    src = os.path.join(dest, "src")
    shutil.copytree(PROGS_SRC, src)
    gohome = tempfile.mkdtemp(prefix="bptee-view-go-")
    goenv = dict(os.environ, GOCACHE=os.path.join(gohome, "cache"),
                 GOPATH=os.path.join(gohome, "path"), HOME=gohome, GOPROXY="off",
                 GO111MODULE="on")
    out = {}

    def build(name, args, env=None, cwd=None):
        path = os.path.join(dest, name)
        r = subprocess.run([a.replace("@OUT", path) for a in args], capture_output=True,
                           text=True, env=env, cwd=cwd, timeout=600)
        assert r.returncode == 0, f"building {name} failed: {r.stderr}"
        out[name] = path

    gosrc = os.path.join(src, "go")
    build("go_static", ["go", "build", "-o", "@OUT", "."],
          dict(goenv, CGO_ENABLED="0"), gosrc)
    build("go_cgo", ["go", "build", "-o", "@OUT", "."], dict(goenv, CGO_ENABLED="1"), gosrc)
    c = os.path.join(src, "readfile.c")
    build("readfile_static", ["gcc", "-O2", "-static", "-o", "@OUT", c])
    build("readfile", ["gcc", "-O2", "-o", "@OUT", c])
    build("loopread_static", ["gcc", "-O2", "-static", "-o", "@OUT",
                              os.path.join(src, "loopread.c")])
    shutil.rmtree(gohome, ignore_errors=True)
    for script in ("children.sh", "children.py", "fsview.sh", "mutate.sh", "loop.sh",
                   "inotify.py", "writeproof.py", "read.js", "nouserns.py"):
        out[script] = os.path.join(src, script)
    for root, dirs, files in os.walk(dest):
        for name in dirs + files:
            os.chmod(os.path.join(root, name), 0o755)  # every uid reads and runs them
    return out


def is_static(path):
    return not has_interp(path)


def mode_string(path):
    return stat.filemode(os.lstat(path).st_mode)
