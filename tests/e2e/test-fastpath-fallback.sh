#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 5, part 2: when the fast path is not wanted or not possible, the
# userspace proxy carries the tunnel and nothing breaks. Two peers behind
# cone NATs:
#   1. proxy-mode=userspace on both: the proxies carry every ping and no
#      nft table ever appears;
#   2. proxy-mode=nftables on hostA whose nft fails (a stand-in program
#      bind-mounted over nft inside hostA's NetworkManager): a warning, the
#      proxy, the reason in the status; hostB (auto) still takes the fast
#      path, so the two sides use different paths and still talk;
#   3. proxy-mode=auto on hostA without any nft program: the proxy, quietly.
# NCU_E2E_WG_BACKEND=kernel runs it on kernel WireGuard (QEMU guest).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-fastpath.sh"

# nft_replaced HOST FILE: FILE stands in for nft in HOST's NetworkManager
# (its private mount namespace; the bed's own nft calls are not affected).
nft_replaced() {
	local host=$1 file=$2 nft
	nft=$(tb_nm_exec "$host" readlink -f /usr/sbin/nft)
	tb_nm_exec "$host" mount --bind "$file" "$nft" || tb_fail "$host: cannot bind-mount over $nft"
	FP_NFT_MOUNT=$nft
}

nft_restored() {
	tb_nm_exec "$1" umount "$FP_NFT_MOUNT" || tb_fail "$1: cannot unmount $FP_NFT_MOUNT"
}

tb_init
fp_require
e2e_bed hostA hostB -- --nat-a cone --nat-b cone
e2e_keys hostA hostB
fp_profile hostA us userspace hostB
fp_profile hostB us userspace hostA
fp_profile hostA nf nftables hostB
fp_profile hostA au auto hostB
fp_profile hostB au auto hostA

echo "== 1. proxy-mode=userspace"
FP_PROFILE=us fp_up hostA hostB
e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10 >/dev/null
fp_proxy_carries hostA hostB 50
for h in hostA hostB; do
	peer=hostB
	[[ $h == hostB ]] && peer=hostA
	fp_peer "$h" "$peer"
	[[ ${FP[proxy]} == userspace && ${FP[proxy-mode]} == userspace ]] ||
		tb_fail "$h: proxy-mode=userspace runs '${FP[proxy]}'"
	echo "# $h: ${FP[path]} pair, ${FP[proxy]} (${FP[fast-path-reason]})"
	fp_only_firewall "$h"
done
FP_PROFILE=us fp_down hostA hostB
echo "PASS: proxy-mode=userspace carries everything through the proxy and never makes a table"

echo "== 2. proxy-mode=nftables with an nft that fails"
printf '#!/bin/sh\necho "Error: Could not process rule: Operation not supported" >&2\nexit 1\n' >"$TB_TMP/nft-broken"
chmod 0755 "$TB_TMP/nft-broken"
nft_replaced hostA "$TB_TMP/nft-broken"
FP_PROFILE=nf fp_up hostA
FP_PROFILE=au fp_up hostB
e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10 >/dev/null
fp_wait_proxy hostB hostA nftables 10
fp_peer hostA hostB
[[ ${FP[proxy]} == userspace && ${FP[fast-path-reason]} == *"nftables failed"*"Operation not supported"* ]] ||
	tb_fail "hostA: expected the proxy after nft failed, got ${FP[proxy]} (${FP[fast-path-reason]:-no reason})"
echo "# hostA: ${FP[proxy]} (${FP[fast-path-reason]}); hostB: nftables"
grep -q 'peer hostB: no fast path, staying on the userspace proxy: .*Operation not supported' \
	"$TB_TMP/nm-hostA/service.log" || tb_fail "hostA's service did not warn about nft"
# hostA sends through its proxy, hostB through its rules: the same flow.
fp_snapshot b1 hostA hostB
fp_snapshot b2 hostB hostA
tb_exec hostA ping -q -n -c 30 -i 0.02 -W 2 "${E2E_TUN[hostB]}" >/dev/null ||
	tb_fail "hostA: pings across mixed paths did not all come back"
fp_snapshot a1 hostA hostB
fp_snapshot a2 hostB hostA
fp_grew b1 a1 proxy-to-peer-bytes 3000 || tb_fail "hostA's proxy did not carry the pings"
fp_expect_bypass hostB b2 a2 30
FP_PROFILE=nf fp_down hostA
FP_PROFILE=au fp_down hostB
nft_restored hostA
fp_only_firewall hostA
echo "PASS: a failing nft leaves hostA on the proxy with a warning; hostB's fast path talks to it"

echo "== 3. proxy-mode=auto without nft"
: >"$TB_TMP/nft-missing"   # not executable: no nft program
nft_replaced hostA "$TB_TMP/nft-missing"
FP_PROFILE=au fp_up hostA hostB
e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10 >/dev/null
fp_wait_proxy hostB hostA nftables 10
fp_peer hostA hostB
[[ ${FP[proxy]} == userspace && ${FP[fast-path-reason]} == *"not installed"* ]] ||
	tb_fail "hostA: expected the proxy without nft, got ${FP[proxy]} (${FP[fast-path-reason]:-no reason})"
fp_proxy_carries hostA hostB 20
fp_only_firewall hostA
FP_PROFILE=au fp_down hostA hostB
nft_restored hostA
fp_only_firewall hostB
echo "PASS: proxy-mode=auto without nft stays on the proxy"
