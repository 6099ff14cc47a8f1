#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 7, D-Bus: only root may own the service's names and call its
# methods, and bad arguments to every method get an error, never a crash.
#
# 1. A private system bus whose default policy allows everything, so only
#    data/nm-cunicu-service.conf decides: the unprivileged user "nobody"
#    can neither own org.freedesktop.NetworkManager.cunicu(.Connection_N)
#    nor call the service; root can both.
# 2. Root calls every method of org.freedesktop.NetworkManager.VPN.Plugin
#    with garbage (empty and malformed connections, wrong types, missing
#    VPN setting, bad keys, junk configs); each gets an error and the
#    service keeps answering (Peer.Ping after every call). Calls come from
#    one long-lived client (ncu-dbus-call): libnm stops the service when
#    the caller of Connect leaves the bus.
# 3. The status interface of a running connection in the test bed (a
#    Debian-like bus): nobody is refused, root's bad calls get errors, the
#    connection stays up.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../faults/lib-faults.sh"

NAME=$TB_VPN_SERVICE.Connection_7
PLUGIN=/org/freedesktop/NetworkManager/VPN/Plugin
IFACE=org.freedesktop.NetworkManager.VPN.Plugin
STATUS_PATH=/org/freedesktop/NetworkManager/cunicu/Status
STATUS_IFACE=$TB_VPN_SERVICE.Status
UUID="'uuid': <'2f1f3b9c-54b8-4bd3-a2b0-6b6c2f1e0e01'>"
VPN="'service-type': <'$TB_VPN_SERVICE'>"

call_tool() {
	echo "$top_builddir/tests/security/ncu-dbus-call"
}

# as_nobody COMMAND...: run COMMAND as the unprivileged user nobody.
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all)
as_nobody() {
	"${NOBODY[@]}" "$@"
}

# calls FILE: run the calls in FILE (lines of ncu-dbus-call) on $NAME,
# output in FILE.out, one line per call.
calls() {
	tb_exec bus "$(call_tool)" "$NAME" <"$1" >"$1.out" 2>&1 || tb_fail "ncu-dbus-call failed: $(cat "$1.out")"
}

tb_init
e2e_require_built
tb_require dbus-daemon setpriv
[[ -x $(call_tool) ]] || tb_fail "$(call_tool) is not built (make check builds it)"
id nobody >/dev/null 2>&1 || tb_fail "no user 'nobody' to test as"

# ---- 1. the policy file on a bus that would allow everything else ----
# the service runs in a network namespace of its own, in case a call
# makes it set anything up
ip netns add "$(tb_ns bus)"
mkdir -m 0755 "$TB_TMP/bus"
chmod 0711 "$TB_TMP"   # nobody must reach the socket, nothing else
socket=$TB_TMP/bus/system_bus_socket
tb_bus_conf "$socket" open >"$TB_TMP/bus/bus.conf"
tb_spawn bus dbus-daemon dbus-daemon --nofork --nopidfile --config-file="$TB_TMP/bus/bus.conf"
tb_wait_until 5 "the private bus" test -S "$socket"
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$socket

for name in "$NAME" "$TB_VPN_SERVICE"; do
	if out=$(as_nobody "$top_builddir/src/nm-cunicu-service" --bus-name "$name" 2>&1); then
		tb_fail "nobody could run the service as $name"
	fi
	[[ $out == *AccessDenied* || $out == *"not allowed to own"* ]] ||
		tb_fail "nobody's service failed, but not for the policy: $out"
	echo "PASS: nobody may not own $name (${out##*: })"
done

tb_spawn bus service "$top_builddir/src/nm-cunicu-service" --bus-name "$NAME" --persist --debug
svc=$TB_LAST_PID
answers() {
	echo "$PLUGIN org.freedesktop.DBus.Peer.Ping" | tb_exec bus "$(call_tool)" "$NAME" | grep -q '^ok'
}
tb_wait_until 10 "root's service to own $NAME" answers
echo "PASS: root owns $NAME"

for call in "$PLUGIN org.freedesktop.DBus.Peer.Ping" "$PLUGIN $IFACE.Disconnect" \
	"$PLUGIN $IFACE.Connect (@a{sa{sv}} {},)" "$PLUGIN org.freedesktop.DBus.Introspectable.Introspect" \
	"$STATUS_PATH $STATUS_IFACE.GetStatus"; do
	out=$(echo "$call" | as_nobody "$(call_tool)" "$NAME")
	[[ $out == "error org.freedesktop.DBus.Error.AccessDenied" ]] ||
		tb_fail "nobody's call '${call#* }' got: $out"
done
echo "PASS: nobody's calls (Ping, Disconnect, Connect, Introspect, GetStatus) are refused by the bus"

# ---- 2. every method of the VPN plugin interface, with garbage ----
ping_line="$PLUGIN org.freedesktop.DBus.Peer.Ping"
cat >"$TB_TMP/calls" <<CALLS_END
$PLUGIN $IFACE.Connect (@a{sa{sv}} {},)
$PLUGIN $IFACE.Connect ({'connection': {'id': <'x'>}},)
$PLUGIN $IFACE.Connect ({'connection': {'id': <42>, 'uuid': <'not-a-uuid'>, 'type': <'vpn'>}, 'vpn': {$VPN}},)
$PLUGIN $IFACE.Connect ({'connection': {'id': <'x'>, $UUID, 'type': <'vpn'>}, 'vpn': {$VPN, 'data': <{'frobnicate': '1'}>}},)
$PLUGIN $IFACE.Connect ({'connection': {'id': <'x'>, $UUID, 'type': <'vpn'>}, 'vpn': {$VPN, 'data': <42>, 'secrets': <'x'>}},)
$PLUGIN $IFACE.Connect ({'connection': {'id': <'x'>, $UUID, 'type': <'vpn'>}, 'vpn': {$VPN, 'data': <{'addresses': '10.0.0.1/24'}>, 'secrets': <{'private-key': 'AAAA'}>}},)
$PLUGIN $IFACE.Connect ({'connection': {'id': <'x'>, $UUID, 'type': <'vpn'>}, 'vpn': {'service-type': <'org.example.other'>}},)
$PLUGIN $IFACE.Connect ({'vpn': {$VPN, 'data': <{'peer.99999999999999999999.public-key': 'x', 'mtu': '-1'}>}},)
$PLUGIN $IFACE.Connect ('not a dict',)
$PLUGIN $IFACE.Connect (@a{sa{sv}} {}, 'extra')
$PLUGIN $IFACE.ConnectInteractive (@a{sa{sv}} {}, @a{sv} {})
$PLUGIN $IFACE.ConnectInteractive ({'vpn': {$VPN}}, {'junk': <'x'>})
$PLUGIN $IFACE.ConnectInteractive ({'vpn': {$VPN}},)
$PLUGIN $IFACE.NeedSecrets (@a{sa{sv}} {},)
$PLUGIN $IFACE.NeedSecrets ({'vpn': {'data': <[1, 2, 3]>}},)
$PLUGIN $IFACE.NeedSecrets (42,)
$PLUGIN $IFACE.Disconnect
$PLUGIN $IFACE.Disconnect ('now',)
$PLUGIN $IFACE.SetConfig ({'junk': <1>},)
$PLUGIN $IFACE.SetConfig ({'tundev': <42>, 'has-ip4': <'yes'>},)
$PLUGIN $IFACE.SetIp4Config ({'address': <'not an address'>, 'prefix': <-1>},)
$PLUGIN $IFACE.SetIp6Config ({'address': <42>},)
$PLUGIN $IFACE.SetIp6Config ('junk',)
$PLUGIN $IFACE.SetFailure ('junk',)
$PLUGIN $IFACE.NewSecrets (@a{sa{sv}} {},)
$PLUGIN $IFACE.NewSecrets ({'vpn': {'secrets': <{'private-key': 'x'}>}},)
$PLUGIN $IFACE.NoSuchMethod
$PLUGIN org.freedesktop.DBus.Properties.Set ('$IFACE', 'State', <uint32 5>)
$PLUGIN org.freedesktop.DBus.Properties.Get ('$IFACE', 'NoSuchProperty')
$STATUS_PATH $STATUS_IFACE.GetStatus ('extra',)
/no/such/object $IFACE.Disconnect
CALLS_END
# a Ping after each call: the service still answers
sed "a\\$ping_line" "$TB_TMP/calls" >"$TB_TMP/calls+ping"
calls "$TB_TMP/calls+ping"
n=0
errors=0
while IFS= read -r call && IFS= read -r reply && IFS= read -r ping; do
	case $reply in
	error*) errors=$((errors + 1)) ;;
	# libnm drops what it cannot parse (best effort): NeedSecrets then
	# sees a VPN setting without the private key, and rightly answers
	# that it needs secrets
	"ok ('vpn',)") [[ $call == *NeedSecrets* ]] || tb_fail "'$call' got no error: $reply" ;;
	*) tb_fail "'$call' got no error: $reply" ;;
	esac
	[[ $ping == "ok ()" ]] || tb_fail "the service stopped answering after '$call': $ping"
	n=$((n + 1))
	printf '  %-70.70s -> %s\n' "${call#"$PLUGIN "}" "${reply#error }"
done < <(paste -d '\n' "$TB_TMP/calls" - - <"$TB_TMP/calls+ping.out")
(($(wc -l <"$TB_TMP/calls") == n)) || tb_fail "$n replies for $(wc -l <"$TB_TMP/calls") calls"
tb__alive "$svc" || tb_fail "the service died"
echo "RESULT attack D-Bus bad arguments: $n calls, $errors errors, $((n - errors)) NeedSecrets answered 'vpn'; the service answered after each"
if grep -nE 'CRITICAL|AddressSanitizer|runtime error' "$TB_TMP/service.log" >&2; then
	tb_fail "the service complained (above)"
fi
unset DBUS_SYSTEM_BUS_ADDRESS

# ---- 3. the status interface of a running connection, Debian-like bus ----
tb_topology
tb_start_mosquitto
tb_start_nm hostA
e2e_keys hostA hostB
e2e_mesh_profile hostA hostB
e2e_up hostA
name=$(tb_nm_exec hostA busctl --system list --no-legend | awk -v p="$TB_VPN_SERVICE." 'index($1, p) == 1 { print $1 }')
[[ -n $name ]] || tb_fail "no $TB_VPN_SERVICE.* name on hostA's bus"
# nm_call EXPECTED CALL [WRAPPER...]: one call on hostA's bus; its reply starts with EXPECTED
nm_call() {
	local out
	out=$(echo "$2" | tb_nm_exec hostA "${@:3}" "$(call_tool)" "$name" 2>&1 | tail -n 1)
	[[ $out == "$1"* ]] || { echo "'$2' got: $out" >&2; return 1; }
}
nm_call "error org.freedesktop.DBus.Error.AccessDenied" "$STATUS_PATH $STATUS_IFACE.GetStatus" "${NOBODY[@]}" ||
	tb_fail "nobody may call GetStatus on hostA's bus"
nm_call "error org.freedesktop.DBus.Error.AccessDenied" "$PLUGIN $IFACE.Disconnect" "${NOBODY[@]}" ||
	tb_fail "nobody may call Disconnect on hostA's bus"
for bad in "$STATUS_PATH $STATUS_IFACE.GetStatus ('extra',)" "$STATUS_PATH $STATUS_IFACE.Nope" \
	"$STATUS_PATH org.freedesktop.DBus.Properties.Get ('$STATUS_IFACE', 'x')" \
	"$STATUS_PATH $STATUS_IFACE.GetStatus (@a{sv} {'x': <1>},)" \
	"$PLUGIN $IFACE.SetConfig ({'tundev': <'eth0'>},)" "$PLUGIN $IFACE.SetFailure ('x',)"; do
	nm_call "error" "$bad" || tb_fail "root's '$bad' got no error"
done
nm_call "ok ({" "$STATUS_PATH $STATUS_IFACE.GetStatus" || tb_fail "GetStatus failed after the bad calls"
tb_nmcli hostA -t -f NAME,TYPE connection show --active | grep -q '^cunicu:vpn$' ||
	tb_fail "hostA's connection went down after the bad calls"
echo "PASS: on a running connection, nobody is refused, root's bad calls get errors, the connection stays"
fl_no_crash
echo "PASS: D-Bus is root's only, and bad arguments get errors"
