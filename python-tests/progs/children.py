#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A Python job for python-tests/test_view.py whose children read the secrets: subprocess with
its defaults (close_fds=True, so no inherited descriptor survives into the child). Prints one
JSON object {"WAY PATH": {"rc": N, "out": HEX, "err": TEXT}}."""
import json
import subprocess
import sys

READ = "import sys; sys.stdout.buffer.write(open(sys.argv[1], 'rb').read())"
out = {}
for p in sys.argv[1:]:
    for way, argv in (("cat", ["cat", p]), ("python", [sys.executable, "-c", READ, p])):
        r = subprocess.run(argv, capture_output=True)
        out[f"{way} {p}"] = {"rc": r.returncode, "out": r.stdout.hex(),
                            "err": r.stderr.decode(errors="replace")}
print(json.dumps(out))
