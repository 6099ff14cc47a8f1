#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 3, case 6: a bad profile of each key type fails `nmcli connection
# up`; the service's error (in NetworkManager's log, where `journalctl`
# shows it to the user, and in the service's own log) names the key; and
# nothing is left behind: no interface, no process.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-e2e.sh"

tb_init
e2e_require_built
tb_topology
tb_start_nm hostA
e2e_keys hostA hostB hostC

# Each case: "expected key|extra vpn.data" (appended to a good profile, so
# a later duplicate key replaces the good value).
cases=(
	"mtu|mtu=100"
	"listen-port|listen-port=70000"
	"addresses|addresses=10.0.0.300/24"
	"signaling-url|signaling-url=http://broker.example"
	"ice-servers|ice-servers=ftp:stun.example"
	"ice-candidate-types|ice-candidate-types=host\\,bogus"
	"ice-port-range|ice-port-range=5000-4000"
	"proxy-mode|proxy-mode=sometimes"
	"wireguard-backend|wireguard-backend=fpga"
	"peer.0.allowed-ips|peer.0.allowed-ips=10.77.0.0/33"
	"peer.0.endpoint|peer.0.endpoint=host-without-port"
	"peer.0.persistent-keepalive|peer.0.persistent-keepalive=-1"
	"peer.0.public-key|peer.0.public-key=not-a-key"
	"peer.1|peer.2.public-key=${E2E_PUB[hostC]}"
	"peer.1.public-key|peer.1.public-key=${E2E_PUB[hostB]}"
	"frobnicate|frobnicate=1"
	"ice-auth-lifetime|ice-auth-lifetime=600"
)

n=0
for c in "${cases[@]}"; do
	key=${c%%|*}
	extra=${c#*|}
	name=bad$n
	n=$((n + 1))
	data=$(e2e_profile_data hostA hostB -- "$extra")
	e2e_add hostA "$name" "$data" "$(e2e_profile_secrets hostA 1)"
	if tb_nmcli hostA --wait 15 connection up "$name" >/dev/null 2>&1; then
		tb_fail "$name ($extra) came up"
	fi
	log=${TB_NM_DIR[hostA]}/NetworkManager.log
	tb_wait_until 5 "NetworkManager to log the error for $name" \
		grep -q "\"$name\"\]: connect: failed to connect.*$key" "$log"
	grep -q "cannot connect '$name': $key" "$TB_TMP/nm-hostA/service.log" ||
		tb_fail "the service's log does not name $key for $name"
	tb_exec hostA ip -br link | grep -q '^ncu-' && tb_fail "$name left an interface"
	tb_wait_until 3 "the service of $name to exit" \
		bash -c "! nsenter -t ${TB_NM_PID[hostA]} -p -m pgrep -f 'nm-cunicu-service|wireguard-go'"
	echo "PASS: $name fails naming $key: $(grep -o "\"$name\"\]: connect: failed.*" "$log" | tail -1 | sed 's/.*BadArguments: //; s/.*InvalidConnection: //')"
done

# A secret where a setting belongs is refused too, and never echoed.
data=$(e2e_profile_data hostA hostB)
e2e_add hostA secret-in-data "$data, private-key=${E2E_PRIV[hostA]}" "$(e2e_profile_secrets hostA 1)"
tb_nmcli hostA --wait 15 connection up secret-in-data >/dev/null 2>&1 && tb_fail "secret-in-data came up"
tb_wait_until 5 "the error for secret-in-data" grep -q '"secret-in-data"\]: connect: failed.*private-key' \
	"${TB_NM_DIR[hostA]}/NetworkManager.log"
grep -qF "${E2E_PRIV[hostA]}" "$TB_TMP/nm-hostA/service.log" && tb_fail "the private key was logged"
echo "PASS: a private key in vpn.data is refused and not logged"

# A TURN shared secret next to the TURN password: refused, and not echoed.
auth_secret=turn-auth-secret-$$
e2e_add hostA auth-and-password "$(e2e_profile_data hostA hostB)" \
	"$(e2e_profile_secrets hostA 1), ice-auth-secret=$auth_secret"
tb_nmcli hostA --wait 15 connection up auth-and-password >/dev/null 2>&1 && tb_fail "auth-and-password came up"
tb_wait_until 5 "the error for auth-and-password" \
	grep -q '"auth-and-password"\]: connect: failed.*ice-auth-secret: .*ice-password' \
	"${TB_NM_DIR[hostA]}/NetworkManager.log"
grep -qF "$auth_secret" "$TB_TMP/nm-hostA/service.log" "${TB_NM_DIR[hostA]}/NetworkManager.log" &&
	tb_fail "the TURN shared secret was logged"
echo "PASS: ice-auth-secret with ice-password is refused naming ice-auth-secret, and not logged"
