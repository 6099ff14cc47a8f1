#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Test-bed self-test (d): a private NetworkManager per host. Each answers
# `nmcli general status` with eth0 activated, its system bus enforces a
# policy (the repo's policy lets root own the plugin's bus names, other
# names stay denied), and it stores and lists an
# org.freedesktop.NetworkManager.cunicu profile in its own directories only.
# NetworkManager finds the plugin's .name file: activating the profile starts
# the program named there (whether or not that program is built yet).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tb_init
tb_require NetworkManager nmcli dbus-daemon dbus-send wg
tb_topology
tb_start_nm hostA
tb_start_nm hostB

# request_name HOST NAME: ask HOST's system bus for NAME (released on exit)
request_name() {
	tb_nm_exec "$1" dbus-send --system --print-reply --dest=org.freedesktop.DBus \
		/org/freedesktop/DBus org.freedesktop.DBus.RequestName "string:$2" uint32:0 2>&1
}

for host in hostA hostB; do
	state=$(tb_nmcli "$host" -t -f STATE general status) || tb_fail "$host: nmcli general status failed"
	[[ $state == connected* ]] || tb_fail "$host: NetworkManager state '$state'"
	eth0=$(tb_nmcli "$host" -g GENERAL.STATE,GENERAL.CONNECTION device show eth0 | paste -sd' ')
	[[ $eth0 == "100 (connected) $TB_PREFIX-eth0" ]] || tb_fail "$host: eth0 is '$eth0'"
	echo "PASS: $host: NetworkManager $state, eth0 $eth0"

	out=$(request_name "$host" "$TB_VPN_SERVICE.Connection_1")
	[[ $out == *"uint32 1"* ]] || tb_fail "$host: root may not own $TB_VPN_SERVICE.Connection_1: $out"
	out=$(request_name "$host" org.example.NotAllowed) && tb_fail "$host: bus lets anyone own any name"
	[[ $out == *AccessDenied* ]] || tb_fail "$host: unexpected bus reply: $out"
	echo "PASS: $host: bus policy allows $TB_VPN_SERVICE.Connection_1, denies others"

	priv=$(wg genkey)
	peer=$(wg genkey | wg pubkey)
	name=cunicu-$host
	data="peer.0.public-key=$peer, peer.0.allowed-ips=10.99.0.2/32, addresses=10.99.0.1/24"
	data+=", signaling-url=$TB_MQTT_URL, ice-servers=turn:$TB_WAN_IP1:$TB_TURN_PORT, private-key-flags=0"
	tb_nmcli "$host" connection add type vpn con-name "$name" vpn-type "$TB_VPN_SERVICE" \
		vpn.data "$data" vpn.secrets "private-key=$priv" >/dev/null ||
		tb_fail "$host: nmcli connection add failed"
	list=$(tb_nmcli "$host" -t -f NAME,TYPE connection show)
	grep -qx "$name:vpn" <<<"$list" || tb_fail "$host: '$name:vpn' not listed: $list"
	type=$(tb_nmcli "$host" -g vpn.service-type connection show "$name")
	[[ $type == "$TB_VPN_SERVICE" ]] || tb_fail "$host: service type '$type'"
	tb_nmcli "$host" -g vpn.data connection show "$name" | grep -qF "peer.0.public-key = $peer" ||
		tb_fail "$host: vpn.data did not keep peer.0.public-key"
	[[ -f ${TB_NM_DIR[$host]}/etc/system-connections/$name.nmconnection ]] ||
		tb_fail "$host: profile not stored in the private /etc/NetworkManager"
	[[ ! -e /etc/NetworkManager/system-connections/$name.nmconnection ]] ||
		tb_fail "$host: profile leaked into the host's /etc/NetworkManager"
	echo "PASS: $host lists $name ($type)"

	# the short name expands only when libnm sees the plugin's .name file
	tb_nmcli "$host" connection add type vpn con-name "$name-short" vpn-type cunicu \
		vpn.data "$data" >/dev/null || tb_fail "$host: vpn-type cunicu was not expanded"
	type=$(tb_nmcli "$host" -g vpn.service-type connection show "$name-short")
	[[ $type == "$TB_VPN_SERVICE" ]] || tb_fail "$host: short vpn-type expanded to '$type'"
	echo "PASS: $host: nmcli expands vpn-type cunicu via the installed .name file"
done

# profiles are per host
tb_nmcli hostB -t -f NAME connection show | grep -qx cunicu-hostA &&
	tb_fail "hostB sees hostA's profile"
echo "PASS: each NetworkManager sees only its own profiles"

# NetworkManager itself loaded the .name: activation starts its program
# (it fails at once while src/nm-cunicu-service is not built)
tb_nmcli hostA --wait 3 connection up cunicu-hostA >/dev/null 2>&1 || true
tb_nmcli hostA connection down cunicu-hostA >/dev/null 2>&1 || true
log=${TB_NM_DIR[hostA]}/NetworkManager.log
grep -q '"cunicu-hostA"\]: starting cunicu' "$log" ||
	tb_fail "hostA's NetworkManager did not start the cunicu plugin (is the .name file read?)"
grep -qF "$top_builddir/src/nm-cunicu-service" "$log" ||
	[[ -x $top_builddir/src/nm-cunicu-service ]] ||
	tb_fail "hostA's NetworkManager did not use program=$top_builddir/src/nm-cunicu-service"
echo "PASS: hostA's NetworkManager starts the plugin named by the installed .name file"
