#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# demo-topology.sh: build the whole test bed (DESIGN.md section 8), start
# coturn, mosquitto and two private NetworkManagers, show what was built and
# what the NATs do, time every step, then clean up.
#
# Run as root from a configured build directory (the STUN probe is built by
# `make check` or `make tests/tools/ncu-stun-probe`):
#   top_builddir=. bash ../tests/testbed/demo-topology.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tb_init
tb_require turnserver mosquitto mosquitto_pub mosquitto_sub NetworkManager nmcli dbus-daemon
probe=$(tb_stun_probe)
server1=$TB_WAN_IP1:$TB_TURN_PORT
server2=$TB_WAN_IP2:$TB_TURN_PORT

echo "== NetworkManager-cunicu test bed (run $TB_ID)"
tb_topology --nat-a cone --nat-b symmetric --nat-c cone
tb_start_coturn
tb_start_mosquitto
tb_start_nm hostA
tb_start_nm hostB

echo
echo "== Namespaces"
tb_describe

# mapping HOST: what coturn's two addresses see of one local port of HOST
mapping() {
	local host=$1 nat=${TB_NAT_OF[$1]} out m1 m2 verdict
	out=$(tb_exec "$host" "$probe" -p 40000 binding "$server1" "$server2") ||
		tb_fail "STUN binding from $host failed"
	read -r m1 m2 <<<"$(awk '{ printf "%s ", $6 }' <<<"$out")"
	verdict="different ports: endpoint-dependent mapping"
	[[ ${m1##*:} == "${m2##*:}" ]] && verdict="same port: endpoint-independent mapping"
	printf '%-6s behind %-4s (%-9s): %s sees %s, %s sees %s -> %s\n' "$host" "$nat" \
		"${TB_NAT_KIND[$nat]}" "$TB_WAN_IP1" "$m1" "$TB_WAN_IP2" "$m2" "$verdict"
}

echo
echo "== NAT mappings (STUN from local UDP port 40000 to $server1 and $server2)"
mappings() {
	local host
	for host in "${TB_HOSTS[@]}"; do
		mapping "$host"
	done
}
tb_step "STUN mappings (${#TB_HOSTS[@]} hosts)" mappings

echo
echo "== TURN relay for hostB (behind the symmetric NAT)"
tb_step "TURN allocation" tb_exec hostB "$probe" allocate "$server1" "$TB_TURN_USER:$TB_TURN_PASSWORD"

echo
echo "== MQTT: hostB publishes (retained), hostA receives, both through their NATs"
mqtt_round_trip() {
	tb_exec hostB mosquitto_pub -h "$TB_WAN_IP1" -q 1 -r -t "$TB_PREFIX/demo" -m "hello from hostB" &&
		echo "hostA received: $(tb_exec hostA mosquitto_sub -h "$TB_WAN_IP1" -t "$TB_PREFIX/demo" -C 1 -W 10)"
}
tb_step "MQTT round trip" mqtt_round_trip

for host in hostA hostB; do
	echo
	echo "== NetworkManager on $host (nmcli general status; nmcli device)"
	tb_nmcli "$host" general status
	tb_nmcli "$host" device
done

t0=$(tb_now_us)
tb_cleanup 0
TB_TIMINGS+=("cleanup $(tb_fmt_us $(($(tb_now_us) - t0)))")
echo
echo "== Timings"
tb_timings
left=$(ip netns list | grep -c "^$TB_PREFIX-$TB_ID-" || true)
echo "namespaces of this run left: $left"
