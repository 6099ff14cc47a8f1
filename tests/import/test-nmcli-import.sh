#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# wg-quick files through nmcli, against a private NetworkManager of the test
# bed (tests/testbed/lib.sh), the way a user runs
#   nmcli connection import type org.freedesktop.NetworkManager.cunicu file X.conf
#   nmcli connection export X X.conf
# nmcli finds the built plugin through the .name file the bed installs.
#
# For every good fixture (tests/import/good/X.conf): the profile NetworkManager
# stores (read back from its keyfile) is X.expected, the warnings nmcli prints
# are the expected ones; the export is written 0600, holds no secret (nmcli
# hands the plugin none), matches tests/import/nmcli/X.conf where one is
# given, and imports back to the same profile without its secrets. Bad
# fixtures fail with the line and the reason, and add nothing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../testbed/lib.sh"

tb_init
tb_require NetworkManager nmcli
plugin=$top_builddir/properties/.libs/libnm-vpn-plugin-cunicu.so
[[ -f $plugin ]] || tb_fail "$plugin is not built (run make first)"
# nmcli is not instrumented: it cannot load a plugin built with
# --enable-sanitizers, and with libasan preloaded it deadlocks at exit (in
# p11-kit's destructor). Such builds do not register this test; the GTest
# tests/import/test-import drives the instrumented plugin through libnm.
if [[ $(ldd "$plugin") == *libasan* ]]; then
	tb_fail "$plugin is built with sanitizers, which nmcli cannot load; use a build without --enable-sanitizers"
fi

tb_topology
tb_start_nm hostA

good=$top_srcdir/tests/import/good
bad=$top_srcdir/tests/import/bad
expected_exports=$top_srcdir/tests/import/nmcli
work=$TB_TMP/import
mkdir -p "$work/in" "$work/out" "$work/again"

# keyfile_lines ID: the stored profile ID as sorted "key=value" lines in the
# format of the .expected files (GKeyFile escapes undone).
keyfile_lines() {
	local file=${TB_NM_DIR[hostA]}/etc/system-connections/$1.nmconnection
	[[ -f $file ]] || tb_fail "$1: no keyfile $file"
	awk '
	function unescape(s,    out, i, c) {
		out = ""
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (c == "\\" && i < length(s)) {
				c = substr(s, ++i, 1)
				if (c == "s") c = " "; else if (c == "t") c = "\t"
				else if (c == "n") c = "\n"; else if (c == "r") c = "\r"
			}
			out = out c
		}
		return out
	}
	/^\[/ { section = substr($0, 2, length($0) - 2); next }
	!/=/ { next }
	{
		key = substr($0, 1, index($0, "=") - 1)
		value = unescape(substr($0, index($0, "=") + 1))
		ip = (section == "ipv4" || section == "ipv6")
		if (section == "connection" && key == "id") print "id=" value
		else if (section == "vpn" && key != "service-type") print "data." key "=" value
		else if (section == "vpn-secrets") print "secret." key "=" value
		else if (ip && (key == "dns" || key == "dns-search")) {
			sub(/;$/, "", value); gsub(/;/, ",", value); print section "." key "=" value
		}
		else if (ip && key == "ignore-auto-routes" && value == "true") print section "." key "=yes"
		else if (ip && key == "route-table") print section "." key "=" value
	}' "$file" | LC_ALL=C sort
}

# expected_lines NAME: X.expected without warnings, and without the secrets
# NetworkManager does not store (flags other than 0: an agent keeps them, or
# nobody does).
expected_lines() {
	grep -v -e '^warning=' -e '^#' -e '^$' "$good/$1.expected" | awk -F= '
		{ line[NR] = $0 }
		/^data\..*-flags=/ { flags[substr($1, 6, length($1) - 11)] = $2 }
		END {
			for (i = 1; i <= NR; i++) {
				split(line[i], kv, "=")
				if (kv[1] ~ /^secret\./ && flags[substr(kv[1], 8)] != "" && flags[substr(kv[1], 8)] != "0")
					continue
				print line[i]
			}
		}' | LC_ALL=C sort
}

expected_warnings() {
	sed -n "s/^warning=/$1: /p" "$good/$1.expected"
}

# nmcli prints the plugin's warnings as GLib messages:
# "nm-cunicu-Message: HH:MM:SS.mmm: <text>"
printed_warnings() {
	sed -n 's/^nm-cunicu-Message: [0-9:.]*: //p' "$1"
}

connection_count() {
	tb_nmcli hostA -t -f NAME connection show | wc -l
}

check_good() {
	local name=$1 in=$work/in/$1.conf out=$work/out/$1.conf again=$work/again/$1.conf
	local lines secret value
	cp "$good/$name.conf" "$in"

	tb_nmcli hostA connection import type "$TB_VPN_SERVICE" file "$in" >"$work/$name.out" 2>"$work/$name.err" ||
		tb_fail "$name: nmcli import failed: $(cat "$work/$name.err")"
	grep -q "Connection '$name' (.*) successfully added" "$work/$name.out" ||
		tb_fail "$name: nmcli said: $(cat "$work/$name.out")"
	lines=$(keyfile_lines "$name")
	[[ $lines == "$(expected_lines "$name")" ]] ||
		tb_fail "$name: stored profile differs from $name.expected:
$(diff <(expected_lines "$name") <(echo "$lines"))"
	[[ $(printed_warnings "$work/$name.err") == "$(expected_warnings "$name")" ]] ||
		tb_fail "$name: nmcli printed other warnings: $(cat "$work/$name.err")"

	tb_nmcli hostA connection export "$name" "$out" >/dev/null 2>"$work/$name.export.err" ||
		tb_fail "$name: nmcli export failed: $(cat "$work/$name.export.err")"
	[[ $(stat -c %a "$out") == 600 ]] || tb_fail "$name: export has mode $(stat -c %a "$out")"
	if [[ -f $expected_exports/$name.conf ]]; then
		diff -u "$expected_exports/$name.conf" "$out" >&2 ||
			tb_fail "$name: export differs from tests/import/nmcli/$name.conf"
	fi
	while IFS= read -r secret; do
		value=${secret#*=}
		! grep -qF -- "$value" "$out" || tb_fail "$name: export holds the secret ${secret%%=*}"
	done < <(grep '^secret\.' <<<"$lines" || true)

	# back in without its secrets: the same profile
	tb_nmcli hostA connection delete "$name" >/dev/null
	cp "$out" "$again"
	tb_nmcli hostA connection import type "$TB_VPN_SERVICE" file "$again" >/dev/null 2>"$work/$name.again.err" ||
		tb_fail "$name: importing the export failed: $(cat "$work/$name.again.err")"
	[[ $(keyfile_lines "$name") == "$(grep -v '^secret\.' <<<"$lines")" ]] ||
		tb_fail "$name: the export imports to another profile:
$(diff <(grep -v '^secret\.' <<<"$lines") <(keyfile_lines "$name"))"
	tb_nmcli hostA connection delete "$name" >/dev/null
	echo "PASS: $name: import, export, import again"
}

# check_bad NAME LINE-AND-REASON: nmcli fails with it and adds nothing.
check_bad() {
	local name=$1 want=$2 before
	cp "$bad/$name.conf" "$work/in/$name.conf"
	before=$(connection_count)
	if tb_nmcli hostA connection import type "$TB_VPN_SERVICE" file "$work/in/$name.conf" \
		>/dev/null 2>"$work/$name.err"; then
		tb_fail "$name: nmcli imported a bad file"
	fi
	grep -qF -- "$want" "$work/$name.err" || tb_fail "$name: error lacks '$want': $(cat "$work/$name.err")"
	[[ $(connection_count) == "$before" ]] || tb_fail "$name: a connection was added"
	echo "PASS: $name: refused with \"$want\""
}

count=0
for conf in "$good"/*.conf; do
	check_good "$(basename "$conf" .conf)"
	count=$((count + 1))
done
((count >= 12)) || tb_fail "only $count good fixtures"

check_bad bad-cidr "line 7: AllowedIPs: "
check_bad duplicate-peer "line 9: peer.1.public-key: "
check_bad not-wg-quick "line 1: expected a section header such as [Interface]"
check_bad cunicu-unknown-key "line 8: unknown key broker in [cunicu]"
check_bad no-peer "peer.0.public-key: "

# the short type name works once nmcli sees the .name file
cp "$good/minimal.conf" "$work/in/short.conf"
tb_nmcli hostA connection import type cunicu file "$work/in/short.conf" >/dev/null ||
	tb_fail "nmcli import type cunicu failed"
[[ $(tb_nmcli hostA -g vpn.service-type connection show short) == "$TB_VPN_SERVICE" ]] ||
	tb_fail "import type cunicu made another service type"
echo "PASS: import with the short type name cunicu"
