#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The nftables fast path end to end, in network namespaces made here:
#
#   hostA 192.168.1.2 -- natA 203.0.113.10 --+
#                                            wan 203.0.113.1 (coturn: STUN)
#   hostB 192.168.2.2 -- natB 203.0.113.20 --+
#
# natA/natB: nftables masquerade (cone), input policy drop. Hosts: a
# desktop's stateful firewall (input policy drop; established, related,
# lo, ICMP, and the tunnel interface accepted), so WireGuard's packets get
# in only if conntrack counts them as the ICE flow's.
#
# In each host an nft-peer (tests/nft/nft-peer.c: wireguard-go, ICE, proxy,
# nft module) runs with a private /run. Checked: pings cross the tunnel
# through the proxy; after "fast" the nft counters grow while the proxy's
# and the ICE socket's stay still; ICE stays connected for 20 s (STUN
# consent passes the ingress rule); a forced ICE restart moves the rules
# to the new pair; leaving in the documented order keeps the tunnel; free
# leaves no table. Then iperf3 measures proxy, fast path and plain
# WireGuard (endpoints at the NATs, no ICE) over the same NATs.
# Needs root, nft, wireguard-go, coturn. Exit 0 pass, 1 fail.

set -u

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
note() { echo "# $*"; }

[ "$(id -u)" = 0 ] || fail "needs root (network namespaces)"
command -v nft >/dev/null || fail "nft is missing: apt-get install nftables"
command -v wireguard-go >/dev/null || fail "wireguard-go is missing: apt-get install wireguard-go"
command -v turnserver >/dev/null || fail "coturn's turnserver is missing: apt-get install coturn"
command -v unshare >/dev/null || fail "unshare is missing: apt-get install util-linux"
command -v ping >/dev/null || fail "ping is missing: apt-get install iputils-ping"
command -v iperf3 >/dev/null || fail "iperf3 is missing: apt-get install iperf3"
command -v jq >/dev/null || fail "jq is missing: apt-get install jq"

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
PEER=$top_builddir/tests/nft/nft-peer
[ -x "$PEER" ] || fail "$PEER is not built (make check builds it)"

TAG=ncunft$$
NS_WAN=$TAG-wan
NS_NA=$TAG-na
NS_NB=$TAG-nb
NS_A=$TAG-a
NS_B=$TAG-b
IFNAME=wg-nft0                 # mapped to table cunicu_wg_nft0
TABLE=cunicu_wg_nft0
ROUNDS=${NCU_NFT_BENCH_ROUNDS:-1}   # throughput rounds (each mode 3 s per round)
TMP=$(mktemp -d /tmp/ncu-nft-fastpath.XXXXXX)
declare -A NS WFD RFD PID JOB
NS[A]=$NS_A
NS[B]=$NS_B
TURN_PID=
IPERF_PID=
R=

cleanup() {
	local rc=$? n t
	for n in "${!WFD[@]}"; do eval "exec ${WFD[$n]}>&-"; done   # EOF: the driver frees and exits
	for n in "${!PID[@]}"; do
		for ((t = 0; t < 50; t++)); do kill -0 "${PID[$n]}" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "${PID[$n]}" 2>/dev/null
	done
	for n in "${!RFD[@]}"; do eval "exec ${RFD[$n]}<&-"; done
	for pid in $IPERF_PID $TURN_PID; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	wait
	for ns in "$NS_A" "$NS_B" "$NS_NA" "$NS_NB" "$NS_WAN"; do
		ip netns delete "$ns" 2>/dev/null
	done
	if [ "$rc" -ne 0 ]; then
		for n in "$TMP"/*.log; do [ -s "$n" ] && { echo "--- $n"; tail -40 "$n"; }; done
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

nat_ruleset() {
	cat <<-EOF
	table ip nat {
		chain postrouting { type nat hook postrouting priority srcnat; oifname "wan0" masquerade; }
	}
	table inet filter {
		chain input {
			type filter hook input priority filter; policy drop;
			ct state established,related accept
			iifname { "lo", "lan0" } accept
		}
		chain forward {
			type filter hook forward priority filter; policy drop;
			ct state established,related accept
			iifname "lan0" oifname "wan0" accept
		}
	}
	EOF
}

host_ruleset() {
	cat <<-EOF
	table inet fw {
		chain input {
			type filter hook input priority filter; policy drop;
			ct state established,related accept
			ct state invalid drop
			iifname "lo" accept
			meta l4proto icmp accept
			iifname "$IFNAME" accept
		}
	}
	EOF
}

# plan_side LETTER N: natLETTER (203.0.113.<10N>) and hostLETTER (192.168.N.2).
setup_side() {
	local nat=$1 host=$2 n=$3
	ip link add "p-$n" netns "$NS_WAN" type veth peer name wan0 netns "$nat" || fail "veth wan-$nat"
	ip link add lan0 netns "$nat" type veth peer name eth0 netns "$host" || fail "veth $nat-$host"
	in_ns "$NS_WAN" ip link set "p-$n" master br0 up
	in_ns "$nat" sysctl -q -w net.ipv4.ip_forward=1
	in_ns "$nat" ip addr add "203.0.113.$((10 * n))/24" dev wan0
	in_ns "$nat" ip addr add "192.168.$n.1/24" dev lan0
	in_ns "$nat" ip link set wan0 up
	in_ns "$nat" ip link set lan0 up
	in_ns "$nat" ip route add default via 203.0.113.1
	nat_ruleset | in_ns "$nat" nft -f - || fail "nftables on $nat"
	in_ns "$host" ip addr add "192.168.$n.2/24" dev eth0
	in_ns "$host" ip link set eth0 up
	in_ns "$host" ip route add default via "192.168.$n.1"
	host_ruleset | in_ns "$host" nft -f - || fail "nftables on $host"
}

setup_topology() {
	local ns
	for ns in "$NS_WAN" "$NS_NA" "$NS_NB" "$NS_A" "$NS_B"; do
		ip netns add "$ns" || fail "ip netns add $ns"
		in_ns "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
		in_ns "$ns" ip link set lo up
	done
	in_ns "$NS_WAN" ip link add br0 type bridge
	in_ns "$NS_WAN" ip addr add 203.0.113.1/24 dev br0
	in_ns "$NS_WAN" ip link set br0 up
	setup_side "$NS_NA" "$NS_A" 1
	setup_side "$NS_NB" "$NS_B" 2
}

start_stun() {
	local i
	ip netns exec "$NS_WAN" turnserver -n --listening-ip 203.0.113.1 --stun-only \
		--no-tls --no-dtls --no-cli --pidfile "$TMP/turn.pid" --log-file "$TMP/turn.log" \
		--simple-log >"$TMP/turn.out" 2>&1 &
	TURN_PID=$!
	for i in $(seq 200); do
		in_ns "$NS_WAN" ss -Hlun 2>/dev/null | grep -q '203.0.113.1:3478' && return 0
		kill -0 "$TURN_PID" 2>/dev/null || break
		sleep 0.05
	done
	fail "coturn did not start (see $TMP/turn.out)"
}

# start_driver NAME ARGS...: an nft-peer in host NAME with a private /run.
start_driver() {
	local name=$1 w r line
	shift
	mkfifo "$TMP/$name.in" "$TMP/$name.out"
	# shellcheck disable=SC2016 # expanded by the inner shell
	ip netns exec "${NS[$name]}" unshare --mount --propagation private \
		sh -c 'mount -t tmpfs ncu-nft-run /run && exec ${NCU_TEST_WRAPPER:-} "$0" "$@"' "$PEER" \
		--name "$name" --stun 203.0.113.1:3478 --ifname "$IFNAME" --wg-port 51820 \
		--offer-out "$TMP/$name.offer" "$@" \
		<"$TMP/$name.in" >"$TMP/$name.out" 2>"$TMP/$name.log" &
	JOB[$name]=$!
	exec {w}>"$TMP/$name.in"
	exec {r}<"$TMP/$name.out"
	WFD[$name]=$w
	RFD[$name]=$r
	read -r -t 30 line <&"$r" || fail "driver $name did not start"
	[[ $line == "ready "* ]] || fail "driver $name: $line"
	PID[$name]=${line#ready }
}

# cmd NAME COMMAND: the reply line lands in $R; fails unless it is "ok".
cmd() {
	echo "$2" >&"${WFD[$1]}"
	read -r -t 30 R <&"${RFD[$1]}" || fail "driver $1: no reply to '$2'"
	[[ $R == ok* ]] || fail "driver $1: '$2' -> $R"
}

field() {  # field KEY LINE
	sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"
}

stats() {  # stats NAME: sets R
	cmd "$1" stats
}

wait_connected() {  # wait_connected NAME [RESTARTS]
	local i
	for i in $(seq 200); do
		stats "$1"
		if [ "$(field state "$R")" = connected ] &&
			[ "$(field restarts "$R")" -ge "${2:-0}" ] && [ "$(field base "$R")" != none ]; then
			return 0
		fi
		sleep 0.1
	done
	fail "host $1: ICE not connected: $R"
}

ping_ok() {  # ping_ok FROM TO: the tunnel carries a ping (retried for 10 s)
	local i
	for i in $(seq 10); do
		in_ns "${NS[$1]}" ping -q -c 1 -W 1 "$2" >/dev/null 2>&1 && return 0
	done
	fail "no ping from $1 to $2 through the tunnel"
}

ping_burst() {  # ping_burst FROM TO COUNT: every ping answered
	in_ns "${NS[$1]}" ping -q -c "$3" -i 0.02 -W 2 "$2" >"$TMP/ping.out" 2>&1 ||
		{ cat "$TMP/ping.out" >&2; fail "ping burst from $1 to $2 lost packets"; }
}

# CPU time (clock ticks) the two drivers (ICE, proxy; not wireguard-go) used.
driver_ticks() {
	awk '{ t += $14 + $15 } END { print t }' "/proc/${PID[A]}/stat" "/proc/${PID[B]}/stat"
}

# measure LABEL: TCP throughput A -> B through the tunnel (iperf3, 3 s),
# appended in Mbit/s to MBPS[LABEL], and the drivers' CPU (percent of one
# core, both together) to CPU[LABEL].
declare -A MBPS CPU
HZ=$(getconf CLK_TCK)
measure() {
	local label=$1 i bps ticks
	in_ns "$NS_B" iperf3 -s -1 -B 10.77.0.2 -p 5201 >"$TMP/iperf-s.log" 2>&1 &
	IPERF_PID=$!
	for i in $(seq 100); do
		in_ns "$NS_B" ss -Hltn 2>/dev/null | grep -q '10.77.0.2:5201' && break
		sleep 0.05
	done
	ticks=$(driver_ticks)
	in_ns "$NS_A" iperf3 -c 10.77.0.2 -p 5201 -t 3 -J >"$TMP/iperf-$label.json" 2>&1 ||
		fail "iperf3 ($label) failed: $(head -c 300 "$TMP/iperf-$label.json")"
	ticks=$(($(driver_ticks) - ticks))
	wait "$IPERF_PID" 2>/dev/null
	IPERF_PID=
	bps=$(jq '.end.sum_received.bits_per_second' "$TMP/iperf-$label.json") ||
		fail "iperf3 ($label): no result"
	MBPS[$label]+="$(awk -v b="$bps" 'BEGIN { printf "%.0f", b / 1e6 }') "
	CPU[$label]+="$(awk -v t="$ticks" -v hz="$HZ" 'BEGIN { printf "%.0f", 100 * t / hz / 3 }') "
	note "throughput $label: ${MBPS[$label]}Mbit/s; drivers' CPU ${CPU[$label]}%"
}

median() {
	tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

report() {
	local proxy fast plain
	proxy=$(median <<<"${MBPS[proxy]}")
	fast=$(median <<<"${MBPS[fast]}")
	plain=$(median <<<"${MBPS[plain]}")
	echo "MEASURE median Mbit/s: plain WireGuard $plain, fast path $fast, proxy $proxy ($ROUNDS round(s))"
	echo "MEASURE median CPU of our two processes (% of a core): plain $(median <<<"${CPU[plain]}")," \
		"fast path $(median <<<"${CPU[fast]}"), proxy $(median <<<"${CPU[proxy]}")"
	awk -v f="$fast" -v p="$proxy" -v w="$plain" \
		'BEGIN { printf "MEASURE ratio to plain WireGuard over the same NATs: fast path %.2f, proxy %.2f\n", f / w, p / w }'
}

# Data path switches, both hosts.
fast() { cmd A fast; cmd B fast; }
proxy() { cmd A proxy; cmd B proxy; }
plain() { cmd A "plain 203.0.113.20:51820"; cmd B "plain 203.0.113.10:51820"; }

# expect_bypass NAME BEFORE AFTER: nft counters grew, proxy and ICE still.
expect_bypass() {
	local name=$1 before=$2 after=$3 k
	for k in nft_out_pkts nft_in_pkts wg_rx wg_tx; do
		[ "$(field $k "$after")" -gt "$(field $k "$before")" ] ||
			fail "host $name: $k did not grow ($(field $k "$before") -> $(field $k "$after"))"
	done
	for k in proxy_to_wg proxy_to_ice ice_rx ice_tx; do
		[ "$(field $k "$after")" = "$(field $k "$before")" ] ||
			fail "host $name: $k moved on the fast path ($(field $k "$before") -> $(field $k "$after"))"
	done
}

# burst_bypasses COUNT: COUNT pings A -> B, all on the fast path of both.
burst_bypasses() {
	local a0 a1 b0 b1
	ping_ok A 10.77.0.2
	stats A; a0=$R
	stats B; b0=$R
	ping_burst A 10.77.0.2 "$1"
	stats A; a1=$R
	stats B; b1=$R
	expect_bypass A "$a0" "$a1"
	expect_bypass B "$b0" "$b1"
	note "A: nft egress $(field nft_out_pkts "$a0") -> $(field nft_out_pkts "$a1") packets," \
		"ingress $(field nft_in_pkts "$a0") -> $(field nft_in_pkts "$a1"); proxy $(field proxy_to_wg "$a1")" \
		"and ICE socket $(field ice_rx "$a1") packets unchanged"
}

rules_of() {  # rules_of NAME: our table in host NAME (empty if none)
	in_ns "${NS[$1]}" nft list table inet "$TABLE" 2>/dev/null
}

setup_topology
start_stun
note "topology and STUN server up"

start_driver A --controlling --peer-ip 10.77.0.2 --offer-in "$TMP/B.offer"
start_driver B --peer-ip 10.77.0.1 --offer-in "$TMP/A.offer"
in_ns "$NS_A" ip addr add 10.77.0.1/24 dev "$IFNAME" || fail "tunnel address on A"
in_ns "$NS_B" ip addr add 10.77.0.2/24 dev "$IFNAME" || fail "tunnel address on B"
wait_connected B
wait_connected A
note "A: $R"

echo "== through the proxy"
ping_ok A 10.77.0.2
stats A
[ "$(field proxy_to_wg "$R")" -gt 0 ] || fail "A: the proxy carried nothing: $R"
[ "$(field local "$R")" = srflx ] || fail "A: expected a srflx pair behind cone NATs: $R"
[ -z "$(rules_of A)" ] || fail "A: a table exists before the fast path"

echo "== fast path"
cmd A fast
cmd B fast
for n in A B; do
	stats $n
	[ "$(field fast "$R")" = 1 ] || fail "$n: not on the fast path: $R"
	[ "$(field endpoint "$R")" = "$(field remote "$R")" ] ||
		fail "$n: WireGuard endpoint $(field endpoint "$R") is not the remote candidate $(field remote "$R")"
done
burst_bypasses 30
rules_of A >"$TMP/rules-A.txt"
grep -q 'hook output priority raw' "$TMP/rules-A.txt" || fail "A: no egress chain at priority raw"
grep -q 'hook prerouting priority mangle' "$TMP/rules-A.txt" || fail "A: no ingress chain at priority mangle"
grep -q '@th,96,32 != 0x2112a442' "$TMP/rules-A.txt" || fail "A: the ingress rule lacks the STUN exclusion"

echo "== consent keeps ICE connected on the fast path (20 s)"
for i in $(seq 20); do
	sleep 1
	for n in A B; do
		stats $n
		if [ "$(field state "$R")" != connected ] || [ "$(field restarts "$R")" != 0 ]; then
			fail "$n: ICE left CONNECTED after ${i}s on the fast path: $R"
		fi
	done
done
ping_ok A 10.77.0.2

echo "== forced ICE restart moves the rules"
old_base=$(field base "$a1")
cmd A restart
wait_connected A 1
wait_connected B 1
for i in $(seq 100); do
	stats A
	[ "$(field base "$R")" != "$old_base" ] && [ "$(field fast "$R")" = 1 ] && break
	sleep 0.1
done
new_base=$(field base "$R")
[ "$new_base" != "$old_base" ] || fail "A: the restart kept the pair $old_base"
note "A: pair moved from $old_base to $new_base -> $(field remote "$R")"
rules_of A >"$TMP/rules-A.txt"
grep -q "udp sport set ${new_base##*:} comment" "$TMP/rules-A.txt" ||
	{ cat "$TMP/rules-A.txt"; fail "A: egress rule not moved to base port ${new_base##*:}"; }
grep -q "udp sport set ${old_base##*:} comment" "$TMP/rules-A.txt" && fail "A: the old rule is still there"
[ "$(grep -c 'comment "cunicu ' "$TMP/rules-A.txt")" = 2 ] || fail "A: expected exactly two rules"
burst_bypasses 20

echo "== leaving the fast path (ingress, endpoint, rest)"
cmd A leave
ping_ok A 10.77.0.2
stats A; a0=$R
ping_burst A 10.77.0.2 10
stats A; a1=$R
[ "$(field proxy_to_wg "$a1")" -gt "$(field proxy_to_wg "$a0")" ] || fail "A: after leaving, the proxy carries nothing"
[ "$(field endpoint "$a1")" != "$(field remote "$a1")" ] || fail "A: WireGuard still points at the remote"
rules_of A >"$TMP/rules-A.txt"
grep -q 'comment "cunicu ' "$TMP/rules-A.txt" && fail "A: rules left after leaving"
cmd B leave
ping_burst A 10.77.0.2 10

echo "== free leaves no table"
cmd A free
cmd B free
for n in A B; do
	tables=$(in_ns "${NS[$n]}" nft list tables)
	[ "$tables" = "table inet fw" ] || fail "$n: tables after free: $tables"
done
ping_ok A 10.77.0.2

echo "== plain WireGuard over the same NATs (baseline)"
plain
ping_ok A 10.77.0.2
stats A; a0=$R
ping_burst A 10.77.0.2 10
stats A; a1=$R
[ "$(field proxy_to_wg "$a1")" = "$(field proxy_to_wg "$a0")" ] || fail "A: plain WireGuard went through the proxy"

echo "== throughput, $ROUNDS round(s) of proxy, fast path, plain WireGuard"
for _ in $(seq "$ROUNDS"); do
	for mode in proxy fast plain; do
		$mode
		ping_ok A 10.77.0.2
		stats A; a0=$R
		measure $mode
		stats A; a1=$R
		if [ $mode = proxy ]; then
			[ "$(field proxy_to_wg "$a1")" -gt "$(field proxy_to_wg "$a0")" ] || fail "A: iperf3 bypassed the proxy"
		else
			[ "$(field proxy_to_wg "$a1")" = "$(field proxy_to_wg "$a0")" ] || fail "A: iperf3 ($mode) went through the proxy"
		fi
	done
done
report

for n in A B; do
	cmd $n quit
	wait "${JOB[$n]}" || fail "driver $n exited with status $?"
	in_ns "${NS[$n]}" ip link show "$IFNAME" >/dev/null 2>&1 && fail "$n: $IFNAME left behind"
done
echo PASS
exit 0
