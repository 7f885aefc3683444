#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A wrapper-script job for python-tests/test_view.py: the script itself reads nothing; its
# children do, the ways real wrappers start them. For each PATH and each way, a line
# "== WAY PATH" and then whatever the child wrote (its errors included), then a newline.
for f in "$@"; do
    echo "== sh-c $f"; sh -c 'cat "$1"' sh "$f" 2>&1; echo
    echo "== env $f"; env cat "$f" 2>&1; echo
    echo "== xargs $f"; printf '%s\n' "$f" | xargs cat 2>&1; echo
    echo "== subshell $f"; (cat "$f") 2>&1; echo
    echo "== redirect $f"; cat < "$f" 2>&1; echo
done
