#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 7, faults: coturn restarts while a relay pair (hostA behind a
# symmetric NAT) carries traffic. Its allocations die with it, so the peer
# must notice (its liveness watchdog: WireGuard and a probe unanswered),
# restart ICE with new allocations, and the tunnel pass pings again within
# issue 7's 10 s (about 3 s here; see fl_recover_since in lib-faults.sh).
# No service may crash.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-faults.sh"

tb_init
e2e_require_built
fl_two_peers --nat-a symmetric --nat-b cone
{ read -r path && read -r remote_type; } < <(fl_status_field hostA peers.hostB.path peers.hostB.remote-type)
[[ $path == relay || $remote_type == relay ]] || tb_fail "hostA reaches hostB over $path -> $remote_type, not a relay"
echo "relay pair: $path -> $remote_type"
fl_ping_start hostA "${E2E_TUN[hostB]}" ping-ab
sleep 1

t0=$(tb_now_us)
tb_stop_coturn
tb_start_coturn
tb_log "coturn restarted"
# traffic flows towards the dead relay until the watchdog restarts ICE
fl_recover_since "coturn restart: pings pass again after coturn stopped" hostA "${E2E_TUN[hostB]}" "$t0" 10
fl_ping_stop ping-ab
echo "RESULT coturn restart: pings lost $FL_LOST of $FL_SENT"
e2e_ping_soon hostB "${E2E_TUN[hostA]}" || tb_fail "no ping B->A after the coturn restart"

{ read -r path && read -r remote_type && read -r restarts_a && read -r watchdog_a; } < \
	<(fl_status_field hostA peers.hostB.path peers.hostB.remote-type peers.hostB.restarts peers.hostB.watchdog-restarts)
echo "after the restart: $path -> $remote_type; hostA's restarts: $restarts_a (watchdog: $watchdog_a), hostB's: $(fl_status_field hostB peers.hostA.restarts)"
[[ $path == relay || $remote_type == relay ]] || tb_fail "the new pair is $path -> $remote_type, not a relay"
fl_finish hostA hostB
echo "PASS: a coturn restart under a relay pair is survived"
