#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 7, nothing leaks: both peers' services run under valgrind
# (memcheck, full leak check, a log per process) through a whole
# end-to-end run: connect through NetworkManager, ping, disconnect. Each
# service's log must show zero errors and zero definitely lost bytes.
# Suppressed: GLib's own (glib.supp) and glibc's per-thread resolver state
# (tests/signal/valgrind.supp), nothing of ours.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../faults/lib-faults.sh"

# NetworkManager gives a service it starts 5 s to claim its bus name, and
# valgrind takes longer on a loaded machine. So the test starts each
# service under valgrind itself, inside that host's NetworkManager's
# namespaces, owning the name NetworkManager uses for a plugin without
# multiple connections (the .name file says so for this test only);
# NetworkManager finds it on the bus and connects it.
eval "$(declare -f tb_install_plugin | sed '1s/tb_install_plugin/fl__install_plugin_orig/')"
tb_install_plugin() {
	fl__install_plugin_orig "$@"
	sed -i 's/^supports-multiple-connections=true$/supports-multiple-connections=false/' \
		"$TB_TMP/nm-$1/vpn/nm-cunicu-service.name"
}

# on_bus HOST: the service answers on HOST's bus under the plugin's name
on_bus() {
	echo "/org/freedesktop/NetworkManager/VPN/Plugin org.freedesktop.DBus.Peer.Ping" |
		tb_nm_exec "$1" "$top_builddir/tests/security/ncu-dbus-call" "$TB_VPN_SERVICE" | grep -q '^ok'
}

tb_init
e2e_require_built
tb_require valgrind
[[ -x $top_builddir/tests/security/ncu-dbus-call ]] || tb_fail "tests/security/ncu-dbus-call is not built (make check builds it)"
supp=()
for f in /usr/share/glib-2.0/valgrind/glib.supp "$top_srcdir/tests/signal/valgrind.supp"; do
	[[ -r $f ]] && supp+=("--suppressions=$f")
done

tb_topology --nat-a cone --nat-b cone
tb_start_coturn
tb_start_mosquitto
for h in hostA hostB; do
	tb_start_nm "$h"
	tb_spawn "$h" "vg-service-$h" nsenter --target "${TB_NM_PID[$h]}" --mount --pid --uts --net -- \
		env -u NM_VPN_LOG_SYSLOG valgrind --leak-check=full --errors-for-leak-kinds=definite \
		--error-exitcode=99 --num-callers=30 "${supp[@]}" --log-file="$TB_TMP/valgrind-$h.log" \
		"$top_builddir/src/nm-cunicu-service" --bus-name "$TB_VPN_SERVICE" --debug
done
t0=$(tb_now_us)
both_on_bus() {
	on_bus hostA && on_bus hostB
}
tb_wait_until 120 "both services under valgrind to claim their bus names" both_on_bus
echo "under valgrind: the services answered on the bus after $(tb_fmt_us $(($(tb_now_us) - t0))) s"
e2e_keys hostA hostB
e2e_mesh_profile hostA hostB
e2e_mesh_profile hostB hostA
t0=$(tb_now_us)
e2e_up_all hostA hostB
# valgrind makes everything ~20 times slower: more time than the usual 10 s
took=$(e2e_wait_ping hostA "${E2E_TUN[hostB]}" 30)
echo "under valgrind: first ping $(tb_fmt_us $(($(tb_now_us) - t0))) s after nmcli up ($took s after both were up)"
e2e_ping_ok hostB "${E2E_TUN[hostA]}" || tb_fail "no ping B->A"
for i in 1 2 3; do e2e_ping_ok hostA "${E2E_TUN[hostB]}" || tb_fail "ping $i A->B failed"; done
e2e_status hostA >/dev/null || tb_fail "no status from hostA's service"

for h in hostA hostB; do
	tb_nmcli "$h" connection down cunicu >/dev/null || tb_fail "$h: nmcli connection down failed"
done
# the leak check runs when a service exits
finished() {
	local f n=0
	for f in "$TB_TMP"/valgrind-*.log; do
		[[ -e $f ]] || return 1
		grep -q "ERROR SUMMARY:" "$f" || return 1
		n=$((n + 1))
	done
	((n >= 2))
}
tb_wait_until 60 "both services to exit and valgrind to finish" finished

bad=0
for f in "$TB_TMP"/valgrind-*.log; do
	grep -q "nm-cunicu-service" "$f" || continue
	errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$f" | tr -d ,)
	lost=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tr -d ,)
	echo "RESULT valgrind ${f##*/}: $errors errors, ${lost:-0} bytes definitely lost"
	if [[ $errors != 0 || ${lost:-0} != 0 ]]; then
		sed 's/^/#   /' "$f" >&2
		bad=1
	fi
done
((bad == 0)) || tb_fail "valgrind found errors or leaks (logs above)"
fl_no_crash
echo "PASS: two services under valgrind: no error, no definite leak"
