#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# What ordinary tools see of declared paths, for python-tests/test_view.py: "uid: N", the
# directory's `ls -ln` listing ("ls: LINE"), then for each NAME, with FILE = DIR/NAME, one
# "KEY NAME: VALUE" line per tool (errors included).
# usage: fsview.sh DIR NAME...
d=$1; shift
echo "uid: $(id -u)"
ls -ln "$d" 2>&1 | sed 's/^/ls: /'
for n in "$@"; do
    f=$d/$n
    echo "realpath $n: $(realpath "$f" 2>&1)"
    echo "readlink $n: $(readlink -f "$f" 2>&1)"
    echo "find $n: $(find "$d" -name "$n" 2>&1 | tr '\n' ' ')"
    echo "stat $n: $(stat -c '%s|%a|%u|%F' "$f" 2>&1)"
    echo "fstype $n: $(stat -f -c '%t' "$f" 2>&1)"
    echo "test-r $n: $(test -r "$f" && echo yes || echo no)"
    echo "test-w $n: $(test -w "$f" && echo yes || echo no)"
    echo "head $n: $(head -c 1000 "$f" 2>&1)"
done
