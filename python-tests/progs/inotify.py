#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""inotify on declared paths, for python-tests/test_view.py: inotify_init1 and
inotify_add_watch through ctypes, then open and read the file, then the events that came.
Prints one JSON object {PATH: {"wd": N or "ERR ...", "read": HEX or "ERR ...",
"events": [MASK...]}}."""
import ctypes
import errno
import json
import os
import struct
import sys

IN_ACCESS, IN_OPEN, IN_CLOSE_NOWRITE, IN_NONBLOCK = 0x1, 0x20, 0x10, 0o4000
libc = ctypes.CDLL(None, use_errno=True)
libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
out = {}
for p in sys.argv[1:]:
    res = out[p] = {}
    fd = libc.inotify_init1(IN_NONBLOCK)
    wd = libc.inotify_add_watch(fd, p.encode(), IN_ACCESS | IN_OPEN | IN_CLOSE_NOWRITE)
    res["wd"] = wd if wd >= 0 else "ERR " + errno.errorcode[ctypes.get_errno()]
    try:
        with open(p, "rb") as f:
            res["read"] = f.read().hex()
    except OSError as e:
        res["read"] = "ERR " + errno.errorcode[e.errno]
    events = []
    try:
        buf = os.read(fd, 4096)
        while buf:
            _, mask, _, length = struct.unpack_from("iIII", buf)
            events.append(mask)
            buf = buf[16 + length:]
    except BlockingIOError:
        pass
    res["events"] = events
    os.close(fd)
print(json.dumps(out))
