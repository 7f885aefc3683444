#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Tries to change a declared path from inside the job, for python-tests/test_view.py: one
# "WHAT: EXIT-STATUS" line each, then what the path holds afterwards.
# usage: mutate.sh FILE
f=$1
echo x > "$f" 2>/dev/null; echo "truncate: $?"
echo x >> "$f" 2>/dev/null; echo "append: $?"
chmod 0644 "$f" 2>/dev/null; echo "chmod: $?"
rm -f "$f" 2>/dev/null; echo "rm: $?"
mv "$f" "$f.moved" 2>/dev/null; echo "mv: $?"
mv "$f.moved" "$f" 2>/dev/null
touch "$f.new" 2>/dev/null && mv -f "$f.new" "$f" 2>/dev/null; echo "replace: $?"
echo "after: $(cat "$f" 2>&1)"
