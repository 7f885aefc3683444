#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Tries to change declared paths from inside the job with the shell and coreutils, for
# python-tests/test_view.py: one "WHAT FILE: EXIT-STATUS" line each, then "after FILE: ..."
# with what the path holds afterwards. usage: mutate.sh FILE...
for f in "$@"; do
    echo x > "$f" 2>/dev/null; echo "truncate $f: $?"
    echo x >> "$f" 2>/dev/null; echo "append $f: $?"
    rm -f "$f" 2>/dev/null; echo "rm $f: $?"
    mv "$f" "$f.moved" 2>/dev/null; echo "mv $f: $?"
    mv "$f.moved" "$f" 2>/dev/null
    echo "after $f: $(cat "$f" 2>&1)"
done
