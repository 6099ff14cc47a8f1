# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/testbed/lib.sh: the network test bed (DESIGN.md section 8).
#
# Tests source this file, call tb_init, build the topology and start the
# servers they need; everything lives in network namespaces named
# ncutb-<PID of the test>-<role> and is torn down on every exit path.
# See tests/testbed/README.md for the picture and a walk-through.
#
#   source "$top_srcdir/tests/testbed/lib.sh"
#   tb_init
#   tb_topology --nat-a cone --nat-b symmetric
#   tb_start_coturn; tb_start_mosquitto
#   tb_start_nm hostA
#   tb_nmcli hostA general status
#
# Conventions: public functions start with tb_, internal ones with tb__.
# The setup functions either succeed or end the test through tb_fail (exit 1
# with the reason on stderr), so callers need no error handling; tb_exec,
# tb_nm_exec and tb_nmcli return the status of the command they run.
# Works with and without `set -euo pipefail` in the caller.

# ---- constants (read-only for tests) ---------------------------------------

TB_PREFIX=ncutb
TB_WAN_IP1=203.0.113.1          # coturn, mosquitto
TB_WAN_IP2=203.0.113.2          # coturn's second address (for mapping tests)
TB_TURN_PORT=3478
TB_TURN_USER=cunicu
TB_TURN_PASSWORD=testbed-pass   # throw-away test credential
TB_TURN_REALM=test
TB_TURN_AUTH_SECRET=""          # set by tb_start_coturn --auth-secret
TB_MQTT_PORT=1883
TB_MQTT_URL="mqtt://$TB_WAN_IP1:$TB_MQTT_PORT"
TB_VPN_SERVICE=org.freedesktop.NetworkManager.cunicu

# Debian package of each command the bed may run (for the failure message).
declare -gA TB__PACKAGE=(
	[ip]=iproute2 [nft]=nftables [unshare]=util-linux [nsenter]=util-linux
	[turnserver]=coturn [mosquitto]=mosquitto [mosquitto_pub]=mosquitto-clients
	[mosquitto_sub]=mosquitto-clients [NetworkManager]=network-manager
	[nmcli]=network-manager [dbus-daemon]=dbus [dbus-send]=dbus
	[conntrack]=conntrack [ping]=iputils-ping [wg]=wireguard-tools
	[wireguard-go]=wireguard-go [sysctl]=procps
)

# ---- state (filled by the functions below) ---------------------------------

TB_ID=""                        # PID of the test; part of every name
TB_TMP=""                       # per-run temporary directory
TB_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TB_LAST_PID=""                  # PID of the last tb_spawn
declare -ga TB_ROLES=()         # namespaces built, in creation order
declare -ga TB_HOSTS=()         # host roles (hostA, hostB, ...)
declare -gA TB_ADDR=()          # role -> its address (hosts: LAN, NATs: outside)
declare -gA TB_NAT_OF=()        # host role -> its NAT role
declare -gA TB_NAT_KIND=()      # NAT role -> cone | symmetric
declare -gA TB_NM_PID=()        # host role -> host PID of its NetworkManager's PID 1
declare -gA TB_NM_DIR=()        # host role -> its NetworkManager's state directory
declare -ga TB__PIDS=()         # processes started by tb_spawn, in start order
declare -gA TB__PID_NAME=()     # PID -> name (log file stem)
declare -gA TB__PID_START=()    # PID -> start time, so a reused PID is never signalled
declare -ga TB__CLEANUP_HOOKS=()
declare -ga TB_TIMINGS=()       # "label seconds" per timed step
TB__CLEANED=""
TB__SANITIZER_FOUND=""          # set by tb_cleanup: a service.log has a sanitizer report
TB__T0=""
TB__STDERR=""                   # the test's stderr, also inside redirections

# Sensible defaults when a test runs by hand rather than from `make check`:
# the source tree is where this file is, the build tree is the current
# directory if it is one (has config.status), else the source tree.
: "${top_srcdir:=$(cd "$TB_LIBDIR/../.." && pwd)}"
if [[ -z ${top_builddir:-} ]]; then
	top_builddir=$top_srcdir
	[[ -f $PWD/config.status ]] && top_builddir=$PWD
fi
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac

# ---- messages, timing, failing ---------------------------------------------

# tb_now_us: microseconds since the epoch (for measuring durations).
tb_now_us() {
	local t=${EPOCHREALTIME/./}
	echo "$((10#$t))"
}

# tb_fmt_us MICROSECONDS: "1.234" (seconds, three decimals).
tb_fmt_us() {
	printf '%d.%03d' "$(($1 / 1000000))" "$((($1 % 1000000) / 1000))"
}

# older names, kept for tests written against them
tb__now_us() { tb_now_us; }
tb__fmt_us() { tb_fmt_us "$@"; }

# tb_log MESSAGE...: a "# [+seconds] message" line on stderr.
tb_log() {
	local t=0
	[[ -n $TB__T0 ]] && t=$(($(tb_now_us) - TB__T0))
	echo "# [+$(tb_fmt_us "$t")] $*" >&"${TB__STDERR:-2}"
}

# tb_fail MESSAGE...: print "FAIL: message", then exit 1 (the EXIT trap
# dumps the logs and cleans up).
tb_fail() {
	echo "FAIL: $*" >&"${TB__STDERR:-2}"
	exit 1
}

# tb_step LABEL COMMAND...: run COMMAND, record and print how long it took.
tb_step() {
	local label=$1 t0 dt
	shift
	t0=$(tb_now_us)
	"$@"
	dt=$(($(tb_now_us) - t0))
	TB_TIMINGS+=("$label $(tb_fmt_us "$dt")")
	tb_log "$label: $(tb_fmt_us "$dt") s"
}

# tb_timings: print every recorded step as "label: seconds s".
tb_timings() {
	local entry
	for entry in "${TB_TIMINGS[@]}"; do
		printf '%-28s %s s\n' "${entry% *}:" "${entry##* }"
	done
}

# tb_require COMMAND...: fail unless every COMMAND is installed, naming the
# Debian package that provides it.
tb_require() {
	local cmd
	for cmd in "$@"; do
		command -v "$cmd" >/dev/null 2>&1 ||
			tb_fail "'$cmd' not found: install the Debian package ${TB__PACKAGE[$cmd]:-providing it} (apt-get install ${TB__PACKAGE[$cmd]:-$cmd})"
	done
}

# tb_wait_until SECONDS DESCRIPTION COMMAND...: poll COMMAND (quietly) until it
# succeeds; fail with DESCRIPTION after SECONDS.
tb_wait_until() {
	local timeout=$1 desc=$2 deadline delay=0.01
	shift 2
	deadline=$(($(tb_now_us) + timeout * 1000000))
	until "$@" >/dev/null 2>&1; do
		(($(tb_now_us) < deadline)) || tb_fail "timed out after ${timeout}s waiting for $desc"
		sleep "$delay"
		case $delay in 0.01) delay=0.02 ;; 0.02) delay=0.05 ;; 0.05) delay=0.1 ;; esac
	done
}

# ---- namespaces and processes ----------------------------------------------

# tb_ns ROLE: the namespace name of ROLE in this run (ncutb-<id>-<role>).
tb_ns() {
	echo "$TB_PREFIX-$TB_ID-$1"
}

# tb_exec ROLE COMMAND...: run COMMAND in ROLE's network namespace (foreground).
tb_exec() {
	local role=$1
	shift
	ip netns exec "$(tb_ns "$role")" "$@"
}

# tb_spawn ROLE NAME COMMAND...: start COMMAND in the background in ROLE's
# namespace with stdout+stderr in $TB_TMP/NAME.log; its PID is in
# TB_LAST_PID. Cleanup stops it (SIGTERM, then SIGKILL).
tb_spawn() {
	local role=$1 name=$2
	shift 2
	ip netns exec "$(tb_ns "$role")" "$@" >"$TB_TMP/$name.log" 2>&1 </dev/null {TB__STDERR}>&- &
	TB_LAST_PID=$!
	TB__PIDS+=("$TB_LAST_PID")
	TB__PID_NAME[$TB_LAST_PID]=$name
	tb__track "$TB_LAST_PID"
}

# tb__track PID: remember PID's start time (see tb__ours).
tb__track() {
	TB__PID_START[$1]=$(tb__starttime "$1")
}

# tb__ours PID: true if PID is alive and still the process this run started.
tb__ours() {
	[[ -n ${TB__PID_START[$1]:-} ]] && tb__alive "$1" &&
		[[ $(tb__starttime "$1") == "${TB__PID_START[$1]}" ]]
}

# tb__alive PID: true if PID exists and is not a zombie.
tb__alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z ]]
}

# tb__starttime PID: the process start time (field 22 of /proc/PID/stat).
tb__starttime() {
	local stat fields
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	read -ra fields <<<"${stat##*) }"
	echo "${fields[19]}"
}

# tb_stop PID [SECONDS]: SIGTERM PID (a process of tb_spawn), wait up to
# SECONDS (default 5), then SIGKILL.
tb_stop() {
	local pid=$1 timeout=${2:-5} deadline
	if tb__ours "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		deadline=$(($(tb_now_us) + timeout * 1000000))
		while tb__ours "$pid" && (($(tb_now_us) < deadline)); do
			sleep 0.02
		done
		tb__ours "$pid" && kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null || true  # its status, not ours (set -e)
	unset "TB__PID_START[$pid]"
	return 0
}

# tb__kill_ns_processes NS: SIGKILL every process whose network namespace is NS.
tb__kill_ns_processes() {
	local pid
	for pid in $(ip netns pids "$1" 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null
	done
}

# tb__delete_ns NS: kill what is left in NS, then delete it.
tb__delete_ns() {
	tb__kill_ns_processes "$1"
	for _ in 1 2 3 4 5; do
		ip netns del "$1" 2>/dev/null && return 0
		[[ -e /run/netns/$1 ]] || return 0
		sleep 0.1
	done
	echo "# warning: could not delete namespace $1" >&2
}

# tb__owner_alive ID: true if the run with test PID ID is still running.
# A run's temporary directory holds the start time of its PID, so a PID
# reused by another process does not keep stale namespaces alive.
tb__owner_alive() {
	local id=$1 owner recorded
	[[ $id == "$TB_ID" ]] && return 1  # called before we create anything
	tb__alive "$id" || return 1
	for owner in "${TMPDIR:-/tmp}/$TB_PREFIX-$id".*/owner; do
		[[ -r $owner ]] || continue
		read -r recorded <"$owner" || continue
		[[ -z $recorded || $recorded == "$(tb__starttime "$id")" ]] || return 1
	done
	return 0
}

# tb__reap_stale: remove namespaces, processes and temporary directories of
# earlier runs that were killed before they could clean up.
tb__reap_stale() {
	local ns id dir
	local -a stale=()
	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		[[ $ns =~ ^$TB_PREFIX-([0-9]+)- ]] || continue
		id=${BASH_REMATCH[1]}
		tb__owner_alive "$id" || stale+=("$ns")
	done
	# kill first (processes of one run sit in several namespaces), then delete
	for ns in "${stale[@]}"; do
		tb__kill_ns_processes "$ns"
	done
	for ns in "${stale[@]}"; do
		tb_log "removing stale namespace $ns"
		tb__delete_ns "$ns"
	done
	for dir in "${TMPDIR:-/tmp}/$TB_PREFIX-"*.*; do
		[[ -d $dir && ${dir##*/} =~ ^$TB_PREFIX-([0-9]+)\. ]] || continue
		tb__owner_alive "${BASH_REMATCH[1]}" || rm -rf "$dir"
	done
}

# tb_namespaces: the names of this run's namespaces that exist now.
tb_namespaces() {
	ip netns list 2>/dev/null | awk -v p="^$TB_PREFIX-$TB_ID-" '$1 ~ p { print $1 }'
}

# tb_pids: the PIDs this run started that are still alive.
tb_pids() {
	local pid
	for pid in "${TB__PIDS[@]}" "${TB_NM_PID[@]}"; do
		tb__ours "$pid" && echo "$pid"
	done
	return 0
}

# tb_at_cleanup COMMAND...: run COMMAND (as one string, eval'd) first at cleanup.
tb_at_cleanup() {
	TB__CLEANUP_HOOKS+=("$*")
}

# tb_dump_logs [LINES]: print the last LINES (default $TB_DUMP_LINES or 60)
# lines of every log of this run to stderr.
tb_dump_logs() {
	local lines=${1:-${TB_DUMP_LINES:-60}} f
	[[ -n $TB_TMP && -d $TB_TMP ]] || return 0
	while IFS= read -r f; do
		echo "#### ${f#"$TB_TMP"/} (last $lines lines)" >&2
		tail -n "$lines" "$f" | sed 's/^/#   /' >&2
	done < <(find "$TB_TMP" -name '*.log' -type f | sort)
}

# tb_cleanup [STATUS]: stop everything of this run, delete its namespaces and
# its temporary directory (kept if TB_KEEP_TMP=1). Dumps the logs first when
# STATUS is not 0. Idempotent; runs from the EXIT trap.
tb_cleanup() {
	local status=${1:-0} hook pid deadline ns
	[[ -n $TB__CLEANED || -z $TB_ID ]] && return 0
	TB__CLEANED=1
	set +e
	((status == 0)) || tb_dump_logs
	for hook in "${TB__CLEANUP_HOOKS[@]}"; do
		eval "$hook"
	done
	# TERM everything at once, NetworkManagers through their PID 1 (which
	# stops NetworkManager gracefully, so it disconnects VPNs; unshare itself
	# ignores TERM), then give all 5 s together before SIGKILL
	for pid in "${TB_NM_PID[@]}" "${TB__PIDS[@]}"; do
		tb__ours "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	deadline=$(($(tb_now_us) + 5000000))
	for pid in "${TB__PIDS[@]}"; do
		while tb__ours "$pid" && (($(tb_now_us) < deadline)); do
			sleep 0.02
		done
		if tb__ours "$pid"; then
			echo "# ${TB__PID_NAME[$pid]:-process $pid} did not stop within 5 s: SIGKILL" >&2
			kill -KILL "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
	done
	for ns in $(tb_namespaces); do
		tb__kill_ns_processes "$ns"
	done
	for ns in $(tb_namespaces); do
		tb__delete_ns "$ns"
	done
	tb__sanitizer_reports && TB__SANITIZER_FOUND=1
	if [[ -n $TB_TMP && -d $TB_TMP ]]; then
		if [[ ${TB_KEEP_TMP:-0} == 1 ]]; then
			echo "# kept $TB_TMP" >&2
		else
			rm -rf "$TB_TMP"
		fi
	fi
	return 0
}

# tb__sanitizer_reports: true (and prints them) when a service of this run,
# built with --enable-sanitizers, wrote an AddressSanitizer, LeakSanitizer
# or UndefinedBehaviorSanitizer report to its service.log: NetworkManager
# only sees the service exit, so without this a report would pass unseen.
tb__sanitizer_reports() {
	local f found=1
	[[ -n $TB_TMP && -d $TB_TMP ]] || return 1
	while IFS= read -r f; do
		grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error: ' "$f" || continue
		echo "# sanitizer report in ${f#"$TB_TMP"/}:" >&2
		grep -A40 -E 'ERROR: (Address|Leak)Sanitizer|runtime error: ' "$f" | head -80 | sed 's/^/#   /' >&2
		found=0
	done < <(find "$TB_TMP" -name 'service.log' -type f | sort)
	return "$found"
}

tb__on_exit() {
	local status=$?
	tb_cleanup "$status"
	if [[ -n ${TB__SANITIZER_FOUND:-} ]]; then
		echo "# FAIL: a service wrote a sanitizer report" >&2
		status=1
	fi
	exit "$status"
}

tb__on_signal() {
	echo "# caught SIG$1, cleaning up" >&2
	exit "$2"
}

# tb_init: start a run: check root and the basic tools, install the cleanup
# traps (EXIT, INT, TERM, HUP), remove what killed earlier runs left behind,
# create $TB_TMP. Call once, right after sourcing.
tb_init() {
	TB_ID=$$
	TB__T0=$(tb_now_us)
	exec {TB__STDERR}>&2
	((EUID == 0)) || tb_fail "the test bed needs root (network namespaces, nftables); run as root"
	tb_require ip nft unshare nsenter sysctl
	trap tb__on_exit EXIT
	trap 'tb__on_signal INT 130' INT
	trap 'tb__on_signal TERM 143' TERM
	trap 'tb__on_signal HUP 129' HUP
	top_srcdir=$(cd "$top_srcdir" && pwd)
	top_builddir=$(cd "$top_builddir" && pwd)
	tb__reap_stale
	TB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/$TB_PREFIX-$TB_ID.XXXXXX") || tb_fail "mktemp failed"
	# written atomically: other runs read it to tell us from a reused PID
	tb__starttime "$TB_ID" >"$TB_TMP/owner.new" && mv "$TB_TMP/owner.new" "$TB_TMP/owner"
}

source "$TB_LIBDIR/lib-topology.sh"
source "$TB_LIBDIR/lib-servers.sh"
source "$TB_LIBDIR/lib-nm.sh"
