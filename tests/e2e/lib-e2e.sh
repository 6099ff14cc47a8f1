# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/e2e/lib-e2e.sh: end-to-end helpers on top of the test bed
# (tests/testbed/lib.sh): cunicu profiles in each host's private
# NetworkManager, brought up with nmcli, checked with ping and
# nm-cunicu-status. Functions start with e2e_.

source "$(dirname "${BASH_SOURCE[0]}")/../testbed/lib.sh"

declare -gA E2E_PRIV=()     # host -> private key
declare -gA E2E_PUB=()      # host -> public key
declare -gA E2E_TUN=()      # host -> tunnel address (no prefix)
E2E_PSK=""                  # one pre-shared key shared by every pair

# e2e_keys HOST...: a WireGuard key pair per host, and tunnel addresses
# 10.77.0.1, .2, ... in the order given.
e2e_keys() {
	local i=1 host
	[[ -n $E2E_PSK ]] || E2E_PSK=$(wg genpsk)
	for host in "$@"; do
		E2E_PRIV[$host]=$(wg genkey)
		E2E_PUB[$host]=$(wg pubkey <<<"${E2E_PRIV[$host]}")
		E2E_TUN[$host]=10.77.0.$i
		i=$((i + 1))
	done
}

# e2e_turn_secret_key: the profile key of the test bed's TURN credential:
# ice-auth-secret when coturn runs with --auth-secret, else ice-password.
e2e_turn_secret_key() {
	if [[ -n ${TB_TURN_AUTH_SECRET:-} ]]; then echo ice-auth-secret; else echo ice-password; fi
}

# e2e_profile_data HOST PEER... : vpn.data for HOST with the given peers
# (static addresses), the test bed's broker and TURN server. Extra keys
# may follow after "--" as key=value words.
e2e_profile_data() {
	local host=$1 n=0 peer data
	shift
	data="addresses=${E2E_TUN[$host]}/24, signaling-url=$TB_MQTT_URL"
	data+=", ice-servers=stun:$TB_WAN_IP1:$TB_TURN_PORT\\,turn:$TB_WAN_IP1:$TB_TURN_PORT"
	data+=", ice-username=$TB_TURN_USER, $(e2e_turn_secret_key)-flags=0, private-key-flags=0"
	while [[ $# -gt 0 && $1 != -- ]]; do
		peer=$1
		shift
		data+=", peer.$n.public-key=${E2E_PUB[$peer]}, peer.$n.allowed-ips=${E2E_TUN[$peer]}/32"
		data+=", peer.$n.label=$peer, peer.$n.preshared-key-flags=0"
		n=$((n + 1))
	done
	[[ ${1:-} == -- ]] && shift
	for kv in "$@"; do
		data+=", $kv"
	done
	echo "$data"
}

# e2e_profile_secrets HOST PEER-COUNT: vpn.secrets for HOST.
e2e_profile_secrets() {
	local host=$1 count=$2 n secrets
	secrets="private-key=${E2E_PRIV[$host]}"
	if [[ -n ${TB_TURN_AUTH_SECRET:-} ]]; then
		secrets+=", ice-auth-secret=$TB_TURN_AUTH_SECRET"
	else
		secrets+=", ice-password=$TB_TURN_PASSWORD"
	fi
	for ((n = 0; n < count; n++)); do
		secrets+=", peer.$n.preshared-key=$E2E_PSK"
	done
	echo "$secrets"
}

# e2e_add HOST NAME DATA SECRETS: add a cunicu profile to HOST's NetworkManager.
e2e_add() {
	local host=$1 name=$2 data=$3 secrets=$4
	tb_nmcli "$host" connection add type vpn con-name "$name" ifname '*' \
		vpn-type "$TB_VPN_SERVICE" vpn.data "$data" vpn.secrets "$secrets" >/dev/null ||
		tb_fail "$host: nmcli connection add $name failed"
}

# e2e_mesh_profile HOST PEER...: add profile "cunicu" on HOST to the PEERs.
e2e_mesh_profile() {
	local host=$1
	shift
	e2e_add "$host" cunicu "$(e2e_profile_data "$host" "$@")" \
		"$(e2e_profile_secrets "$host" $#)"
}

# e2e_up HOST [NAME]: nmcli connection up; fails the test with NM's log on error.
e2e_up() {
	local host=$1 name=${2:-cunicu} out
	if ! out=$(tb_nmcli "$host" --wait 30 connection up "$name" 2>&1); then
		tb_dump_logs 80 >&2 || true
		tb_fail "$host: nmcli connection up $name failed: $out"
	fi
}

# e2e_ping_ok HOST ADDRESS: one ping with a 1 s deadline.
e2e_ping_ok() {
	tb_exec "$1" ping -c 1 -W 1 -n "$2" >/dev/null 2>&1
}

# e2e_ping_soon HOST ADDRESS: one of up to three pings (1 s deadline each)
# passes: for the reverse direction right after a recovery, when the path
# may still be switching to the session that brought the first one back.
e2e_ping_soon() {
	local try
	for try in 1 2 3; do
		e2e_ping_ok "$1" "$2" && return 0
	done
	return 1
}

# e2e_wait_ping HOST ADDRESS SECONDS: poll until a ping passes; prints the
# seconds it took (from the call) on stdout.
e2e_wait_ping() {
	local host=$1 addr=$2 limit=$3 t0 t1
	t0=$(tb_now_us)
	while ! tb_exec "$host" ping -c 1 -W 0.2 -n "$addr" >/dev/null 2>&1; do
		t1=$(tb_now_us)
		if (((t1 - t0) > limit * 1000000)); then
			e2e_status "$host" >&2 || true
			tb_dump_logs 80 >&2 || true
			tb_fail "$host: no ping reply from $addr within ${limit}s"
		fi
	done
	t1=$(tb_now_us)
	tb_fmt_us $((t1 - t0))
}

# e2e_status_program: the nm-cunicu-status under test: the build tree's,
# or the installed tree's when TB_PLUGIN_ROOT is set (see lib-nm.sh).
e2e_status_program() {
	if [[ -n ${TB_PLUGIN_ROOT:-} ]]; then
		echo "$TB_PLUGIN_ROOT/usr/bin/nm-cunicu-status"
	else
		echo "$top_builddir/src/nm-cunicu-status"
	fi
}

# e2e_status HOST [ARGS]: nm-cunicu-status inside HOST's NetworkManager.
e2e_status() {
	local host=$1
	shift
	tb_nm_exec "$host" "$(e2e_status_program)" "$@"
}

# e2e_peer_field HOST PEER-LABEL FIELD: one field of a peer from the status JSON.
e2e_peer_field() {
	local host=$1 label=$2 field=$3
	e2e_status "$host" --json | python3 -c '
import json, sys
label, field = sys.argv[1], sys.argv[2]
for svc in json.load(sys.stdin).values():
    for p in svc.get("peers", []):
        if p.get("label") == label:
            print(p.get(field, ""))
' "$label" "$field"
}

# e2e_require_built: fail unless the service and status tool are built
# (or installed under TB_PLUGIN_ROOT).
e2e_require_built() {
	local f
	if [[ -n ${TB_PLUGIN_ROOT:-} ]]; then
		[[ -x $(e2e_status_program) ]] || tb_fail "$(e2e_status_program) is not installed"
	else
		for f in src/nm-cunicu-service src/nm-cunicu-status; do
			[[ -x $top_builddir/$f ]] || tb_fail "$top_builddir/$f is not built (run make)"
		done
	fi
	tb_require wg wireguard-go nmcli NetworkManager turnserver mosquitto python3
}

# e2e_bed HOST... -- TOPOLOGY-OPTION...: the topology (tb_topology's
# options), coturn, mosquitto and a NetworkManager on each HOST.
e2e_bed() {
	local hosts=() host
	while [[ $# -gt 0 && $1 != -- ]]; do
		hosts+=("$1")
		shift
	done
	[[ ${1:-} == -- ]] && shift
	tb_topology "$@"
	tb_start_coturn
	# shellcheck disable=SC2119 # it takes no arguments
	tb_start_mosquitto
	for host in "${hosts[@]}"; do
		tb_start_nm "$host"
	done
}

# e2e_two_peers NAT-A NAT-B [KEY=VALUE...]: the usual start of a two-peer
# test: e2e_bed for hostA and hostB (NAT kinds cone|symmetric), keys, and
# a profile "cunicu" on each with the other as its peer (extra vpn.data on
# both).
e2e_two_peers() {
	local nat_a=$1 nat_b=$2
	shift 2
	e2e_require_built
	e2e_bed hostA hostB -- --nat-a "$nat_a" --nat-b "$nat_b"
	e2e_keys hostA hostB
	e2e_add hostA cunicu "$(e2e_profile_data hostA hostB -- "$@")" "$(e2e_profile_secrets hostA 1)"
	e2e_add hostB cunicu "$(e2e_profile_data hostB hostA -- "$@")" "$(e2e_profile_secrets hostB 1)"
}

# e2e_up_all HOST...: `nmcli connection up cunicu` on every HOST at once.
e2e_up_all() {
	local i
	local -a hosts=("$@") pids=()
	for i in "${!hosts[@]}"; do
		e2e_up "${hosts[$i]}" &
		pids+=($!)
	done
	for i in "${!hosts[@]}"; do
		wait "${pids[$i]}" || tb_fail "${hosts[$i]}: connection up failed"
	done
}

# e2e_up_both: `nmcli connection up cunicu` on hostA and hostB at once.
e2e_up_both() {
	e2e_up_all hostA hostB
}
