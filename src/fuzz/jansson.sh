#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# jansson for the fuzz build, instrumented like the code that calls it: Debian's jansson is
# compiled without coverage counters, so a JSON fuzz target sees the parser as one opaque call
# and cannot steer past it. This fetches Debian's own source package of the version the build
# uses, checks it against the pinned digest of its .dsc (which pins the tarballs in turn),
# unpacks it with its patches, and compiles src/*.c into a static libjansson.a.
#
# usage: jansson.sh OUT VERSION DSC_SHA256 CC CFLAGS...
#   OUT/libjansson.a, OUT/include/jansson.h and jansson_config.h when done.
# The files come from the apt mirrors this machine is configured with: no other host is asked.
set -eu

out=$1 version=$2 dsc_sha256=$3 cc=$4
shift 4
upstream=${version%-*}
dsc=jansson_$version.dsc

mkdir -p "$out/src"
cd "$out/src"

# Where the source package may lie: first the pool directory apt would fetch the binary package
# from, then the same directory in every repository apt is configured with (a security update
# moves the binary, not the older source).
pools() {
    uri=$(apt-get download --print-uris libjansson4 2>/dev/null | head -n1 | cut -d"'" -f2)
    if [ -z "$uri" ]; then
        apt-get update -q >/dev/null
        uri=$(apt-get download --print-uris libjansson4 2>/dev/null | head -n1 | cut -d"'" -f2)
    fi
    [ -z "$uri" ] || echo "${uri%/*}"
    apt-get indextargets --format '$(REPO_URI)' | sort -u | sed 's|/*$|/pool/main/j/jansson|'
}

fetch() {
    [ -s "$1" ] && return 0
    curl -fsS --retry 3 -o "$1.part" "$pool/$1" && mv "$1.part" "$1"
}

# A file whose digest is not the one pinned is removed, so the next run fetches it again.
check_sha256() {
    if ! echo "$2  $1" | sha256sum -c --status; then
        echo "jansson.sh: $1 does not match the sha256 expected, $2" >&2
        rm -f "$1"
        exit 1
    fi
}

for pool in $(pools); do fetch "$dsc" 2>/dev/null && break; done
[ -s "$dsc" ] || { echo "jansson.sh: no configured apt mirror serves $dsc" >&2; exit 1; }
check_sha256 "$dsc" "$dsc_sha256"
# The .dsc lists every file of the source package with its sha256.
sed -n '/^Checksums-Sha256:/,/^[^ ]/s/^ \([0-9a-f]\{64\}\) [0-9]* \(.*\)$/\1 \2/p' "$dsc" |
    while read -r sum file; do
        fetch "$file"
        check_sha256 "$file" "$sum"
    done
# dpkg-source checks the same digests again and applies debian/patches (it cannot check the
# maintainer's signature without Debian's keyring, and says so: the pinned digest stands in).
rm -rf "jansson-$upstream"
dpkg-source -x "$dsc" "jansson-$upstream" >dpkg-source.log 2>&1 ||
    { cat dpkg-source.log >&2; exit 1; }

src=jansson-$upstream/src
mkdir -p ../include
sed -e 's/@json_inline@/inline/' -e 's/@json_have_long_long@/1/' \
    -e 's/@json_have_localeconv@/1/' -e 's/@json_have_atomic_builtins@/1/' \
    -e 's/@json_have_sync_builtins@/1/' "$src/jansson_config.h.in" >"$src/jansson_config.h"
# Headers are replaced only when they change: every object of the fuzz build includes them.
for h in "$src/jansson_config.h" "$src/jansson.h"; do
    cmp -s "$h" "../include/${h##*/}" || cp "$h" ../include/
done
# What jansson's configure would find on any glibc system.
cat >"$src/jansson_private_config.h" <<'EOF'
#define HAVE_ENDIAN_H 1
#define HAVE_FCNTL_H 1
#define HAVE_SCHED_H 1
#define HAVE_UNISTD_H 1
#define HAVE_SYS_PARAM_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_SYS_TIME_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_STDINT_H 1
#define HAVE_CLOSE 1
#define HAVE_GETPID 1
#define HAVE_GETTIMEOFDAY 1
#define HAVE_OPEN 1
#define HAVE_READ 1
#define HAVE_SCHED_YIELD 1
#define HAVE_SYNC_BUILTINS 1
#define HAVE_ATOMIC_BUILTINS 1
#define HAVE_LOCALE_H 1
#define HAVE_SETLOCALE 1
#define HAVE_INT32_T 1
#define HAVE_UINT32_T 1
#define HAVE_UINT16_T 1
#define HAVE_UINT8_T 1
#define HAVE_SSIZE_T 1
#define USE_URANDOM 1
#define INITIAL_HASHTABLE_ORDER 3
EOF

rm -f ../libjansson.a.part
for c in "$src"/*.c; do
    o=${c%.c}.o
    "$cc" "$@" -DHAVE_CONFIG_H -I../include -I"$src" -c -o "$o" "$c"
done
ar rcs ../libjansson.a.part "$src"/*.o
mv ../libjansson.a.part ../libjansson.a
