#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 3, case 5: `nmcli connection down` on one side leaves no interface,
# process, socket or retained broker message of ours behind, and `up` again
# works.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-e2e.sh"

# base64url KEY: the key as it appears in signaling topics.
base64url() {
	tr '+/' '-_' <<<"$1" | tr -d '='
}

# retained_from KEY: retained messages on the broker sent by KEY (topic list).
retained_from() {
	tb_exec wan timeout 3 mosquitto_sub -h "$TB_WAN_IP1" -p "$TB_MQTT_PORT" -t 'cunicu/#' \
		--retained-only -W 2 -F %t 2>/dev/null | grep -a "/$(base64url "$1")\$" || true
}

tb_init
tb_require mosquitto_sub ss
e2e_two_peers cone cone
e2e_up hostA
e2e_up hostB
e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10 >/dev/null

ifname=$(e2e_status hostA --json | python3 -c 'import json,sys; print(next(iter(json.load(sys.stdin).values()))["interface"])')
has_retained() { [[ -n $(retained_from "$1") ]]; }
tb_wait_until 5 "a retained offer of hostA while it is up" has_retained "${E2E_PUB[hostA]}"
tb_nm_exec hostA pgrep -x wireguard-go >/dev/null || tb_fail "wireguard-go is not running on hostA"

tb_nmcli hostA connection down cunicu >/dev/null || tb_fail "nmcli connection down failed"
# The service exits within a second of Disconnect (DESIGN.md section 7).
tb_wait_until 3 "hostA's service to exit" bash -c "! nsenter -t ${TB_NM_PID[hostA]} -p -m pgrep -f nm-cunicu-service"
left=$(tb_nm_exec hostA pgrep -a -f 'nm-cunicu-service|wireguard-go' || true)
[[ -z $left ]] || tb_fail "processes left on hostA: $left"
tb_exec hostA ip link show "$ifname" >/dev/null 2>&1 && tb_fail "interface $ifname left on hostA"
[[ -z $(tb_nm_exec hostA ls /run/wireguard 2>/dev/null) ]] || tb_fail "UAPI socket left in /run/wireguard"
sockets=$(tb_exec hostA ss -uanp | grep -E 'nm-cunicu|wireguard' || true)
[[ -z $sockets ]] || tb_fail "sockets left on hostA: $sockets"
retained=$(retained_from "${E2E_PUB[hostA]}")
[[ -z $retained ]] || tb_fail "retained messages of hostA left on the broker: $retained"
echo "PASS: after down, no interface, process, socket or retained message of hostA remains"

t0=$(tb_now_us)
e2e_up hostA
took=$(e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10)
echo "PASS: up again: ping after $(tb_fmt_us $(($(tb_now_us) - t0))) s"

# SIGTERM (a shutdown, or systemd stopping us): the same teardown.
svc=$(tb_nm_exec hostA pgrep -f nm-cunicu-service) || tb_fail "no service on hostA after up"
ifname=$(e2e_status hostA --json | python3 -c 'import json,sys; print(next(iter(json.load(sys.stdin).values()))["interface"])')
tb_nm_exec hostA kill -TERM "$svc"
tb_wait_until 3 "hostA's service to exit on SIGTERM" bash -c "! nsenter -t ${TB_NM_PID[hostA]} -p -m pgrep -f 'nm-cunicu-service|wireguard-go'"
tb_exec hostA ip link show "$ifname" >/dev/null 2>&1 && tb_fail "interface $ifname left after SIGTERM"
no_retained() { [[ -z $(retained_from "$1") ]]; }
tb_wait_until 5 "hostA's retained offers to go" no_retained "${E2E_PUB[hostA]}"
echo "PASS: SIGTERM tears everything down"

# NetworkManager going away without a word (SIGKILL): the service notices
# its bus peer vanish and tears down too.
e2e_up hostA
e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10 >/dev/null
nm=$(tb_nm_exec hostA pgrep -x NetworkManager) || tb_fail "no NetworkManager on hostA"
tb_nm_exec hostA kill -KILL "$nm"
tb_wait_until 5 "hostA's service to exit after NetworkManager died" bash -c "! nsenter -t ${TB_NM_PID[hostA]} -p -m pgrep -f 'nm-cunicu-service|wireguard-go'"
no_tunnel_link() { ! tb_exec hostA ip -br link | grep -q '^ncu-'; }
tb_wait_until 3 "the tunnel interface to go after NetworkManager died" no_tunnel_link
echo "PASS: NetworkManager dying takes the tunnel down with it"
