# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/e2e/lib-fastpath.sh: helpers for the nftables fast-path tests
# (test-fastpath*.sh) on top of lib-e2e.sh. Functions start with fp_.
#
# NCU_E2E_WG_BACKEND picks the WireGuard backend of every profile
# (userspace, the default here, or kernel: the QEMU guest runs these tests
# against the kernel module).

source "$(dirname "${BASH_SOURCE[0]}")/lib-e2e.sh"

FP_BACKEND=${NCU_E2E_WG_BACKEND:-userspace}
declare -gA FP=()           # fields of one peer's status (fp_peer)

# fp_require: what every fast-path test needs besides the e2e parts.
fp_require() {
	e2e_require_built
	tb_require nft jq
	case $FP_BACKEND in
	userspace | kernel | auto) ;;
	*) tb_fail "NCU_E2E_WG_BACKEND=$FP_BACKEND: expected userspace, kernel or auto" ;;
	esac
}

# fp_profile HOST NAME MODE PEER... [-- KEY=VALUE...]: profile NAME on HOST
# with proxy-mode MODE and the chosen WireGuard backend.
fp_profile() {
	local host=$1 name=$2 mode=$3 peers=() extra=()
	shift 3
	while [[ $# -gt 0 && $1 != -- ]]; do
		peers+=("$1")
		shift
	done
	[[ ${1:-} == -- ]] && shift
	extra=("$@")
	e2e_add "$host" "$name" \
		"$(e2e_profile_data "$host" "${peers[@]}" -- "proxy-mode=$mode" \
			"wireguard-backend=$FP_BACKEND" ${extra[@]+"${extra[@]}"})" \
		"$(e2e_profile_secrets "$host" ${#peers[@]})"
}

# fp_up HOST... : nmcli connection up cunicu on every HOST at once.
fp_up() {
	local host pids=()
	for host in "$@"; do
		e2e_up "$host" "${FP_PROFILE:-cunicu}" &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || tb_fail "connection up failed (see above)"
	done
}

# fp_down HOST...: nmcli connection down, waiting for the service to exit.
fp_down() {
	local host
	for host in "$@"; do
		tb_nmcli "$host" connection down "${FP_PROFILE:-cunicu}" >/dev/null ||
			tb_fail "$host: nmcli connection down failed"
	done
	for host in "$@"; do
		tb_wait_until 5 "$host's service to exit" \
			bash -c "! nsenter -t ${TB_NM_PID[$host]} -p -m pgrep -f nm-cunicu-service"
	done
}

# fp_peer HOST PEER-LABEL: that peer's status fields into FP (strings),
# plus FP[interface] and FP[wg-rx]/FP[wg-tx] from `wg show` (not from our
# status: the bypass is checked against WireGuard's own count).
fp_peer() {
	local host=$1 label=$2 json k v transfer
	FP=()
	json=$(e2e_status "$host" --json) || tb_fail "$host: nm-cunicu-status failed"
	while IFS=$'\t' read -r k v; do
		FP[$k]=$v
	done < <(jq -r --arg l "$label" '.[] | . as $s | .peers[]? | select(.label == $l) |
		("interface\t" + $s.interface), (to_entries[] | "\(.key)\t\(.value)")' <<<"$json")
	[[ -n ${FP[interface]:-} ]] || tb_fail "$host: no status for peer $label: $json"
	# dump, per peer: key, psk, endpoint, allowed ips, handshake, rx, tx, keepalive
	transfer=$(tb_nm_exec "$host" wg show "${FP[interface]}" dump |
		awk -v k="${FP[public-key]}" '$1 == k { print $3, $6, $7 }')
	[[ -n $transfer ]] || tb_fail "$host: wg show ${FP[interface]} knows no peer ${FP[public-key]}"
	read -r 'FP[wg-endpoint]' 'FP[wg-rx]' 'FP[wg-tx]' <<<"$transfer"
}

# fp_field HOST PEER-LABEL FIELD: one field (fresh status).
fp_field() {
	fp_peer "$1" "$2"
	echo "${FP[$3]:-}"
}

# fp_wait_proxy HOST PEER-LABEL MODE SECS: until the peer's data path is MODE
# ("nftables" or "userspace"); on nftables, until WireGuard's endpoint is
# the remote candidate too.
fp_wait_proxy() {
	local host=$1 label=$2 mode=$3 secs=$4 t0
	t0=$(tb_now_us)
	while :; do
		fp_peer "$host" "$label"
		if [[ ${FP[proxy]:-} == "$mode" ]]; then
			[[ $mode != nftables || ${FP[wg-endpoint]} == "${FP[remote-address]:-}" ]] && return 0
		fi
		if (($(tb_now_us) - t0 > secs * 1000000)); then
			e2e_status "$host" --json >&2 || true
			tb_dump_logs 60 >&2 || true
			tb_fail "$host: peer $label is on '${FP[proxy]:-}' (${FP[fast-path-reason]:-}; WireGuard at ${FP[wg-endpoint]:-}), expected $mode within ${secs}s"
		fi
		sleep 0.1
	done
}

# fp_table HOST: the name of HOST's nft table of its active cunicu connection.
fp_table() {
	local ifname
	ifname=$(e2e_status "$1" --json | jq -r '[.[]][0].interface')
	echo "cunicu_${ifname//[^A-Za-z0-9_]/_}"
}

# fp_rules HOST TABLE: the table's listing in HOST's network namespace.
fp_rules() {
	tb_exec "$1" nft list table inet "$2" 2>/dev/null
}

# fp_rule_count HOST TABLE: how many rules of ours the table holds (0 without
# a table).
fp_rule_count() {
	local rules
	rules=$(fp_rules "$1" "$2") || true
	grep -c 'comment "cunicu ' <<<"$rules" || true
}

# fp_tables HOST: the nft tables of HOST's network namespace, one a line.
fp_tables() {
	tb_exec "$1" nft list tables | sort
}

# fp_snapshot NAME HOST PEER-LABEL: keep the peer's fields as SNAP_<NAME>_<field>.
declare -gA SNAP=()
fp_snapshot() {
	local name=$1 k
	fp_peer "$2" "$3"
	for k in "${!FP[@]}"; do
		SNAP[$name.$k]=${FP[$k]}
	done
}

# fp_delta BEFORE AFTER FIELD: how much FIELD grew.
fp_delta() {
	local a=${SNAP[$1.$3]:-0} b=${SNAP[$2.$3]:-0}
	echo $((b - a))
}

# fp_grew BEFORE AFTER FIELD [MIN]: FIELD grew by at least MIN (1).
fp_grew() {
	(($(fp_delta "$1" "$2" "$3") >= ${4:-1}))
}

# fp_same BEFORE AFTER FIELD: FIELD did not move.
fp_same() {
	[[ ${SNAP[$1.$3]:-} == "${SNAP[$2.$3]:-}" ]]
}

# fp_expect_bypass HOST BEFORE AFTER COUNT: between the snapshots, WireGuard
# and the nft rules carried at least COUNT packets each way while the proxy
# carried nothing.
fp_expect_bypass() {
	local host=$1 b=$2 a=$3 count=$4 f
	# A ping is at least 32 bytes of WireGuard header + 84 of IP packet.
	for f in wg-rx wg-tx nft-egress-bytes nft-ingress-bytes; do
		fp_grew "$b" "$a" "$f" $((count * 100)) ||
			tb_fail "$host: $f grew from ${SNAP[$b.$f]:-none} to ${SNAP[$a.$f]:-none}, expected +$((count * 100)) bytes at least"
	done
	for f in nft-egress-packets nft-ingress-packets; do
		fp_grew "$b" "$a" "$f" "$count" ||
			tb_fail "$host: $f grew from ${SNAP[$b.$f]:-none} to ${SNAP[$a.$f]:-none}, expected +$count"
	done
	for f in proxy-to-peer-bytes proxy-from-peer-bytes; do
		fp_same "$b" "$a" "$f" ||
			tb_fail "$host: the proxy carried data on the fast path: $f ${SNAP[$b.$f]} -> ${SNAP[$a.$f]}"
	done
}

# fp_bypass FROM TO COUNT: COUNT pings FROM -> TO, every one answered, all
# of them past the proxies of both sides (checked on both).
fp_bypass() {
	local from=$1 to=$2 count=$3
	e2e_ping_ok "$from" "${E2E_TUN[$to]}" || tb_fail "$from: no ping to $to before the burst"
	fp_snapshot b1 "$from" "$to"
	fp_snapshot b2 "$to" "$from"
	tb_exec "$from" ping -q -n -c "$count" -i 0.02 -W 2 "${E2E_TUN[$to]}" >"$TB_TMP/ping.out" 2>&1 ||
		{ cat "$TB_TMP/ping.out" >&2; tb_fail "$from: $count pings to $to did not all come back"; }
	fp_snapshot a1 "$from" "$to"
	fp_snapshot a2 "$to" "$from"
	fp_expect_bypass "$from" b1 a1 "$count"
	fp_expect_bypass "$to" b2 a2 "$count"
	echo "# $from: $count pings: nft egress +$(fp_delta b1 a1 nft-egress-packets) ingress +$(fp_delta b1 a1 nft-ingress-packets) packets," \
		"wg tx +$(fp_delta b1 a1 wg-tx) rx +$(fp_delta b1 a1 wg-rx) bytes," \
		"proxy still at ${SNAP[a1.proxy-to-peer-bytes]}/${SNAP[a1.proxy-from-peer-bytes]} bytes"
}

# fp_proxy_carries HOST PEER COUNT: COUNT pings from HOST, every one
# answered, all of them through HOST's proxy (both directions).
fp_proxy_carries() {
	local host=$1 peer=$2 count=$3
	fp_snapshot b "$host" "$peer"
	tb_exec "$host" ping -q -n -c "$count" -i 0.02 -W 2 "${E2E_TUN[$peer]}" >/dev/null ||
		tb_fail "$host: $count pings to $peer did not all come back"
	fp_snapshot a "$host" "$peer"
	if ! fp_grew b a proxy-to-peer-bytes $((count * 100)) || ! fp_grew b a proxy-from-peer-bytes $((count * 100)); then
		tb_fail "$host: the proxy did not carry the pings (${SNAP[b.proxy-to-peer-bytes]} -> ${SNAP[a.proxy-to-peer-bytes]} out, ${SNAP[b.proxy-from-peer-bytes]} -> ${SNAP[a.proxy-from-peer-bytes]} in)"
	fi
}

# fp_check_rules HOST TABLE PEER-LABEL: the table holds exactly the two
# rules of DESIGN.md section 6 for the peer's current pair.
fp_check_rules() {
	local host=$1 table=$2 label=$3 rules base_port remote
	fp_peer "$host" "$label"
	base_port=${FP[local-base-address]##*:}
	remote=${FP[remote-address]}
	rules=$(fp_rules "$host" "$table") || tb_fail "$host: no nft table $table"
	grep -q 'hook output priority raw' <<<"$rules" || tb_fail "$host: no egress chain at priority raw: $rules"
	grep -q 'hook prerouting priority mangle' <<<"$rules" || tb_fail "$host: no ingress chain at priority mangle: $rules"
	grep -q '@th,96,32 != 0x2112a442' <<<"$rules" || tb_fail "$host: the ingress rule lets STUN through to WireGuard: $rules"
	grep -q "ip daddr ${remote%:*} udp sport [0-9]* udp dport ${remote##*:} .*udp sport set $base_port" <<<"$rules" ||
		tb_fail "$host: no egress rule to $remote from base port $base_port: $rules"
	grep -q "ip saddr ${remote%:*} .*udp sport ${remote##*:} udp dport $base_port .*udp dport set" <<<"$rules" ||
		tb_fail "$host: no ingress rule from $remote to base port $base_port: $rules"
	[[ $(grep -c 'comment "cunicu ' <<<"$rules") == 2 ]] || tb_fail "$host: expected exactly two rules: $rules"
}

# fp_only_firewall HOST: HOST's namespace has no nft table but the bed's.
fp_only_firewall() {
	local tables
	tables=$(fp_tables "$1")
	[[ $tables == "table inet $TB_PREFIX" ]] || tb_fail "$1: nft tables left: $tables"
}
