#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Run a command as an ordinary user (uid and gid 65534) on a machine where that user cannot
create user namespaces, without touching the host's sysctl: the command runs inside a user
namespace of its own whose user.max_user_namespaces is 0 (the limit is per user namespace and
binds its descendants), mapping only uid and gid 65534. Run as root. Exits with the command's
status. For python-tests/test_view.py. usage: nouserns.py CMD ARGS..."""
import ctypes
import os
import sys

CLONE_NEWUSER = 0x10000000
UID = 65534
libc = ctypes.CDLL(None, use_errno=True)
go_r, go_w = os.pipe()
ready_r, ready_w = os.pipe()
pid = os.fork()
if pid == 0:
    try:
        if libc.unshare(CLONE_NEWUSER) != 0:
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWUSER)")
        os.write(ready_w, b"1")
        if os.read(go_r, 1) != b"1":
            os._exit(125)
        with open("/proc/sys/user/max_user_namespaces", "w") as f:
            f.write("0")
        os.setgroups([])
        os.setgid(UID)
        os.setuid(UID)
        os.execvp(sys.argv[1], sys.argv[1:])
    except OSError as e:
        print(f"nouserns: {e}", file=sys.stderr)
        os.write(ready_w, b"0")
    os._exit(125)
ok = os.read(ready_r, 1) == b"1"
if ok:
    with open(f"/proc/{pid}/uid_map", "w") as f:
        f.write(f"{UID} {UID} 1\n")
    with open(f"/proc/{pid}/setgroups", "w") as f:
        f.write("allow")
    with open(f"/proc/{pid}/gid_map", "w") as f:
        f.write(f"{UID} {UID} 1\n")
os.write(go_w, b"1" if ok else b"0")
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
