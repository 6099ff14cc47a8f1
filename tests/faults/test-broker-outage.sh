#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 7, faults: the signaling broker is down for 60 s. The tunnel, up
# before, passes a ping every 0.5 s the whole time (none lost beyond a
# handful); the services stay up, report the broker as lost, and reconnect
# (with their back-off, at most ~37 s apart) once it is back, putting their
# retained offers back; nobody restarts ICE.
# FL_OUTAGE_SECONDS (default 60) shortens the outage for debugging.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-faults.sh"

outage=${FL_OUTAGE_SECONDS:-60}

tb_init
e2e_require_built
tb_require mosquitto_sub
fl_two_peers --nat-a cone --nat-b cone
fl_ping_start hostA "${E2E_TUN[hostB]}" ping-ab

tb_stop_mosquitto
down=$(tb_now_us)
tb_log "broker stopped for ${outage} s"
disconnected() {
	[[ $(fl_status_field "$1" signaling.connected) == false ]]
}
tb_wait_until 10 "hostA to notice the broker is gone" disconnected hostA
tb_wait_until 10 "hostB to notice the broker is gone" disconnected hostB
while (($(tb_now_us) - down < outage * 1000000)); do
	fl_same_service hostA
	fl_same_service hostB
	e2e_ping_ok hostB "${E2E_TUN[hostA]}" || tb_fail "no ping B->A $(tb_fmt_us $(($(tb_now_us) - down))) s into the outage"
	sleep 5
done
fl_ping_stop ping-ab
echo "RESULT broker down ${outage} s: pings lost $FL_LOST of $FL_SENT (one every 0.5 s)"
((FL_LOST <= 3)) || tb_fail "the tunnel lost $FL_LOST of $FL_SENT pings while the broker was down"

fl_ping_start hostA "${E2E_TUN[hostB]}" ping-after
tb_start_mosquitto
back=$(tb_now_us)
reconnected() {
	fl_signaling_connected hostA && fl_signaling_connected hostB
}
# the back-off is at most 30 s +-25 %
tb_wait_until 45 "both services to reconnect to the broker" reconnected
echo "RESULT broker down ${outage} s: signaling reconnected $(tb_fmt_us $(($(tb_now_us) - back))) s after the broker was back"
fl_wait_retained hostA hostB
sleep 2
fl_ping_stop ping-after
((FL_LOST <= 1)) || tb_fail "the tunnel lost $FL_LOST of $FL_SENT pings after the broker came back"
fl_ice_steady hostA hostB
fl_ice_steady hostB hostA
fl_finish hostA hostB
echo "PASS: the tunnel passed traffic through a ${outage} s broker outage; signaling reconnected"
