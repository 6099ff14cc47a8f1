#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 7, faults: the base connection changes under a running tunnel.
#  1. NetworkManager gives hostA's eth0 a new LAN address and drops the old
#     one (what a new DHCP lease does): every ICE socket of hostA sits on
#     an address that is gone, and can no longer even send consent checks.
#  2. hostA moves to another router: its cable goes from natA's LAN to
#     natA2's (the same address plan, another outside address), and
#     NetworkManager gives eth0 the new network's address.
# The service sees the underlay change (rtnetlink), restarts ICE for every
# peer, and pings pass again within 10 s each time (issue 7). The tunnel
# interface's own address and routes (NetworkManager adds them after
# connect), and an extra address that comes and goes, must not restart
# anything. No service crashes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-faults.sh"

tb_init
e2e_require_built
fl_two_peers --nat-a cone --nat-b cone --nat-a2 cone
changes=$(fl_status_field hostA underlay-changes)
[[ $changes == 0 ]] || tb_fail "hostA's service restarted ICE for underlay changes before any ($changes)"
restarts_before=$(fl_status_field hostA peers.hostB.restarts)

# ---- 0. more addresses, then fewer again: nothing to restart --------------
# (as when a container bridge or a second network comes and goes: the
# sessions' own address and route stay)
tb_exec hostA ip addr add 192.168.1.60/24 dev eth0
sleep 1
tb_exec hostA ip addr del 192.168.1.60/24 dev eth0
sleep 1
{ read -r changes && read -r restarts; } < <(fl_status_field hostA underlay-changes peers.hostB.restarts)
[[ $changes == 0 && $restarts == "$restarts_before" ]] ||
	tb_fail "an added and removed address restarted ICE (underlay changes $changes, restarts $restarts_before -> $restarts)"
e2e_ping_ok hostA "${E2E_TUN[hostB]}" || tb_fail "no ping A->B after an address came and went"
echo "an address came and went: no restart"

# ---- 1. a new address on the same LAN -------------------------------------
old=${TB_ADDR[hostA]}
new=${old%.*}.50
fl_ping_start hostA "${E2E_TUN[hostB]}" ping-readdress
sleep 1
t0=$(tb_now_us)
tb_nmcli hostA device modify eth0 ipv4.addresses "$new/24" ipv4.gateway "${old%.*}.1" >/dev/null ||
	tb_fail "nmcli device modify eth0 failed"
tb_wait_until 10 "hostA's eth0 to have $new and not $old" \
	bash -c "ip -n '$(tb_ns hostA)' -4 -o addr show dev eth0 | grep -q ' $new/' &&
	         ! ip -n '$(tb_ns hostA)' -4 -o addr show dev eth0 | grep -q ' $old/'"
tb_log "hostA: eth0 $old -> $new"
fl_recover_since "underlay: new LAN address" hostA "${E2E_TUN[hostB]}" "$t0" 10
fl_ping_stop ping-readdress
echo "RESULT underlay: new LAN address: pings lost $FL_LOST of $FL_SENT"
e2e_ping_soon hostB "${E2E_TUN[hostA]}" || tb_fail "no ping B->A after hostA's new address"
base=$(fl_status_field hostA peers.hostB.local-base-address)
[[ $base == "$new":* ]] || tb_fail "hostA's path still starts from $base, not $new"
echo "hostA's path now starts from $base"

# ---- 2. another router -----------------------------------------------------
# The cable moves from natA's LAN to natA2's: another home network with the
# same address plan (192.168.1.0/24, gateway .1) behind another outside
# address. The new network's DHCP would hand out another address:
# NetworkManager configures it. (Not a new gateway address: NetworkManager
# 1.42 keeps routing the broker, the VPN's gateway, through the gateway it
# had when the VPN came up, even after a reapply.)
moved=${old%.*}.77
fl_ping_start hostA "${E2E_TUN[hostB]}" ping-move
sleep 1
t0=$(tb_now_us)
tb_replug hostA natA2
tb_nmcli hostA device modify eth0 ipv4.addresses "$moved/24" >/dev/null ||
	tb_fail "nmcli device modify eth0 failed"
tb_log "hostA: now behind natA2 (${TB_ADDR[natA2]}) as $moved"
fl_recover_since "underlay: another router" hostA "${E2E_TUN[hostB]}" "$t0" 10
fl_ping_stop ping-move
echo "RESULT underlay: another router: pings lost $FL_LOST of $FL_SENT"
e2e_ping_soon hostB "${E2E_TUN[hostA]}" || tb_fail "no ping B->A after hostA moved"
local_addr=$(fl_status_field hostA peers.hostB.local-address)
[[ $local_addr == "${TB_ADDR[natA2]}":* || $local_addr == "$moved":* ]] ||
	tb_fail "hostA's path still uses $local_addr"
echo "hostA's path now starts at $local_addr"

{ read -r changes && read -r restarts; } < <(fl_status_field hostA underlay-changes peers.hostB.restarts)
echo "hostA: underlay changes $changes, ICE restarts $((restarts - restarts_before))"
((changes >= 2)) || tb_fail "hostA's service saw $changes underlay changes, not 2 or more"
fl_finish hostA hostB
echo "PASS: the tunnel survives a new underlay address and a new router"
