#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nm-settings-cunicu(5) is generated from the schema table and committed:
# fail when the committed page differs from the generator's output, or when
# groff/man warn about it. Needs groff-base and man-db.
set -u

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${top_builddir:-$srcdir}
page=$srcdir/data/nm-settings-cunicu.5
gen=$builddir/shared/ncu-gen-man

fail() { echo "FAIL: $*" >&2; exit 1; }

[ -x "$gen" ] || fail "$gen is not built (run make first)"
[ -f "$page" ] || fail "$page is missing (run make update-man)"
command -v groff >/dev/null || fail "groff not found: install the Debian package groff-base"
command -v man >/dev/null || fail "man not found: install the Debian package man-db"

tmp=$(mktemp -d) || fail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

"$gen" > "$tmp/page.5" || fail "$gen failed"
if ! diff -u "$page" "$tmp/page.5"; then
	fail "data/nm-settings-cunicu.5 is stale: the table changed; run 'make update-man' and commit the page"
fi

# -ww: every warning; -z: format but discard the output.
LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$page" 2> "$tmp/groff.err"
[ -s "$tmp/groff.err" ] && { cat "$tmp/groff.err" >&2; fail "groff warns about the page"; }

# man(1) formats at a fixed width, as a user sees it; it reports lines it
# cannot break, among others.
LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" > "$tmp/page.txt" 2> "$tmp/man.err"
[ -s "$tmp/man.err" ] && { cat "$tmp/man.err" >&2; fail "man warns about the page"; }
grep -q 'peer.N.public-key' "$tmp/page.txt" || fail "the formatted page lacks peer.N.public-key"

echo "PASS: nm-settings-cunicu(5) is up to date and formats without warnings"
exit 0
