#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 7, faults: the signaling broker restarts (SIGTERM, started again
# empty: no retained message survives). The tunnel keeps passing pings,
# both services reconnect, put their retained offers back, and neither
# restarts ICE (the offers they receive again are unchanged).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-faults.sh"

tb_init
e2e_require_built
tb_require mosquitto_sub
fl_two_peers --nat-a cone --nat-b cone
connects_a=$(fl_status_field hostA signaling.connects)
connects_b=$(fl_status_field hostB signaling.connects)
fl_ping_start hostA "${E2E_TUN[hostB]}" ping-ab

t0=$(tb_now_us)
tb_stop_mosquitto
tb_start_mosquitto
back=$(tb_now_us)
# connected again, and through a new connection
reconnected_since() {
	local connected connects
	{ read -r connected && read -r connects; } < <(fl_status_field "$1" signaling.connected signaling.connects)
	[[ $connected == true ]] && ((connects > $2))
}
reconnected() {
	reconnected_since hostA "$connects_a" && reconnected_since hostB "$connects_b"
}
tb_wait_until 45 "both services to reconnect to the restarted broker" reconnected
echo "RESULT broker restart: both reconnected $(tb_fmt_us $(($(tb_now_us) - back))) s after the broker was back (down $(tb_fmt_us $((back - t0))) s)"
fl_wait_retained hostA hostB
echo "PASS: both offers are retained on the restarted broker"

sleep 2
fl_ping_stop ping-ab
echo "RESULT broker restart: pings lost $FL_LOST of $FL_SENT"
((FL_LOST <= 2)) || tb_fail "the tunnel lost $FL_LOST of $FL_SENT pings while the broker restarted"
e2e_ping_soon hostB "${E2E_TUN[hostA]}" || tb_fail "no ping B->A after the broker restart"
fl_ice_steady hostA hostB
fl_ice_steady hostB hostA
fl_finish hostA hostB
echo "PASS: the tunnel passed traffic through a broker restart; signaling reconnected"
