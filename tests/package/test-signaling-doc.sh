#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# docs/signaling.md is precise enough to write a compatible peer:
# tests/package/signal-peer.py, written from that page alone, talks to a
# real service in the test bed. hostA runs NetworkManager with a profile
# whose one peer is the Python peer P. The test checks that
#   - the offer hostA publishes retained on <prefix>/v1/<P>/<A> opens and
#     parses as the page says (topic, envelope, every field);
#   - P's answer (an offer built against hostA's session) is delivered:
#     hostA's ICE session for P starts its checks, nothing is dropped;
#   - the same envelope again is dropped as a replay, a damaged one as
#     failed-open, one from an unknown key as not-a-peer;
#   - P's bye makes hostA start a fresh session (a new retained offer with
#     remote-session 0).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib-e2e.sh"

tb_init
e2e_require_built
tb_require mosquitto_pub mosquitto_sub
peer_py=$top_srcdir/tests/package/signal-peer.py
prefix=doc-test

tb_topology
tb_start_mosquitto
tb_start_nm hostA
e2e_keys hostA
p_priv=$(wg genkey)
p_pub=$(wg pubkey <<<"$p_priv")
stranger_priv=$(wg genkey)

e2e_add hostA cunicu \
	"addresses=10.77.0.1/24, signaling-url=$TB_MQTT_URL, signaling-topic-prefix=$prefix, private-key-flags=0, peer.0.public-key=$p_pub, peer.0.allowed-ips=10.77.0.2/32, peer.0.label=doc-peer" \
	"private-key=${E2E_PRIV[hostA]}"
e2e_up hostA

to_p=$(python3 "$peer_py" topic "$prefix" "$p_pub" "${E2E_PUB[hostA]}")
to_a=$(python3 "$peer_py" topic "$prefix" "${E2E_PUB[hostA]}" "$p_pub")
[[ $to_p == "$prefix/v1/"*/* && $to_p != *[+=]* ]] || tb_fail "bad topic $to_p"

# signal_field NAME: NAME's value in hostA's current signaling counters.
signal_field() {
	e2e_status hostA --json | python3 -c '
import json, sys
for svc in json.load(sys.stdin).values():
    print(svc["signaling"].get(sys.argv[1], ""))' "$1"
}

# fetch_offer FILE: hostA's retained offer to P, opened and parsed by P.
fetch_offer() {
	tb_exec wan mosquitto_sub -h "$TB_WAN_IP1" -p "$TB_MQTT_PORT" -t "$to_p" -N -C 1 -W 5 \
		>"$TB_TMP/offer.bin" 2>/dev/null || return 1
	python3 "$peer_py" open "${E2E_PUB[hostA]}" <"$TB_TMP/offer.bin" 3<<<"$p_priv" >"$1"
}

publish() {
	tb_exec wan mosquitto_pub -h "$TB_WAN_IP1" -p "$TB_MQTT_PORT" -q 1 -t "$1" -s <"$2" ||
		tb_fail "mosquitto_pub to $1 failed"
}

# 1. hostA's offer, as the page describes it.
tb_wait_until 10 "hostA's retained offer to P on $to_p" fetch_offer "$TB_TMP/offer.txt"
cat "$TB_TMP/offer.txt"
field() { sed -n "s/^$1 //p" "$2" | head -1; }
a_session=$(field session "$TB_TMP/offer.txt")
[[ $(field type "$TB_TMP/offer.txt") == offer ]] || tb_fail "hostA's message is not an offer"
grep -q '^candidate a=candidate:.* typ host' "$TB_TMP/offer.txt" || tb_fail "hostA's offer has no host candidate"
[[ $(field end-of-candidates "$TB_TMP/offer.txt") == yes ]] || tb_fail "end-of-candidates is not yes"

# 2. P answers hostA's session.
p_session=$(printf '%016x' $((RANDOM * 65536 + RANDOM + 1)))
ufrag=dOcP
pwd=$(head -c 18 /dev/urandom | base64 | tr -d '=\n' | tr -c 'A-Za-z0-9+/' 'x' | head -c 24)
python3 "$peer_py" seal "${E2E_PUB[hostA]}" type=offer session="$p_session" \
	remote-session="$a_session" sequence=1 ice-ufrag=$ufrag ice-pwd="$pwd" \
	"candidate=a=candidate:1 1 UDP 2013266431 203.0.113.99 9 typ host" \
	3<<<"$p_priv" >"$TB_TMP/answer.bin"
publish "$to_a" "$TB_TMP/answer.bin"
tb_wait_until 10 "hostA to deliver P's answer" test "$(signal_field delivered)" -ge 1
tb_wait_until 10 "hostA's ICE session for P to start its checks" \
	test "$(e2e_peer_field hostA doc-peer ice-state)" = connecting
[[ $(signal_field dropped) == 0 ]] || tb_fail "hostA dropped a message of P: $(e2e_status hostA --json)"

# 3. A replay, a damaged envelope, a stranger.
publish "$to_a" "$TB_TMP/answer.bin"
tb_wait_until 10 "hostA to drop the replay" test "$(signal_field dropped-replay)" = 1
python3 -c '
import sys
d = bytearray(open(sys.argv[1], "rb").read()); d[-1] ^= 1
open(sys.argv[2], "wb").write(d)' "$TB_TMP/answer.bin" "$TB_TMP/damaged.bin"
publish "$to_a" "$TB_TMP/damaged.bin"
tb_wait_until 10 "hostA to drop the damaged envelope" test "$(signal_field dropped-failed-open)" = 1
stranger_pub=$(wg pubkey <<<"$stranger_priv")
python3 "$peer_py" seal "${E2E_PUB[hostA]}" type=bye session="$p_session" \
	3<<<"$stranger_priv" >"$TB_TMP/stranger.bin"
publish "$(python3 "$peer_py" topic "$prefix" "${E2E_PUB[hostA]}" "$stranger_pub")" "$TB_TMP/stranger.bin"
tb_wait_until 10 "hostA to drop the stranger's message" test "$(signal_field dropped-not-a-peer)" = 1

# 4. P says bye: hostA starts a fresh session.
python3 "$peer_py" seal "${E2E_PUB[hostA]}" type=bye session="$p_session" \
	remote-session="$a_session" sequence=2 3<<<"$p_priv" >"$TB_TMP/bye.bin"
publish "$to_a" "$TB_TMP/bye.bin"
fresh_offer() {
	fetch_offer "$TB_TMP/offer2.txt" &&
		[[ $(field session "$TB_TMP/offer2.txt") != "$a_session" ]] &&
		[[ $(field remote-session "$TB_TMP/offer2.txt") == 0000000000000000 ]]
}
tb_wait_until 15 "hostA's fresh offer after P's bye" fresh_offer
e2e_status hostA
echo "PASS: a peer written from docs/signaling.md reads hostA's offer, and hostA accepts its answer and bye and drops a replay, a forgery and a stranger"
