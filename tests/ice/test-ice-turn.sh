#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ICE through a real TURN server (coturn), in network namespaces made here:
#
#   host A 192.168.1.2 -- router A (masquerade) 198.51.100.10 --+
#                                                               wan (coturn on 203.0.113.1,
#   host B 192.0.2.2 -------------------------------------------+  no forwarding)
#
# wan does not forward, so A and B reach each other only through the relay.
# Measures gathering time with STUN alone, TURN alone and STUN+TURN, then
# connects two sessions over relay pairs and exchanges datagrams, and
# checks that ended sessions release their TURN allocations.
# Needs root, iproute2, nftables, coturn. Exit 0 pass, 1 fail.

set -u

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || fail "needs root (network namespaces)"
command -v turnserver >/dev/null || fail "coturn's turnserver is missing: apt-get install coturn"
command -v nft >/dev/null || fail "nft is missing: apt-get install nftables"

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
PEER=$top_builddir/tests/ice/ice-peer
[ -x "$PEER" ] || fail "$PEER is not built (make check builds it)"

TAG=ice$$
NS_WAN=$TAG-wan
NS_RA=$TAG-ra
NS_A=$TAG-a
NS_B=$TAG-b
TMP=$(mktemp -d /tmp/ncu-ice-turn.XXXXXX)
PIDS=()
TURN_PID=

cleanup() {
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	if [ -n "$TURN_PID" ]; then
		kill "$TURN_PID" 2>/dev/null
		wait "$TURN_PID" 2>/dev/null
	fi
	for ns in "$NS_A" "$NS_B" "$NS_RA" "$NS_WAN"; do
		ip netns delete "$ns" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

setup_topology() {
	local ns
	for ns in "$NS_WAN" "$NS_RA" "$NS_A" "$NS_B"; do
		ip netns add "$ns" || fail "ip netns add $ns"
		in_ns "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
		in_ns "$ns" ip link set lo up
	done
	# Veths are created inside the namespaces: the host never sees them.
	ip link add va netns "$NS_WAN" type veth peer name wan0 netns "$NS_RA" || fail "veth wan-ra"
	ip link add lan0 netns "$NS_RA" type veth peer name eth0 netns "$NS_A" || fail "veth ra-a"
	ip link add vb netns "$NS_WAN" type veth peer name eth0 netns "$NS_B" || fail "veth wan-b"

	in_ns "$NS_WAN" sysctl -q -w net.ipv4.ip_forward=0
	in_ns "$NS_WAN" ip addr add 203.0.113.1/32 dev lo
	in_ns "$NS_WAN" ip addr add 198.51.100.1/24 dev va
	in_ns "$NS_WAN" ip addr add 192.0.2.1/24 dev vb
	in_ns "$NS_WAN" ip link set va up
	in_ns "$NS_WAN" ip link set vb up
	# A default route that silently drops: coturn closes an allocation
	# whose send fails with ENETUNREACH (a peer's private host candidate).
	# No dummy links on this kernel: a veth towards a fake neighbour.
	ip link add sink0 netns "$NS_WAN" type veth peer name sink1 netns "$NS_WAN" || fail "veth sink"
	in_ns "$NS_WAN" ip addr add 10.255.255.1/30 dev sink0
	in_ns "$NS_WAN" ip link set sink0 up
	in_ns "$NS_WAN" ip link set sink1 up
	in_ns "$NS_WAN" ip neigh add 10.255.255.2 lladdr 02:00:00:00:00:01 dev sink0 nud permanent
	in_ns "$NS_WAN" ip route add default via 10.255.255.2

	in_ns "$NS_RA" sysctl -q -w net.ipv4.ip_forward=1
	in_ns "$NS_RA" ip addr add 198.51.100.10/24 dev wan0
	in_ns "$NS_RA" ip addr add 192.168.1.1/24 dev lan0
	in_ns "$NS_RA" ip link set wan0 up
	in_ns "$NS_RA" ip link set lan0 up
	in_ns "$NS_RA" ip route add default via 198.51.100.1
	# A NAT router with a closed input chain (DESIGN.md section 8).
	in_ns "$NS_RA" nft -f - <<-EOF || fail "nft on router A"
	table ip nat {
		chain postrouting { type nat hook postrouting priority srcnat; oifname "wan0" masquerade; }
	}
	table inet filter {
		chain input {
			type filter hook input priority filter; policy drop;
			ct state established,related accept
			iifname { "lo", "lan0" } accept
		}
	}
	EOF

	in_ns "$NS_A" ip addr add 192.168.1.2/24 dev eth0
	in_ns "$NS_A" ip link set eth0 up
	in_ns "$NS_A" ip route add default via 192.168.1.1
	in_ns "$NS_B" ip addr add 192.0.2.2/24 dev eth0
	in_ns "$NS_B" ip link set eth0 up
	in_ns "$NS_B" ip route add default via 192.0.2.1
}

start_turn() {
	local i
	# Not through in_ns: $! must be turnserver's own PID.
	ip netns exec "$NS_WAN" turnserver -n --listening-ip 203.0.113.1 --relay-ip 203.0.113.1 \
		--lt-cred-mech --user u:p --realm test --no-tls --no-dtls --no-cli \
		--userdb "$TMP/turndb" --pidfile "$TMP/turn.pid" --log-file "$TMP/turn.log" \
		--simple-log >"$TMP/turn.out" 2>&1 &
	TURN_PID=$!
	for i in $(seq 200); do
		in_ns "$NS_WAN" ss -Hlun 2>/dev/null | grep -q '203.0.113.1:3478' && return 0
		kill -0 "$TURN_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$TMP/turn.out" "$TMP"/turn*.log 2>/dev/null | tail -20 >&2
	fail "coturn did not start"
}

# gather NAME ARGS...: one gathering in host A, prints its RESULT line.
gather() {
	local name=$1
	shift
	in_ns "$NS_A" "$PEER" --name "$name" --gather-only --timeout 15 "$@" 2>"$TMP/gather.log" ||
		{ cat "$TMP/gather.log" >&2; fail "gathering ($name) failed"; }
	grep '^RESULT' "$TMP/gather.log"
}

field() {  # field KEY LINE
	sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<"$2"
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# measure_gathering KEY LABEL RUNS ARGS...: median of KEY (offer_ms: when
# the offer can go out; gather_ms: when libnice finished).
measure_gathering() {
	local key=$1 label=$2 runs=$3 i line times=()
	shift 3
	for i in $(seq "$runs"); do
		line=$(gather "$label" "$@") || exit 1
		times+=("$(field "$key" "$line")")
	done
	echo "$line"
	printf '%s\n' "${times[@]}" | median >"$TMP/median"
	printf 'MEASURE %-9s %-22s median %7s ms over %s runs (%s)\n' \
		"$key" "$label" "$(cat "$TMP/median")" "$runs" "${times[*]}"
}

# connect LABEL "ARGS A" "ARGS B": two sessions, A controlling.
connect() {
	local label=$1 args_a=$2 args_b=$3 pid_a pid_b rc_a rc_b
	rm -f "$TMP/a2b" "$TMP/b2a"
	mkfifo "$TMP/a2b" "$TMP/b2a"
	# B opens its writing end first, so neither open blocks the other.
	# shellcheck disable=SC2086
	ip netns exec "$NS_A" "$PEER" --name A --controlling --timeout 20 $args_a \
		<"$TMP/b2a" >"$TMP/a2b" 2>"$TMP/$label-a.log" &
	pid_a=$!
	# shellcheck disable=SC2086
	ip netns exec "$NS_B" "$PEER" --name B --timeout 20 $args_b \
		>"$TMP/b2a" <"$TMP/a2b" 2>"$TMP/$label-b.log" &
	pid_b=$!
	PIDS+=("$pid_a" "$pid_b")
	wait "$pid_a"; rc_a=$?
	wait "$pid_b"; rc_b=$?
	grep -h '^RESULT' "$TMP/$label-a.log" "$TMP/$label-b.log"
	if [ "$rc_a" != 0 ] || [ "$rc_b" != 0 ]; then
		cat "$TMP/$label-a.log" "$TMP/$label-b.log" >&2
		fail "$label: peers exited with $rc_a/$rc_b"
	fi
}

# expect_pair LABEL SIDE LOCAL REMOTE: the last selected pair of SIDE
# ("any" matches every type).
expect_pair() {
	local label=$1 side=$2 want_local=$3 want_remote=$4 line
	line=$(grep "^RESULT $side pair" "$TMP/$label-$(tr AB ab <<<"$side").log" | tail -1)
	[ -n "$line" ] || fail "$label: $side selected no pair"
	[ "$want_local" = any ] || [ "$(field local "$line")" = "$want_local" ] ||
		fail "$label: $side local candidate is $(field local "$line"), want $want_local"
	[ "$want_remote" = any ] || [ "$(field remote "$line")" = "$want_remote" ] ||
		fail "$label: $side remote candidate is $(field remote "$line"), want $want_remote"
}

# Host A also has a TUN device with an odd name (a tunnel by link type),
# a veth named like a WireGuard device, and one the profile excludes.
add_decoys() {
	in_ns "$NS_A" ip tuntap add mode tun name vpnx0 || fail "tuntap"
	in_ns "$NS_A" ip addr add 10.99.0.1/24 dev vpnx0
	in_ns "$NS_A" ip link set vpnx0 up
	in_ns "$NS_A" ip link add wg7 type veth peer name ex1 || fail "veth decoy"
	in_ns "$NS_A" ip addr add 10.98.0.1/24 dev wg7
	in_ns "$NS_A" ip link add ex0 type veth peer name ok0 || fail "veth decoy"
	in_ns "$NS_A" ip addr add 10.97.0.1/24 dev ex0
	in_ns "$NS_A" ip addr add 10.96.0.1/24 dev ok0
	in_ns "$NS_A" ip link set wg7 up
	in_ns "$NS_A" ip link set ex1 up
	in_ns "$NS_A" ip link set ex0 up
	in_ns "$NS_A" ip link set ok0 up
}

# host_addresses ARGS...: the host candidates' addresses of one gathering.
host_addresses() {
	gather hosts "$@" >/dev/null || exit 1
	sed -n 's/.*local a=candidate:[^ ]* 1 UDP [0-9]* \([^ ]*\) [0-9]* typ host.*/\1/p' \
		"$TMP/gather.log" | sort | tr '\n' ' '
}

check_underlay() {
	local got
	got=$(host_addresses --types host --exclude 'ex*' --tunnel ok0)
	[ "$got" = "192.168.1.2 " ] || fail "gathered on $got; want only 192.168.1.2"
	got=$(host_addresses --types host)
	[ "$got" = "10.96.0.1 10.97.0.1 192.168.1.2 " ] ||
		fail "without exclusions gathered on $got; want 10.96.0.1 10.97.0.1 192.168.1.2"
	echo "underlay only: tunnels (vpnx0, wg7), excluded (ex*) and our tunnel (ok0) left out"
}

setup_topology
start_turn
TURN="--turn 203.0.113.1:3478"
STUN="--stun 203.0.113.1:3478"

echo "== gathering in host A (behind router A's NAT), libnice's own time"
measure_gathering gather_ms stun 3 $STUN --types host,srflx --deadline -1
line=$(measure_gathering gather_ms "turn (stun ignored)" 5 $TURN $STUN --deadline -1) || exit 1
echo "$line"
res=$(grep '^RESULT' <<<"$line")
[ "$(field srflx "$res")" -ge 1 ] || fail "TURN alone gave no server-reflexive candidate: $res"
[ "$(field relay "$res")" -ge 1 ] || fail "TURN alone gave no relay candidate: $res"
measure_gathering gather_ms "stun+turn" 3 $TURN $STUN --stun-with-turn --deadline -1
measure_gathering offer_ms "stun+turn, deadline" 3 $TURN $STUN --stun-with-turn

echo "== relay-only on both sides"
connect relay "--types relay $TURN" "--types relay $TURN"
expect_pair relay A relay relay
expect_pair relay B relay relay

echo "== all types on A, relay-only on B"
connect mixed "$TURN $STUN" "--types relay $TURN"
expect_pair mixed B relay any
expect_pair mixed A any relay

# allocations: coturn's relay sockets (one per TURN allocation), in its
# relay port range (it also listens on 3479).
allocations() {
	in_ns "$NS_WAN" ss -Huan src 203.0.113.1 | awk '{ n = split($4, a, ":") } a[n] >= 49152' | wc -l
}

# Sessions restarted 40 times, some while their allocation was in flight,
# then freed: the process waits until every old agent released its
# allocation, and coturn is left with none of them. coturn frees a
# released allocation at its next 1 s tick; one not released stays for
# its lifetime (600 s).
check_release() {
	local before after line i
	# earlier peers' allocations leave at coturn's next tick: settle first
	before=$(allocations)
	for i in $(seq 10); do
		sleep 0.5
		after=$(allocations)
		[ "$after" = "$before" ] && break
		before=$after
	done
	in_ns "$NS_A" "$PEER" --name churn --churn 40 --timeout 30 $TURN 2>"$TMP/churn.log" ||
		{ cat "$TMP/churn.log" >&2; fail "churn: the agents did not all close"; }
	line=$(grep '^RESULT' "$TMP/churn.log")
	echo "$line"
	for i in $(seq 50); do
		after=$(allocations)
		[ "$after" -le "$before" ] && break
		sleep 0.1
	done
	[ "$after" -le "$before" ] ||
		fail "churn: coturn holds $after allocations 5 s later, $before before (the ended sessions' were not released)"
	echo "coturn allocations: $before before, $after after 41 sessions"
}

echo "== closing: TURN allocations released"
check_release

echo "== interfaces"
add_decoys
check_underlay
# ex0 and ok0 have addresses with no way back from the servers: libnice
# retransmits to the servers from them until it gives up.
measure_gathering gather_ms "decoys, no deadline" 3 $TURN --deadline -1
line=$(measure_gathering offer_ms "decoys, deadline" 3 $TURN) || exit 1
echo "$line"
res=$(grep '^RESULT' <<<"$line")
[ "$(field relay "$res")" -ge 1 ] || fail "early offer without the relay candidate: $res"
echo "PASS"
exit 0
