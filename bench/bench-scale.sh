#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Bench 4, scale: one cunicu profile with N peers in hostA's NetworkManager
# (behind a cone NAT); the N peers are simulated by bench/ncu-bench-peers on
# hostB (behind another cone NAT): each a real key pair, a real signaling
# session with its own MQTT connection, a real ICE agent using the bed's
# coturn. Measured per activation: time from `nmcli connection up` until
# nm-cunicu-status shows every peer's ICE connected, the service's resident
# memory and file descriptors once all are connected (and wireguard-go's
# memory, for reference). Once, at the largest N: broker messages per peer
# per minute while idle (mosquitto_sub on '#' without retained ones).
# Baseline, same run: the same profile with one peer (ratios).
#
# BENCH_SCALE_RUNS (default 5) activations per size; BENCH_SCALE_SIZES
# (default "50 100 200"); BENCH_SCALE_IDLE_S (default 160: it holds one
# refresh of every retained offer, which come every 150 s; shorter windows
# add them by estimate; 0 skips).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"

RUNS=$(bench_runs BENCH_SCALE_RUNS 5)
read -ra SIZES <<<"${BENCH_SCALE_SIZES:-50 100 200}"
IDLE_S=${BENCH_SCALE_IDLE_S:-160}
SIM=$top_builddir/bench/ncu-bench-peers
TIMEOUT=60                  # seconds for one activation to connect everyone

declare -A ALL=() RSS=() FDS=() WG_RSS=() UP=()   # size -> values, one per run
declare -A SPLIT=()                                # size -> RSS split of the last run
declare -A RESTARTED=()                            # size -> peers that restarted ICE, per run
RECONNECT=""                                       # "seconds restarted" of the reconnect
IDLE_LINE=""

# service_pid HOST: the newest nm-cunicu-service in HOST's namespace.
service_pid() {
	local pid best="" best_start=0 start
	for pid in $(ip netns pids "$(tb_ns "$1")" 2>/dev/null); do
		[[ $(cat "/proc/$pid/comm" 2>/dev/null) == nm-cunicu-servi ]] || continue
		start=$(tb__starttime "$pid") || continue
		((start > best_start)) && { best=$pid; best_start=$start; }
	done
	echo "$best"
}

# child_pid PID COMM: a child of PID whose command is COMM.
child_pid() {
	local c
	for c in $(cat "/proc/$1/task/"*/children 2>/dev/null); do
		[[ $(cat "/proc/$c/comm" 2>/dev/null) == "$2" ]] && { echo "$c"; return; }
	done
}

# rss_split PID: "heap H, anonymous A, files F MiB; T threads" from smaps.
rss_split() {
	local threads
	threads=$(awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	awk -v t="${threads:-?}" '
		/^[0-9a-f]+-[0-9a-f]+ / { path = $6; kind = (path == "[heap]") ? "heap" : (path == "") ? "anon" : (path ~ /^\//) ? "file" : "other" }
		/^Rss:/ { rss[kind] += $2 }
		END { printf "heap %.1f, anonymous %.1f, files %.1f MiB; %s threads\n", rss["heap"] / 1024, rss["anon"] / 1024, rss["file"] / 1024, t }' \
		"/proc/$1/smaps" 2>/dev/null || echo "-"
}

rss_mib() {
	awk '/^VmRSS:/ { printf "%.1f\n", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "-"
}

# connected_count: peers of hostA's service whose ICE is connected.
connected_count() {
	e2e_status hostA --json 2>/dev/null | python3 -c '
import json, sys
try:
    data = json.load(sys.stdin)
except ValueError:
    print(0); sys.exit()
print(sum(1 for s in data.values() for p in s.get("peers", []) if p.get("ice-state") == "connected"))'
}

sim_field() {
	sed -n "s/.*\\b$2=\\([0-9]*\\).*/\\1/p" "$TB_TMP/sim-$1.status" 2>/dev/null
}

# sim_settled N: every simulated peer has a gathered offer out and its
# signaling up (after a bye they start fresh sessions).
sim_settled() {
	[[ $(sim_field "$1" gathered) == "$1" && $(sim_field "$1" signaling) == "$1" ]]
}

# profile_data N: vpn.data with the first N simulated peers.
profile_data() {
	local n=$1 i data key
	data="addresses=10.90.0.1/16, signaling-url=$TB_MQTT_URL"
	data+=", ice-servers=stun:$TB_WAN_IP1:$TB_TURN_PORT\\,turn:$TB_WAN_IP1:$TB_TURN_PORT"
	data+=", ice-username=$TB_TURN_USER, ice-password-flags=0, private-key-flags=0"
	i=0
	while read -r key && ((i < n)); do
		data+=", peer.$i.public-key=$key, peer.$i.allowed-ips=10.90.$((1 + i / 200)).$((1 + i % 200))/32"
		data+=", peer.$i.label=sim-$i"
		i=$((i + 1))
	done <"$TB_TMP/keys-$n"
	echo "$data"
}

# idle_messages N SECONDS: count broker messages for SECONDS, and the UDP
# datagrams hostA sent meanwhile (the service's on the ICE paths: consent
# checks and their answers, NAT keepalives, TURN refreshes; the idle
# WireGuard and NetworkManager send none).
idle_messages() {
	local n=$1 secs=$2 svc total by_svc out0 out
	svc=$(tr '+/' '-_' <<<"$SVC_PUB" | tr -d '=')
	out0=$(bench_udp_counter hostA OutDatagrams)
	# one line per message: its topic (the sealed payloads hold newlines)
	tb_exec wan timeout "$secs" mosquitto_sub -h "$TB_WAN_IP1" -p "$TB_MQTT_PORT" -R -F '%t' -t '#' \
		-i "bench-count-$$" >"$TB_TMP/idle.txt" 2>/dev/null || true
	out=$(($(bench_udp_counter hostA OutDatagrams) - out0))
	total=$(wc -l <"$TB_TMP/idle.txt")
	by_svc=$(awk -v s="$svc" '{ n = split($1, t, "/"); if (t[n] == s) c++ } END { print c + 0 }' "$TB_TMP/idle.txt")
	IDLE_LINE=$(awk -v t="$total" -v s="$by_svc" -v n="$n" -v w="$secs" -v o="$out" 'BEGIN {
		printf "%d %d %.3f %.3f %.1f", t, s, t / n / (w / 60), s / n / (w / 60), o / n / (w / 60) }')
}

# all_connected_time FROM-LINE N OFFSET: real time at which the last of N
# peers first logged "ICE connected" after FROM-LINE of hostA's service log
# (monotonic + OFFSET), or "-" when fewer than N did.
all_connected_time() {
	tail -n "+$(($1 + 1))" "$(bench_service_log hostA)" | awk -v n="$2" -v off="$3" '
		/: ICE connected$/ && $2 ~ /^[0-9]+\.[0-9]+$/ {
			peer = $0; sub(/.*peer /, "", peer); sub(/: ICE connected$/, "", peer)
			if (!(peer in seen)) { seen[peer] = 1; count++; last = $2 }
		}
		END { if (count >= n) printf "%.6f\n", last + off; else print "-" }'
}

# restarted_peers FROM-LINE: peers of this activation that restarted ICE
# (a failed session) in hostA's service log after FROM-LINE.
restarted_peers() {
	tail -n "+$(($1 + 1))" "$(bench_service_log hostA)" |
		sed -n 's/.*peer \(.*\): restarting ICE.*/\1/p' | sort -u | wc -l
}

# restart_coturn: a fresh coturn, so that every activation of a size starts
# from the same empty allocation table. (The service releases its TURN
# allocations before it exits; the reconnect activation, without a restart,
# shows that nothing left behind gets in the way: 437 Allocation Mismatch
# for a socket mapped to a leftover allocation's port.)
restart_coturn() {
	tb_stop "$TB_COTURN_PID" 5
	tb_start_coturn
}

# activate N: one `nmcli connection up` of the N-peer profile, measured,
# left up; sets A_ALL (seconds or "-"), A_UP, A_PID, A_LAST, A_RESTARTED.
activate() {
	local n=$1 t0 t_all lines off t_log
	tb_wait_until 120 "the simulated peers to settle" sim_settled "$n"
	lines=$(bench_log_lines hostA)
	off=$(bench_mono_offset)
	t0=$(tb_now_us)
	e2e_up hostA "scale-$n"
	A_UP=$(tb_fmt_us $(($(tb_now_us) - t0)))
	A_LAST=0
	while ((A_LAST < n)); do
		A_LAST=$(connected_count)
		(($(tb_now_us) - t0 < TIMEOUT * 1000000)) || break
		((A_LAST < n)) && sleep 0.1
	done
	t_all=$(tb_now_us)
	A_PID=$(service_pid hostA)
	# nm-cunicu-status confirms; the service's log times it precisely
	# (polling the status of many peers takes a while)
	t_log=$(all_connected_time "$lines" "$n" "$off")
	if ((A_LAST < n)); then
		tb_log "$n peers: only $A_LAST connected after ${TIMEOUT}s"
		A_ALL=-
	elif [[ $t_log != - ]]; then
		A_ALL=$(bench_fmt "$(bench_sub "$t_log" "$(bench_us_to_s "$t0")")")
	else
		A_ALL=$(tb_fmt_us $((t_all - t0)))
	fi
	A_RESTARTED=$(restarted_peers "$lines")
}

deactivate() {
	tb_nmcli hostA --wait 30 connection down "scale-$1" >/dev/null 2>&1 || true
	bench_wait_gone hostA
}

measure_size() {
	local n=$1 sim_pid r wg
	tb_spawn hostB "sim-$n" "$SIM" --count "$n" --service-key "$SVC_PUB" --url "$TB_MQTT_URL" \
		--ice-servers "stun:$TB_WAN_IP1:$TB_TURN_PORT,turn:$TB_WAN_IP1:$TB_TURN_PORT" \
		--ice-username "$TB_TURN_USER" --ice-password-file "$TB_TMP/turn-password" \
		--keys-out "$TB_TMP/keys-$n" --status-file "$TB_TMP/sim-$n.status"
	sim_pid=$TB_LAST_PID
	tb_wait_until 120 "$n simulated peers to gather and connect to the broker" sim_settled "$n"
	e2e_add hostA "scale-$n" "$(profile_data "$n")" \
		"private-key=$SVC_PRIV, ice-password=$TB_TURN_PASSWORD"
	for ((r = 0; r < RUNS; r++)); do
		restart_coturn
		activate "$n"
		ALL[$n]+="$A_ALL "
		UP[$n]+="$A_UP "
		RESTARTED[$n]+="$A_RESTARTED "
		RSS[$n]+="$(rss_mib "$A_PID") "
		FDS[$n]+="$(ls "/proc/$A_PID/fd" 2>/dev/null | wc -l) "
		wg=$(child_pid "$A_PID" wireguard-go)
		WG_RSS[$n]+="$([[ -n $wg ]] && rss_mib "$wg" || echo -) "
		SPLIT[$n]=$(rss_split "$A_PID")
		tb_log "$n peers, run $((r + 1)): all connected ${ALL[$n]}s; up ${UP[$n]}s; RSS ${RSS[$n]}MiB; fds ${FDS[$n]}; restarted ${RESTARTED[$n]}"
		if ((r == RUNS - 1 && n == SIZES[-1] && IDLE_S > 0 && A_LAST == n)); then
			tb_log "idle window of ${IDLE_S}s"
			idle_messages "$n" "$IDLE_S"
			RSS_AFTER_IDLE=$(rss_mib "$A_PID")
		fi
		deactivate "$n"
	done
	if ((n == SIZES[-1])); then
		# a reconnect right after a disconnect, coturn not restarted
		activate "$n"
		RECONNECT="$A_ALL $A_RESTARTED"
		tb_log "$n peers, reconnect: all connected $A_ALL s; restarted $A_RESTARTED"
		deactivate "$n"
	fi
	tb_stop "$sim_pid" 20
}

setup() {
	export TB_SERVICE_DEBUG=1
	tb_init
	e2e_require_built
	bench_require_built bench/ncu-bench-peers
	tb_require mosquitto_sub python3
	tb_topology --nat-a cone --nat-b cone
	tb_start_coturn
	tb_start_mosquitto
	tb_start_nm hostA
	SVC_PRIV=$(wg genkey)
	SVC_PUB=$(wg pubkey <<<"$SVC_PRIV")
	(umask 077 && echo "$TB_TURN_PASSWORD" >"$TB_TMP/turn-password")
}

# med VALUES...: the median of the numeric values.
med() {
	bench_median "$@"
}

row() {
	local n=$1 base=$2 all rss fds ball brss bfds
	local target_t="-" verdict_t="-" target_m="-" verdict_m="-"
	# shellcheck disable=SC2086 # the values are split on purpose
	{
		all=$(bench_fmt "$(med ${ALL[$n]})"); rss=$(bench_fmt "$(med ${RSS[$n]})" 1)
		fds=$(med ${FDS[$n]})
		ball=$(med ${ALL[$base]}); brss=$(med ${RSS[$base]}); bfds=$(med ${FDS[$base]})
	}
	if ((n == 200)); then
		target_t="<= 10 s"; verdict_t=$(bench_verdict "$all" "<=" 10)
		target_m="<= 64 MiB"; verdict_m=$(bench_verdict "$rss" "<=" 64)
		bench_summary "4 scale" "200 peers: all connected" "$all s" "$target_t" "$verdict_t"
		bench_summary "4 scale" "200 peers: service RSS" "$rss MiB" "$target_m" "$verdict_m"
	fi
	# shellcheck disable=SC2086
	bench_table_row "$n" "$all ($(bench_minmax ${ALL[$n]}))" "$(bench_ratio "$all" "$ball" 1)" \
		"$target_t" "$verdict_t" "$(med ${RESTARTED[$n]})" "$rss ($(bench_minmax ${RSS[$n]}))" \
		"$(bench_ratio "$rss" "$brss" 1)" "$target_m" "$verdict_m" "$fds" \
		"$(bench_ratio "$fds" "$bfds" 1)" "$(bench_fmt "$(med ${WG_RSS[$n]})" 1)" \
		"$(bench_fmt "$(med ${UP[$n]})")"
}

# The retained offers are refreshed every expiry/2 = 150 s by each side
# (src/ncu-tunnel.c OFFER_EXPIRY_S, src/ncu-signal.c): 2 messages per peer
# per 150 s on the broker, 1 of them the service's.
REFRESH_S=150

report_idle() {
	local total by_svc per per_svc datagrams est est_svc note
	read -r total by_svc per per_svc datagrams <<<"$IDLE_LINE"
	if ((IDLE_S >= REFRESH_S)); then
		est=$per est_svc=$per_svc
		note="the window holds one refresh of every retained offer"
	else
		est=$(awk -v p="$per" -v r="$REFRESH_S" 'BEGIN { printf "%.3f", p + 2 * 60 / r }')
		est_svc=$(awk -v p="$per_svc" -v r="$REFRESH_S" 'BEGIN { printf "%.3f", p + 60 / r }')
		note="shorter than the ${REFRESH_S} s refresh of retained offers: the steady state adds"
		note+=" the refreshes, 2 per peer per ${REFRESH_S} s (1 of them the service's)"
	fi
	echo "Idle signaling at ${SIZES[-1]} peers, all connected, measured over ${IDLE_S} s"
	echo "(BENCH_SCALE_IDLE_S; $note):"
	echo
	bench_table_row "messages in the window" "per peer per minute" "by the service" \
		"steady state per peer per minute" "by the service" target verdict \
		"service RSS after the window MiB" "service's UDP datagrams per peer per minute"
	bench_table_row --- --- --- --- --- --- --- --- ---
	bench_table_row "$total" "$per" "$by_svc" "$est" "$est_svc" "<= 1" \
		"$(bench_verdict "$est" "<=" 1)" "${RSS_AFTER_IDLE:--}" "$datagrams"
	bench_summary "4 scale" "${SIZES[-1]} peers: idle messages per peer per minute, both sides" \
		"$est" "<= 1" "$(bench_verdict "$est" "<=" 1)"
	echo
	echo "The service's UDP datagrams (no target; on the ICE paths, not the broker): libnice's"
	echo "consent check to each peer every 4-6 s and its answers to the peer's, a NAT keepalive"
	echo "every 2 s while WireGuard sends the peer nothing (docs/signaling.md section 9), TURN"
	echo "refreshes. Here also the service's WireGuard handshake, repeated every 5 s for 90 s"
	echo "because the simulated peers run no WireGuard, and a liveness probe after each."
	echo
}

report() {
	local n
	bench_header "4. Scale" "$RUNS activations per size (BENCH_SCALE_RUNS), medians (min-max)"
	echo "One profile with N peers in hostA's NetworkManager (the default profile: STUN + TURN);"
	echo "the N peers are simulated on hostB by bench/ncu-bench-peers (real keys, signaling over"
	echo "the bed's mosquitto, ICE agents using its coturn), both behind cone NATs. Baseline: the"
	echo "same with 1 peer, same run (ratios). \"all connected\": from \`nmcli connection up\` until"
	echo "nm-cunicu-status shows every peer's ICE connected (confirmed by polling it, timed by the"
	echo "service's --debug log: the last peer's first \`ICE connected\`). coturn is restarted"
	echo "before each activation, so each starts from an empty allocation table; the reconnect line"
	echo "below, without a restart, shows whether allocations left by the previous service get in"
	echo "the way (a socket mapped to a leftover allocation's port gets 437 and fails ICE)."
	echo
	bench_table_row peers "all connected s" "ratio to 1 peer" target verdict "peers that restarted ICE" \
		"service RSS MiB" "ratio to 1 peer" target verdict "service fds" "ratio to 1 peer" \
		"wireguard-go RSS MiB" "nmcli up returned s"
	bench_table_row --- --- --- --- --- --- --- --- --- --- --- --- --- ---
	for n in 1 "${SIZES[@]}"; do
		row "$n" 1
	done
	echo
	if [[ -n $RECONNECT ]]; then
		echo "Reconnect at ${SIZES[-1]} peers right after a disconnect, coturn not restarted: all connected"
		echo "after ${RECONNECT% *} s, ${RECONNECT#* } peer(s) restarted ICE."
		echo
	fi
	echo "UDP datagrams dropped for want of socket buffer space during the bench (RcvbufErrors):"
	echo "$DROPS."
	echo
	echo "The service's resident memory by kind (/proc/PID/smaps, last activation):"
	echo
	for n in 1 "${SIZES[@]}"; do
		echo "- $n peer(s): ${SPLIT[$n]:--}"
	done
	echo
	[[ -z $IDLE_LINE ]] || report_idle
}

setup
for n in 1 "${SIZES[@]}"; do
	measure_size "$n"
done
DROPS="wan (coturn, mosquitto) $(bench_udp_counter wan), hostA (service) $(bench_udp_counter hostA), hostB (simulated peers) $(bench_udp_counter hostB)"
report
