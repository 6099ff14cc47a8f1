#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 3, case 4: three peers behind three NATs in a full mesh with
# addresses=auto: the profiles hold nothing but keys (no address, no allowed
# IPs), every peer derives every other's IPv6 ULA from its public key, and
# every pair pings.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-e2e.sh"

hosts=(hostA hostB hostC)

# auto_address KEY: the address ncu-addr.h documents: the /64 prefix
# fd63:756e:6963:7500:: followed by BLAKE2b-64 of the raw public key.
auto_address() {
	python3 -c '
import base64, hashlib, ipaddress, sys
iid = hashlib.blake2b(base64.b64decode(sys.argv[1]), digest_size=8).digest()
print(ipaddress.IPv6Address(bytes.fromhex("fd63756e69637500") + iid))' "$1"
}

tb_init
e2e_require_built
tb_topology --nat-a cone --nat-b cone --nat-c cone
for h in "${hosts[@]}"; do
	# The underlay stays IPv4; the tunnel carries the auto IPv6 addresses.
	tb_exec "$h" sysctl -q -w net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
done
tb_start_coturn
tb_start_mosquitto
e2e_keys "${hosts[@]}"
for h in "${hosts[@]}"; do
	tb_start_nm "$h"
	n=0
	data="addresses=auto, signaling-url=$TB_MQTT_URL, ice-servers=stun:$TB_WAN_IP1:$TB_TURN_PORT, private-key-flags=0"
	for p in "${hosts[@]}"; do
		[[ $p == "$h" ]] && continue
		data+=", peer.$n.public-key=${E2E_PUB[$p]}, peer.$n.label=$p"
		n=$((n + 1))
	done
	e2e_add "$h" mesh "$data" "private-key=${E2E_PRIV[$h]}"
done

t0=$(tb_now_us)
pids=()
for h in "${hosts[@]}"; do
	e2e_up "$h" mesh &
	pids+=($!)
done
for pid in "${pids[@]}"; do
	wait "$pid" || tb_fail "a connection up failed"
done

declare -A addr
for h in "${hosts[@]}"; do
	addr[$h]=$(auto_address "${E2E_PUB[$h]}")
	# NetworkManager adds the address just after activation completes.
	has_address() { tb_exec "$1" ip -6 addr show | grep -q "$2/64"; }
	tb_wait_until 5 "$h to carry its auto address ${addr[$h]}/64" has_address "$h" "${addr[$h]}"
done
for h in "${hosts[@]}"; do
	for p in "${hosts[@]}"; do
		[[ $p == "$h" ]] && continue
		took=$(e2e_wait_ping "$h" "${addr[$p]}" 10)
		echo "$h -> $p (${addr[$p]}): first ping after $took s"
	done
done
echo "whole mesh pings $(tb_fmt_us $(($(tb_now_us) - t0))) s after nmcli up"
e2e_status hostA
echo "PASS: three peers with addresses=auto form a full mesh"
