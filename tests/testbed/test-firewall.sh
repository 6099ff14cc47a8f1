#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Test-bed self-test: the firewalls and routes of the topology behave like
# the real thing. Hosts on one LAN reach each other; a host's stateful
# firewall drops unsolicited inbound connections (until a test opens a port
# with tb_firewall_accept); a NAT router drops inbound connections from wan;
# hosts behind different NATs have no direct route; packets to addresses
# outside the bed vanish without an error; IPv6 is off everywhere.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tb_init
tb_topology --lan

# tcp_probe ROLE ADDRESS PORT: "open", "refused" (a RST came back: the packet
# reached the stack) or "silent" (dropped; a RST would come within
# milliseconds, 2 s of silence means none comes)
tcp_probe() {
	local rc=0
	tb_exec "$1" timeout 2 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null || rc=$?
	case $rc in 0) echo open ;; 124) echo silent ;; *) echo refused ;; esac
}

# expect WHAT GOT WANT
expect() {
	[[ $2 == "$3" ]] || tb_fail "$1: got '$2', expected '$3'"
	echo "PASS: $1: $2"
}

hostA=${TB_ADDR[hostA]}
tb_exec hostA2 ping -c 1 -W 5 "$hostA" >/dev/null || tb_fail "hostA2 cannot ping hostA on their LAN"
echo "PASS: hostA2 pings hostA on the same LAN (ICMP accepted, LAN traffic switched)"

expect "hostA2 -> hostA tcp/22, hostA's firewall closed" "$(tcp_probe hostA2 "$hostA" 22)" silent
tb_firewall_accept hostA tcp dport 22
expect "hostA2 -> hostA tcp/22 after tb_firewall_accept" "$(tcp_probe hostA2 "$hostA" 22)" refused
expect "wan -> natA tcp/22 (router input policy drop)" "$(tcp_probe wan "${TB_ADDR[natA]}" 22)" silent
expect "natA -> wan tcp/22 (wan has no firewall)" "$(tcp_probe natA "$TB_WAN_IP1" 22)" refused

tb_exec hostA ping -c 1 -W 5 "$TB_WAN_IP1" >/dev/null || tb_fail "hostA cannot ping wan through natA"
echo "PASS: hostA pings $TB_WAN_IP1 through natA"
if tb_exec hostA ping -c 1 -W 1 "${TB_ADDR[hostB]}" >/dev/null 2>&1; then
	tb_fail "hostA reaches hostB's private address directly"
fi
echo "PASS: hostA has no direct path to hostB's private address"

for role in wan hostA; do
	tb_exec "$role" bash -c 'echo x >/dev/udp/198.18.0.1/9' ||
		tb_fail "$role: a send to an address outside the bed failed (the default route must drop silently)"
done
echo "PASS: sends to addresses outside the bed succeed and vanish"

for role in "${TB_ROLES[@]}"; do
	[[ $(tb_exec "$role" sysctl -n net.ipv6.conf.all.disable_ipv6) == 1 ]] ||
		tb_fail "$role: IPv6 is not disabled"
	[[ -z $(tb_exec "$role" ip -6 addr show) ]] || tb_fail "$role has IPv6 addresses"
done
echo "PASS: IPv6 disabled in all ${#TB_ROLES[@]} namespaces"
