# SPDX-License-Identifier: Apache-2.0
"""What an installation brings besides the binaries: man pages that render cleanly and name
every subcommand and option `--help` prints, the agent's hardened systemd unit, its readiness
call (sd_notify), and a `make deps` that installs every program the tests call."""
import os
import re
import shutil
import socket
import subprocess

import pytest

from bptee import BUILD, CLI, ROOT, TESTC
from hostcaps import skip_unless_view_possible

MAN_DIR = os.path.join(BUILD, "man")
PAGES = ["bptee.1", "libbptee.3", "bptee-config.5", "bptee-job.5", "bptee-policy.5"]
UNIT_IN = os.path.join(ROOT, "docs", "systemd", "bptee-agent.service.in")
# An option as --help prints it: --word or -x, not a hyphen inside a word ("sev-snp", "DIR-tdx").
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])")


def render(page, warnings=False):
    env = dict(os.environ, MANWIDTH="100", LANG="C.UTF-8")
    args = ["man", "--warnings", "-l", page] if warnings else ["man", "-l", page]
    r = subprocess.run(args, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout, r.stderr


def plain(text):
    return re.sub(r".\x08", "", text)  # drop overstrike bold/underline if the pager left any


def commands():
    out = subprocess.run([CLI, "--help"], capture_output=True, text=True, check=True).stdout
    block = out.split("commands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines() if line.strip()]


def sections(text):
    """bptee(1)'s COMMANDS section cut at each subcommand's heading (indented by 3)."""
    body = text.split("\nCOMMANDS\n", 1)[1]
    body = re.split(r"\n(?=[A-Z][A-Z ]+\n)", body, maxsplit=1)[0]  # up to the next .SH
    parts = re.split(r"\n   ([a-z][a-z-]*)\n", "\n" + body)
    return dict(zip(parts[1::2], parts[2::2]))


@pytest.mark.parametrize("page", PAGES)
def test_man_page_renders_without_warnings(page):
    path = os.path.join(MAN_DIR, page)
    assert os.path.exists(path), f"{page} was not built from docs/man/{page}.scd"
    text, warnings = render(path, warnings=True)
    assert warnings == "", f"{page}: {warnings}"
    name, sect = page.rsplit(".", 1)
    assert plain(text).lstrip().startswith(f"{name}({sect})") and "\nNAME\n" in text, text[:200]


def test_man_warnings_are_reported(tmp_path):
    # The twin: a page with a roff mistake is caught by the same check.
    bad = tmp_path / "bad.1"
    bad.write_text('.TH BAD 1\n.SH NAME\nbad \\- x\n.BOGUSMACRO\n\\*[nosuchstring]\n')
    _, warnings = render(str(bad), warnings=True)
    assert warnings != ""


def test_every_subcommand_and_option_is_in_the_man_page():
    text = plain(render(os.path.join(MAN_DIR, "bptee.1"))[0])
    top = subprocess.run([CLI, "--help"], capture_output=True, text=True, check=True).stdout
    secs = sections(text)
    missing = []
    for opt in ("--help", "--version"):
        if opt not in text.split("\nDESCRIPTION\n", 1)[0]:
            missing.append(f"bptee.1 SYNOPSIS lacks {opt}")
    for cmd in commands():
        assert cmd in top
        if cmd not in secs:
            missing.append(f"bptee.1 (docs/man/bptee.1.scd) has no section '## {cmd}' for "
                           f"the subcommand `bptee {cmd}`")
            continue
        helptext = subprocess.run([CLI, cmd, "--help"], capture_output=True, text=True).stdout
        assert helptext, f"bptee {cmd} --help printed nothing"
        words = set(re.findall(rf"^\s*(?:usage:)?\s*bptee {cmd} ([a-z][a-z-]*)", helptext, re.M))
        for word in sorted(words):
            if f"bptee {cmd} {word}" not in secs[cmd]:
                missing.append(f"bptee.1 section '{cmd}' lacks `bptee {cmd} {word}`")
        for opt in sorted(set(OPTION.findall(helptext))):
            if not re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", secs[cmd]):
                missing.append(f"bptee.1 (docs/man/bptee.1.scd) section '{cmd}' lacks option "
                               f"{opt}, printed by `bptee {cmd} --help`")
    assert not missing, "\n".join(missing)


def test_option_check_finds_a_missing_option():
    # The twin of the test above: its option pattern and section cut really find options.
    text = plain(render(os.path.join(MAN_DIR, "bptee.1"))[0])
    secs = sections(text)
    assert set(commands()) <= set(secs)
    assert "--spec" in OPTION.findall(secs["run"]) and "--spec" not in secs["inspect"]
    assert OPTION.findall("  -o, --output FILE  sev-snp DIR-tdx '-' x--y") == ["-o", "--output"]


def test_top_level_help_names_both_tees_for_attest():
    out = subprocess.run([CLI, "--help"], capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.strip().startswith("attest "))
    assert "SEV-SNP" in line and "TDX" in line, line


# --- the systemd unit -------------------------------------------------------------------------

def unit(tmp_path, replace=()):
    text = open(UNIT_IN).read().replace("@BINDIR@", BUILD)
    for old, new in replace:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "bptee-agent.service"
    path.write_text(text)
    return path


def analyze(*args):
    env = dict(os.environ, MANPATH=f"{MAN_DIR}:", SYSTEMD_LOG_COLOR="0")
    # man looks pages up as DIR/manN/NAME.N: lay the built pages out that way.
    for page in PAGES:
        sect = os.path.join(MAN_DIR, "man" + page.rsplit(".", 1)[1])
        os.makedirs(sect, exist_ok=True)
        link = os.path.join(sect, page)
        if not os.path.lexists(link):
            os.symlink(os.path.join("..", page), link)
    return subprocess.run(["systemd-analyze", *args], capture_output=True, text=True, env=env)


def exposure(path):
    r = analyze("security", "--offline=true", "--no-pager", str(path))
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout)
    assert m, r.stdout[-500:] + r.stderr
    return float(m.group(1))


def test_unit_verifies(tmp_path):
    r = analyze("verify", str(unit(tmp_path)))
    assert r.returncode == 0 and r.stdout + r.stderr == "", r.stdout + r.stderr


def test_unit_verify_catches_mistakes(tmp_path):
    r = analyze("verify", str(unit(tmp_path, [("Type=notify", "Type=notifyy")])))
    assert r.returncode != 0 or "notifyy" in r.stderr


def test_unit_is_hardened(tmp_path):
    path = unit(tmp_path)
    text = path.read_text()
    for line in ["Type=notify", "RuntimeDirectory=bptee", "ProtectSystem=strict",
                 "NoNewPrivileges=yes", "MemoryDenyWriteExecute=yes", "LockPersonality=yes",
                 "PrivateTmp=yes", "ProtectHome=yes", "CapabilityBoundingSet=\n",
                 "SystemCallFilter=@system-service", "LimitCORE=0", "DevicePolicy=closed",
                 "DeviceAllow=/dev/sev-guest rw", "DeviceAllow=/dev/tdx_guest rw",
                 "--socket /run/bptee/agent.sock"]:
        assert line in text, line
    assert exposure(path) <= 2.0


def test_a_weakened_unit_scores_worse(tmp_path):
    weak = unit(tmp_path, [("ProtectSystem=strict", "ProtectSystem=no"),
                           ("CapabilityBoundingSet=\n", "\n"), ("PrivateTmp=yes", "PrivateTmp=no")])
    assert exposure(weak) > 2.0


# --- readiness (src/cli/notify.c) -------------------------------------------------------------

def notify(status, env_socket):
    env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
    if env_socket:
        env["NOTIFY_SOCKET"] = env_socket
    args = [os.path.join(TESTC, "notify_ready")] + ([status] if status is not None else [])
    return subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout


@pytest.fixture
def notify_socket(tmp_path):
    path = str(tmp_path / "notify")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(5)
    yield s, path
    s.close()


def test_ready_reaches_the_service_manager(notify_socket):
    s, path = notify_socket
    assert notify("listening on 127.0.0.1:8700", path) == "0\n"
    assert s.recv(4096).decode() == "READY=1\nSTATUS=listening on 127.0.0.1:8700"
    assert notify(None, path) == "0\n"
    assert s.recv(4096).decode() == "READY=1"


def nothing_arrives(s):
    s.settimeout(0.2)
    with pytest.raises(socket.timeout):
        s.recv(4096)


def test_ready_without_systemd_is_a_no_op(notify_socket):
    s, _ = notify_socket
    assert notify("x", None) == "0\n"
    nothing_arrives(s)


def test_ready_refuses_a_status_that_would_inject_fields(notify_socket):
    s, path = notify_socket
    assert notify("ok\nMAINPID=1", path) == "-22\n"
    nothing_arrives(s)


def test_ready_reports_an_unreachable_manager(tmp_path):
    assert int(notify("x", str(tmp_path / "nobody-listens"))) < 0


# --- dependencies -----------------------------------------------------------------------------

# Every program the tests, the demo or the build run, and what provides it on Debian 12.
PROGRAMS = ["openssl", "fusermount3", "man", "systemd-analyze", "scdoc", "pkg-config", "cc",
            "nm", "readelf", "go", "node", "busybox", "sqlite3", "bwrap", "/usr/bin/python3"]


def test_make_deps_installs_every_program_the_tests_run():
    listed = set(subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT, "deps-list"],
                                capture_output=True, text=True, check=True).stdout.split())
    missing = []
    for prog in PROGRAMS:
        path = prog if os.path.isabs(prog) and os.path.exists(prog) else shutil.which(prog)
        assert path, f"{prog} is not installed: make deps should have installed it"
        real = os.path.realpath(path)
        owners = set()
        for p in {path, real, real.replace("/usr/bin/", "/bin/"), path.replace("/usr/bin/", "/bin/")}:
            r = subprocess.run(["dpkg-query", "-S", p], capture_output=True, text=True)
            owners |= {o.strip() for line in r.stdout.splitlines()
                       for o in line.split(":")[0].split(",")}
        owners = {o.split(":")[0] for o in owners if o}
        # A package named in deps-list, or one that one of them pulls in (build-essential -> gcc).
        if not owners & listed and not any(dep_closure(o, listed) for o in owners):
            missing.append(f"{prog} ({', '.join(sorted(owners)) or 'no package'})")
    assert not missing, "make deps does not install: " + "; ".join(missing)


def dep_closure(pkg, listed, depth=3):
    """True when some package in listed depends on pkg within depth steps."""
    frontier = set(listed)
    seen = set()
    for _ in range(depth):
        if not frontier:
            return False
        r = subprocess.run(["dpkg-query", "-W", "-f", "${Depends},${Pre-Depends}\n",
                            *sorted(frontier)], capture_output=True, text=True)
        deps = {d.strip().split()[0].split(":")[0] for d in re.split(r"[,|]", r.stdout)
                if d.strip()}
        if pkg in deps:
            return True
        seen |= frontier
        frontier = deps - seen
    return False


# --- the demo ---------------------------------------------------------------------------------

def demo(build, **env):
    skip_unless_view_possible()  # the demo's job reads a sealed secret under bptee run
    full = dict(os.environ, BPTEE_BUILD=str(build), TEE="sev-snp", **env)
    return subprocess.run(["sh", os.path.join(ROOT, "docs", "demo.sh")], capture_output=True,
                          text=True, env=full, cwd=ROOT, timeout=120)


def check_demo_output(out):
    assert "\x1b[" not in out  # piped into a file: no terminal escapes
    assert "$ cat job.py\nimport hashlib" in out  # the reader sees the job is unmodified
    assert re.search(r"provisioned db_password version 1 \(28 bytes, sealed with scheme v2 ", out)
    assert out.rstrip().endswith("demo: done (agent stopped, temporary files removed)")


def test_demo_from_the_build():
    r = demo(BUILD)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    check_demo_output(r.stdout)


def test_demo_from_an_installed_prefix(tmp_path):
    # As the Debian package test runs it: BPTEE_BUILD names a prefix with bin/bptee in it.
    dest, prefix = tmp_path / "dest", "/opt/bptee-demo"
    r = subprocess.run(["make", "-C", ROOT, f"B={BUILD}", "install", f"DESTDIR={dest}",
                        f"PREFIX={prefix}"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    root = f"{dest}{prefix}"
    r = demo(root, LD_LIBRARY_PATH=os.path.join(root, "lib"))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    check_demo_output(r.stdout)
    assert f"$ {root}/bin/bptee verify" in r.stdout


def test_demo_without_bptee_says_so(tmp_path):
    r = demo(tmp_path)
    assert r.returncode == 1 and f"demo: no bptee in {tmp_path}" in r.stderr
