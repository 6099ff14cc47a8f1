#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 7, faults: hostB's service is killed with SIGKILL (no teardown, its
# retained offer stays on the broker). NetworkManager notices (the VPN goes
# down), nothing of the dead service is left (wireguard-go, interface);
# `nmcli connection up` on hostB brings a new service, and the tunnel
# passes pings within 10 s of it; hostA's service follows hostB's new
# session without crashing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-faults.sh"

vpn_down() {
	! tb_nmcli "$1" -t -f NAME,TYPE connection show --active | grep -q '^cunicu:vpn$'
}

# key_greater A B: true if base64 key A is larger (memcmp) than B: its
# owner controls ICE.
key_greater() {
	"$FL_PYTHON" -c 'import base64, sys; sys.exit(0 if base64.b64decode(sys.argv[1]) > base64.b64decode(sys.argv[2]) else 1)' "$1" "$2"
}

tb_init
e2e_require_built
# The harder order: the killed peer is the controlled one. It comes back
# with a fresh session and finds hostA's retained offer, built against its
# dead session; the two must agree on one new session, not answer each
# other's stale ones in turn.
e2e_keys hostA hostB
while ! key_greater "${E2E_PUB[hostA]}" "${E2E_PUB[hostB]}"; do
	E2E_PSK=""
	e2e_keys hostA hostB
done
fl_two_peers --nat-a cone --nat-b cone
wg_b=$(fl_pids_of hostB '^/usr/bin/wireguard-go|^wireguard-go')
ifname=$(fl_status_field hostB interface)
[[ -n $wg_b && -n $ifname ]] || tb_fail "hostB has no wireguard-go or interface"

t0=$(tb_now_us)
kill -KILL "${FL_SVC[hostB]}"
tb_wait_until 10 "NetworkManager on hostB to notice its VPN service died" vpn_down hostB
echo "RESULT peer service SIGKILL: NetworkManager noticed after $(tb_fmt_us $(($(tb_now_us) - t0))) s"
gone() {
	[[ -z $(fl_pids_of hostB 'wireguard-go|nm-cunicu-service') ]] &&
		! tb_exec hostB ip link show "$ifname"
}
tb_wait_until 5 "hostB's wireguard-go and $ifname to go with the service" gone
echo "PASS: nothing of the killed service is left on hostB"
fl_same_service hostA

fl_up_again hostB hostA
echo "RESULT peer service SIGKILL: pings pass $FL_PING_TOOK s after nmcli up returned ($FL_UP_TOOK s), $(tb_fmt_us $((FL_PINGED_US - t0))) s after the kill"
# the killed service's crash is the test's doing; everything else must be clean
fl_finish hostA
echo "PASS: a peer whose service was killed comes back with nmcli up; hostA follows"
