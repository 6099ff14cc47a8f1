#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 7, nothing leaks: during a two-peer run with every kind of secret
# (WireGuard private keys, a pre-shared key, the TURN password, the MQTT
# password; all fresh random values, services at --debug, their most
# talkative), none of them, in base64, base64url, hex or raw form (the
# passwords as text and base64), appears in:
#   - any log of the run (NetworkManager, the services, dbus, coturn,
#     mosquitto) or any other file in the run's directory, NetworkManager's
#     state included;
#   - the argv of any process on the machine (/proc/*/cmdline);
#   - the environment of the services and their wireguard-go;
#   - any file written under /tmp during the run, or under /run inside
#     each NetworkManager's namespace.
# Excluded, and only it: each host's keyfile of the profile
# (etc/system-connections/cunicu.nmconnection), which holds the secrets
# because their flags are 0 (saved by NetworkManager).
# The test bed keeps the servers' secrets hashed: coturn gets the TURN
# user's key, mosquitto a hashed password file.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../faults/lib-faults.sh"

random_password() {
	head -c 18 /dev/urandom | base64 | tr '+/' 'xy'
}

# scan WHAT PATH-ARGS...: run the scanner with this run's secrets on stdin.
scan() {
	local what=$1 out
	shift
	if ! out=$(secrets | "$FL_PYTHON" "$scanner" "${excludes[@]}" "$@" 2>&1); then
		echo "$out" >&2
		tb_fail "secrets found in $what (above)"
	fi
	echo "PASS: no secret in $what (${out##*$'\n'})"
}

secrets() {
	local h
	for h in hostA hostB; do
		echo "$h-private-key key ${E2E_PRIV[$h]}"
	done
	echo "preshared-key key $E2E_PSK"
	echo "turn-password password $TB_TURN_PASSWORD"
	echo "mqtt-password password $mqtt_password"
}

tb_init
e2e_require_built
scanner=$(dirname "${BASH_SOURCE[0]}")/scan-secrets.py
marker=$TB_TMP/owner              # written by tb_init: files newer are this run's
# fresh secrets for this run, not the test bed's fixed ones
TB_TURN_PASSWORD=$(random_password)
mqtt_password=$(random_password)
export TB_SERVICE_DEBUG=1

tb_topology --nat-a cone --nat-b cone
tb_start_coturn
tb_start_mosquitto --auth cunicu-mqtt "$mqtt_password"
tb_start_nm hostA
tb_start_nm hostB
e2e_keys hostA hostB
for h in hostA hostB; do
	peer=hostB
	[[ $h == hostB ]] && peer=hostA
	e2e_add "$h" cunicu \
		"$(e2e_profile_data "$h" "$peer" -- "signaling-username=$TB_MQTT_USER" signaling-password-flags=0)" \
		"$(e2e_profile_secrets "$h" 1), signaling-password=$mqtt_password"
done
e2e_up_all hostA hostB
e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10 >/dev/null
fl_signaling_connected hostA || tb_fail "hostA is not connected to the broker with its password"
grep -q "u'cunicu-mqtt'" "$TB_TMP/mosquitto.log" || tb_fail "mosquitto saw no client log in as cunicu-mqtt"
echo "PASS: two peers with private keys, a pre-shared key, a TURN and an MQTT password ping"

excludes=()
for h in hostA hostB; do
	keyfile=${TB_NM_DIR[$h]}/etc/system-connections/cunicu.nmconnection
	[[ -f $keyfile ]] || tb_fail "no keyfile $keyfile"
	grep -qF "${E2E_PRIV[$h]}" "$keyfile" || tb_fail "$keyfile does not hold the private key (flags 0)"
	excludes+=(--exclude "$keyfile")
done

# the scanner finds what is there: the keyfile holds every kind of secret
if found=$(secrets | "$FL_PYTHON" "$scanner" "${TB_NM_DIR[hostA]}/etc/system-connections/cunicu.nmconnection"); then
	tb_fail "the scanner missed the secrets in hostA's keyfile"
fi
for label in hostA-private-key preshared-key turn-password mqtt-password; do
	grep -q "^FOUND $label " <<<"$found" || tb_fail "the scanner missed $label in hostA's keyfile: $found"
done
echo "PASS: the scanner finds the secrets in the (excluded) keyfile"

# while the tunnel is up: processes
mapfile -t procs < <(fl_service_proc_files hostA hostB)
((${#procs[@]} >= 8)) || tb_fail "expected a service and a wireguard-go on each host, found ${#procs[@]} files"
scan "the services' and wireguard-go's environment and argv" "${procs[@]}"
scan "the argv of every process" /proc/[0-9]*/cmdline
scan "/run inside each NetworkManager's namespace" \
	"/proc/${TB_NM_PID[hostA]}/root/run" "/proc/${TB_NM_PID[hostB]}/root/run"

# after hostA disconnects (the teardown logs too): files
tb_nmcli hostA connection down cunicu >/dev/null
tb_wait_until 5 "hostA's service to exit" bash -c "[[ -z \$(pgrep --ns ${TB_NM_PID[hostA]} --nslist pid -f nm-cunicu-service) ]]"
find /tmp -xdev -type f -newer "$marker" ! -path "$TB_TMP/*" >"$TB_TMP/tmp-files" 2>/dev/null || true
scan "$(wc -l <"$TB_TMP/tmp-files") files written under /tmp during the run" --list "$TB_TMP/tmp-files"
scan "the run's directory: every log and NetworkManager's state (keyfiles excluded)" "$TB_TMP"
for f in "$TB_TMP"/nm-host?/service.log; do
	lines=$(wc -l <"$f")
	((lines > 20)) || tb_fail "${f#"$TB_TMP"/} has only $lines lines: was --debug on?"
done
echo "RESULT secrets: 2 private keys, 1 pre-shared key, 2 passwords; none in $(cat "$TB_TMP"/nm-host?/service.log | wc -l) service log lines, $(cat "$TB_TMP"/nm-host?/NetworkManager.log | wc -l) NetworkManager log lines, argv, environment, /tmp, /run"
echo "PASS: no secret leaks"
