#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A profile with a fixed listen-port whose port is still taken when the
# connection comes up (after a quick down and up, the old wireguard-go may
# still hold it): the service tries again for up to 3 s.
#   1. A socket holds hostA's port for 1.5 s: the tunnel comes up once it
#      is free, with that port, and passes pings.
#   2. The socket holds it for good: the activation fails, and the error
#      names listen-port.
#   3. Quick down/up cycles with the fixed port all come up.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-e2e.sh"

PORT=51820
CYCLES=5

# port_held: something on hostA has UDP port PORT bound.
port_held() {
	[[ -n $(tb_exec hostA ss -Huln "sport = :$PORT") ]]
}

port_free() {
	! port_held
}

# in_use_count: how often hostA's service found PORT taken so far.
in_use_count() {
	grep -cF "listen-port $PORT is in use" "$TB_TMP/nm-hostA/service.log" || true
}

# hold_port NAME SECONDS: a UDP socket on hostA holds PORT for SECONDS
# (PID in HOLDER).
hold_port() {
	tb_spawn hostA "$1" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
time.sleep(float(sys.argv[2]))' "$PORT" "$2"
	HOLDER=$TB_LAST_PID
	tb_wait_until 5 "the port holder to bind $PORT" port_held
}

# service_log_has TEXT: hostA's service logged TEXT (fixed string).
service_log_has() {
	grep -qF -- "$1" "$TB_TMP/nm-hostA/service.log"
}

# the service's notices (the retries) go to service.log only with --debug
export TB_SERVICE_DEBUG=1
tb_init
tb_require python3 ss
e2e_two_peers cone cone "listen-port=$PORT"
e2e_up hostB

echo "== the port is free again after 1.5 s"
hold_port holder-short 1.5
t0=$(tb_now_us)
e2e_up hostA
echo "RESULT nmcli up returned $(tb_fmt_us $(($(tb_now_us) - t0))) s after the port was taken"
service_log_has "listen-port $PORT is in use; trying again" ||
	tb_fail "hostA's service did not notice the port in use (service.log above)"
service_log_has "listen-port $PORT is free again" || tb_fail "hostA's service did not retry"
port=$(e2e_status hostA --json | python3 -c 'import json,sys; print(next(iter(json.load(sys.stdin).values()))["listen-port"])')
[[ $port == "$PORT" ]] || tb_fail "hostA listens on port $port, not the profile's $PORT"
took=$(e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10)
echo "PASS: up once the port was free (ping after $took s), listening on $PORT"
tb_stop "$HOLDER"

echo "== the port stays taken"
tb_nmcli hostA --wait 30 connection down cunicu >/dev/null || tb_fail "nmcli connection down failed"
tb_wait_until 5 "hostA's old device to let go of $PORT" port_free
hold_port holder-long 60
t0=$(tb_now_us)
if out=$(tb_nmcli hostA --wait 30 connection up cunicu 2>&1); then
	tb_fail "the connection came up although port $PORT is taken"
fi
echo "RESULT the activation failed after $(tb_fmt_us $(($(tb_now_us) - t0))) s: ${out//$'\n'/ }"
service_log_has "listen-port $PORT is still in use after 3 s" ||
	tb_fail "no error naming listen-port in hostA's service log"
grep -F "listen-port $PORT is still in use" "$TB_TMP/nm-hostA/service.log" | head -n 1
tb_stop "$HOLDER"
echo "PASS: a port that stays taken fails the activation with an error naming listen-port"

echo "== quick down and up, $CYCLES times"
e2e_up hostA
busy0=$(in_use_count)
for ((i = 1; i <= CYCLES; i++)); do
	tb_nmcli hostA --wait 30 connection down cunicu >/dev/null || tb_fail "cycle $i: nmcli connection down failed"
	e2e_up hostA
done
took=$(e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10)
echo "RESULT $CYCLES quick down/up cycles: ping after $took s;" \
	"the port was still taken at $(($(in_use_count) - busy0)) of the starts"
echo "PASS: quick down/up cycles with a fixed listen-port come up"
