#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 7, hostile signaling: a flood of 10,000 messages per second for
# 10 s on hostA's topics (a tiny MQTT publisher, mqtt-flood.py): forged
# envelopes claiming to be hostB (they cannot open), garbage from hostB's
# topic, garbage from a key that is not a peer. hostA's service keeps
# running, counts every message that reaches it, keeps its memory bounded,
# and its tunnel keeps passing pings (none restarts).
# FL_FLOOD_RATE and FL_FLOOD_SECONDS change the flood.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../faults/lib-faults.sh"

rate=${FL_FLOOD_RATE:-10000}
seconds=${FL_FLOOD_SECONDS:-10}

tb_init
e2e_require_built
fl_two_peers --nat-a cone --nat-b cone
e2e_keys hostM
svc_a=$(fl_service_pid hostA)
base=cunicu/v1/$(fl_b64url "${E2E_PUB[hostA]}")
from_b=$base/$(fl_b64url "${E2E_PUB[hostB]}")
from_m=$base/$(fl_b64url "${E2E_PUB[hostM]}")
# legitimate traffic (an offer refresh) may arrive meanwhile: it is counted
# as delivered, unchanged or cleared, and must not be taken for a drop
counters=(signaling.received signaling.dropped signaling.delivered signaling.unchanged signaling.cleared)
{ read -r received0 && read -r dropped0 && read -r legit0 && read -r unchanged0 && read -r cleared0; } < \
	<(fl_status_field hostA "${counters[@]}")
legit0=$((legit0 + unchanged0 + cleared0))
rss0=$(fl_rss_kb "$svc_a")
fds0=$(fl_fds "$svc_a")
cpu0=$(awk '{ print $14 + $15 }' "/proc/$svc_a/stat")
fl_ping_start hostA "${E2E_TUN[hostB]}" ping-ab

rss_max=$rss0
tb_spawn wan flood "$FL_PYTHON" "$(dirname "${BASH_SOURCE[0]}")/mqtt-flood.py" "$TB_WAN_IP1" "$TB_MQTT_PORT" \
	"$rate" "$seconds" "$from_b=envelope:${E2E_PUB[hostB]}" "$from_b=garbage" "$from_m=garbage"
flood=$TB_LAST_PID
while tb__alive "$flood"; do
	rss=$(fl_rss_kb "$svc_a")
	((rss > rss_max)) && rss_max=$rss
	sleep 0.5
done
wait "$flood" || tb_fail "the flood publisher failed (see flood.log)"
read -r _ total _ took _ <"$TB_TMP/flood.log"
# the publisher keeps to the rate unless the broker reads slower
echo "flood: $total messages in $took s ($(awk -v n="$total" -v t="$took" 'BEGIN { printf "%d", n / t }')/s; offered ${rate}/s)"

# every message the broker delivered is counted; wait until hostA is through
through() {
	local r
	r=$(fl_status_field hostA signaling.received)
	[[ $r == "${last_received:-}" ]] && return 0
	last_received=$r
	return 1
}
fl_poll 60 through || tb_fail "hostA is still reading the flood after 60 s"
sleep 1
fl_ping_stop ping-ab
{ read -r received && read -r dropped && read -r legit && read -r unchanged && read -r cleared &&
	read -r failed_open && read -r bad_envelope && read -r not_peer; } < \
	<(fl_status_field hostA "${counters[@]}" signaling.dropped-failed-open \
		signaling.dropped-bad-envelope signaling.dropped-not-a-peer)
received=$((received - received0))
dropped=$((dropped - dropped0))
legit=$((legit + unchanged + cleared - legit0))
rss=$(fl_rss_kb "$svc_a")
cpu=$(( ($(awk '{ print $14 + $15 }' "/proc/$svc_a/stat") - cpu0) * 1000 / $(getconf CLK_TCK) ))
echo "RESULT attack flood ${rate}/s offered for ${seconds} s: $total sent in $took s, $received reached hostA, $dropped counted as dropped" \
	"(failed-open $failed_open, bad-envelope $bad_envelope, not-a-peer $not_peer)"
echo "RESULT attack flood: hostA's service used $cpu ms CPU; RSS $rss0 KiB before, $rss_max KiB at most, $rss KiB after; fds $fds0 -> $(fl_fds "$svc_a")"
echo "RESULT attack flood: pings A->B lost $FL_LOST of $FL_SENT meanwhile"
((received == dropped + legit)) ||
	tb_fail "hostA received $received messages, counted $dropped as dropped and $legit as legitimate"
((dropped * 10 >= total * 9)) || tb_fail "only $dropped of $total messages reached hostA"
if fl_rss_bounded; then
	((rss_max <= rss0 + 20480)) || tb_fail "hostA's RSS grew from $rss0 to $rss_max KiB under the flood"
fi
# Bounded: no growth (a socket may close meanwhile, e.g. a finished TURN refresh).
(($(fl_fds "$svc_a") <= fds0)) || tb_fail "hostA's service has $(fl_fds "$svc_a") fds, $fds0 before"
((FL_LOST <= 3)) || tb_fail "the tunnel lost $FL_LOST of $FL_SENT pings during the flood"
[[ $(fl_status_field hostA peers.hostB.restarts) == 0 ]] || tb_fail "the flood made hostA restart ICE"
fl_signaling_connected hostA || tb_fail "hostA lost its broker connection"
fl_same_service hostA "$svc_a"
fl_no_crash
e2e_status hostA
echo "PASS: a flood of $total hostile messages is counted and changes nothing"
