# SPDX-License-Identifier: Apache-2.0
"""The --audit-log file is bounded by size (issue 14): before a line would take it past
--audit-log-max, it is rotated to FILE.1 (FILE.1 to FILE.2 ...; --audit-log-keep files kept),
and each new file starts with a header naming where the chain picks up, so
`bptee audit verify --log FILE` follows the one chain across the files and ties its end to a
signed export. (The log once grew 72 MB in two minutes with no bound.)"""
import json
import os

import pytest

import bptee as B
from test_agent import Agent, policy_sim, sim_dir, write_json  # noqa: F401

MAX = 64 << 10
KEEP = 2


@pytest.fixture(scope="module")
def rotated(tmp_path_factory, sim_dir):
    """An agent that logged 1300 refused writes (over 4 files' worth) under a 64 KiB bound."""
    tmp = tmp_path_factory.mktemp("rot")
    log = tmp / "audit.jsonl"
    a = Agent(tmp, sim_dir, args=("--audit-log", str(log), "--audit-log-max", str(MAX),
                                  "--audit-log-keep", str(KEEP)))
    fake = {"session_id": "0" * 32, "ciphertext": [1] * 17, "nonce": [0] * 12,
            "ephemeral_public_key": [9] * 32}
    try:
        for i in range(1300):
            status, _, _ = a.request("POST", "/v1/secrets", {"name": f"s{i}", "payload": fake})
            assert status == 404  # no such session: refused, and on record
        status, _, doc = a.request("GET", "/v1/audit")
        assert status == 200
        yield tmp, log, write_json(tmp / "export.json", doc), doc
    finally:
        a.stop()


def files(log):
    return sorted(p for p in os.listdir(log.parent) if p.startswith(log.name))


def verify(log, *extra):
    return B.cli("audit", "verify", *extra, "--log", log)


def test_files_are_bounded_and_rotated(rotated):
    _, log, _, _ = rotated
    assert files(log) == ["audit.jsonl", "audit.jsonl.1", "audit.jsonl.2"]
    for name in files(log):
        size = os.path.getsize(log.parent / name)
        assert 0 < size <= MAX, name
    for name in ["audit.jsonl.1", "audit.jsonl.2"]:
        assert os.path.getsize(log.parent / name) > MAX // 2  # rotated when full, not early
        first = json.loads(open(log.parent / name).readline())
        assert first["format"] == "bptee-audit-file-v1" and first["first_seq"] > 1


def test_chain_verifies_across_files_and_holds_the_signed_head(rotated, policy_sim):
    _, log, export, doc = rotated
    r = verify(log)
    assert r.returncode == 0, r.stderr
    assert "in 3 file(s), one chain" in r.stdout and "from the start" not in r.stdout
    last = doc["first_seq"] + doc["count"] - 1
    assert f"to {last})" in r.stdout
    r = verify(log, export, "--policy", policy_sim, "--quiet")
    assert r.returncode == 0 and "holding the signed head" in r.stdout, r.stderr


def tampered(rotated, tmp_path, how):
    """A copy of the files, changed by how(dir) before verification."""
    _, log, _, _ = rotated
    for name in files(log):
        (tmp_path / name).write_bytes((log.parent / name).read_bytes())
    how(tmp_path)
    return verify(tmp_path / log.name)


def edit_middle(d):
    lines = (d / "audit.jsonl.1").read_text().splitlines(keepends=True)
    e = json.loads(lines[5])
    e["detail"] = e["detail"].replace("session", "sessiom")
    lines[5] = json.dumps(e, separators=(",", ":")) + "\n"
    (d / "audit.jsonl.1").write_text("".join(lines))


def drop_middle(d):
    os.replace(d / "audit.jsonl.2", d / "audit.jsonl.1")


def drop_last_line(d):
    lines = (d / "audit.jsonl.1").read_text().splitlines(keepends=True)
    (d / "audit.jsonl.1").write_text("".join(lines[:-1]))


@pytest.mark.parametrize("how,needle", [
    (edit_middle, "audit.jsonl.1: line 6: entry"),
    (drop_middle, "does not pick up"),
    (drop_last_line, "does not pick up"),
])
def test_a_changed_or_missing_file_is_caught(rotated, tmp_path, how, needle):
    r = tampered(rotated, tmp_path, how)
    assert r.returncode == 1 and needle in r.stderr, r.stderr


def test_limit_options(tmp_path, sim_dir):
    cfg = tmp_path / "x"
    for bad in (["--audit-log-keep", "0"], ["--audit-log-max", "-1"]):
        r = B.cli("agent", "--config", cfg, "--listen", "127.0.0.1:0", "--socket",
                  tmp_path / "s", "--audit-log", tmp_path / "l", *bad)
        assert r.returncode == 2 and bad[0] in r.stderr


def test_files_missing_the_signed_head_refused(rotated, tmp_path, policy_sim):
    """The twin of holding the head: files whose newest lines were cut verify as a chain, but
    not against the signed export that saw those lines."""
    _, log, export, _ = rotated

    def cut_newest(d):
        lines = (d / "audit.jsonl").read_text().splitlines(keepends=True)
        (d / "audit.jsonl").write_text("".join(lines[:-3]))
    assert tampered(rotated, tmp_path, cut_newest).returncode == 0
    r = B.cli("audit", "verify", export, "--policy", policy_sim, "--quiet", "--log",
              tmp_path / log.name)
    assert r.returncode == 1 and "signed head" in r.stderr and "not in the file" in r.stderr
