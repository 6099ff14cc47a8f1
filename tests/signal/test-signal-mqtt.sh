#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The signaling session against a real mosquitto, in a network namespace
# with only loopback: back-off while the broker is down, an offer exchange,
# hostile publishers (garbage, a non-peer key, a replay, oversize, a flood),
# a late subscriber served by a retained offer, MQTT over TLS, bad
# credentials and names, retained offers refreshed and expiring, a broker
# restart, and a clean free that leaves no retained message behind.

here=$(cd "$(dirname "$0")" && pwd)
. "$here/signal-test-lib.sh"

SIG_DRIVER=${top_builddir:-$here/../..}/tests/signal/signal-driver
PREFIX=cunicu
PORT=18830          # password required
PORT_ANON=18831     # the "attacker" and the test's own clients
PORT_TLS=18832

sig_require
[ -x "$SIG_DRIVER" ] || sig_fail "$SIG_DRIVER not built"
sig_setup sig
T=$SIG_TMP

sig_step "keys, TLS certificates, broker configuration"
for k in a b c d e f h; do
	read -r pk url < <("$SIG_DRIVER" keygen "$T/$k.key") || sig_fail "keygen"
	declare "PK_$k=$pk" "URL_$k=$url"
done
printf 'signal-user:signal-secret\n' >"$T/passwd"
mosquitto_passwd -U "$T/passwd" || sig_fail "mosquitto_passwd"
printf 'signal-secret\n' >"$T/password"
printf 'wrong-secret\n' >"$T/wrong-password"
chmod 600 "$T/password" "$T/wrong-password"
openssl_quiet () { openssl "$@" >/dev/null 2>&1 || sig_fail "openssl $1"; }
for ca in ca other-ca; do
	openssl_quiet req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=$ca" -keyout "$T/$ca.key" -out "$T/$ca.pem"
done
openssl_quiet req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-subj /CN=localhost -keyout "$T/server.key" -out "$T/server.csr"
printf 'subjectAltName=DNS:localhost\n' >"$T/san.ext"
openssl_quiet x509 -req -in "$T/server.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
	-CAcreateserial -days 2 -extfile "$T/san.ext" -out "$T/server.pem"
cat >"$T/mosquitto.conf" <<EOF
per_listener_settings true
persistence false
user root
log_dest stdout
log_type error
log_type warning
log_type notice
log_type information
listener $PORT 127.0.0.1
allow_anonymous false
password_file $T/passwd
listener $PORT_ANON 127.0.0.1
allow_anonymous true
listener $PORT_TLS
allow_anonymous true
cafile $T/ca.pem
certfile $T/server.pem
keyfile $T/server.key
EOF

# retained TOPIC [WAIT_S]: succeeds when the broker holds a retained message on TOPIC.
retained () {
	local out
	out=$(sig_ns mosquitto_sub -h 127.0.0.1 -p $PORT_ANON -t "$1" --retained-only -C 1 -N \
		-W "${2:-5}" 2>/dev/null | head -c 1 | wc -c)
	[ "$out" -gt 0 ]
}
not_retained () {
	! retained "$1" 1
}
pub () { sig_ns mosquitto_pub -h 127.0.0.1 -p $PORT_ANON -q 1 "$@" || sig_fail "mosquitto_pub $*"; }
topic () { echo "$PREFIX/v1/$1/$2"; }
auth=(--username signal-user --password-file "$T/password")

sig_step "clients started before the broker keep retrying with back-off"
sig_driver_start a --key-file "$T/a.key" --url mqtt://127.0.0.1:$PORT "${auth[@]}" \
	--peer "$PK_b" --peer "$PK_d" --peer "$PK_e" --peer "$PK_h"
sig_driver_start b --key-file "$T/b.key" --url mqtt://127.0.0.1:$PORT "${auth[@]}" --peer "$PK_a"
sig_expect_stat a failures ge 2 15
sig_has a '^state connected' && sig_fail "a connected without a broker"
sig_broker_start "$T/mosquitto.conf" $PORT
sig_expect a '^state connected' 1 20
sig_expect b '^state connected' 1 20

sig_step "offer exchange"
sig_cmd a "offer 0 a0b1"
sig_cmd b "offer 0 b0a1"
sig_expect b "^message $URL_a offer 000000000000a0b1 0000000000000000 [0-9]+ 1\$"
sig_expect a "^message $URL_b offer 000000000000b0a1 0000000000000000 [0-9]+ 1\$"

sig_step "hostile publishers: garbage, a non-peer key, a replay, oversize, a flood"
victim=$(topic "$URL_a" "$URL_b")
pub -t "$victim" -m garbage
stranger_topic=$(sig_ns "$SIG_DRIVER" seal --key-file "$T/c.key" --to "$PK_a" --prefix $PREFIX "$T/stranger.bin") ||
	sig_fail "seal"
[ "$stranger_topic" = "$(topic "$URL_a" "$URL_c")" ] || sig_fail "unexpected topic $stranger_topic"
pub -t "$stranger_topic" -f "$T/stranger.bin"
pub -t "$victim" -f "$T/stranger.bin"
sig_ns mosquitto_sub -h 127.0.0.1 -p $PORT_ANON -t "$victim" --retained-only -C 1 -N -W 5 \
	>"$T/captured.bin" || sig_fail "no retained offer of b to a"
[ -s "$T/captured.bin" ] || sig_fail "empty retained offer"
pub -t "$victim" -f "$T/captured.bin"
head -c 100000 /dev/urandom >"$T/big.bin"
pub -t "$victim" -f "$T/big.bin"
yes garbage | head -n 1000 | sig_ns mosquitto_pub -h 127.0.0.1 -p $PORT_ANON -t "$victim" -l ||
	sig_fail "flood"
sig_expect_stat a bad-envelope eq 1002
sig_expect_stat a not-a-peer eq 1
sig_expect_stat a replay eq 1
for reason in failed-open bad-payload too-old future wrong-recipient; do
	sig_expect_stat a $reason eq 0 1
done
sig_has a '^message .* offer ' 2 && sig_fail "a hostile message was delivered"
sig_cmd b "offer 0 b0a2"
sig_expect a "^message $URL_b offer 000000000000b0a2 "
kill -0 "${SIG_PID[a]}" || sig_fail "a died"

sig_step "a late subscriber finds the retained offer"
sig_cmd a "offer 1 a0d1"
retained "$(topic "$URL_d" "$URL_a")" || sig_fail "no retained offer of a to d"
sig_driver_start d --key-file "$T/d.key" --url mqtt://127.0.0.1:$PORT "${auth[@]}" --peer "$PK_a"
sig_expect d "^message $URL_a offer 000000000000a0d1 "

sig_step "MQTT over TLS (the name checked against the certificate); a wrong CA, password or name fail"
sig_cmd a "offer 2 a0e1"
sig_driver_start e --key-file "$T/e.key" --url mqtts://localhost:$PORT_TLS --ca-file "$T/ca.pem" \
	--peer "$PK_a"
sig_expect e '^state connected'
sig_expect e "^message $URL_a offer 000000000000a0e1 "
sig_cmd e "offer 0 e0a1"
sig_expect a "^message $URL_e offer 000000000000e0a1 "
sig_driver_start f --key-file "$T/f.key" --url mqtts://localhost:$PORT_TLS \
	--ca-file "$T/other-ca.pem" --peer "$PK_a"
sig_driver_start g --key-file "$T/f.key" --url mqtt://127.0.0.1:$PORT --username signal-user \
	--password-file "$T/wrong-password" --peer "$PK_a"
sig_driver_start i --key-file "$T/f.key" --url mqtt://no-such-broker.invalid:$PORT --peer "$PK_a"
sig_expect_stat f failures ge 2 15
sig_expect_stat g failures ge 2 15
sig_expect_stat i failures ge 2 15
grep -q 'error=cannot resolve the signaling broker no-such-broker.invalid' \
	<(grep '^stats' "$T/i.out" | tail -n 1) || sig_fail "i does not report the name"
sig_has f '^state connected' && sig_fail "f connected with the wrong CA"
sig_has g '^state connected' && sig_fail "g connected with a wrong password"
grep -q 'error=.*refused the connection' <(grep '^stats' "$T/g.out" | tail -n 1) ||
	sig_fail "g does not report the refusal"
grep -q -e signal-secret -e wrong-secret "$T"/*.out "$T/broker.log" && sig_fail "a password was logged"
for n in f g i; do sig_driver_quit $n; done

sig_step "retained offers are refreshed before they expire, and expire after a crash"
sig_driver_start h --key-file "$T/h.key" --url mqtt://127.0.0.1:$PORT "${auth[@]}" \
	--peer "$PK_a" --expiry 3
sig_expect h '^state connected'
sig_cmd h "offer 0 f0a1"
sig_expect a "^message $URL_h offer 000000000000f0a1 "
sleep 5
retained "$(topic "$URL_a" "$URL_h")" || sig_fail "h's offer was not refreshed"
sig_expect_stat a unchanged ge 1
kill -KILL "${SIG_PID[h]}"
wait "${SIG_PID[h]}" 2>/dev/null
unset "SIG_PID[h]"
sig_wait_until 10 not_retained "$(topic "$URL_a" "$URL_h")" ||
	sig_fail "h's offer outlived its expiry"

sig_step "broker restart: reconnect, resubscribe, republish"
sig_broker_stop
for n in a b d e; do sig_expect $n '^state disconnected'; done
sig_broker_start "$T/mosquitto.conf" $PORT
for n in a b d e; do sig_expect $n '^state connected' 2 40; done
sig_ns mosquitto_sub -h 127.0.0.1 -p $PORT_ANON -t "$(topic "$URL_b" "$URL_a")" --retained-only \
	-C 1 -N -W 5 >"$T/republished.bin" && [ -s "$T/republished.bin" ] ||
	sig_fail "a did not republish its offer to b"
sig_expect_stat b unchanged ge 1
sig_cmd b "offer 0 b0a3"
sig_expect a "^message $URL_b offer 000000000000b0a3 "

sig_step "a connection that stalls silently is replaced once a publish goes unacknowledged"
# Drop b's established connection both ways, as a NAT that forgot its
# mapping does (no reset reaches either side); new connections still work.
sport=$(sig_ns ss -tnHp state established "( dport = :$PORT )" |
	awk -v pid="pid=${SIG_PID[b]}," 'index($0, pid) { split($3, a, ":"); print a[2]; exit }')
[ -n "$sport" ] || sig_fail "cannot find b's connection to the broker"
sig_ns nft -f - <<-NFT || sig_fail "nft"
	table inet ncu_stall {
		chain out { type filter hook output priority 0; tcp sport $sport drop; tcp dport $sport drop; }
	}
NFT
sig_cmd b "offer 0 b0a4"
sig_expect b '^state connected' 3 20
sig_expect a "^message $URL_b offer 000000000000b0a4 "
sig_ns nft delete table inet ncu_stall

sig_step "a connection check replaces a stalled connection with nothing else to send"
sport=$(sig_ns ss -tnHp state established "( dport = :$PORT )" |
	awk -v pid="pid=${SIG_PID[b]}," 'index($0, pid) { split($3, a, ":"); print a[2]; exit }')
[ -n "$sport" ] || sig_fail "cannot find b's connection to the broker"
connects=$(sig_count b '^state connected')
sig_ns nft -f - <<-NFT || sig_fail "nft"
	table inet ncu_stall {
		chain out { type filter hook output priority 0; tcp sport $sport drop; tcp dport $sport drop; }
	}
NFT
sig_cmd b check
sig_expect b '^checked'
sig_expect b '^state connected' $((connects + 1)) 20
sig_ns nft delete table inet ncu_stall
# On a healthy connection a check is acknowledged; the peers get nothing,
# and b ignores the copy it gets back (not counted as received).
sleep 2.1  # past the check's rate limit; the reconnect's retained offers arrive
received=$(sig_count a '^message ')
b_received=$(sig_stat b received)
sig_cmd b check
sig_expect b '^checked' 2
sleep 1
[ "$(sig_count a '^message ')" -eq "$received" ] || sig_fail "a connection check reached a peer"
[ "$(sig_count b '^state connected')" -eq $((connects + 1)) ] ||
	sig_fail "a connection check on a healthy connection replaced it"
[ "$(sig_stat b received)" -eq "$b_received" ] || sig_fail "b counted its own connection check as received"

sig_step "a clean free deletes every retained offer"
sig_driver_quit a
sig_expect b "^message $URL_a bye 000000000000a0b1 "
sig_expect d "^message $URL_a bye 000000000000a0d1 "
for n in b d e; do sig_driver_quit $n; done
out=$(sig_ns mosquitto_sub -h 127.0.0.1 -p $PORT_ANON -t "$PREFIX/#" --retained-only -v -W 3 2>/dev/null)
[ -z "$out" ] || sig_fail "retained messages left: $out"

sig_broker_stop
echo "PASS"
exit 0
