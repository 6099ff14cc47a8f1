#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 5, part 2: the nftables fast path through NetworkManager. Two peers
# behind cone NATs (stateful host firewalls), hostA with proxy-mode=auto,
# hostB with proxy-mode=nftables:
#   - both select the fast path, their tables hold the two rules of
#     DESIGN.md section 6 for the selected pair, and 50 pings pass while
#     the proxies' byte counters stay still and `wg show` transfer and the
#     nft counters grow;
#   - flushing conntrack in both NATs and hosts keeps the tunnel;
#   - restarting hostB's connection restarts hostA's ICE session: hostA's
#     rules move to the new pair and pings bypass the proxy again;
#   - `nmcli connection down` leaves no table of ours.
# NCU_E2E_WG_BACKEND=kernel runs it on kernel WireGuard (QEMU guest).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-fastpath.sh"

tb_init
fp_require
tb_require conntrack
fp_bed hostA hostB -- --nat-a cone --nat-b cone
e2e_keys hostA hostB
fp_profile hostA cunicu auto hostB
fp_profile hostB cunicu nftables hostA

echo "== up (hostA proxy-mode=auto, hostB proxy-mode=nftables, $FP_BACKEND WireGuard)"
t0=$(tb_now_us)
fp_up hostA hostB
took=$(e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10)
echo "first ping A->B after $(tb_fmt_us $(($(tb_now_us) - t0))) s from nmcli up ($took s after both were up)"
fp_wait_proxy hostA hostB nftables 10
fp_wait_proxy hostB hostA nftables 10
e2e_status hostA
tableA=$(fp_table hostA)
tableB=$(fp_table hostB)
fp_check_rules hostA "$tableA" hostB
fp_check_rules hostB "$tableB" hostA
fp_bypass hostA hostB 50
fp_bypass hostB hostA 20
echo "PASS: cone NATs select the fast path (auto and nftables); 50 pings bypass the proxy"

echo "== conntrack flushed in both NATs and both hosts"
for role in natA natB hostA hostB; do
	tb_exec "$role" conntrack -F >/dev/null 2>&1 || tb_fail "conntrack -F in $role failed"
done
e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10 >/dev/null
fp_wait_proxy hostA hostB nftables 5
fp_bypass hostA hostB 20
echo "PASS: the fast path survives a conntrack flush"

echo "== hostB's connection restarts: hostA's rules move to the new pair"
fp_peer hostA hostB
old_base=${FP[local-base-address]}
old_remote=${FP[remote-address]}
fp_down hostB
fp_only_firewall hostB
# hostA left the fast path on hostB's bye: no rules for it remain.
no_rules() { ! fp_rules hostA "$tableA" | grep -q 'comment "cunicu '; }
tb_wait_until 5 "hostA to delete its rules after hostB's bye" no_rules
[[ $(fp_field hostA hostB proxy) == userspace ]] || tb_fail "hostA is not back on the proxy after hostB left"
t0=$(tb_now_us)
fp_up hostB
took=$(e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10)
echo "ping again $(tb_fmt_us $(($(tb_now_us) - t0))) s after hostB's nmcli up"
fp_wait_proxy hostA hostB nftables 10
fp_wait_proxy hostB hostA nftables 10
fp_peer hostA hostB
[[ ${FP[local-base-address]} != "$old_base" ]] ||
	tb_fail "hostA's ICE session did not restart: still on $old_base"
echo "# hostA: pair $old_base -> $old_remote moved to ${FP[local-base-address]} -> ${FP[remote-address]}"
fp_check_rules hostA "$tableA" hostB
fp_bypass hostA hostB 50
echo "PASS: a new ICE session moves the rules, pings bypass the proxy again"

echo "== down"
fp_down hostA hostB
fp_only_firewall hostA
fp_only_firewall hostB
echo "PASS: nmcli connection down leaves no nft table"
