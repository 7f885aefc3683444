#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# What ordinary tools see of a declared path, for python-tests/test_view.py. One "KEY: VALUE"
# line each (errors included), for DIR and FILE = DIR/NAME.
# usage: fsview.sh DIR NAME
d=$1; n=$2; f=$1/$2
echo "uid: $(id -u)"
ls -l "$d" 2>&1 | sed 's/^/ls: /'
echo "realpath: $(realpath "$f" 2>&1)"
echo "readlink: $(readlink -f "$f" 2>&1)"
echo "find: $(find "$d" -name "$n" 2>&1 | tr '\n' ' ')"
echo "stat: $(stat -c '%s|%a|%u|%F' "$f" 2>&1)"
echo "fstype: $(stat -f -c '%t' "$f" 2>&1)"
echo "test-r: $(test -r "$f" && echo yes || echo no)"
echo "test-w: $(test -w "$f" && echo yes || echo no)"
echo "head: $(head -c 1000 "$f" 2>&1)"
