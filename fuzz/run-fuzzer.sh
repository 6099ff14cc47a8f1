#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs one libFuzzer target as a test: usage run-fuzzer.sh <name> <max_len>
#
#  1. replays every file of fuzz/corpus/<name>/ and fuzz/regressions/<name>/
#     once (none may crash, leak or hang);
#  2. fuzzes for ${NCU_FUZZ_SECONDS:-30} seconds starting from both, with
#     inputs of at most <max_len> bytes, new inputs going to a temporary
#     directory (the committed corpus is never written), and prints
#     libFuzzer's final statistics (executions in all and per second).
#
# Any crash, sanitizer report, leak, timeout (${NCU_FUZZ_TIMEOUT:-10} s per
# input) or memory blow-up (${NCU_FUZZ_RSS_MB:-2048} MB) fails the test; the
# input that caused it is kept as $top_builddir/fuzz/artifact-<name>-* to
# be added to fuzz/regressions/<name>/ once the bug is fixed.
#
# Needs top_srcdir and top_builddir (make check exports them).

set -u

name=${1:?usage: run-fuzzer.sh <name> <max_len>}
max_len=${2:?usage: run-fuzzer.sh <name> <max_len>}
srcdir=${top_srcdir:?top_srcdir is not set (run through make check)}
builddir=${top_builddir:?top_builddir is not set (run through make check)}
seconds=${NCU_FUZZ_SECONDS:-30}
timeout=${NCU_FUZZ_TIMEOUT:-10}
rss_mb=${NCU_FUZZ_RSS_MB:-2048}

fuzzer=$builddir/fuzz/fuzz-$name
corpus=$srcdir/fuzz/corpus/$name
regressions=$srcdir/fuzz/regressions/$name
dict=$srcdir/fuzz/dict/$name.dict

fail() {
	echo "FAIL: fuzz/$name: $*" >&2
	exit 1
}

[ -x "$fuzzer" ] || fail "$fuzzer is not built (configure with CC=clang --enable-fuzzing)"
[ -d "$corpus" ] || fail "no seed corpus in $corpus"

work=$(mktemp -d "$builddir/fuzz/work-$name.XXXXXX") || fail "cannot create a work directory"
trap 'rm -rf "$work"' EXIT
mkdir "$work/new"

# GLib's slice allocator would hide use-after-free from ASan.
export G_SLICE=always-malloc
export ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

common=(
	-rss_limit_mb="$rss_mb"
	-malloc_limit_mb="$rss_mb"
	-timeout="$timeout"
	-error_exitcode=1
	-timeout_exitcode=1
	-artifact_prefix="$builddir/fuzz/artifact-$name-"
)

# Shows the end of libFuzzer's log (the report) and fails.
fail_with_log() {
	echo "--- last lines of the libFuzzer log:" >&2
	tail -n 60 "$1" >&2
	ls "$builddir/fuzz/artifact-$name-"* 2>/dev/null | sed 's/^/reproducer: /' >&2
	fail "$2"
}

# 1. Replay: every committed input, one run each.
mapfile -d '' inputs < <(find "$corpus" "$regressions" -type f ! -name 'README*' -print0 2>/dev/null | sort -z)
[ "${#inputs[@]}" -gt 0 ] || fail "the seed corpus $corpus is empty"
if ! "$fuzzer" "${common[@]}" "${inputs[@]}" >"$work/replay.log" 2>&1; then
	fail_with_log "$work/replay.log" "a committed input crashes, leaks or hangs"
fi
echo "fuzz/$name: replayed ${#inputs[@]} committed inputs"

# 2. Fuzz for a bounded time.
args=("${common[@]}" -max_len="$max_len" -max_total_time="$seconds" -print_final_stats=1)
[ -f "$dict" ] && args+=(-dict="$dict")
dirs=("$work/new" "$corpus")
[ -d "$regressions" ] && dirs+=("$regressions")
if ! "$fuzzer" "${args[@]}" "${dirs[@]}" >"$work/fuzz.log" 2>&1; then
	fail_with_log "$work/fuzz.log" "fuzzing found a crash, leak or hang"
fi

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/fuzz.log")
rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$work/fuzz.log")
[ -n "$execs" ] || fail_with_log "$work/fuzz.log" "libFuzzer printed no final statistics"
grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$work/fuzz.log"
new=$(find "$work/new" -type f | wc -l)
echo "fuzz/$name: ${seconds} s, $execs executions, $rate executions/s, peak RSS ${rss} MB, $new new inputs (discarded)"
exit 0
