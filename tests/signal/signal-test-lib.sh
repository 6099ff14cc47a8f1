# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for the signaling tests: a network namespace with only loopback,
# a mosquitto broker started and stopped by PID, and signal-driver
# processes fed commands through FIFOs. Source it; call sig_setup first.

SIG_NS=""
SIG_TMP=""
SIG_BROKER_PID=""
declare -A SIG_PID=()
declare -A SIG_FD=()

sig_fail () {
	echo "FAIL: $*" >&2
	for f in "$SIG_TMP"/*.out "$SIG_TMP"/broker.log; do
		[ -f "$f" ] || continue
		echo "---- $(basename "$f") (last 25 lines)" >&2
		tail -n 25 "$f" >&2
	done
	exit 1
}

sig_step () {
	echo "== $*"
}

sig_require () {
	[ "$(id -u)" = 0 ] || sig_fail "needs root (network namespaces)"
	for cmd in ip ss mosquitto mosquitto_pub mosquitto_sub mosquitto_passwd openssl; do
		command -v "$cmd" >/dev/null 2>&1 ||
			sig_fail "$cmd not found (apt-get install iproute2 mosquitto mosquitto-clients openssl)"
	done
}

sig_cleanup () {
	local name
	for name in "${!SIG_PID[@]}"; do
		kill "${SIG_PID[$name]}" 2>/dev/null
	done
	[ -n "$SIG_BROKER_PID" ] && kill "$SIG_BROKER_PID" 2>/dev/null
	wait 2>/dev/null
	[ -n "$SIG_NS" ] && ip netns del "$SIG_NS" 2>/dev/null
	# SIG_KEEP=1 keeps the outputs for a look after the run.
	if [ -n "$SIG_TMP" ] && [ -z "${SIG_KEEP:-}" ]; then
		rm -rf "$SIG_TMP"
	fi
}

# sig_setup NAME: a namespace (loopback only) and a private temporary directory.
sig_setup () {
	SIG_TMP=$(mktemp -d /tmp/ncu-"$1".XXXXXX) || sig_fail "mktemp"
	SIG_NS="ncu-$1-$$"
	trap sig_cleanup EXIT
	trap 'exit 1' INT TERM
	ip netns add "$SIG_NS" || sig_fail "cannot create namespace $SIG_NS"
	ip -n "$SIG_NS" link set lo up || sig_fail "cannot set lo up"
}

sig_ns () {
	ip netns exec "$SIG_NS" "$@"
}

# sig_wait_until TIMEOUT_S COMMAND...: polls COMMAND every 0.1 s.
sig_wait_until () {
	local deadline=$((SECONDS + $1))
	shift
	while ! "$@"; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
	return 0
}

sig_port_open () {
	sig_ns ss -Hltn "sport = :$1" | grep -q LISTEN
}

# sig_broker_start CONFIG PORT: starts mosquitto and waits for PORT.
sig_broker_start () {
	# ip netns exec execs mosquitto: $! is mosquitto's PID.
	ip netns exec "$SIG_NS" mosquitto -c "$1" >>"$SIG_TMP/broker.log" 2>&1 &
	SIG_BROKER_PID=$!
	sig_wait_until 10 sig_port_open "$2" || sig_fail "mosquitto did not open port $2"
}

sig_broker_stop () {
	[ -n "$SIG_BROKER_PID" ] || return 0
	kill "$SIG_BROKER_PID"
	wait "$SIG_BROKER_PID" 2>/dev/null
	SIG_BROKER_PID=""
}

# sig_driver_start NAME ARGS...: signal-driver run ARGS in the namespace.
sig_driver_start () {
	local name=$1 fd
	shift
	mkfifo "$SIG_TMP/$name.in"
	# SIG_WRAPPER (e.g. "valgrind --error-exitcode=9 --leak-check=full") runs
	# each driver under a checker; an error then fails sig_driver_quit.
	# shellcheck disable=SC2086
	G_MESSAGES_DEBUG=all ip netns exec "$SIG_NS" ${SIG_WRAPPER:-} "$SIG_DRIVER" run "$@" \
		<"$SIG_TMP/$name.in" >"$SIG_TMP/$name.out" 2>&1 &
	SIG_PID[$name]=$!
	exec {fd}>"$SIG_TMP/$name.in"
	SIG_FD[$name]=$fd
}

sig_cmd () {
	echo "$2" >&"${SIG_FD[$1]}"
}

# sig_count NAME REGEX: lines of NAME's output matching REGEX.
sig_count () {
	grep -c -E -- "$2" "$SIG_TMP/$1.out" 2>/dev/null
}

sig_has () {
	[ "$(sig_count "$1" "$2")" -ge "${3:-1}" ]
}

# sig_expect NAME REGEX [N] [TIMEOUT]: waits until NAME printed N lines matching REGEX.
sig_expect () {
	sig_wait_until "${4:-20}" sig_has "$1" "$2" "${3:-1}" ||
		sig_fail "$1: no ${3:-1} line(s) matching '$2' within ${4:-20} s"
}

# sig_stat NAME FIELD: asks NAME for its counters and prints FIELD's value.
sig_stat () {
	local before
	before=$(sig_count "$1" '^stats ')
	sig_cmd "$1" stats
	sig_expect "$1" '^stats ' $((before + 1)) 10
	grep -E '^stats ' "$SIG_TMP/$1.out" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# sig_expect_stat NAME FIELD OP VALUE [TIMEOUT]: polls until the comparison holds.
sig_stat_is () {
	local v
	v=$(sig_stat "$1" "$2")
	[ "$v" -"$3" "$4" ]
}

sig_expect_stat () {
	sig_wait_until "${5:-20}" sig_stat_is "$1" "$2" "$3" "$4" ||
		sig_fail "$1: $2 is $(sig_stat "$1" "$2"), expected -$3 $4"
}

# sig_driver_quit NAME: clean free, then the process must exit.
sig_driver_quit () {
	local pid=${SIG_PID[$1]} fd=${SIG_FD[$1]}
	sig_cmd "$1" quit
	exec {fd}>&-
	sig_wait_until 10 bash -c "! kill -0 $pid 2>/dev/null" || sig_fail "$1 did not exit"
	wait "$pid" || sig_fail "$1 exited with an error"
	unset "SIG_PID[$1]"
	sig_has "$1" '^freed' || sig_fail "$1 did not free cleanly"
}
