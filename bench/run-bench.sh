#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench: runs the benchmarks in order, each printing markdown, and
# writes them all to bench/results.md in the source tree (a summary of the
# targets first, then each bench's section). BENCH=name,... reruns a
# subset: the sections (and summary rows) of the benches not run are kept
# from the results file as it was, so it always holds the latest run of
# every bench, whatever build tree ran it.
#
#   BENCH=connect,throughput,proxy-cost,scale,recovery (default: all)
#   BENCH_RESULTS=FILE   where to write (default: $top_srcdir/bench/results.md);
#                        sections of benches not run are kept from FILE
# The number of runs of each bench: see the BENCH_*_RUNS variables in each
# script (bench/README.md).
set -uo pipefail

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${top_builddir:=$PWD}"
export top_srcdir top_builddir
ALL=(connect throughput proxy-cost scale recovery)
IFS=', ' read -ra WANT <<<"${BENCH:-${ALL[*]}}"
RESULTS=${BENCH_RESULTS:-$top_srcdir/bench/results.md}
OUT=$top_builddir/bench
mkdir -p "$OUT"

if ((EUID != 0)); then
	echo "make bench needs root (network namespaces, nftables, NetworkManager instances)" >&2
	exit 1
fi

# kept_summary N FILE, kept_section N FILE: bench number N's summary rows
# ("| N title | ...", in the summary only) and section ("## N. Title" up to
# the next numbered section) in an earlier results file.
kept_summary() {
	[[ -f $2 ]] || return 0
	awk -v n="$1" '/^## / { in_summary = ($0 ~ /^## Summary/) }
		in_summary && index($0, "| " n " ") == 1' "$2"
}
kept_section() {
	[[ -f $2 ]] || return 0
	awk -v n="$1" '/^## [0-9]+\. / { in_section = (index($0, "## " n ". ") == 1) }
		in_section' "$2"
}

declare -A RAN=()
status=0
for name in "${WANT[@]}"; do
	script=$top_srcdir/bench/bench-$name.sh
	number=0
	for i in "${!ALL[@]}"; do [[ ${ALL[i]} == "$name" ]] && number=$((i + 1)); done
	if ((number == 0)); then
		echo "unknown bench '$name' (known: ${ALL[*]})" >&2
		exit 1
	fi
	RAN[$name]=1
	echo "==== bench $name (log: $OUT/bench-$name.log)"
	t0=$EPOCHSECONDS
	: >"$OUT/summary-$name.md"
	if BENCH_SUMMARY=$OUT/summary-$name.md bash "$script" >"$OUT/results-$name.md.new" 2>"$OUT/bench-$name.log"; then
		echo "_bench-$name.sh took $((EPOCHSECONDS - t0)) s._" >>"$OUT/results-$name.md.new"
		echo >>"$OUT/results-$name.md.new"
		mv "$OUT/results-$name.md.new" "$OUT/results-$name.md"
	else
		status=1
		{
			echo "## $number. bench $name FAILED"
			echo
			echo "bench-$name.sh failed after $((EPOCHSECONDS - t0)) s; the end of its log:"
			echo
			echo '```'
			grep -v '^#  ' "$OUT/bench-$name.log" | tail -n 15
			echo '```'
			echo
		} >"$OUT/results-$name.md"
		rm -f "$OUT/results-$name.md.new"
	fi
	cat "$OUT/results-$name.md"
done

{
	echo "# Benchmark results"
	echo
	echo "Written by \`make bench\` (bench/run-bench.sh; see bench/README.md). Each section names its"
	echo "machine, versions, date and number of runs; every figure is the median of its runs,"
	echo "measured in the same run as its baseline."
	echo
	echo "## Summary of the targets (issue 6)"
	echo
	echo "| bench | figure | measured | target | verdict |"
	echo "| --- | --- | --- | --- | --- |"
	for i in "${!ALL[@]}"; do
		if [[ ${RAN[${ALL[i]}]:-} ]]; then
			cat "$OUT/summary-${ALL[i]}.md"
		else
			kept_summary $((i + 1)) "$RESULTS"
		fi
	done
	echo
	for i in "${!ALL[@]}"; do
		if [[ ${RAN[${ALL[i]}]:-} ]]; then
			cat "$OUT/results-${ALL[i]}.md"
		else
			kept_section $((i + 1)) "$RESULTS"
		fi
	done
} >"$RESULTS.new"
mv "$RESULTS.new" "$RESULTS"
echo "==== wrote $RESULTS"
exit "$status"
