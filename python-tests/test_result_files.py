# SPDX-License-Identifier: Apache-2.0
"""Result files against full disks, kills and odd files (docs/results.md, "Writing files"):
`bptee run` and the agent (for jobs started by hand) replace a result atomically, so a full
disk or a kill -9 leaves the job's own bytes whole and no temporary beside them; a result file
that is a symbolic link is refused, never attested through; nothing the spec names is removed
before the job has succeeded; and a job started by hand whose result was not attested exits
125 instead of 0."""
import json
import os
import subprocess
import sys

from fs_util import fill, names, small_fs  # noqa: F401  (fixture)
from test_preload_result import WRITE, agent, job_env, run_job  # noqa: F401  (fixture)
from test_run import base_env, cli_verify, real_agent, signed_job, sim_dir  # noqa: F401
from hostcaps import skip_unless_view_possible

# A JSON object of about n bytes, written by the job to argv[1].
WRITE_BIG = ("import json, sys; open(sys.argv[1], 'w').write(json.dumps("
             "{'data': 'x' * int(sys.argv[2])}))")
NOT_ATTESTED = 125


def big_json(n):
    return json.dumps({"data": "x" * n})


# ---- bptee run


def test_failing_job_leaves_the_old_sidecar_whole(tmp_path, sim_dir, real_agent):
    out, side = tmp_path / "r.bin", tmp_path / "r.bin.tee.json"
    job = signed_job(tmp_path, sim_dir, real_agent, job_id="keep-side",
                     result={"file": str(out)})
    r = job.run("sh", "-c", f"printf one > {out}")
    assert r.returncode == 0, r.stderr
    before = side.read_bytes()
    assert cli_verify(tmp_path, out).returncode == 0
    # a failing job removes nothing the spec names: the sidecar still says what it attested
    r = job.run("sh", "-c", f"printf two > {out}; exit 4")
    assert r.returncode == 4
    assert side.read_bytes() == before
    v = cli_verify(tmp_path, out)
    assert v.returncode == 1 and "not the attested ones" in v.stderr
    # a succeeding job whose metadata goes into the result removes the old sidecar then
    r = job.run("sh", "-c", f"printf '{{}}' > {out}")
    assert r.returncode == 0, r.stderr
    assert not side.exists() and cli_verify(tmp_path, out).returncode == 0


def test_symlinked_result_file_is_refused(tmp_path, sim_dir, real_agent):
    target = tmp_path / "elsewhere.json"
    target.write_text('{"secret": "not the job\'s"}')
    link = tmp_path / "result.json"
    job = signed_job(tmp_path, sim_dir, real_agent, job_id="link-1", result={"file": str(link)})
    r = job.run("ln", "-s", str(target), str(link))
    assert r.returncode == NOT_ATTESTED
    assert r.stderr == f"bptee: run: result file {link}: is a symbolic link: refused\n"
    assert link.is_symlink() and target.read_text() == '{"secret": "not the job\'s"}'
    assert not real_agent.signed("link-1")
    # the twin: the same path as a regular file is attested
    link.unlink()
    r = job.run("cp", str(target), str(link))
    assert r.returncode == 0, r.stderr
    assert "tee" in json.loads(link.read_text()) and real_agent.signed("link-1")


def test_symlinked_sidecar_is_refused(tmp_path, sim_dir, real_agent):
    out = tmp_path / "r.bin"
    target = tmp_path / "precious"
    target.write_text("keep me")
    side = tmp_path / "r.bin.tee.json"
    side.symlink_to(target)
    job = signed_job(tmp_path, sim_dir, real_agent, job_id="link-side",
                     result={"file": str(out)})
    r = job.run("sh", "-c", f"printf raw > {out}")
    assert r.returncode == NOT_ATTESTED
    assert r.stderr == (f"bptee: run: sidecar: {side}: is a symbolic link: refusing to write "
                        f"through or over it\n")
    assert side.is_symlink() and target.read_text() == "keep me"


def test_full_disk_keeps_the_job_result_whole(small_fs, tmp_path, sim_dir, real_agent):
    out = small_fs / "result.json"
    fill(small_fs, 24 * 1024)
    job = signed_job(tmp_path, sim_dir, real_agent, job_id="full-run",
                     result={"file": str(out)})
    r = job.run(sys.executable, "-c", WRITE_BIG, str(out), str(16 * 1024))
    assert r.returncode == NOT_ATTESTED
    assert "No space left on device" in r.stderr and str(out) in r.stderr
    assert out.read_text() == big_json(16 * 1024)  # the job's bytes, whole
    assert names(small_fs) == ["filler", "result.json"]


def writing_into(pid, d, result):
    """Does process pid hold a file in d open other than the result (a temporary, named or
    not: an O_TMPFILE shows as "d/#INODE (deleted)")?"""
    fds = f"/proc/{pid}/fd"
    try:
        links = [os.readlink(f"{fds}/{fd}") for fd in os.listdir(fds)]
    except OSError:  # gone, or a descriptor closed while we looked
        return False
    return any(l.startswith(f"{d}/") and l != str(result) for l in links)


def test_kill_during_the_write_leaves_no_temporary(tmp_path, sim_dir, real_agent):
    """kill -9 of bptee run while it writes a 16 MB attested result: the moment it holds a new
    file beside the result open, or a new name shows up there. The moment is caught by polling,
    which a loaded machine can miss: a run that ended before it was seen writing tested nothing,
    and is tried again (up to 20 runs: a fresh root on a loaded machine missed it 5 times)."""
    skip_unless_view_possible()  # a TEE-path job: confined in a user namespace when not root
    for attempt in range(20):
        d = tmp_path / f"out{attempt}"
        d.mkdir()
        out = d / "result.json"
        job = signed_job(tmp_path, sim_dir, real_agent, job_id="kill-run",
                         result={"file": str(out)})
        p = subprocess.Popen(job.args(sys.executable, "-c", WRITE_BIG, str(out), str(16 << 20)),
                             env=base_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        killed = False
        while p.poll() is None and not killed:
            if names(d) not in ([], ["result.json"]) or writing_into(p.pid, d, out):
                p.kill()
                killed = True
        p.wait(timeout=120)
        if killed:
            break
    assert killed, "bptee run finished before it was seen writing, 20 times"
    assert names(d) == ["result.json"]
    doc = json.loads(out.read_text())  # whole: the job's bytes or the attested ones
    assert doc["data"] == "x" * (16 << 20)
    if "tee" in doc:
        assert cli_verify(tmp_path, out).returncode == 0


# ---- jobs started by hand: the agent replaces the result


def test_by_hand_full_disk_keeps_the_result_and_fails(small_fs, agent):
    out = small_fs / "out.json"
    fill(small_fs, 24 * 1024)
    r = run_job(WRITE, job_env(agent, out), str(out), big_json(16 * 1024), "0")
    assert r.returncode == NOT_ATTESTED
    err = r.stderr.decode()
    assert err.startswith(f"bptee: result '{out}' of job hand-1 not attested: ")
    assert "No space left on device" in err and err.count("\n") == 1
    assert out.read_text() == big_json(16 * 1024)  # not truncated, not rewritten in place
    assert names(small_fs) == ["filler", "out.json"]
    # the twin: with room the same job is attested and exits 0
    (small_fs / "filler").unlink()
    r = run_job(WRITE, job_env(agent, out), str(out), big_json(16 * 1024), "0")
    assert (r.returncode, r.stderr) == (0, b"")
    assert json.loads(out.read_text())["tee"]["job"]["id"] == "hand-1"


def test_by_hand_symlinked_result_is_refused(tmp_path, agent):
    target = tmp_path / "target.json"
    target.write_text('{"a": 1}')
    link = tmp_path / "out.json"
    link.symlink_to(target)
    code = "import sys; sys.exit(0)"
    r = run_job(code, job_env(agent, link))
    assert r.returncode == NOT_ATTESTED
    assert r.stderr.decode() == (f"bptee: result '{link}' of job hand-1 not attested: it is a "
                                 f"symbolic link (refused) (exit status 125)\n")
    assert target.read_text() == '{"a": 1}' and link.is_symlink()


def test_by_hand_declaration_without_a_job_id_fails_at_exit(tmp_path, agent):
    out = tmp_path / "out.json"
    env = job_env(agent, out)
    del env["BPTEE_JOB_ID"]
    r = subprocess.run([sys.executable, "-c", WRITE, str(out), "{}", "0"], env=env,
                       capture_output=True, timeout=60)
    assert r.returncode == NOT_ATTESTED
    assert b"BPTEE_RESULT_FILE needs BPTEE_JOB_ID" in r.stderr and r.stderr.count(b"\n") == 1
    # a job that fails keeps its own status, and says nothing about the result
    r = subprocess.run([sys.executable, "-c", WRITE, str(out), "{}", "3"], env=env,
                       capture_output=True, timeout=60)
    assert (r.returncode, r.stderr) == (3, b"")
