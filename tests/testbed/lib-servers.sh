# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/testbed/lib-servers.sh: coturn (STUN/TURN) and mosquitto (MQTT) in
# the wan namespace, and the STUN probe the tests use (sourced by lib.sh).

# tb_stun_probe: path of the built tests/tools/ncu-stun-probe (fails if missing).
# Usage in a namespace: tb_exec hostA "$(tb_stun_probe)" binding 203.0.113.1:3478
tb_stun_probe() {
	local probe=$top_builddir/tests/tools/ncu-stun-probe
	[[ -x $probe ]] || tb_fail "$probe is not built (run 'make check', or 'make tests/tools/ncu-stun-probe' in the build directory, or set top_builddir)"
	echo "$probe"
}

# tb_start_coturn: start coturn in wan, listening on 203.0.113.1 and .2 port
# 3478 (UDP+TCP, no TLS), relaying from 203.0.113.1, long-term credential
# TB_TURN_USER:TB_TURN_PASSWORD in realm TB_TURN_REALM. Returns once both
# addresses answer a STUN Binding. Log: $TB_TMP/coturn.log. Timed as "coturn".
tb_start_coturn() {
	tb_require turnserver
	tb_stun_probe >/dev/null
	tb_step coturn tb__start_coturn
}

tb__start_coturn() {
	local probe
	probe=$(tb_stun_probe)
	tb_spawn wan coturn turnserver -n \
		--listening-ip "$TB_WAN_IP1" --listening-ip "$TB_WAN_IP2" \
		--listening-port "$TB_TURN_PORT" --relay-ip "$TB_WAN_IP1" \
		--lt-cred-mech --user "$TB_TURN_USER:$TB_TURN_PASSWORD" --realm "$TB_TURN_REALM" \
		--no-tls --no-dtls --no-cli \
		--userdb "$TB_TMP/coturn.sqlite" --pidfile "$TB_TMP/coturn.pid" \
		--log-file stdout --simple-log
	TB_COTURN_PID=$TB_LAST_PID
	tb_wait_until 20 "coturn to answer STUN on $TB_WAN_IP1 and $TB_WAN_IP2" \
		tb__coturn_ready "$probe"
}

tb__coturn_ready() {
	tb__alive "$TB_COTURN_PID" || tb_fail "coturn exited at start (see coturn.log)"
	tb_exec wan "$1" -t 200 binding "$TB_WAN_IP1:$TB_TURN_PORT" "$TB_WAN_IP2:$TB_TURN_PORT"
}

# tb_start_mosquitto: start mosquitto in wan with a generated config
# (listener 1883 on 203.0.113.1, allow_anonymous true, persistence false,
# everything logged to $TB_TMP/mosquitto.log). Returns once a publish from
# wan succeeds.
# Timed as "mosquitto".
tb_start_mosquitto() {
	tb_require mosquitto mosquitto_pub mosquitto_sub
	tb_step mosquitto tb__start_mosquitto
}

tb__start_mosquitto() {
	cat >"$TB_TMP/mosquitto.conf" <<EOF
listener $TB_MQTT_PORT $TB_WAN_IP1
allow_anonymous true
persistence false
# stay root: the log file is in our private directory, and a log file
# (unlike stdout) is flushed line by line
user root
log_dest file $TB_TMP/mosquitto.log
log_type all
log_timestamp_format %H:%M:%S
connection_messages true
EOF
	tb_spawn wan mosquitto-stdout mosquitto -c "$TB_TMP/mosquitto.conf"
	TB_MOSQUITTO_PID=$TB_LAST_PID
	tb_wait_until 20 "mosquitto to accept a publish on $TB_WAN_IP1:$TB_MQTT_PORT" \
		tb__mosquitto_ready
}

tb__mosquitto_ready() {
	tb__alive "$TB_MOSQUITTO_PID" || tb_fail "mosquitto exited at start (see mosquitto.log)"
	tb_exec wan mosquitto_pub -h "$TB_WAN_IP1" -p "$TB_MQTT_PORT" -i "$TB_PREFIX-ready" \
		-t "$TB_PREFIX/ready" -m ready
}
