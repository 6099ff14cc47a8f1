#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The README's main job: two hosts, each behind its own NAT and running its
# own NetworkManager, connect with `nmcli connection up` through the
# cunicu plugin and ping across the tunnel. Prints what it does, the
# status of both sides and the time from `nmcli connection up` to the
# first ping, then cleans up. Everything happens in network namespaces.
#   demo-two-peers.sh [--nat-b symmetric]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-e2e.sh"

nat_b=cone
[[ ${1:-} == --nat-b ]] && nat_b=$2

say() { printf '\n== %s\n' "$*"; }

tb_init
e2e_require_built
say "Test bed: wan 203.0.113.0/24 (coturn, mosquitto), natA (cone) + hostA 192.168.1.2, natB ($nat_b) + hostB 192.168.2.2"
tb_topology --nat-a cone --nat-b "$nat_b"
tb_start_coturn
tb_start_mosquitto
tb_start_nm hostA
tb_start_nm hostB
e2e_keys hostA hostB

say "Profiles (secrets omitted), added with nmcli on each host"
e2e_mesh_profile hostA hostB
e2e_mesh_profile hostB hostA
for h in hostA hostB; do
	echo "$h: $(tb_nmcli "$h" -g vpn.data connection show cunicu)"
done

say "nmcli connection up cunicu on both hosts at once"
t0=$(tb_now_us)
e2e_up hostA &
up_a=$!
e2e_up hostB
wait "$up_a" || tb_fail "hostA: connection up failed"
t_up=$(tb_now_us)
e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10 >/dev/null
t_ping=$(tb_now_us)
tb_exec hostA ping -c 3 -i 0.2 -n "${E2E_TUN[hostB]}"

for h in hostA hostB; do
	say "nm-cunicu-status on $h"
	e2e_status "$h"
done

say "Result"
echo "nmcli connection up (both) returned after $(tb_fmt_us $((t_up - t0))) s"
echo "first ping hostA -> hostB $(tb_fmt_us $((t_ping - t0))) s after nmcli connection up"
echo "no port was opened on either NAT: both routers drop unsolicited input"
