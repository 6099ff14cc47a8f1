#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Test-bed self-test (a): NAT mapping behaviour. From ONE local UDP port, a
# host sends STUN Binding Requests to coturn's two addresses and compares the
# mapped addresses: behind the cone NAT (masquerade) both show the same
# external port, behind the symmetric NAT (masquerade fully-random) they differ.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tb_init
tb_require turnserver
tb_topology --nat-a cone --nat-b symmetric
tb_start_coturn
probe=$(tb_stun_probe)

# mapped_ports HOST LOCAL-PORT: "ip:port ip:port" as seen by the two servers
mapped_ports() {
	local out
	out=$(tb_exec "$1" "$probe" -p "$2" binding "$TB_WAN_IP1:$TB_TURN_PORT" "$TB_WAN_IP2:$TB_TURN_PORT") ||
		tb_fail "STUN binding from $1 (local port $2) failed"
	echo "$out" >&2
	awk '$1 == "binding" { printf "%s ", $6 }' <<<"$out"
}

# check HOST KIND LOCAL-PORT
check() {
	local host=$1 kind=$2 port=$3 nat m1 m2
	nat=${TB_NAT_OF[$host]}
	read -r m1 m2 <<<"$(mapped_ports "$host" "$port")"
	[[ -n $m1 && -n $m2 ]] || tb_fail "$host: expected two mapped addresses"
	[[ ${m1%:*} == "${TB_ADDR[$nat]}" && ${m2%:*} == "${TB_ADDR[$nat]}" ]] ||
		tb_fail "$host: mapped addresses $m1 $m2 are not $nat's ${TB_ADDR[$nat]}"
	case $kind in
	cone)
		[[ ${m1##*:} == "${m2##*:}" ]] ||
			tb_fail "$host behind cone $nat: external ports differ ($m1 vs $m2)"
		;;
	symmetric)
		[[ ${m1##*:} != "${m2##*:}" ]] ||
			tb_fail "$host behind symmetric $nat: same external port towards both servers ($m1)"
		;;
	esac
	echo "PASS: $host behind $kind $nat, local port $port: $m1 / $m2"
}

# a fixed local port, then a fresh ephemeral one (a new NAT mapping each time)
for port in 40000 0; do
	check hostA cone "$port"
	check hostB symmetric "$port"
done
