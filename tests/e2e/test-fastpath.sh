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
#   - flushing the UDP conntrack state in both NATs and hosts: pings and
#     the fast path come back;
#   - restarting hostB's connection restarts hostA's ICE session: hostA's
#     rules move to the new pair and pings bypass the proxy again;
#   - `nmcli connection down` leaves no table of ours.
# NCU_E2E_WG_BACKEND=kernel runs it on kernel WireGuard (QEMU guest).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-fastpath.sh"

tb_init
fp_require
tb_require conntrack
e2e_bed hostA hostB -- --nat-a cone --nat-b cone
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

echo "== UDP conntrack state flushed in both NATs and both hosts"
# Only UDP: the broker's TCP connections would stall (the host firewalls
# take their packets for new ones). The NATs keep the ports (cone), and the
# flows come back as each side sends; when ICE's own checks time out
# meanwhile, ICE restarts and the peer enters the fast path again.
restarts=$(fp_field hostA hostB restarts)
for role in natA natB hostA hostB; do
	tb_exec "$role" conntrack -D -p udp >/dev/null 2>&1 || true   # exits 1 when none
done
took=$(e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10)
fp_wait_proxy hostA hostB nftables 15
echo "# ping after $took s; ICE restarts on hostA: $restarts -> ${FP[restarts]}"
echo "PASS: the tunnel comes back on the fast path after the NATs and firewalls forget its flows"

echo "== hostB's connection restarts: hostA's rules move to the new pair"
fp_peer hostA hostB
old_base=${FP[local-base-address]}
old_remote=${FP[remote-address]}
fp_down hostB
fp_only_firewall hostB
# hostA leaves the fast path on hostB's bye: no rules for it remain.
fp_wait_proxy hostA hostB userspace 5
[[ $(fp_rule_count hostA "$tableA") == 0 ]] || tb_fail "hostA keeps rules after hostB left: $(fp_rules hostA "$tableA")"
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
