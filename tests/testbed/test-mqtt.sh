#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Test-bed self-test (c): mosquitto in wan delivers messages between hostA
# and hostB, both behind their NATs: a retained message published by hostB
# earlier, and a live one while hostA is subscribed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tb_init
tb_topology --nat-a cone --nat-b symmetric
tb_start_mosquitto
broker=(-h "$TB_WAN_IP1" -p "$TB_MQTT_PORT")
topic=$TB_PREFIX/$TB_ID

# retained: published first, received by a later subscriber
tb_exec hostB mosquitto_pub "${broker[@]}" -q 1 -r -t "$topic/retained" -m "retained from hostB" ||
	tb_fail "hostB could not publish"
got=$(tb_exec hostA mosquitto_sub "${broker[@]}" -t "$topic/retained" -C 1 -W 10) ||
	tb_fail "hostA received no retained message"
[[ $got == "retained from hostB" ]] || tb_fail "hostA received '$got'"
echo "PASS: retained message hostB -> hostA"

# live: hostB publishes until the subscriber on hostA has its message
tb_spawn hostA mqtt-sub mosquitto_sub "${broker[@]}" -t "$topic/live" -C 1 -W 20
sub=$TB_LAST_PID
published_and_received() {
	tb_exec hostB mosquitto_pub "${broker[@]}" -t "$topic/live" -m "live from hostB" &&
		! tb__alive "$sub"
}
tb_wait_until 20 "hostA to receive hostB's live message" published_and_received
wait "$sub" || tb_fail "mosquitto_sub on hostA failed (see mqtt-sub.log)"
got=$(cat "$TB_TMP/mqtt-sub.log")
[[ $got == "live from hostB" ]] || tb_fail "hostA received '$got'"
echo "PASS: live message hostB -> hostA"

# both clients came through their NATs
for nat in natA natB; do
	grep -q "New client connected from ${TB_ADDR[$nat]}:" "$TB_TMP/mosquitto.log" ||
		tb_fail "mosquitto saw no client from $nat's ${TB_ADDR[$nat]}"
done
echo "PASS: the broker saw both hosts as their NATs' addresses"
