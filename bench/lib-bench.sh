# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/lib-bench.sh: helpers for the benchmarks (make bench), on top of
# the test bed (tests/testbed/lib.sh) and the end-to-end helpers
# (tests/e2e/lib-e2e.sh). Functions start with bench_.
#
# Every bench prints markdown: a heading, the machine and the versions,
# then tables with the target beside the median of the runs and the ratio
# to a baseline measured in the same run.

source "$(dirname "${BASH_SOURCE[0]}")/../tests/e2e/lib-e2e.sh"

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Debian's tools first: a pyenv shim ahead of /usr/bin costs ~0.5 s per
# python3 call (status parsing, clocks, UAPI reads).
PATH=/usr/bin:/usr/sbin:$PATH

# ---- numbers ----------------------------------------------------------------

# bench_median VALUE...: the median ("-" when there is no value); the mean
# of the two middle values for an even count.
bench_median() {
	printf '%s\n' "$@" | grep -E '^-?[0-9.]+$' | sort -g | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "-"; exit }
			if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
			print m
		}'
}

# bench_minmax VALUE...: "min-max" of the numeric values, or "-".
bench_minmax() {
	printf '%s\n' "$@" | grep -E '^-?[0-9.]+$' | sort -g | awk '
		NR == 1 { lo = $1 } { hi = $1 }
		END { if (NR) printf "%s-%s\n", lo, hi; else print "-" }'
}

# bench_ratio A B [DIGITS]: A / B, or "-" when either is missing or B is 0.
bench_ratio() {
	awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN {
		if (a !~ /^-?[0-9.]+$/ || b !~ /^-?[0-9.]+$/ || b + 0 == 0) { print "-"; exit }
		printf "%.*f\n", d, a / b }'
}

# bench_fmt VALUE [DIGITS]: VALUE rounded to DIGITS decimals (default 3), or "-".
bench_fmt() {
	awk -v a="$1" -v d="${2:-3}" 'BEGIN {
		if (a !~ /^-?[0-9.]+$/) { print "-"; exit }
		printf "%.*f\n", d, a }'
}

# bench_verdict VALUE OP LIMIT: "met" or "**missed**" (OP is <= or >=),
# "-" when VALUE is missing.
bench_verdict() {
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		if (v !~ /^-?[0-9.]+$/) { print "-"; exit }
		ok = (op == "<=") ? (v + 0 <= l + 0) : (v + 0 >= l + 0)
		print ok ? "met" : "**missed**" }'
}

# bench_runs VAR DEFAULT: the number of runs from the environment variable
# VAR (at least 1), else DEFAULT.
bench_runs() {
	local n=${!1:-$2}
	[[ $n =~ ^[0-9]+$ ]] && ((n >= 1)) || tb_fail "$1 must be a positive number, not '$n'"
	echo "$n"
}

# ---- clocks -----------------------------------------------------------------

# bench_now_s: CLOCK_REALTIME in seconds with microseconds (ping -D, UAPI
# and the service log converted with bench_mono_offset use the same clock).
bench_now_s() {
	echo "$EPOCHREALTIME"
}

# bench_mono_offset: CLOCK_REALTIME - CLOCK_MONOTONIC in seconds; adding it
# converts the service's --debug timestamps (monotonic) to real time.
bench_mono_offset() {
	python3 -c 'import time
r0 = time.clock_gettime(time.CLOCK_REALTIME)
m = time.clock_gettime(time.CLOCK_MONOTONIC)
r1 = time.clock_gettime(time.CLOCK_REALTIME)
print("%.6f" % ((r0 + r1) / 2 - m))'
}

# bench_us_to_s MICROSECONDS: seconds with six decimals (tb_now_us -> real time).
bench_us_to_s() {
	printf '%d.%06d\n' "$(($1 / 1000000))" "$(($1 % 1000000))"
}

# bench_sub A B: A - B (seconds), "-" when either is missing.
bench_sub() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a !~ /^-?[0-9.]+$/ || b !~ /^-?[0-9.]+$/) { print "-"; exit }
		printf "%.6f\n", a - b }'
}

# ---- header -----------------------------------------------------------------

bench__pkg_version() {
	dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "?"
}

# bench_machine: "nproc 2, AMD EPYC, kernel 6.1.0" on one line.
bench_machine() {
	local cpu
	cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	echo "nproc $(nproc), ${cpu:-unknown CPU}, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
}

# bench_versions: the versions of the parts under test on one line.
bench_versions() {
	echo "NetworkManager $(NetworkManager --version 2>/dev/null || echo ?)," \
		"libnice $(pkg-config --modversion nice 2>/dev/null || bench__pkg_version libnice10)," \
		"wireguard-go $(bench__pkg_version wireguard-go)," \
		"coturn $(bench__pkg_version coturn)," \
		"mosquitto $(bench__pkg_version mosquitto)," \
		"iperf3 $(bench__pkg_version iperf3)," \
		"nm-cunicu $(git -C "$top_srcdir" describe --always --dirty 2>/dev/null || echo ?)"
}

# bench_header TITLE RUNS-TEXT: the section heading with machine and versions.
bench_header() {
	echo "## $1"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- machine: $(bench_machine)"
	echo "- versions: $(bench_versions)"
	echo "- runs: $2"
	echo
}

# bench_udp_counter ROLE [COUNTER]: one of the UDP counters of ROLE's
# namespace since it was made (/proc/net/snmp): RcvbufErrors (default:
# datagrams dropped for want of receive buffer space), SndbufErrors (a send
# that found the buffer full), OutDatagrams (datagrams sent).
bench_udp_counter() {
	tb_exec "$1" awk -v c="${2:-RcvbufErrors}" '$1 == "Udp:" { if (!h) { for (i = 2; i <= NF; i++) col[$i] = i; h = 1 } else print $col[c] }' /proc/net/snmp
}

# bench_summary ITEM MEASURED TARGET VERDICT: a line of the summary table
# that bench/run-bench.sh puts at the top of results.md (BENCH_SUMMARY
# names the file; unset: nothing is kept).
bench_summary() {
	[[ -n ${BENCH_SUMMARY:-} ]] || return 0
	bench_table_row "$@" >>"$BENCH_SUMMARY"
}

# ---- the bed ----------------------------------------------------------------

# bench_require_built PROGRAM...: fail unless each is built in top_builddir.
bench_require_built() {
	local f
	for f in "$@"; do
		[[ -x $top_builddir/$f ]] || tb_fail "$top_builddir/$f is not built (run make bench)"
	done
}

# bench_port_forward NAT HOST PORT: NAT forwards UDP PORT on its outside
# address to HOST (for plain WireGuard with static endpoints).
bench_port_forward() {
	local nat=$1 host=$2 port=$3
	tb_exec "$nat" nft -f - <<EOF || tb_fail "port forward on $nat failed"
table ip $TB_PREFIX {
	chain bench_prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "wan0" udp dport $port dnat to ${TB_ADDR[$host]}
	}
}
add rule ip $TB_PREFIX forward ct status dnat accept
EOF
}

# bench_static_data HOST PEER ENDPOINT TUN-HOST TUN-PEER [KEY=VALUE...]:
# vpn.data of plain WireGuard (no signaling, no ICE): listen port 51820
# unless a listen-port=... follows, the peer at ENDPOINT (address:port),
# the tunnel addresses given, the peer labelled "plain-PEER" unless a
# label follows.
bench_static_data() {
	local host=$1 peer=$2 endpoint=$3 tun_host=$4 tun_peer=$5 kv data port=51820 label=plain-$2
	shift 5
	for kv in "$@"; do
		case $kv in
		listen-port=*) port=${kv#*=} ;;
		peer.0.label=*) label=${kv#*=} ;;
		esac
	done
	data="addresses=$tun_host/24, listen-port=$port, private-key-flags=0"
	data+=", peer.0.public-key=${E2E_PUB[$peer]}, peer.0.allowed-ips=$tun_peer/32"
	data+=", peer.0.endpoint=$endpoint, peer.0.label=$label, peer.0.preshared-key-flags=0"
	echo "$data"
}

# bench_ice_data HOST PEER TUN-HOST TUN-PEER LABEL [KEY=VALUE...]: vpn.data
# of the default cunicu profile (the test bed's broker, a STUN and a TURN
# server) with one peer labelled LABEL and the given tunnel addresses.
bench_ice_data() {
	local host=$1 peer=$2 tun_host=$3 tun_peer=$4 label=$5 kv data
	shift 5
	data="addresses=$tun_host/24, signaling-url=$TB_MQTT_URL"
	data+=", ice-servers=stun:$TB_WAN_IP1:$TB_TURN_PORT\\,turn:$TB_WAN_IP1:$TB_TURN_PORT"
	data+=", ice-username=$TB_TURN_USER, ice-password-flags=0, private-key-flags=0"
	data+=", peer.0.public-key=${E2E_PUB[$peer]}, peer.0.allowed-ips=$tun_peer/32"
	data+=", peer.0.label=$label, peer.0.preshared-key-flags=0"
	for kv in "$@"; do
		data+=", $kv"
	done
	echo "$data"
}

# bench_up_pair NAME HOST1 HOST2: `nmcli connection up NAME` on both at once;
# fails the bench if either fails.
bench_up_pair() {
	local name=$1 pid
	e2e_up "$2" "$name" &
	pid=$!
	e2e_up "$3" "$name"
	wait "$pid" || tb_fail "$2: connection up $name failed"
}

# bench_down_pair NAME HOST...: `nmcli connection down NAME` on each, at
# once, then wait until the services and their wireguard-go are gone.
bench_down_pair() {
	local name=$1 host
	local -a pids=()
	shift
	for host in "$@"; do
		tb_nmcli "$host" --wait 20 connection down "$name" >/dev/null 2>&1 &
		pids+=("$!")
	done
	wait "${pids[@]}" 2>/dev/null || true
	bench_wait_gone "$@"
}

# bench_tunnel_pids HOST: PIDs of nm-cunicu-service and wireguard-go
# processes in HOST's network namespace.
bench_tunnel_pids() {
	local pid comm
	for pid in $(ip netns pids "$(tb_ns "$1")" 2>/dev/null); do
		comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
		[[ $comm == nm-cunicu-servi || $comm == wireguard-go ]] && echo "$pid"
	done
	return 0
}

# bench_wait_gone HOST...: wait (up to 10 s) until no service or
# wireguard-go runs on the HOSTs, so the next activation starts clean
# (a profile with a fixed listen port fails while the previous
# wireguard-go still holds it).
bench_wait_gone() {
	local host deadline
	deadline=$(($(tb_now_us) + 10000000))
	for host in "$@"; do
		while [[ -n $(bench_tunnel_pids "$host") ]] && (($(tb_now_us) < deadline)); do
			sleep 0.05
		done
	done
}

# bench_try_first_reply HOST ADDRESS SECONDS: ping every 10 ms until the
# first reply; prints its real time (ping -D), or "-" after SECONDS.
# Retries while the route is not there yet (ping then exits at once).
bench_try_first_reply() {
	local host=$1 addr=$2 limit=$3 deadline out
	deadline=$(($(tb_now_us) + limit * 1000000))
	while (($(tb_now_us) < deadline)); do
		out=$(tb_exec "$host" ping -D -n -c 1 -i 0.01 -w "$limit" "$addr" 2>/dev/null) || true
		if [[ $out =~ \[([0-9]+\.[0-9]+)\]\ [0-9]+\ bytes\ from ]]; then
			echo "${BASH_REMATCH[1]}"
			return 0
		fi
		sleep 0.005
	done
	echo "-"
}

# bench_first_reply HOST ADDRESS SECONDS: the same, failing the bench
# (with the peer's status) when no reply comes.
bench_first_reply() {
	local t
	t=$(bench_try_first_reply "$@")
	if [[ $t == - ]]; then
		e2e_status "$1" >&2 || true
		tb_fail "$1: no ping reply from $2 within ${3}s"
	fi
	echo "$t"
}

# bench_handshake_time HOST: the latest WireGuard handshake of any peer of
# any interface in HOST's NetworkManager (wireguard-go's UAPI, nanosecond
# precision), as real time in seconds; "-" when there was none.
bench_handshake_time() {
	tb_nm_exec "$1" python3 -c '
import glob, socket
best = None
for path in glob.glob("/run/wireguard/*.sock"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        s.sendall(b"get=1\n\n")
        data = b""
        while not data.endswith(b"\n\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        continue
    finally:
        s.close()
    sec = None
    for line in data.decode().splitlines():
        k, _, v = line.partition("=")
        if k == "last_handshake_time_sec":
            sec = int(v)
        elif k == "last_handshake_time_nsec" and sec:
            t = sec + int(v) / 1e9
            best = t if best is None or t < best else best
print("%.6f" % best if best else "-")'
}

# bench_service_log HOST: path of HOST's service log (TB_SERVICE_DEBUG=1
# puts monotonic timestamps in it).
bench_service_log() {
	echo "$TB_TMP/nm-$1/service.log"
}

# bench_log_lines HOST: number of lines in HOST's service log now.
bench_log_lines() {
	local f
	f=$(bench_service_log "$1")
	[[ -f $f ]] && wc -l <"$f" || echo 0
}

# bench_log_time HOST FROM-LINE REGEX [OFFSET]: the monotonic timestamp of
# the first service log line after FROM-LINE matching REGEX (awk), plus
# OFFSET (bench_mono_offset) when given; "-" when there is none.
bench_log_time() {
	local f
	f=$(bench_service_log "$1")
	[[ -f $f ]] || { echo "-"; return 0; }
	tail -n "+$(($2 + 1))" "$f" | awk -v re="$3" -v off="${4:-0}" '
		$0 ~ re && $2 ~ /^[0-9]+\.[0-9]+$/ { printf "%.6f\n", $2 + off; found = 1; exit }
		END { if (!found) print "-" }'
}

# bench_table_row CELL...: one markdown table row.
bench_table_row() {
	local out="|" cell
	for cell in "$@"; do
		out+=" $cell |"
	done
	echo "$out"
}
