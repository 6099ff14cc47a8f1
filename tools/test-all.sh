#!/bin/bash
# Runs every test of NetworkManager-cunicu on a fresh Debian 12 machine, as root:
# installs the Debian packages it needs, builds with -Werror, runs `make check`
# (unit tests, the network test bed: real NetworkManager, WireGuard, coturn,
# mosquitto and NAT routers in network namespaces, and kernel WireGuard in a
# QEMU guest), the whole suite again under ASan+UBSan (but the kernel and
# valgrind tests), the libFuzzer
# targets for a bounded time, then the Debian packages
# (tools/test-packages.sh) and `make distcheck`. Ends with one line
# "N passed, N failed, N skipped" (the automake test summaries added up, plus
# one for the packages and one for distcheck; known failures, XFAIL, count
# as skipped) and exits non-zero when anything failed.
#
#   tools/test-all.sh            build dir: ./_build
#   NCU_BUILDDIR=dir tools/test-all.sh
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${NCU_BUILDDIR:-$top/_build}
jobs=$(nproc 2>/dev/null || echo 2)

# A step's heading, with the time so far: CI has 25 minutes in all.
step() {
	echo "=== $1 (${SECONDS} s since the start)"
}

fail_hard() {
	echo "test-all: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

[ "$(id -u)" = 0 ] || fail_hard "must run as root (network namespaces, apt-get)"
"$top/tools/install-deps.sh" all || fail_hard "installing Debian packages failed"

"$top/tools/build.sh" "$builddir" > /dev/null || fail_hard "build failed"
# Debian's kernel and busybox for the QEMU guest of the kernel WireGuard
# tests: downloaded and unpacked into a cache, never installed.
"$top/tests/kernel/prepare.sh" > /dev/null || fail_hard "cannot prepare the QEMU guest kernel"
cd "$builddir" || exit 1

passed=0 failed=0 skipped=0

count() {
	local n
	n=$(sed -n "s/^# $2: *\([0-9]*\)$/\1/p" "$1/test-suite.log" | head -1)
	echo "${n:-0}"
}

# show_failures DIR: the end of the own output of each test that failed in
# build dir DIR since check_in began (the test bed's log dumps, lines
# starting "#  " and "####", left out),
# so that CI's output says why without the build tree.
show_failures() {
	local trs
	find "$1" -name '*.trs' -newer "$1/.check-start" \
		-exec grep -lE '^:test-result: (FAIL|ERROR|XPASS)' {} + |
		while read -r trs; do
			echo "--- why ${trs#"$1"/}:"
			grep -v -e '^#  ' -e '^####' "${trs%.trs}.log" | tail -n 25
		done
}

# check_in DIR TARGET [MAKE-ARGS...]: `make TARGET` in build dir DIR and add
# its automake test summary to the totals.
check_in() {
	local dir=$1 target=$2 status f
	shift 2
	rm -f "$dir/test-suite.log"
	touch "$dir/.check-start"
	make -C "$dir" -j"$jobs" "$target" "$@"
	status=$?
	if [ ! -f "$dir/test-suite.log" ]; then
		echo "FAIL: make $target in $dir ran no test"
		failed=$((failed + 1))
		return
	fi
	passed=$((passed + $(count "$dir" PASS)))
	f=$(($(count "$dir" FAIL) + $(count "$dir" ERROR) + $(count "$dir" XPASS)))
	[ "$f" = 0 ] || show_failures "$dir"
	# Known failures (XFAIL) are not passes: counted with the skipped.
	skipped=$((skipped + $(count "$dir" SKIP) + $(count "$dir" XFAIL)))
	# make failing outside any test (a test program that did not build)
	[ "$status" != 0 ] && [ "$f" = 0 ] && f=1
	failed=$((failed + f))
}

# Every test: unit tests, the test bed, end to end through NetworkManager,
# kernel WireGuard in a QEMU guest.
step "tests (plain build)"
check_in "$builddir" check

# The same code under AddressSanitizer and UndefinedBehaviorSanitizer: the
# whole suite again, the services in the test bed included (NetworkManager
# starts them from the sanitizer build, and the test bed fails a test
# whose service.log holds a sanitizer report), but for two kinds of test
# that cannot run there: the kernel tests (the QEMU guest runs the build's
# programs under TCG, minutes each already: ASan's slowdown would take CI
# past its time budget) and the valgrind test
# (valgrind and ASan exclude each other; it runs in the plain build above).
# test-nmcli-import.sh is left out by configure: the plain nmcli cannot
# load an instrumented plugin (test-import covers the plugin here).
step "tests under ASan and UBSan"
if "$top/tools/build.sh" "$builddir-asan" --enable-sanitizers > /dev/null; then
	asan_tests=$(make -s -C "$builddir-asan" print-tests | tr ' ' '\n' |
		grep -v -e '^tests/kernel/' -e '^tests/security/test-valgrind.sh$' | tr '\n' ' ')
	# Full stacks, so that tests/lsan.supp can name the libraries whose
	# process-lifetime caches LeakSanitizer would report.
	export ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0
	export LSAN_OPTIONS=suppressions=$top/tests/lsan.supp
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	# NetworkManager does not pass its environment on to the services
	TB_SERVICE_WRAPPER="env ASAN_OPTIONS=$ASAN_OPTIONS LSAN_OPTIONS=$LSAN_OPTIONS UBSAN_OPTIONS=$UBSAN_OPTIONS" \
		check_in "$builddir-asan" check TESTS="$asan_tests"
	unset ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS
else
	echo "FAIL: sanitizer build"
	failed=$((failed + 1))
fi

# Every parser of outside input under libFuzzer (clang), for a bounded time,
# after replaying the committed corpus.
step "fuzzers"
if CC=clang "$top/tools/build.sh" "$builddir-fuzz" --enable-fuzzing --disable-netns-tests > /dev/null; then
	check_in "$builddir-fuzz" check-fuzz NCU_FUZZ_SECONDS="${NCU_FUZZ_SECONDS:-30}"
else
	echo "FAIL: fuzzer build"
	failed=$((failed + 1))
fi
cd "$builddir" || exit 1

# The Debian packages: built from the release tarball, lintian, and the
# two-peer test against the installed files (one pass or fail).
step "tools/test-packages.sh"
if NCU_BUILDDIR=$builddir "$top/tools/test-packages.sh" > packages.out 2>&1; then
	grep -E '^[EWIPX]: ' packages.out   # lintian's tags, if any
	tail -1 packages.out
	passed=$((passed + 1))
else
	tail -40 packages.out
	echo "FAIL: Debian packages (log: $builddir/packages.out)"
	failed=$((failed + 1))
fi

# The release tarball must build and pass its unit tests on its own.
step "make distcheck"
if make -j"$jobs" distcheck > distcheck.out 2>&1; then
	echo "PASS: make distcheck"
	passed=$((passed + 1))
else
	tail -40 distcheck.out
	echo "FAIL: make distcheck"
	failed=$((failed + 1))
fi

step "done"
echo "${passed} passed, ${failed} failed, ${skipped:-0} skipped"
[ "$failed" = 0 ]
