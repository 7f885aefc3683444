#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs the libFuzzer targets the way docs/fuzzing.md describes, from the repository root.
#
#   run.sh fuzz  BUILD SECONDS TARGET...   run each target, then print a table of its coverage
#   run.sh merge BUILD TARGET...           minimize what the runs found into src/fuzz/corpus/
#
# A target's own libFuzzer flags are in src/fuzz/NAME.options.
# Each target starts from three corpora: BUILD/corpus/NAME (what earlier runs found here; new
# units are written there), src/fuzz/corpus/NAME (the minimized corpus kept in the repository)
# and BUILD/seeds/NAME (the files src/fuzz/NAME.seeds lists, copied afresh each run). So a run
# starts where the last kept one ended: its coverage only grows.
set -eu

mode=$1 build=$2
shift 2
# What each target may keep in the repository, in bytes: the smallest units that the merge
# chose, up to this sum (the seeds, read from where they lie, bring the large real documents).
budget=131072

# Copy the seeds NAME.seeds lists (files, or folders whose files are all seeds; paths
# relative to the repository, ../shared/vectors included) into BUILD/seeds/NAME.
gather_seeds() {
    dir=$build/seeds/$1
    rm -rf "$dir"
    mkdir -p "$dir" "$build/corpus/$1" "src/fuzz/corpus/$1"
    [ -f "src/fuzz/$1.seeds" ] || return 0
    grep -v '^#' "src/fuzz/$1.seeds" | while read -r s; do
        [ -n "$s" ] || continue
        if [ -d "$s" ]; then
            for f in "$s"/*; do
                if [ -f "$f" ]; then cp "$f" "$dir/$(basename "$s")-$(basename "$f")"; fi
            done
        elif [ -f "$s" ]; then
            cp "$s" "$dir/$(echo "$s" | tr / _)"
        else
            echo "fuzz: $1: seed $s is missing" >&2
        fi
    done
}

count() { find "$1" -type f | wc -l; }

# src/fuzz/NAME.options: libFuzzer flags one target needs (such as -max_len), if any.
options() { [ -f "src/fuzz/$1.options" ] && cat "src/fuzz/$1.options" || true; }

# libFuzzer's last "cov: N ft: N corp: N/SIZE" line and its executed-units figure.
summarize() {
    last=$(grep -E '^#[0-9]+.*cov: ' "$2" | tail -n1)
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p')
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$2")
    printf '%-24s %7s %7s %14s %6s %6s %10s\n' "$1" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
        "$(count "src/fuzz/corpus/$1")" "$(count "$build/seeds/$1")" "${runs:-?}"
}

fuzz() {
    seconds=$1
    shift
    # This run's own table (another run may be writing $build/fuzz-table.txt), copied there.
    table=$(mktemp)
    printf '%-24s %7s %7s %14s %6s %6s %10s\n' target cov ft corpus kept seeds runs >"$table"
    for n in "$@"; do
        gather_seeds "$n"
        log=$build/$n.log
        echo "fuzz: $n for ${seconds}s"
        # shellcheck disable=SC2046 # NAME.options: extra libFuzzer flags, split on blanks
        if ! "$build/$n" -max_total_time="$seconds" -print_final_stats=1 -close_fd_mask=3 \
            -timeout=25 $(options "$n") "$build/corpus/$n" "src/fuzz/corpus/$n" \
            "$build/seeds/$n" 2>"$log"; then
            tail -n 40 "$log"
            echo "fuzz: $n failed; its input is the file named on the 'Test unit written' line" >&2
            exit 1
        fi
        summarize "$n" "$log" >>"$table"
    done
    echo
    echo "cov: code edges reached, ft: features, corpus: units/bytes at the end of the run,"
    echo "kept: files in src/fuzz/corpus/NAME, seeds: files from src/fuzz/NAME.seeds"
    cat "$table"
    mv "$table" "$build/fuzz-table.txt"
}

# Delete the largest files of a folder until the rest fit in the budget.
keep_smallest() {
    find "$1" -type f -printf '%s %p\n' | sort -n | {
        sum=0
        while read -r size file; do
            sum=$((sum + size))
            [ "$sum" -le "$budget" ] || rm -f "$file"
        done
    }
}

# Minimize into src/fuzz/corpus/NAME: the units of the kept corpus and of the build's corpus
# that add coverage beyond the seeds, the smallest of them up to the budget. The seeds go into
# the merge's output first and are taken out again afterwards: they stay where they are
# (../shared/vectors is not copied in).
merge() {
    for n in "$@"; do
        gather_seeds "$n"
        out=$build/merged/$n
        rm -rf "$out"
        mkdir -p "$out"
        for f in "$build/seeds/$n"/*; do
            if [ -f "$f" ]; then cp "$f" "$out/seed-$(basename "$f")"; fi
        done
        # shellcheck disable=SC2046
        "$build/$n" -merge=1 -close_fd_mask=3 -timeout=25 $(options "$n") "$out" "src/fuzz/corpus/$n" \
            "$build/corpus/$n" 2>"$build/$n.merge.log" ||
            { tail -n 20 "$build/$n.merge.log"; exit 1; }
        rm -f "$out"/seed-*
        keep_smallest "$out"
        rm -rf "src/fuzz/corpus/$n"
        mkdir -p "src/fuzz/corpus/$n"
        find "$out" -type f -exec mv {} "src/fuzz/corpus/$n/" \;
        echo "fuzz: $n: kept $(count "src/fuzz/corpus/$n") files," \
            "$(du -sk --apparent-size "src/fuzz/corpus/$n" | cut -f1) KiB"
    done
}

case $mode in
fuzz) fuzz "$@" ;;
merge) merge "$@" ;;
*) echo "usage: run.sh fuzz BUILD SECONDS TARGET... | merge BUILD TARGET..." >&2; exit 2 ;;
esac
