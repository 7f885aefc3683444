# SPDX-License-Identifier: Apache-2.0
"""The LD_PRELOAD interposer (docs/interposer.md) on real, unmodified programs: cat, head, ls,
stat, cp, bash, python3 and C jobs built with _FORTIFY_SOURCE, against a fake agent
(python-tests/c/fake_agent.py) or descriptors handed down the way `bptee run` does."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import types

import pytest

import bptee

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "c"))
from fake_agent import FakeAgent, preload_env, py, run  # noqa: E402

SECRET = b"s3cr3t-db-password\n"
TESTC = bptee.TESTC
MAP = os.path.join(bptee.ROOT, "interpose", "preload.map")


@pytest.fixture
def agent():
    d = tempfile.mkdtemp(prefix="bptee-agent-")
    a = FakeAgent(os.path.join(d, "job.sock"))
    yield a
    a.close()
    shutil.rmtree(d)


@pytest.fixture
def job(tmp_path, agent):
    """db_password declared at <tmp>/run/secrets/db_password (not on disk), served by the agent."""
    (tmp_path / "run").mkdir()
    path = tmp_path / "run" / "secrets" / "db_password"
    agent.put("db_password", SECRET)
    env = preload_env([("db_password", path)], agent)
    return types.SimpleNamespace(path=path, env=env, agent=agent, tmp=tmp_path)


def test_exports_exactly_the_wrapped_libc_names():
    text = re.sub(r"/\*.*?\*/", "", open(MAP).read(), flags=re.S)
    promised = set(re.findall(r"(\w+);", text.split("local:")[0].split("global:")[1]))
    out = subprocess.run(["nm", "-D", "--defined-only", bptee.PRELOAD], capture_output=True,
                         text=True, check=True).stdout
    exported = {p[2].split("@")[0] for p in (ln.split() for ln in out.splitlines())
                if len(p) == 3 and p[1] in "TDBRVWi"}
    exported = {s for s in exported if not s.startswith(("__asan", "__ubsan", "__sanitizer"))}
    assert exported == promised
    import ctypes
    libc = ctypes.CDLL("libc.so.6")
    assert all(hasattr(libc, name) for name in promised), "a wrapped name libc does not have"


def test_cat_reads_the_secret_and_the_agent_is_asked_once(job):
    r = run(["/bin/cat", job.path, job.path], job.env)
    assert (r.returncode, r.stdout, r.stderr) == (0, SECRET * 2, b"")
    assert job.agent.count("db_password") == 1
    plain = {k: v for k, v in job.env.items() if k != "LD_PRELOAD"}
    r = run(["/bin/cat", job.path], plain)  # without the preload there is no such file
    assert r.returncode != 0 and SECRET not in r.stdout


def test_head_with_path_variants(job):
    t = job.tmp
    absolute = [job.path, f"{t}//run/secrets//db_password", f"{t}/run/./secrets/./db_password",
                f"{t}/run/nowhere/../secrets/db_password", f"{t}/../{t.name}/run/secrets/db_password"]
    for p in absolute:
        r = run(["head", "-c", "100", p], job.env)
        assert (r.returncode, r.stdout, r.stderr) == (0, SECRET, b""), p
    for cwd, p in [(t, "run/secrets/db_password"), (t, "./run//secrets/./db_password"),
                   (t / "run", "x/../secrets/db_password"), (t / "run", "../run/secrets/db_password")]:
        r = run(["head", "-c", "100", p], job.env, cwd=cwd)
        assert (r.returncode, r.stdout, r.stderr) == (0, SECRET, b""), (cwd, p)
    # The twins: the same last component elsewhere is another file; near misses are no secret.
    (t / "other").mkdir()
    (t / "other" / "db_password").write_bytes(b"decoy\n")
    r = run(["head", "-c", "100", "db_password"], job.env, cwd=t / "other")
    assert (r.returncode, r.stdout) == (0, b"decoy\n")
    for p in [f"{job.path}/", f"{job.path}x", f"{t}/run/secrets/db_password/.", f"{t}/db_password"]:
        r = run(["head", "-c", "100", p], job.env)
        assert r.returncode != 0 and r.stdout == b"", p


STAT_SCRIPT = r"""
import errno, json, os, pathlib, stat, sys
p = sys.argv[1]
st, lst = os.stat(p), os.lstat(p)
fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
out = {"open": open(p).read(), "pathlib": pathlib.Path(p).read_text(), "fd": os.read(fd, 100).decode(),
       "mode": st.st_mode, "lmode": lst.st_mode, "size": st.st_size, "uid": st.st_uid,
       "fsize": os.fstat(fd).st_size, "same": (st.st_dev, st.st_ino) == (os.fstat(fd).st_dev, os.fstat(fd).st_ino),
       "r": os.access(p, os.R_OK), "w": os.access(p, os.W_OK), "x": os.access(p, os.X_OK),
       "xattrs": os.listxattr(p), "exists": os.path.isfile(p)}
try:
    os.getxattr(p, "user.any")
except OSError as e:
    out["getxattr"] = errno.errorcode[e.errno]
print(json.dumps(out))
"""


def test_python_open_pathlib_stat_access(job):
    r = py(STAT_SCRIPT, job.env, job.path)
    assert r.returncode == 0 and r.stderr == b"", r.stderr
    out = json.loads(r.stdout)
    text = SECRET.decode()
    assert out["open"] == out["pathlib"] == out["fd"] == text
    assert out["mode"] == out["lmode"] == 0o100400
    assert out["size"] == out["fsize"] == len(SECRET) and out["same"]
    assert out["uid"] == os.geteuid()
    assert (out["r"], out["w"], out["x"], out["exists"]) == (True, False, False, True)
    assert out["xattrs"] == [] and out["getxattr"] == "ENODATA"
    # The twin: an undeclared file answers for itself.
    other = job.tmp / "plain.txt"
    other.write_text("plain\n")
    other.chmod(0o640)
    out = json.loads(py(STAT_SCRIPT, job.env, other).stdout)
    assert out["mode"] == 0o100640 and out["open"] == "plain\n" and out["w"] is True


def test_c_fopen_family(job):
    for how in ["fopen", "fopen64", "freopen"]:
        for mode in ["r", "rb", "re"]:
            r = run([f"{TESTC}/job_fopen", how, job.path, mode], job.env)
            assert (r.returncode, r.stdout, r.stderr) == (0, SECRET, b""), (how, mode)
        for mode in ["w", "a", "r+", "w+"]:
            r = run([f"{TESTC}/job_fopen", how, job.path, mode], job.env)
            assert (r.returncode, r.stdout) == (1, b"errno=EROFS\n"), (how, mode)
    assert not job.path.exists()
    other = job.tmp / "plain.bin"
    other.write_bytes(bytes(range(256)) * 10)
    r = run([f"{TESTC}/job_fopen", "fopen", other], job.env)
    assert (r.returncode, r.stdout) == (0, other.read_bytes())


def test_c_open_openat_fortified(job):
    imports = subprocess.run(["nm", "-D", f"{TESTC}/job_openat"], capture_output=True,
                             text=True).stdout
    for name in ["__open_2", "__open64_2", "__openat_2", "__openat64_2"]:
        assert re.search(rf"U {name}\b", imports), f"job_openat does not exercise {name}"
    run_dir = job.tmp / "run"
    for how in ["open", "open64"]:
        r = run([f"{TESTC}/job_openat", how, "-", job.path, "r"], job.env)
        assert (r.returncode, r.stdout, r.stderr) == (0, SECRET, b""), how
    for how in ["openat", "openat64"]:
        r = run([f"{TESTC}/job_openat", how, run_dir, "secrets/db_password", "r"], job.env)
        assert (r.returncode, r.stdout, r.stderr) == (0, SECRET, b""), how
        r = run([f"{TESTC}/job_openat", how, run_dir, "secrets/other", "r"], job.env)
        assert (r.returncode, r.stdout) == (1, b"errno=ENOENT\n"), how
    for flags in ["w", "rw", "trunc", "append", "creat"]:
        for how in ["open", "openat"]:
            r = run([f"{TESTC}/job_openat", how, run_dir, job.path, flags], job.env)
            assert (r.returncode, r.stdout) == (1, b"errno=EROFS\n"), (how, flags)
    r = run([f"{TESTC}/job_openat", "open", "-", job.path, "dir"], job.env)
    assert (r.returncode, r.stdout) == (1, b"errno=ENOTDIR\n")
    assert not job.path.exists()


def test_every_stat_entry_point(job):
    want = f"{len(SECRET)} 100400 {os.geteuid()}\n".encode()
    for how in ["xstat", "lxstat", "fxstatat", "fstatat", "statx"]:
        r = run([f"{TESTC}/job_openat", how, "-", job.path, "-"], job.env)
        assert (r.returncode, r.stdout, r.stderr) == (0, want, b""), how
        r = run([f"{TESTC}/job_openat", how, job.tmp / "run", "secrets/db_password", "-"], job.env,
                cwd=job.tmp / "run")  # relative: to the directory fd, or to the cwd
        assert (r.returncode, r.stdout) == (0, want), how
        r = run([f"{TESTC}/job_openat", how, "-", job.tmp / "run" / "nope", "-"], job.env)
        assert (r.returncode, r.stdout) == (1, b"errno=ENOENT\n"), how


def test_ls_and_stat_use_statx(job):
    r = run(["ls", "-l", job.path], job.env)
    assert r.returncode == 0 and r.stderr == b""
    assert r.stdout.startswith(b"-r-------- 1 ") and f" {len(SECRET)} ".encode() in r.stdout
    r = run(["stat", "-c", "%s %a %F %u %h", job.path], job.env)
    assert r.stdout.decode() == f"{len(SECRET)} 400 regular file {os.geteuid()} 1\n"
    other = job.tmp / "plain.txt"
    other.write_text("12345")
    other.chmod(0o604)
    r = run(["stat", "-c", "%s %a %F", other], job.env)
    assert r.stdout == b"5 604 regular file\n"


def test_cp_copies_the_secret(job):
    dest = job.tmp / "copy"
    r = run(["cp", job.path, dest], job.env)
    assert (r.returncode, r.stderr) == (0, b"") and dest.read_bytes() == SECRET
    r = run(["cp", dest, job.path], job.env)  # and cannot write it
    assert r.returncode != 0 and b"Read-only file system" in r.stderr


def test_bash_test_builtins_and_redirection(job):
    script = 'test -r "$1" && echo r; test -w "$1" || echo not-w; test -x "$1" || echo not-x; ' \
             'test -f "$1" && echo file; read -r line < "$1"; echo "$line"; echo x > "$1"'
    r = run(["bash", "-c", script, "job", job.path], job.env)
    assert r.stdout == b"r\nnot-w\nnot-x\nfile\n" + SECRET
    assert b"Read-only file system" in r.stderr and r.returncode != 0
    r = run(["bash", "-c", 'test -r "$1" || echo unreadable', "job", job.tmp / "missing"], job.env)
    assert r.stdout == b"unreadable\n"


OFFSETS = r"""
import os, sys
p = sys.argv[1]
a = open(p, "rb"); head = a.read(5)
b = open(p, "rb"); whole = b.read()
fd1, fd2 = os.open(p, os.O_RDONLY), os.open(p, os.O_RDONLY)
os.read(fd1, 3)
sys.stdout.buffer.write(head + b"|" + whole + b"|" + a.read() + b"|" + os.read(fd2, 100) + b"|" + os.read(fd1, 100))
"""


def test_each_open_has_its_own_offset(job):
    r = py(OFFSETS, job.env, job.path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"|".join([SECRET[:5], SECRET, SECRET[5:], SECRET, SECRET[3:]])


WRITES = r"""
import errno, os, sys
p = sys.argv[1]
res = []
for mode in ["w", "a", "r+", "x", "wb", "ab+"]:
    try:
        open(p, mode); res.append("opened")
    except OSError as e:
        res.append(errno.errorcode[e.errno])
for flags in [os.O_WRONLY, os.O_RDWR, os.O_WRONLY | os.O_CREAT, os.O_RDONLY | os.O_TRUNC]:
    try:
        os.open(p, flags, 0o600); res.append("opened")
    except OSError as e:
        res.append(errno.errorcode[e.errno])
print(" ".join(res))
"""


def test_write_attempts_are_erofs(job):
    (job.tmp / "run" / "secrets").mkdir()
    r = py(WRITES, job.env, job.path)
    assert r.stdout == b" ".join([b"EROFS"] * 10) + b"\n" and r.stderr == b""
    assert not job.path.exists()
    r = py(WRITES, job.env, job.tmp / "run" / "secrets" / "undeclared")  # the twin
    assert r.stdout.split() == [b"opened"] * 3 + [b"EEXIST"] + [b"opened"] * 6  # "x": "w" made it


FAIL_JOB = r"""
import os, sys
p, code = sys.argv[1], 0
for attempt in range(3):
    try:
        open(p, "rb").read(); sys.stdout.write("READ")
    except OSError as e:
        code = e.errno
try:
    os.stat(p)
except OSError as e:
    code = code if code == e.errno else 99
sys.exit(code)
"""


@pytest.mark.parametrize("how,reason", [
    ("missing", "agent refused (notfound): secret not found: api_key"),
    ("unsealed", "memfd is not sealed (write, grow, shrink, seal)"),
    ("wrong-size", "agent announced 20 bytes, its memfd holds 19"),
    ("no-fd", "agent answered OK without a descriptor"),
    ("garbage", "agent: malformed reply to SECRET"),
    ("hang-up", "agent closed the connection without a reply"),
    ("no-socket", "no agent socket (BPTEE_AGENT_SOCKET)"),
    ("dead-socket", "agent socket /nonexistent/bptee.sock: No such file or directory"),
])
def test_unavailable_secret_fails_closed_with_one_line(tmp_path, agent, how, reason):
    path = tmp_path / "secrets" / "api_key"
    if how not in ("missing", "no-socket", "dead-socket"):
        agent.put("api_key", SECRET, behaviour=how)
    env = preload_env([("api_key", path)], None if how == "no-socket" else agent)
    if how == "dead-socket":
        env["BPTEE_AGENT_SOCKET"] = "/nonexistent/bptee.sock"
    r = py(FAIL_JOB, env, path)
    assert r.returncode == 13  # EACCES, for every open and the stat
    assert r.stdout == b""
    assert r.stderr.decode() == f"bptee: secret 'api_key' ({path}): {reason}\n"
    assert SECRET not in r.stderr


def test_unavailable_secret_with_cat(tmp_path, agent):
    path = tmp_path / "api_key"
    r = run(["/bin/cat", path], preload_env([("api_key", path)], agent))
    lines = r.stderr.decode().splitlines()
    assert r.returncode == 1 and r.stdout == b""
    assert lines[0].startswith("bptee: secret 'api_key'") and "Permission denied" in lines[1]


def test_undeclared_files_are_untouched(job):
    data = os.urandom(100000)
    blob = job.tmp / "blob.bin"
    blob.write_bytes(data)
    for cmd in [["/bin/cat", blob], ["head", "-c", "200000", blob], [f"{TESTC}/job_fopen", "fopen64", blob]]:
        r = run(cmd, job.env)
        assert (r.returncode, r.stdout, r.stderr) == (0, data, b""), cmd
    r = run(["sha256sum", "/bin/true"], job.env)
    assert r.stdout == subprocess.run(["sha256sum", "/bin/true"], capture_output=True).stdout
    assert job.agent.count("db_password") == 0  # nothing undeclared reached the agent


def test_errno_is_preserved_on_pass_through(job):
    r = run([f"{TESTC}/job_openat", "open", "-", job.tmp / "missing", "r"], job.env)
    assert r.stdout == b"errno=ENOENT\n"
    (job.tmp / "other").mkdir()
    r = run([f"{TESTC}/job_openat", "openat", job.tmp / "other", "db_password", "r"], job.env)
    assert r.stdout == b"errno=ENOENT\n"  # a secret's name, another directory: the slow check
    (job.tmp / "other" / "db_password").write_bytes(b"decoy")
    for target in [job.tmp / "other" / "db_password", job.path]:  # exit 3 if errno changed
        r = run([f"{TESTC}/job_openat", "open", "-", target, "r"], job.env)
        assert r.returncode == 0, (target, r.stdout)
        r = run([f"{TESTC}/job_fopen", "fopen", target], job.env)
        assert r.returncode == 0, (target, r.stdout)
