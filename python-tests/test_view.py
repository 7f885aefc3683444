# SPDX-License-Identifier: Apache-2.0
"""The kernel-served secret view of `bptee run` (issue #11, DESIGN.md contracts 2 and 10): every
binary of a job reads its secret, whatever language, and never the file on disk.

Black-box tests of `bptee run` in the TEE path (config mode "direct") against a real agent. Before
every run a DECOY with different bytes is planted on disk at each declared path (and one declared
path has no file on disk at all, only its directory); each job program prints what it read, and a
test fails saying exactly what that was: the secret, the decoy, an error. Programs: Go (static, and
dynamic with cgo), a `gcc -static` C program, C with raw syscall(SYS_openat) and openat2, busybox
(static) cat, node, a wrapper script whose children read, Python subprocess children, sqlite3,
git, cp; then what ls/realpath/find/stat/inotify see, writes, rm and mv failing, rotation and
revocation reaching a looping job, a killed agent, and an ordinary user (through a user
namespace, or a one-line refusal where there is none).

When `bptee run` is root a job runs under a dynamic uid of its own, so programs and their
directories are open to every uid (view_util)."""
import json
import os
import re
import subprocess

import pytest

from bptee import CLI
from hostcaps import USERNS_REASON, user_namespaces
from view_util import (RAMFS_MAGIC, Agent, View, check_bytes, check_path_lines, describe,
                       git_blob_sha1, has_interp, open_dir, outcome, read_counter, run_job,
                       sha256_file, start_job, wait_for, build_progs)



NOBODY = 65534
ROOT_REASON = "only root may run a job or an agent as another user"
EACCES_TEXT = os.strerror(13)  # "Permission denied", as strerror prints it in the job


# ---- fixtures


@pytest.fixture(scope="session")
def progs():
    """The job programs, built once into a directory every uid can read and run."""
    d = open_dir("bptee-view-progs-", base="/var/tmp")
    yield build_progs(d)
    subprocess.run(["rm", "-rf", d])


@pytest.fixture(scope="module")
def view_sim(tmp_path_factory):
    return tmp_path_factory.mktemp("view-sim") / "state"


@pytest.fixture(scope="module")
def agent(view_sim):
    a = Agent(view_sim)
    yield a
    a.cleanup()


def label_of(request):
    return re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name[5:])[-48:].strip("-")


@pytest.fixture
def view(request, agent):
    """Two declared secrets: "db" with a decoy on disk, "absent" with no file on disk."""
    v = View(agent, label_of(request))
    yield v
    v.cleanup()


def checked(view, r):
    """After every job: the disk at the declared paths is as the test left it."""
    view.assert_disk_untouched()
    return r


def no_decoy_in(view, r):
    """Nothing the job printed holds a decoy (checked last, after the messages that say what
    each read got)."""
    out = r.stdout + r.stderr
    for n, d in view.decoys.items():
        assert d not in out, f"the job's output holds the DECOY of {n!r}: {out!r}"


# ---- the programs are what the tests say they are (the premise of every test below)


def test_programs_are_what_they_claim(progs):
    for name in ("go_static", "readfile_static", "loopread_static"):
        assert not has_interp(progs[name]), f"{name} has PT_INTERP: not a static binary"
    assert not has_interp("/bin/busybox"), "/bin/busybox is not busybox-static"
    for name in ("go_cgo", "readfile"):
        assert has_interp(progs[name]), f"{name} has no PT_INTERP: not a dynamic binary"
    nm = subprocess.run(["go", "tool", "nm", progs["go_cgo"]], capture_output=True, text=True)
    assert "_cgo_" in nm.stdout, "go_cgo was not built with cgo"


# ---- every binary reads the secret, never the decoy

READERS = {
    "go-static": lambda p: [p["go_static"]],
    "go-cgo-dynamic": lambda p: [p["go_cgo"]],
    "c-gcc-static": lambda p: [p["readfile_static"], "libc"],
    "c-syscall-openat": lambda p: [p["readfile"], "openat"],
    "c-syscall-openat2": lambda p: [p["readfile"], "openat2"],
    "node-statSync-readFileSync": lambda p: ["node", p["read.js"]],
}


@pytest.mark.parametrize("reader", sorted(READERS))
def test_program_reads_the_secret_not_the_decoy(progs, view, reader):
    """Each prints, per declared path, the size it stat'ed and the bytes it read: both must be
    the secret's, at the path with a decoy on disk and at the one with nothing on disk."""
    r = checked(view, run_job(view, READERS[reader](progs) + view.paths()))
    check_path_lines(view, r, reader)
    no_decoy_in(view, r)


def test_static_binary_is_served_and_attested(progs, view):
    """Refused until now ("statically linked ... refusing"): a static job runs, reads its
    secret, and its result is attested for its own binary."""
    prog = progs["readfile_static"]
    r = checked(view, run_job(view, [prog, "libc", *view.paths()]))
    err = r.stderr.decode(errors="replace")
    assert "statically linked" not in err, f"bptee run still refuses a static binary: {err!r}"
    check_path_lines(view, r, "static C program")
    spec = view.spec()
    side = json.load(open(spec["sidecar"]))
    assert side["job"]["binary_sha256"] == sha256_file(prog)
    res = os.path.join(view.out, "stdout")
    with open(res, "wb") as f:
        f.write(r.stdout)
    v = subprocess.run([CLI, "result", "verify", res, "--policy", view.agent.policy,
                        "--sidecar", spec["sidecar"]], capture_output=True, text=True)
    assert v.returncode == 0, v.stderr


def test_busybox_static_cat(view):
    r = checked(view, run_job(view, ["/bin/busybox", "cat", *view.paths()]))
    check_bytes(view, r.stdout, view.secret("db") + view.secret("absent"), "busybox cat", r)
    assert r.returncode == 0, outcome(r)
    no_decoy_in(view, r)


@pytest.mark.parametrize("inherit", [False, True], ids=["no-inherit", "inherit_preload"])
def test_wrapper_script_children_read_the_secret(progs, view, inherit):
    """A shell script job reads nothing itself; `sh -c 'cat F'`, `env cat F`, `xargs cat`, a
    subshell and a redirection do, with and without the interposer handed down to them."""
    r = checked(view, run_job(view, [progs["children.sh"], *view.paths()],
                              spec=view.spec(inherit_preload=inherit)))
    sections = re.split(rb"^== ", r.stdout, flags=re.M)[1:]
    assert len(sections) == 5 * len(view.names), f"children.sh printed {r.stdout!r} {outcome(r)}"
    for sec in sections:
        head, _, body = sec.partition(b"\n")
        way, path = head.decode().split(" ", 1)
        name = os.path.basename(path)
        assert body.endswith(b"\n")
        check_bytes(view, body[:-1], view.secret(name), f"child `{way}` of a script, {path}", r)
    assert r.returncode == 0, outcome(r)
    no_decoy_in(view, r)


@pytest.mark.parametrize("inherit", [False, True], ids=["no-inherit", "inherit_preload"])
def test_python_subprocess_children_read_the_secret(progs, view, inherit):
    """subprocess.run with its defaults (close_fds=True): `cat F` and a python3 child."""
    r = checked(view, run_job(view, [progs["children.py"], *view.paths()],
                              spec=view.spec(inherit_preload=inherit)))
    assert r.returncode == 0 and r.stdout, f"children.py printed {r.stdout!r} {outcome(r)}"
    got = json.loads(r.stdout)
    got.pop("tee", None)  # the attestation bptee run injected into the JSON result
    assert len(got) == 2 * len(view.names), f"children.py printed {r.stdout!r}"
    for key, res in got.items():
        way, path = key.split(" ", 1)
        name = os.path.basename(path)
        read = bytes.fromhex(res["out"])
        check_bytes(view, read, view.secret(name),
                    f"python subprocess child {way} (exit {res['rc']}, stderr {res['err']!r}), "
                    f"{path}")
        assert res["rc"] == 0, f"{key}: {res}"


def test_sqlite3_readfile(view):
    sql = "select " + ", ".join(f"hex(readfile('{p}'))" for p in view.paths())
    r = checked(view, run_job(view, ["sqlite3", ":memory:", sql]))
    cols = r.stdout.decode().strip().split("|")
    assert len(cols) == len(view.names), f"sqlite3 printed {r.stdout!r} {outcome(r)}"
    for n, col in zip(view.names, cols):
        check_bytes(view, bytes.fromhex(col), view.secret(n), f"sqlite3 readfile({n})", r)
    assert r.returncode == 0, outcome(r)
    no_decoy_in(view, r)


def test_git_hash_object(view):
    r = checked(view, run_job(view, ["git", "hash-object", *view.paths()]))
    known = {}
    for n in view.names:
        known[git_blob_sha1(view.secret(n))] = f"the secret {n!r}"
        if view.decoy(n):
            known[git_blob_sha1(view.decoy(n))] = f"the DECOY on disk at {view.path(n)}"
    got = r.stdout.decode().split()
    assert len(got) == len(view.names), f"git printed {r.stdout!r} {outcome(r)}"
    for n, h in zip(view.names, got):
        assert h == git_blob_sha1(view.secret(n)), \
            f"git hash-object {view.path(n)} hashed {known.get(h, 'unknown bytes ' + h)}"
    assert r.returncode == 0, outcome(r)
    no_decoy_in(view, r)


def test_cp_copies_the_secret(view):
    """`cp F... DIR` (fstatat, open, copy_file_range): the copies hold the secrets' bytes."""
    r = checked(view, run_job(view, ["cp", *view.paths(), view.out]))
    for n in view.names:
        copy = os.path.join(view.out, n)
        got = open(copy, "rb").read() if os.path.exists(copy) else b""
        check_bytes(view, got, view.secret(n), f"cp {view.path(n)} (the copy {copy})", r)
    assert r.returncode == 0, outcome(r)
    no_decoy_in(view, r)


# ---- the declared path looks like a file to every tool


def fsview(progs, view, spec=None):
    r = checked(view, run_job(view, [progs["fsview.sh"], view.dir, *view.names], spec=spec))
    text = r.stdout.decode(errors="replace")
    lines = {}
    ls = []
    for line in text.splitlines():
        key, _, value = line.partition(": ")
        if key == "ls":
            ls.append(value)
        else:
            lines[key] = value
    assert "uid" in lines, f"fsview.sh printed {text!r} {outcome(r)}"
    return r, lines, ls


def check_fsview(view, r, lines, ls, uid):
    for n in view.names:
        path = view.path(n)
        entry = [l for l in ls if l.split()[-1:] == [n]]
        assert len(entry) == 1, f"`ls -l {view.dir}` does not list {n}: {ls}"
        fields = entry[0].split()
        assert fields[0].rstrip(".+") == "-r--------", f"ls -l shows {n} as {entry[0]!r}"
        assert fields[2] == str(uid), f"ls -ln shows {n} owned by {fields[2]}, the job is {uid}"
        assert lines[f"realpath {n}"] == path, f"realpath {path}: {lines[f'realpath {n}']!r}"
        assert lines[f"readlink {n}"] == path, f"readlink -f {path}: {lines[f'readlink {n}']!r}"
        assert lines[f"find {n}"].split() == [path], f"find: {lines[f'find {n}']!r}"
        want = f"{len(view.secret(n))}|400|{uid}|regular file"
        assert lines[f"stat {n}"] == want, \
            f"stat -c '%s|%a|%u|%F' {path}: {lines[f'stat {n}']!r}, want {want!r}"
        assert lines[f"fstype {n}"] == RAMFS_MAGIC, \
            f"{path} is on f_type {lines[f'fstype {n}']!r}, not ramfs ({RAMFS_MAGIC})"
        assert lines[f"test-r {n}"] == "yes" and lines[f"test-w {n}"] == "no", lines
        check_bytes(view, lines[f"head {n}"].encode(), view.secret(n), f"head -c {path}", r)
    assert r.returncode == 0, outcome(r)
    no_decoy_in(view, r)


def test_ls_realpath_find_stat_see_a_read_only_ramfs_file(progs, view):
    """As root, `bptee run` starts the job under a dynamic uid (not 0); the file is the job's,
    mode 0400, regular, on ramfs, the secret's size, at its own path; `ls -l`, `find` list it."""
    r, lines, ls = fsview(progs, view)
    uid = int(lines["uid"])
    assert uid != 0, "the job runs as root: bptee run (root) gave it no dynamic uid"
    check_fsview(view, r, lines, ls, uid)


@pytest.mark.skipif(os.geteuid() != 0, reason=ROOT_REASON)
def test_user_root_in_the_spec_runs_the_job_as_root(progs, view):
    r, lines, ls = fsview(progs, view, spec=view.spec(user="root"))
    assert lines["uid"] == "0", f"\"user\": \"root\" but the job ran as uid {lines['uid']}"
    check_fsview(view, r, lines, ls, 0)


def test_inotify_watches_the_secret(progs, view):
    r = checked(view, run_job(view, [progs["inotify.py"], *view.paths()]))
    assert r.stdout, f"inotify.py printed nothing {outcome(r)}"
    got = json.loads(r.stdout)
    for n in view.names:
        res = got[view.path(n)]
        assert isinstance(res["wd"], int) and res["wd"] >= 0, \
            f"inotify_add_watch({view.path(n)}) failed: {res['wd']}"
        check_bytes(view, bytes.fromhex(res["read"]) if not res["read"].startswith("ERR")
                    else res["read"], view.secret(n), f"python under inotify, {n}", r)
        assert any(m & 0x20 for m in res["events"]), \
            (f"the watch on {view.path(n)} saw no IN_OPEN when the job opened it (events "
             f"{res['events']}): the watched file is not the one the job read")


def test_secret_cannot_be_written_removed_or_renamed(progs, view):
    """Shell and coreutils: `>`, `>>`, `rm -f`, `mv` fail; the file still holds the secret."""
    r = run_job(view, [progs["mutate.sh"], *view.paths()])
    text = r.stdout.decode(errors="replace")
    lines = dict(l.split(": ", 1) for l in text.splitlines() if ": " in l)
    for n in view.names:
        p = view.path(n)
        for what in ("truncate", "append", "rm", "mv"):
            key = f"{what} {p}"
            assert key in lines, f"mutate.sh printed {text!r} {outcome(r)}"
            assert lines[key] != "0", f"{what} of {p} succeeded inside the job"
        check_bytes(view, lines[f"after {p}"].encode(), view.secret(n),
                    f"cat {p} after the attempts", r)
    view.assert_disk_untouched()


def test_secret_cannot_be_opened_for_writing(progs, view):
    """System calls: every open for writing, truncate, chmod, unlink, rename fail."""
    r = run_job(view, [progs["writeproof.py"], *view.paths()])
    assert r.stdout, f"writeproof.py printed nothing {outcome(r)}"
    got = json.loads(r.stdout)
    for n in view.names:
        res = got[view.path(n)]
        after = res.pop("after")
        succeeded = [way for way, v in res.items() if v == "ok" or v.startswith("write ")]
        assert not succeeded, f"inside the job these changed {view.path(n)}: {succeeded} ({res})"
        check_bytes(view, bytes.fromhex(after) if not after.startswith("ERR") else after,
                    view.secret(n), f"a read of {view.path(n)} after the attempts", r)
    view.assert_disk_untouched()


# ---- rotation, revocation, a dead agent: a looping job


class Loop:
    """A job reading view's "db" path again and again (progs/loopread.c or loop.sh), publishing
    its read counter in a file the test reads."""

    def __init__(self, view, cmd):
        self.view = view
        self.counter = os.path.join(view.out, "counter")
        self.stop_file = os.path.join(view.out, "stop")
        self.p = start_job(view, [*cmd, view.path(), self.counter, self.stop_file, "1500"])
        self.wait_past(2)

    def count(self):
        return read_counter(self.counter)

    def wait_past(self, n):
        """Wait until read n has been printed (the job must still be running)."""
        def past():
            if self.p.poll() is not None:
                out, err = self.p.communicate()
                raise AssertionError(f"the looping job ended early (exit {self.p.returncode}): "
                                     f"stdout {out[-2000:]!r} stderr {err[-2000:]!r}")
            return self.count() >= n
        wait_for(past, timeout=30, what=f"read {n} of the looping job")

    def finish(self):
        open(self.stop_file, "w").close()
        out, err = self.p.communicate(timeout=60)
        return out, err

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.communicate()


def loop_reads(out, hexed):
    """[(n, bytes or "ERR ...")] from the loop's stdout."""
    reads = []
    for line in out.decode(errors="replace").splitlines():
        n, _, rest = line.partition(" ")
        if rest.startswith("ERR"):
            reads.append((int(n), rest))
        else:
            reads.append((int(n), bytes.fromhex(rest) if hexed else rest.encode()))
    return reads


LOOPS = {"static-c-open": (lambda p: [p["loopread_static"]], True),
         "sh-cat-child": (lambda p: [p["loop.sh"]], False)}


@pytest.mark.parametrize("loop", sorted(LOOPS))
def test_rotation_reaches_the_next_open_never_a_mix(progs, agent, request, loop):
    """Every read is the old or the new value, whole (never a mix, never the decoy); once
    `bptee provision --rotate` has returned, every read after the one in flight is the new one."""
    view = View(agent, label_of(request), names=("db",))
    cmd, hexed = LOOPS[loop]
    old, new = view.secret(), view.secret() + b"-rotated-v2"
    job = None
    try:
        job = Loop(view, cmd(progs))
        view.assert_disk_untouched()  # during the run, too
        before = job.count()
        view.rotate("db", new)
        at = job.count()
        job.wait_past(at + 8)
        view.assert_disk_untouched()
        out, err = job.finish()
        view.assert_disk_untouched()
        reads = loop_reads(out, hexed)
        assert reads, f"the loop printed nothing; stderr {err!r}"
        known = {old: "the OLD value", new: "the NEW value", view.decoy(): "the DECOY on disk"}
        seen_new = False
        for n, got in reads:
            what = describe(got, known)
            assert got in (old, new), f"read {n} got {what}: neither the old nor the new value"
            if n <= before:
                assert got == old, f"read {n}, before the rotation began, got {what}"
            if n >= at + 2:
                assert got == new, (f"read {n}, after `bptee provision --rotate` returned "
                                    f"(the counter was at {at}), got {what}")
            assert not (seen_new and got == old), f"read {n} went back to the old value"
            seen_new = seen_new or got == new
    finally:
        if job:
            job.kill()
        view.cleanup()


def test_revocation_fails_the_next_open_with_eacces(progs, agent, request):
    view = View(agent, label_of(request), names=("db",))
    old = view.secret()
    job = None
    try:
        job = Loop(view, [progs["loopread_static"]])
        before = job.count()
        agent.revoke(view.agent_names["db"])
        at = job.count()
        job.wait_past(at + 8)
        out, err = job.finish()
        view.assert_disk_untouched()
        reads = loop_reads(out, True)
        known = {old: "the secret", view.decoy(): "the DECOY on disk"}
        failed = False
        for n, got in reads:
            what = describe(got, known)
            if n <= before:
                assert got == old, f"read {n}, before the revocation began, got {what}"
            if n >= at + 2:
                assert got == f"ERR {EACCES_TEXT}", (
                    f"read {n}, after `bptee revoke` returned (counter at {at}), got {what}; "
                    f"it must fail with EACCES")
            assert got == old or got == f"ERR {EACCES_TEXT}", f"read {n} got {what}"
            assert not (failed and got == old), f"read {n} read the secret again after a failure"
            failed = failed or got != old
    finally:
        if job:
            job.kill()
        view.cleanup()


def test_killed_agent_fails_closed_and_a_new_agent_rules(progs, view_sim, request):
    """kill -9 of the agent while a job loops: the next opens fail (EACCES), never the decoy
    and never the value again. A new agent at the same socket: a new value provisioned there
    may be read (or the opens keep failing), never the old one; revoked there, opens fail."""
    first = Agent(view_sim)
    view = View(first, label_of(request), names=("db",))
    old = view.secret()
    job = None
    second = None
    try:
        job = Loop(view, [progs["loopread_static"]])
        before = job.count()
        first.kill9()
        killed = job.count()
        job.wait_past(killed + 8)
        view.assert_disk_untouched()
        second = Agent(view_sim, sock=first.sock, home=first.home)
        new = old + b"-from-the-new-agent"
        second.provision(view.agent_names["db"], new)
        provisioned = job.count()
        job.wait_past(provisioned + 8)
        second.revoke(view.agent_names["db"])
        revoked = job.count()
        job.wait_past(revoked + 8)
        out, err = job.finish()
        view.assert_disk_untouched()
        reads = loop_reads(out, True)
        known = {old: "the OLD value (dead agent)", new: "the NEW agent's value",
                 view.decoy(): "the DECOY on disk"}
        denied = f"ERR {EACCES_TEXT}"
        for n, got in reads:
            what = describe(got, known)
            if n <= before:
                assert got == old, f"read {n}, before the agent was killed, got {what}"
            elif n >= revoked + 2:
                assert got == denied, f"read {n}, after the new agent revoked, got {what}"
            elif n >= provisioned + 2:
                assert got in (new, denied), \
                    f"read {n}, after the new agent held a new value, got {what}"
            elif n >= killed + 2:
                # the new agent's value may be served as soon as its provisioning is under
                # way (the keeper has re-attached): the counter is read only after it returned
                assert got in (new, denied), f"read {n}, after the agent was killed, got {what}"
            assert got in (old, new, denied), f"read {n} got {what}"
            if n >= killed + 2:
                assert got != old, f"read {n}, after the agent was killed, got {what}"
    finally:
        if job:
            job.kill()
        if second:
            second.stop()
        first.cleanup()
        view.cleanup()


# ---- as an ordinary user


@pytest.fixture(scope="module")
def nobody_agent():
    """The agent as uid 65534, with its own socket, state and simulated platform."""
    d = open_dir("bptee-view-nobody-")
    os.chown(d, NOBODY, NOBODY)
    a = Agent(os.path.join(d, "state"), uid=NOBODY)
    yield a
    a.cleanup()
    subprocess.run(["rm", "-rf", d])


@pytest.mark.skipif(os.geteuid() != 0, reason=ROOT_REASON)
@pytest.mark.skipif(not user_namespaces(), reason=USERNS_REASON)
def test_ordinary_user_gets_the_view_through_a_user_namespace(progs, nobody_agent, request):
    """The agent and `bptee run` as uid 65534: the view is built in a user namespace and a
    static Go program reads the secret, never the decoy."""
    view = View(nobody_agent, label_of(request))
    try:
        r = checked(view, run_job(view, [progs["go_static"], *view.paths()], uid=NOBODY))
        check_path_lines(view, r, "go static, run by uid 65534")
        no_decoy_in(view, r)
    finally:
        view.cleanup()


@pytest.mark.skipif(os.geteuid() != 0, reason=ROOT_REASON)
def test_ordinary_user_without_user_namespaces_is_refused(progs, nobody_agent, request):
    """The same user where it cannot create user namespaces: `bptee run` refuses with one line
    and exit 125 instead of running the job without its view. Where this host allows them, the
    run goes through progs/nouserns.py (a user namespace of its own with user.max_user_namespaces
    0, so the host's sysctl is untouched); where it refuses them (a chroot), as the user itself."""
    view = View(nobody_agent, label_of(request))
    how = {"wrap": [progs["nouserns.py"]]} if user_namespaces() else {"uid": NOBODY}
    try:
        marker = os.path.join(view.out, "job-ran")
        r = checked(view, run_job(view, ["/bin/sh", "-c", 'cat "$1"; touch "$2"', "sh",
                                         view.path(), marker], **how))
        err = r.stderr.decode(errors="replace")
        assert not os.path.exists(marker), f"the job ran without user namespaces {outcome(r)}; " \
            f"it read {view.describe(r.stdout)}"
        assert r.returncode == 125, outcome(r)
        assert len(err.splitlines()) == 1 and err.startswith("bptee: run:"), \
            f"the refusal is not one line: {err!r}"
        assert "namespace" in err, f"the refusal does not say why: {err!r}"
        assert r.stdout == b""
        no_decoy_in(view, r)
    finally:
        view.cleanup()
