# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Shell helpers of the WireGuard tests (sourced): wg-driver processes (our
# module behind a line protocol, see tests/wg/wg-driver.c), each in a
# network namespace with a private /run, and comparisons of what our module
# reads back (ncu_wg_get_device) with what `wg show` reads.  The caller sets
# DRIVER (the wg-driver binary) and TMP (a directory for fifos and logs),
# and calls wg_drivers_stop from its exit trap.
# NCU_TEST_WRAPPER (e.g. "valgrind --error-exitcode=99") runs the drivers
# under a checker.

fail () { echo "FAIL: $*" >&2; exit 1; }
# note MESSAGE: progress, with the seconds since the test started
NOTE_T0=${EPOCHREALTIME/./}
note () {
	local t=$(( (${EPOCHREALTIME/./} - NOTE_T0) / 100000 ))
	echo "# [$((t / 10)).$((t % 10)) s] $*"
}

declare -A WFD RFD PID JOB
R=

# wg_drivers_stop RC: ends every driver (EOF: it frees its device and
# exits), kills what does not exit within 10 s, prints the logs when
# something failed.  Sets STOP_RC to RC, or 1 when a driver failed.
# (Not in $(...): the drivers are this shell's children.)
wg_drivers_stop () {
	local rc=$1 n t
	for n in "${!WFD[@]}"; do eval "exec ${WFD[$n]}>&-"; done
	for n in "${!PID[@]}"; do
		for ((t = 0; t < 100; t++)); do kill -0 "${PID[$n]}" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "${PID[$n]}" 2>/dev/null
	done
	for n in "${!RFD[@]}"; do eval "exec ${RFD[$n]}<&-"; done
	for n in "${!JOB[@]}"; do
		wait "${JOB[$n]}" && continue
		echo "FAIL: driver $n exited with status $? (see its log)" >&2
		[ "$rc" -eq 0 ] && rc=1
	done
	if [ "$rc" -ne 0 ]; then
		for n in "$TMP"/*.log; do [ -s "$n" ] && { echo "--- $n"; cat "$n"; } >&2; done
	fi
	# shellcheck disable=SC2034  # read by the caller
	STOP_RC=$rc
}

# start_driver NAME NETNS [VAR=value...]: a driver with a private /run
start_driver () {
	local name=$1 ns=$2 w r line
	shift 2
	mkfifo "$TMP/$name.in" "$TMP/$name.out"
	ip netns exec "$ns" unshare --mount --propagation private \
		env "$@" sh -c 'mount -t tmpfs ncu-test-run /run && exec ${NCU_TEST_WRAPPER:-} "$0"' "$DRIVER" \
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

# cmd NAME COMMAND...: sends a command, the reply line lands in $R.
# Messages name only the command word: arguments may hold a pre-shared key.
cmd () {
	local name=$1
	shift
	echo "$*" >&"${WFD[$name]}"
	read -r -t 30 R <&"${RFD[$name]}" || fail "driver $name: no reply to '$1'"
}

ok () {
	cmd "$@"
	[[ $R == ok* ]] || fail "driver $1: '$2' failed: $R"
}

# The helpers below use shell builtins where they can, and split text in
# memory rather than with `read` from pipes or here-strings (byte by byte):
# in an emulated guest (tests/kernel/) each process costs ~0.1 s and each
# system call is slow.

# dump NAME: our module's view (ncu_wg_get_device), in the columns of
# `wg show dump` without the private key, into $R
dump () {
	ok "$1" dump "$TMP/$1.dump"
	R=$(<"$TMP/$1.dump")
}

# split_lines TEXT: its lines into the array LINES
split_lines () {
	local - IFS=$'\n'
	set -f
	# shellcheck disable=SC2206  # splitting is the point; globbing is off
	LINES=($1)
}

# split_fields LINE: its tab-separated columns into the array F (no
# column is empty: wg and the driver print "(none)" or "off")
split_fields () {
	local - IFS=$'\t'
	set -f
	# shellcheck disable=SC2206
	F=($1)
}

# in_ns NAME CMD...: run in the driver's network and mount namespace
in_ns () {
	local name=$1
	shift
	nsenter -t "${PID[$name]}" -n -m "$@"
}

# wg_dump NAME IFNAME: `wg show dump` without the private key
wg_dump () {
	local raw
	raw=$(in_ns "$1" wg show "$2" dump) || return 1
	printf '%s\n' "${raw#*$'\t'}"
}

# peer_fields DUMP PUBKEY: that peer's columns into the array PF
# (key psk endpoint ips handshake rx tx keepalive); false when absent
peer_fields () {
	local line
	split_lines "$1"
	for line in "${LINES[@]:1}"; do
		if [[ $line == "$2"$'\t'* ]]; then
			split_fields "$line"
			PF=("${F[@]}")
			return 0
		fi
	done
	PF=()
	return 1
}
# peer_line DUMP PUBKEY
peer_line () { peer_fields "$@" && (IFS=$'\t'; printf '%s\n' "${PF[*]}"); }
# field LINE N
field () { split_fields "$1"; printf '%s\n' "${F[$2 - 1]:-}"; }
# static columns of a peer line: key, psk, endpoint, allowed IPs, keepalive
static_cols () { split_fields "$1"; printf '%s\t%s\t%s\t%s\t%s\n' "${F[@]:0:4}" "${F[7]:-}"; }

# wait_ping NETNS ADDRESS
wait_ping () {
	local ns=$1 addr=$2 i
	for ((i = 0; i < 20; i++)); do
		ip netns exec "$ns" ping -c 1 -W 1 "$addr" >/dev/null 2>&1 && return 0
	done
	fail "no ping from $ns to $addr through the tunnel"
}

# index_peers DUMP STATIC COUNTERS: fills the associative arrays named
# STATIC (key -> static columns, a pre-shared key only as "(hidden)") and
# COUNTERS (key -> "handshake rx tx") from the peer lines of DUMP.
index_peers () {
	local -n _static=$2 _counters=$3
	local line psk
	split_lines "$1"
	for line in "${LINES[@]:1}"; do
		split_fields "$line"
		psk=${F[1]}
		[ "$psk" = "(none)" ] || psk="(hidden)"
		_static[${F[0]}]="${F[0]} $psk ${F[2]} ${F[3]} ${F[7]}"
		_counters[${F[0]}]="${F[4]} ${F[5]} ${F[6]}"
	done
}

# check_readback NAME IFNAME: our reading (ncu_wg_get_device) agrees with
# wg's: the device line, every static column of every peer (the pre-shared
# key only as present or not), and counters that only grew between our
# read and wg's.
check_readback () {
	local name=$1 ifname=$2 ours theirs key
	local -A ours_s=() ours_c=() theirs_s=() theirs_c=()
	local -a a b
	dump "$name"
	ours=$R
	theirs=$(wg_dump "$name" "$ifname") || fail "wg show $ifname failed"
	[ "${ours%%$'\n'*}" = "${theirs%%$'\n'*}" ] ||
		fail "$ifname: device line differs: ours '${ours%%$'\n'*}' wg '${theirs%%$'\n'*}'"
	index_peers "$ours" ours_s ours_c
	index_peers "$theirs" theirs_s theirs_c
	[ ${#ours_s[@]} = ${#theirs_s[@]} ] ||
		fail "$ifname: we see ${#ours_s[@]} peers, wg ${#theirs_s[@]}"
	for key in "${!ours_s[@]}"; do
		[ -n "${theirs_s[$key]:-}" ] || fail "$ifname: wg does not show peer $key"
		[ "${ours_s[$key]}" = "${theirs_s[$key]}" ] ||
			fail "$ifname: peer $key: ours '${ours_s[$key]}' wg '${theirs_s[$key]}'"
		split_fields "${ours_c[$key]// /$'\t'}"
		a=("${F[@]}")
		split_fields "${theirs_c[$key]// /$'\t'}"
		b=("${F[@]}")
		((a[0] <= b[0] && a[1] <= b[1] && a[2] <= b[2])) ||
			fail "$ifname: peer $key: counters ours ${a[*]} wg ${b[*]}"
	done
}
