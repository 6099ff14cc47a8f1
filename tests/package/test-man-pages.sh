#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Both man pages are installed by `make install` and format without a
# warning at 80 columns; nm-settings-cunicu(5) names every key of the
# schema (shared/ncu-schema.h), nm-cunicu-status(1) every option the
# program takes. (tests/unit/test-man.sh checks that nm-settings-cunicu(5)
# is what the generator prints.) Needs groff-base and man-db.
set -u

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${top_builddir:-$srcdir}

fail() { echo "FAIL: $*" >&2; exit 1; }

command -v groff >/dev/null || fail "groff not found: install the Debian package groff-base"
command -v man >/dev/null || fail "man not found: install the Debian package man-db"
[ -f "$builddir/Makefile" ] || fail "$builddir is not a configured build directory"
status=$builddir/src/nm-cunicu-status
[ -x "$status" ] || fail "$status is not built (run make)"

tmp=$(mktemp -d) || fail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

# What `make install` puts in place, whatever the prefix.
make -s -C "$builddir" install-man DESTDIR="$tmp/root" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log" >&2; fail "make install-man failed"; }
settings=$(find "$tmp/root" -path '*/man5/nm-settings-cunicu.5' -print -quit)
statuspage=$(find "$tmp/root" -path '*/man1/nm-cunicu-status.1' -print -quit)
[ -n "$settings" ] || fail "make install-man does not install nm-settings-cunicu.5 into man5"
[ -n "$statuspage" ] || fail "make install-man does not install nm-cunicu-status.1 into man1"

# format PAGE NAME: groff and man(1) at 80 columns, no warnings; text in $tmp/NAME.txt
format() {
	local page=$1 name=$2
	LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$page" 2>"$tmp/$name.groff"
	[ -s "$tmp/$name.groff" ] && { cat "$tmp/$name.groff" >&2; fail "groff warns about $name"; }
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" >"$tmp/$name.txt" 2>"$tmp/$name.err"
	[ -s "$tmp/$name.err" ] && { cat "$tmp/$name.err" >&2; fail "man warns about $name"; }
	grep -q "^NAME" "$tmp/$name.txt" || fail "$name formats without a NAME section"
}
format "$settings" nm-settings-cunicu.5
format "$statuspage" nm-cunicu-status.1

long=$(awk 'length > 80' "$tmp/nm-cunicu-status.1.txt")
[ -z "$long" ] || { echo "$long" >&2; fail "nm-cunicu-status(1) has lines wider than 80 columns"; }

# Every key of the schema: vpn.data keys, peer keys as peer.N.<key>, and
# a <key>-flags for each secret (the header marks them).
keys=$(awk '
	/vpn.secrets keys/ { secrets = 1 }
	/^#define NCU_KEY_[A-Z_]+ +"/ {
		key = $3; gsub(/"/, "", key)
		if ($2 ~ /^NCU_KEY_PEER_/) key = "peer.N." key
		print key
		if (secrets || /\/\* secret \*\//) print key "-flags"
	}' "$srcdir/shared/ncu-schema.h")
[ "$(echo "$keys" | wc -l)" -ge 20 ] || fail "found only $(echo "$keys" | wc -l) keys in shared/ncu-schema.h"
missing=
for key in $keys; do
	grep -qE "^ {7}$key\$|^ {7}$key " "$tmp/nm-settings-cunicu.5.txt" || missing+=" $key"
done
[ -z "$missing" ] || fail "nm-settings-cunicu(5) has no entry for:$missing"

# Every long option of nm-cunicu-status.
options=$("$status" --help-all | grep -oE -- '--[a-z][a-z-]*' | sort -u)
[ -n "$options" ] || fail "nm-cunicu-status --help-all lists no options"
missing=
for opt in $options; do
	[ "$opt" = --help-all ] && continue
	grep -qF -- "$opt" "$tmp/nm-cunicu-status.1.txt" || missing+=" $opt"
done
[ -z "$missing" ] || fail "nm-cunicu-status(1) does not document:$missing"

echo "PASS: both man pages are installed, format cleanly and cover $(echo "$keys" | wc -w) keys and the options"
exit 0
