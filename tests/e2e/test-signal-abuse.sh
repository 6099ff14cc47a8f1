#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 3, case 7: an attacker on the broker publishes garbage and wrongly
# keyed messages on our topics. The tunnel keeps passing pings, the service
# keeps running, and every message is counted as dropped in the status.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-e2e.sh"

# b64url KEY: a key as it appears in topics.
b64url() { tr '+/' '-_' <<<"$1" | tr -d '='; }

# publish TOPIC: publish stdin (binary) on TOPIC from the wan namespace.
publish() {
	tb_exec wan mosquitto_pub -h "$TB_WAN_IP1" -p "$TB_MQTT_PORT" -t "$1" -s
}

# dropped HOST REASON: the signaling drop counter of REASON ("" = the sum).
dropped() {
	e2e_status "$1" --json | python3 -c '
import json, sys
key = "dropped-" + sys.argv[1] if sys.argv[1] else "dropped"
print(next(iter(json.load(sys.stdin).values()))["signaling"].get(key, 0))' "${2:-}"
}

tb_init
tb_require mosquitto_pub python3
e2e_two_peers cone cone
e2e_keys hostM
e2e_up hostA
e2e_up hostB
e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10 >/dev/null
pid_a=$(tb_nm_exec hostA pgrep -f nm-cunicu-service)

victim=$(b64url "${E2E_PUB[hostA]}")
peer=$(b64url "${E2E_PUB[hostB]}")
stranger=$(b64url "${E2E_PUB[hostM]}")
base=cunicu/v1/$victim

# 1. garbage on the topic of a real peer: not an envelope
for i in $(seq 5); do head -c $((RANDOM % 300 + 1)) /dev/urandom | publish "$base/$peer"; done
# 2. a well-formed envelope claiming to be the peer, but not sealed with its
#    key (the attacker has no private key): fails to open
for i in $(seq 5); do
	python3 -c '
import base64, os, sys
sys.stdout.buffer.write(bytes([1]) + base64.b64decode(sys.argv[1]) + os.urandom(24) + os.urandom(120))' \
		"${E2E_PUB[hostB]}" | publish "$base/$peer"
done
# 3. a message from a key that is not a peer
for i in $(seq 5); do head -c 200 /dev/urandom | publish "$base/$stranger"; done
# 4. oversized: over our envelope limit (16 KiB), and over the packet size
#    we announce to the broker (20 KiB), which the broker never delivers
head -c 17000 /dev/urandom | publish "$base/$peer"
head -c 100000 /dev/urandom | publish "$base/$peer"

expect_drops() { (($(dropped hostA) >= 16)); }
tb_wait_until 10 "hostA to count 16 dropped messages" expect_drops
echo "dropped: total $(dropped hostA), bad-envelope $(dropped hostA bad-envelope)," \
	"failed-open $(dropped hostA failed-open), not-a-peer $(dropped hostA not-a-peer)"
(($(dropped hostA failed-open) >= 5)) || tb_fail "wrongly keyed envelopes not counted as failed-open"
(($(dropped hostA not-a-peer) >= 5)) || tb_fail "messages from a stranger not counted as not-a-peer"

[[ $(tb_nm_exec hostA pgrep -f nm-cunicu-service) == "$pid_a" ]] || tb_fail "hostA's service restarted or died"
for i in $(seq 5); do
	e2e_ping_ok hostA "${E2E_TUN[hostB]}" || tb_fail "the tunnel broke after the abuse"
done
[[ $(e2e_peer_field hostA hostB restarts) == 0 ]] || tb_fail "the abuse made hostA restart ICE"
e2e_status hostA
echo "PASS: garbage and forged signaling is dropped and counted; the tunnel is untouched"
