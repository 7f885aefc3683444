#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Tries to change declared paths with system calls, for python-tests/test_view.py. Prints one
JSON object {PATH: {WAY: "ok" or errno name, ..., "after": HEX or "ERR errno"}}."""
import errno
import json
import os
import sys

out = {}
for p in sys.argv[1:]:
    res = out[p] = {}
    for way, flags in (("O_WRONLY", os.O_WRONLY), ("O_RDWR", os.O_RDWR),
                       ("O_TRUNC", os.O_WRONLY | os.O_TRUNC),
                       ("O_APPEND", os.O_WRONLY | os.O_APPEND)):
        try:
            fd = os.open(p, flags)
            try:
                os.write(fd, b"OVERWRITTEN")
                res[way] = "ok"
            except OSError as e:
                res[way] = "write " + errno.errorcode[e.errno]
            os.close(fd)
        except OSError as e:
            res[way] = errno.errorcode[e.errno]
    for way, f in (("truncate", lambda: os.truncate(p, 0)),
                   ("chmod", lambda: os.chmod(p, 0o644)),
                   ("unlink", lambda: os.unlink(p)),
                   ("rename", lambda: os.rename(p, p + ".x"))):
        try:
            f()
            res[way] = "ok"
        except OSError as e:
            res[way] = errno.errorcode[e.errno]
    try:
        res["after"] = open(p, "rb").read().hex()
    except OSError as e:
        res["after"] = "ERR " + errno.errorcode[e.errno]
print(json.dumps(out))
