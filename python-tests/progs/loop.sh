#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The shell twin of loopread.c for python-tests/test_view.py: `cat` (a child, no interposer
# handed down) reads PATH again and again; one line a read, "N VALUE" or "N ERR: message",
# N published in COUNTER after each read (written aside, renamed). Stops when STOP exists or
# after MAX reads. usage: loop.sh PATH COUNTER STOP MAX
p=$1; c=$2; s=$3; max=$4; n=0
while [ "$n" -lt "$max" ] && [ ! -e "$s" ]; do
    if v=$(cat "$p" 2>&1); then echo "$n $v"; else echo "$n ERR: $v"; fi
    echo "$n" > "$c.tmp" && mv -f "$c.tmp" "$c"
    n=$((n + 1))
    sleep 0.05
done
