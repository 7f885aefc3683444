#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Opens a declared path for writing, the ways programs do, for python-tests/test_view.py; one
JSON object {"WAY": "ok" or errno name}, then the file's bytes afterwards as "after" (hex)."""
import errno
import json
import os
import sys

p = sys.argv[1]
out = {}
for way, flags in (("O_WRONLY", os.O_WRONLY), ("O_RDWR", os.O_RDWR),
                   ("O_TRUNC", os.O_WRONLY | os.O_TRUNC), ("O_APPEND", os.O_WRONLY | os.O_APPEND)):
    try:
        fd = os.open(p, flags)
        try:
            os.write(fd, b"OVERWRITTEN")
            out[way] = "ok"
        except OSError as e:
            out[way] = "write " + errno.errorcode[e.errno]
        os.close(fd)
    except OSError as e:
        out[way] = errno.errorcode[e.errno]
for way, f in (("unlink", lambda: os.unlink(p)), ("rename", lambda: os.rename(p, p + ".x")),
               ("truncate", lambda: os.truncate(p, 0)), ("chmod", lambda: os.chmod(p, 0o644)),
               ("utime", lambda: os.utime(p, (0, 0)))):
    try:
        f()
        out[way] = "ok"
    except OSError as e:
        out[way] = errno.errorcode[e.errno]
try:
    out["after"] = open(p, "rb").read().hex()
except OSError as e:
    out["after"] = "ERR " + errno.errorcode[e.errno]
print(json.dumps(out))
