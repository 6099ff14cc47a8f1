#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 5, part 2: proxy-mode picks the data path per peer and follows the
# selected pair without dropping the tunnel. hostA runs proxy-mode=auto,
# hostB proxy-mode=nftables, behind cone NATs at first:
#   1. both on the fast path;
#   2. natA turns symmetric (masquerade fully-random, mappings flushed) and
#      hostB's connection restarts: hostA's connection stays up, its new
#      ICE session needs the relay, and each side whose candidate is
#      relayed is back on the userspace proxy, says why in its status, and
#      carries the pings through its proxy (then without rules); a side
#      whose candidate is peer-reflexive (its NAT's mapping of its own ICE
#      socket, learnt during the checks) keeps the fast path, and the
#      pings bypass its proxy;
#   3. natA turns cone again, hostB restarts: both back on the fast path.
# NCU_E2E_WG_BACKEND=kernel runs it on kernel WireGuard (QEMU guest).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-fastpath.sh"

# nat_kind NAT cone|symmetric: swap the router's masquerade and forget its
# UDP mappings (the bed's ruleset: table ip ncutb, chain postrouting). The
# broker's TCP connection keeps its mapping, so hostB's bye reaches hostA
# at once (flushing it too makes hostA wait ~20 s for ICE consent to fail,
# which ends the same way).
nat_kind() {
	local nat=$1 masq=masquerade
	[[ $2 == symmetric ]] && masq="masquerade fully-random"
	tb_exec "$nat" nft flush chain ip "$TB_PREFIX" postrouting || tb_fail "$nat: flush postrouting"
	tb_exec "$nat" nft add rule ip "$TB_PREFIX" postrouting oifname wan0 "$masq" ||
		tb_fail "$nat: $masq"
	tb_exec "$nat" conntrack -D -p udp >/dev/null 2>&1 || true   # exits 1 when none
}

# restart_b: hostB's connection down and up; hostA answers its new session.
restart_b() {
	fp_down hostB
	fp_up hostB
	e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10 >/dev/null
}

# expect_path HOST PEER: the data path fits the pair: the fast path for a
# host/srflx/prflx candidate of ours (the bed's prflx candidates are
# mappings of host sockets), else the proxy with the reason in the status.
expect_path() {
	local host=$1 peer=$2
	fp_peer "$host" "$peer"
	case ${FP[path]} in
	host | srflx | prflx) fp_wait_proxy "$host" "$peer" nftables 10 ;;
	relay)
		[[ ${FP[proxy]} == userspace ]] || tb_fail "$host: ${FP[path]} candidate but proxy ${FP[proxy]}"
		[[ ${FP[fast-path-reason]} == *relayed* ]] ||
			tb_fail "$host: status does not say why it is on the proxy: '${FP[fast-path-reason]}'"
		;;
	*) tb_fail "$host: unexpected path '${FP[path]}'" ;;
	esac
	echo "# $host (proxy-mode ${FP[proxy-mode]}): ${FP[path]} ${FP[local-address]} -> ${FP[remote-type]} ${FP[remote-address]}: ${FP[proxy]}${FP[fast-path-reason]:+ (${FP[fast-path-reason]})}"
}

# expect_carrier HOST PEER TABLE: 20 pings from HOST: through its proxy
# when its candidate is relayed (and none of its rules are left), else
# past it on the fast path.
expect_carrier() {
	local host=$1 peer=$2 table=$3
	fp_peer "$host" "$peer"
	if [[ ${FP[path]} == relay ]]; then
		fp_proxy_carries "$host" "$peer" 20
		[[ $(fp_rule_count "$host" "$table") == 0 ]] ||
			tb_fail "$host keeps fast-path rules on the proxy: $(fp_rules "$host" "$table")"
		return
	fi
	fp_snapshot b "$host" "$peer"
	tb_exec "$host" ping -q -n -c 20 -i 0.02 -W 2 "${E2E_TUN[$peer]}" >/dev/null ||
		tb_fail "$host: 20 pings to $peer did not all come back"
	fp_snapshot a "$host" "$peer"
	fp_expect_bypass "$host" b a 20
	fp_check_rules "$host" "$table" "$peer"
}

tb_init
fp_require
tb_require conntrack
e2e_bed hostA hostB -- --nat-a cone --nat-b cone
e2e_keys hostA hostB
fp_profile hostA cunicu auto hostB
fp_profile hostB cunicu nftables hostA

echo "== 1. cone NATs"
fp_up hostA hostB
e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10 >/dev/null
fp_wait_proxy hostA hostB nftables 10
fp_wait_proxy hostB hostA nftables 10
tableA=$(fp_table hostA)
fp_bypass hostA hostB 20
active=$(tb_nmcli hostA -g GENERAL.STATE connection show cunicu)

echo "== 2. natA turns symmetric, hostB restarts"
nat_kind natA symmetric
restart_b
expect_path hostA hostB
expect_path hostB hostA
fp_peer hostA hostB
[[ ${FP[path]} == relay || ${FP[remote-type]} == relay ]] ||
	tb_fail "behind a symmetric NAT the pair should use the relay: ${FP[path]} -> ${FP[remote-type]}"
pathA=${FP[path]}
tableB=$(fp_table hostB)
expect_carrier hostA hostB "$tableA"
expect_carrier hostB hostA "$tableB"
[[ $(tb_nmcli hostA -g GENERAL.STATE connection show cunicu) == "$active" ]] ||
	tb_fail "hostA's connection changed state"
echo "PASS: behind a symmetric NAT the relayed side stays on the proxy (auto and nftables) and says why; hostA's $pathA side is on the path its candidate allows"

echo "== 3. natA turns cone again, hostB restarts"
nat_kind natA cone
restart_b
fp_wait_proxy hostA hostB nftables 10
fp_wait_proxy hostB hostA nftables 10
fp_check_rules hostA "$tableA" hostB
fp_bypass hostA hostB 20
echo "PASS: back on the fast path when the pair allows it again, hostA's connection never dropped"

fp_down hostA hostB
fp_only_firewall hostA
fp_only_firewall hostB
