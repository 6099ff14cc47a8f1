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

# tb_start_coturn [--auth-secret SECRET]: start coturn in wan, listening on
# 203.0.113.1 and .2 port 3478 (UDP+TCP, no TLS), relaying from
# 203.0.113.1, long-term credential TB_TURN_USER:TB_TURN_PASSWORD in realm
# TB_TURN_REALM. With --auth-secret, it takes time-limited credentials made
# from SECRET instead (use-auth-secret, static-auth-secret: the TURN REST
# API; see tb_turn_rest_credential), and no fixed user. Returns once both
# addresses answer a STUN Binding. Log: $TB_TMP/coturn.log (a restart
# starts it anew). Timed as "coturn".
tb_start_coturn() {
	TB_TURN_AUTH_SECRET=""
	if [[ ${1:-} == --auth-secret ]]; then
		[[ $# -eq 2 && -n $2 ]] || tb_fail "tb_start_coturn --auth-secret SECRET"
		TB_TURN_AUTH_SECRET=$2
	elif [[ $# -gt 0 ]]; then
		tb_fail "tb_start_coturn: unknown option '$1'"
	fi
	tb_require turnserver
	tb_stun_probe >/dev/null
	tb_step coturn tb__start_coturn
}

# tb__coturn_auth: coturn's arguments for its credentials. The user's key
# (MD5 of user:realm:password, RFC 5389 long-term credential), not the
# password, goes on coturn's command line; a shared secret goes in a
# configuration file only root can read ($TB_TMP/coturn-auth.conf), never
# on a command line. With a secret, coturn is verbose: it then logs every
# request with its user name and result.
tb__coturn_auth() {
	local conf=$TB_TMP/coturn-auth.conf
	if [[ -z $TB_TURN_AUTH_SECRET ]]; then
		printf '%s\n' -n --lt-cred-mech --user "$TB_TURN_USER:0x$(tb__turn_key)"
		return
	fi
	(umask 077 && printf 'use-auth-secret\nstatic-auth-secret=%s\n' "$TB_TURN_AUTH_SECRET" >"$conf")
	printf '%s\n' -c "$conf" --verbose
}

tb__start_coturn() {
	local probe
	local -a auth
	probe=$(tb_stun_probe)
	mapfile -t auth < <(tb__coturn_auth)
	tb_spawn wan coturn turnserver "${auth[@]}" \
		--listening-ip "$TB_WAN_IP1" --listening-ip "$TB_WAN_IP2" \
		--listening-port "$TB_TURN_PORT" --relay-ip "$TB_WAN_IP1" \
		--realm "$TB_TURN_REALM" \
		--no-tls --no-dtls --no-cli \
		--userdb "$TB_TMP/coturn.sqlite" --pidfile "$TB_TMP/coturn.pid" \
		--log-file stdout --simple-log
	TB_COTURN_PID=$TB_LAST_PID
	tb_wait_until 20 "coturn to answer STUN on $TB_WAN_IP1 and $TB_WAN_IP2" \
		tb__coturn_ready "$probe"
}

# tb_turn_rest_credential EXPIRY [USER]: USER:PASSWORD of the TURN REST API
# for coturn started with --auth-secret: the user name "EXPIRY:USER" (EXPIRY
# alone without USER; EXPIRY in seconds since 1970), the password base64 of
# HMAC-SHA1 under TB_TURN_AUTH_SECRET. The secret goes to Python on stdin.
tb_turn_rest_credential() {
	[[ -n ${TB_TURN_AUTH_SECRET:-} ]] || tb_fail "tb_turn_rest_credential: coturn has no --auth-secret"
	local name=$1
	[[ -n ${2:-} ]] && name+=":$2"
	printf '%s' "$TB_TURN_AUTH_SECRET" | python3 -c '
import base64, hashlib, hmac, sys
name = sys.argv[1]
key = sys.stdin.buffer.read()
print(name + ":" + base64.b64encode(hmac.new(key, name.encode(), hashlib.sha1).digest()).decode())' "$name"
}

# tb__turn_key: the long-term credential key of TB_TURN_USER, hex.
tb__turn_key() {
	local key
	key=$(printf '%s' "$TB_TURN_USER:$TB_TURN_REALM:$TB_TURN_PASSWORD" | md5sum)
	echo "${key%% *}"
}

# tb_stop_coturn: stop coturn (SIGTERM, SIGKILL after 5 s); its relay
# allocations die with it. tb_start_coturn starts it again.
tb_stop_coturn() {
	[[ -n ${TB_COTURN_PID:-} ]] || tb_fail "tb_stop_coturn: coturn is not running"
	tb_stop "$TB_COTURN_PID"
	TB_COTURN_PID=""
}

tb__coturn_ready() {
	tb__alive "$TB_COTURN_PID" || tb_fail "coturn exited at start (see coturn.log)"
	tb_exec wan "$1" -t 200 binding "$TB_WAN_IP1:$TB_TURN_PORT" "$TB_WAN_IP2:$TB_TURN_PORT"
}

# tb_start_mosquitto [--auth USER PASSWORD]: start mosquitto in wan with a
# generated config (listener 1883 on 203.0.113.1, persistence false,
# everything logged to $TB_TMP/mosquitto.log). Anonymous clients are
# allowed, unless --auth: then only USER with PASSWORD (kept hashed in
# $TB_TMP/mosquitto.passwd; TB_MQTT_USER and TB_MQTT_PASSWORD are set).
# Returns once the broker answers a client from wan (a publish succeeds,
# or with --auth an anonymous one is refused). Timed as "mosquitto".
# After tb_stop_mosquitto it starts a fresh broker (no retained messages).
tb_start_mosquitto() {
	TB_MQTT_USER=""
	TB_MQTT_PASSWORD=""
	if [[ ${1:-} == --auth ]]; then
		[[ $# -eq 3 ]] || tb_fail "tb_start_mosquitto --auth USER PASSWORD"
		TB_MQTT_USER=$2
		TB_MQTT_PASSWORD=$3
	elif [[ $# -gt 0 ]]; then
		tb_fail "tb_start_mosquitto: unknown option '$1'"
	fi
	tb_require mosquitto mosquitto_pub mosquitto_sub
	tb_step mosquitto tb__start_mosquitto
}

# tb__mosquitto_passwd: the password file of --auth, hashed in place by
# mosquitto_passwd -U (the password never goes on a command line); prints
# the config lines that use it.
tb__mosquitto_passwd() {
	local file=$TB_TMP/mosquitto.passwd
	(umask 077 && printf '%s:%s\n' "$TB_MQTT_USER" "$TB_MQTT_PASSWORD" >"$file")
	mosquitto_passwd -U "$file" >/dev/null 2>&1 || tb_fail "mosquitto_passwd -U failed"
	grep -qF "$TB_MQTT_PASSWORD" "$file" && tb_fail "mosquitto_passwd left the password in clear"
	printf 'allow_anonymous false\npassword_file %s\n' "$file"
}

tb__start_mosquitto() {
	local access="allow_anonymous true"
	if [[ -n $TB_MQTT_USER ]]; then
		tb_require mosquitto_passwd
		access=$(tb__mosquitto_passwd)
	fi
	cat >"$TB_TMP/mosquitto.conf" <<EOF
listener $TB_MQTT_PORT $TB_WAN_IP1
$access
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
	local out
	tb__alive "$TB_MOSQUITTO_PID" || tb_fail "mosquitto exited at start (see mosquitto.log)"
	out=$(tb_exec wan mosquitto_pub -h "$TB_WAN_IP1" -p "$TB_MQTT_PORT" -i "$TB_PREFIX-ready" \
		-t "$TB_PREFIX/ready" -m ready 2>&1) && return 0
	[[ -n $TB_MQTT_USER && $out == *"not authori"* ]]
}

# tb_stop_mosquitto: stop the broker (SIGTERM, SIGKILL after 5 s): clients
# lose their connection and retained messages are gone.
tb_stop_mosquitto() {
	[[ -n ${TB_MOSQUITTO_PID:-} ]] || tb_fail "tb_stop_mosquitto: mosquitto is not running"
	tb_stop "$TB_MOSQUITTO_PID"
	TB_MOSQUITTO_PID=""
}
