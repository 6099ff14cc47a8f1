#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 7, hostile signaling: an attacker on the broker captures valid
# sealed messages and plays them back. Three peers: hostA talks to hostB
# and hostC. Replays of hostB's offer to hostA (same session, an old
# sequence; and an old session after hostB restarted), hostA's offer to
# hostB republished on hostA->hostC's topic (hostC cannot open it) and
# hostB's offer to hostA relabelled as hostC's, truncated and oversized
# copies: each is dropped and counted under its reason in the status, no
# service crashes, no tunnel restarts, pings keep passing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../faults/lib-faults.sh"

# topic RECIPIENT SENDER: the topic SENDER publishes on to RECIPIENT.
topic() {
	echo "cunicu/v1/$(fl_b64url "${E2E_PUB[$1]}")/$(fl_b64url "${E2E_PUB[$2]}")"
}

# capture RECIPIENT SENDER FILE: the retained offer SENDER left for RECIPIENT.
capture() {
	tb_exec wan mosquitto_sub -h "$TB_WAN_IP1" -p "$TB_MQTT_PORT" -t "$(topic "$1" "$2")" \
		--retained-only -C 1 -N -W 5 >"$3" 2>/dev/null && [[ -s $3 ]] ||
		tb_fail "no retained offer $2 -> $1 to capture"
}

# publish TOPIC: publish stdin as one message (not retained) from wan.
publish() {
	local f=$TB_TMP/publish.bin
	cat >"$f"
	tb_exec wan mosquitto_pub -h "$TB_WAN_IP1" -p "$TB_MQTT_PORT" -t "$1" -f "$f" ||
		tb_fail "mosquitto_pub to $1 failed"
}

# counter HOST NAME: a signaling counter of HOST ("dropped-replay", "delivered", ...).
counter() {
	fl_status_field "$1" "signaling.$2"
}

# expect HOST NAME N WHAT: wait until HOST's counter NAME grew by N from
# its value in BASE[HOST.NAME]; print the result line.
declare -A BASE=()
mark() {
	BASE[$1.$2]=$(counter "$1" "$2")
}
grown_by() {
	(($(counter "$1" "$2") - ${BASE[$1.$2]} >= $3))
}
expect() {
	local host=$1 name=$2 n=$3 what=$4 got
	tb_wait_until 10 "$host to count $n more $name ($what)" grown_by "$host" "$name" "$n"
	got=$(($(counter "$host" "$name") - ${BASE[$host.$name]}))
	((got == n)) || tb_fail "$host counted $got $name for $n messages ($what)"
	echo "RESULT attack $what: $n sent, $got counted by $host as $name"
}

tb_init
e2e_require_built
tb_require mosquitto_sub mosquitto_pub
tb_topology --nat-a cone --nat-b cone --nat-c cone
tb_start_coturn
tb_start_mosquitto
for h in hostA hostB hostC; do tb_start_nm "$h"; done
e2e_keys hostA hostB hostC
e2e_mesh_profile hostA hostB hostC
e2e_mesh_profile hostB hostA
e2e_mesh_profile hostC hostA
e2e_up_all hostA hostB hostC
e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10 >/dev/null
e2e_wait_ping hostA "${E2E_TUN[hostC]}" 10 >/dev/null
svc_a=$(fl_service_pid hostA)
svc_c=$(fl_service_pid hostC)
fl_ping_start hostA "${E2E_TUN[hostC]}" ping-ac

capture hostA hostB "$TB_TMP/b-to-a.bin"
capture hostB hostA "$TB_TMP/a-to-b.bin"
len=$(stat -c %s "$TB_TMP/b-to-a.bin")
echo "captured: hostB -> hostA offer ($len bytes), hostA -> hostB offer ($(stat -c %s "$TB_TMP/a-to-b.bin") bytes)"
delivered_a=$(counter hostA delivered)

# 1. the same message again: same session, sequence not newer
mark hostA dropped-replay
for i in 1 2 3; do publish "$(topic hostA hostB)" <"$TB_TMP/b-to-a.bin"; done
expect hostA dropped-replay 3 "replay, same session"

# 2. hostA's offer to hostB, republished to hostC: sealed for hostB's key,
#    hostC cannot open it
mark hostC dropped-failed-open
publish "$(topic hostC hostA)" <"$TB_TMP/a-to-b.bin"
expect hostC dropped-failed-open 1 "A->B message on A->C's topic"

# 3. hostB's offer to hostA on the topic of hostC: the sender field says hostB
mark hostA dropped-bad-envelope
publish "$(topic hostA hostC)" <"$TB_TMP/b-to-a.bin"
expect hostA dropped-bad-envelope 1 "B->A message relabelled as C->A"

# 4. truncated: shorter than an envelope can be (bad envelope), or long
#    enough but cut (fails to open)
mark hostA dropped-bad-envelope
mark hostA dropped-failed-open
for n in 1 32 57 73; do head -c "$n" "$TB_TMP/b-to-a.bin" | publish "$(topic hostA hostB)"; done
for n in 74 $((len / 2)) $((len - 1)); do head -c "$n" "$TB_TMP/b-to-a.bin" | publish "$(topic hostA hostB)"; done
expect hostA dropped-bad-envelope 4 "truncated below the envelope minimum"
expect hostA dropped-failed-open 3 "truncated envelope"

# 5. oversize: past the 16 KiB envelope limit (under the 20 KiB the broker
#    may deliver to us), and far past it (the broker must not deliver it)
mark hostA dropped-bad-envelope
mark hostA received
{ cat "$TB_TMP/b-to-a.bin"; head -c 17000 /dev/zero; } | publish "$(topic hostA hostB)"
expect hostA dropped-bad-envelope 1 "oversize (17 KiB more)"
{ cat "$TB_TMP/b-to-a.bin"; head -c 1000000 /dev/urandom; } | publish "$(topic hostA hostB)"
sleep 1
got=$(($(counter hostA received) - ${BASE[hostA.received]}))
((got == 1)) || tb_fail "hostA received $got messages, expected the broker to drop the 1 MB one"
echo "RESULT attack oversize (1 MB): 1 sent, not delivered by the broker (maximum packet size)"
[[ $(counter hostA delivered) == "$delivered_a" ]] || tb_fail "hostA delivered a hostile message"

# 6. an old session: hostB restarts (new session), then its old offer again
tb_nmcli hostB connection down cunicu >/dev/null
e2e_up hostB
e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10 >/dev/null
sleep 1
delivered_a=$(counter hostA delivered)
mark hostA dropped-replay
publish "$(topic hostA hostB)" <"$TB_TMP/b-to-a.bin"
expect hostA dropped-replay 1 "replay of a session before the peer restarted"
[[ $(counter hostA delivered) == "$delivered_a" ]] || tb_fail "hostA delivered the old session's offer"

sleep 1
fl_ping_stop ping-ac
echo "RESULT attacks: pings A->C lost $FL_LOST of $FL_SENT meanwhile"
((FL_LOST <= 2)) || tb_fail "the A-C tunnel lost $FL_LOST of $FL_SENT pings during the attacks"
e2e_ping_ok hostA "${E2E_TUN[hostB]}" || tb_fail "no ping A->B after the attacks"
[[ $(fl_status_field hostA peers.hostC.restarts) == 0 ]] || tb_fail "hostA restarted ICE with hostC"
[[ $(fl_status_field hostA peers.hostB.restarts) == 0 ]] || tb_fail "hostA restarted ICE with hostB"
fl_same_service hostA "$svc_a"
fl_same_service hostC "$svc_c"
fl_no_crash
e2e_status hostA
echo "PASS: replayed, misaddressed, truncated and oversize messages are dropped and counted"
