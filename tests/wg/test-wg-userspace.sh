#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The userspace WireGuard backend for real: two network namespaces joined by
# a veth pair, in each a wg-driver (our module behind a line protocol) with a
# private /run, so /run/wireguard is theirs alone.  Only our code configures
# the devices; `wg show` then reads back every attribute we set, a ping
# crosses the tunnel, one peer's endpoint changes without touching the
# other, killing wireguard-go fires the exit callback, and freeing leaves no
# interface, socket or process.  Needs root, wireguard-go and wg.
# NCU_TEST_WRAPPER (e.g. "valgrind --error-exitcode=99") runs the drivers
# under a checker.

set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
DRIVER=$top_builddir/tests/wg/wg-driver
# shellcheck source=lib-wg.sh
. "$top_srcdir/tests/wg/lib-wg.sh"

[ "$(id -u)" = 0 ] || fail "must run as root (it creates network namespaces)"
command -v wireguard-go >/dev/null || fail "wireguard-go not found: apt-get install wireguard-go"
command -v wg >/dev/null || fail "wg not found: apt-get install wireguard-tools"
command -v nsenter >/dev/null || fail "nsenter not found: apt-get install util-linux"
[ -x "$DRIVER" ] || fail "$DRIVER not built (make check builds it)"

# Namespaces of earlier runs that were killed (SIGKILL skips the trap):
# their processes are stopped and the namespaces deleted.
for ns in $(ip netns list | awk '/^ncu-wg[AB]-[0-9]+/ { print $1 }'); do
	kill -0 "${ns##*-}" 2>/dev/null && continue
	for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
	ip netns del "$ns" 2>/dev/null
done

ID=$$
NSA=ncu-wgA-$ID
NSB=ncu-wgB-$ID
TMP=$(mktemp -d /tmp/ncu-wg-test.XXXXXX)

cleanup () {
	local rc=$?
	wg_drivers_stop "$rc"
	rc=$STOP_RC
	wait
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- topology ----
ip netns add "$NSA" || fail "cannot create namespace $NSA"
ip netns add "$NSB" || fail "cannot create namespace $NSB"
ip link add vA netns "$NSA" type veth peer name vB netns "$NSB" || fail "veth"
ip -n "$NSA" addr add 192.0.2.1/24 dev vA
ip -n "$NSB" addr add 192.0.2.2/24 dev vB
for ns in "$NSA" "$NSB"; do
	ip -n "$ns" link set lo up
done
ip -n "$NSA" link set vA up
ip -n "$NSB" link set vB up

# ---- backend choice and failures ----
start_driver C "$NSA" NCU_WIREGUARD_GO=/nonexistent/wireguard-go
if ip -n "$NSA" link add ncuprobe type wireguard 2>/dev/null; then
	ip -n "$NSA" link del ncuprobe
	KERNEL_WG=yes
	cmd C new kernel wgk0; [[ $R == "ok backend=kernel"* ]] || fail "kernel backend: $R"
	ok C free
else
	KERNEL_WG=no
	cmd C new kernel wgk0
	[ "$R" = 'error UNSUPPORTED: the kernel has no WireGuard (link type "wireguard" is unknown)' ] ||
		fail "kernel backend without module: $R"
	cmd C new auto wgk0
	[ "$R" = "error NOT_FOUND: NCU_WIREGUARD_GO=/nonexistent/wireguard-go is not an executable" ] ||
		fail "auto must fall back to wireguard-go (here: the broken override): $R"
fi
note "kernel WireGuard here: $KERNEL_WG"
cmd C new userspace wgc0
[[ $R == "error NOT_FOUND: "* ]] || fail "missing wireguard-go: $R"
cmd C new userspace 'bad/name'
[[ $R == "error INVALID_ARGUMENT: "* ]] || fail "bad interface name: $R"

start_driver F "$NSA" NCU_WIREGUARD_GO=/bin/false
cmd F new userspace wgf0
[ "$R" = "error EXITED: wireguard-go for wgf0 exited with status 1 before its socket appeared" ] ||
	fail "wireguard-go failing at start: $R"
in_ns F test -e /run/wireguard/wgf0.sock && fail "socket left after a failed start"
ip -n "$NSA" link show wgf0 >/dev/null 2>&1 && fail "interface left after a failed start"

# ---- two userspace devices, configured by our code only ----
start_driver A "$NSA"
start_driver B "$NSB" NCU_WIREGUARD_GO="$(command -v wireguard-go)"
ok A new userspace wgA
[[ $R == "ok backend=userspace ifname=wgA ifindex="* ]] || fail "new: $R"
cmd C new userspace wgA
[ "$R" = "error EXISTS: interface wgA already exists" ] || fail "duplicate interface: $R"
ok B new auto wgB
[ $KERNEL_WG = yes ] || [[ $R == "ok backend=userspace"* ]] || fail "auto without kernel WireGuard: $R"
ok A genkey; PUBA=${R#ok }
ok B genkey; PUBB=${R#ok }
PUBC=$(wg genkey | wg pubkey)       # a third peer that never answers
PSK=$(wg genpsk)

ok A set-device 51820 0x1234
ok B set-device 0 0

# A listen port another device holds: reported as such (the service tries
# again for a while), and the device still takes another port.
start_driver P "$NSA"
ok P new userspace wgP
ok P genkey
cmd P set-device 51820 0
[ "$R" = "error ADDRESS_IN_USE: wgP: wireguard-go refused the request: errno=-98 (Address already in use)" ] ||
	fail "a listen port in use: $R"
ok P set-device 51821 0
[ "$(in_ns P wg show wgP listen-port)" = 51821 ] || fail "wgP did not take another port after a taken one"
ok P free
note "a taken listen port: ADDRESS_IN_USE"

dump B
PB=$(printf '%s\n' "$R" | head -n1 | cut -f2)
[ -n "$PB" ] && [ "$PB" -gt 0 ] || fail "listen port 0 did not report the bound port: $PB"
note "B listens on $PB"

ok A set-peer "$PUBB" "$PSK" "192.0.2.2:$PB" 0 10.99.0.2/32,fd99::2/128 replace
ok A set-peer "$PUBC" - 192.0.2.3:51820 25 10.99.0.3/32 replace
ok B set-peer "$PUBA" "$PSK" 192.0.2.1:51820 0 10.99.0.1/32,fd99::1/128 replace

ip -n "$NSA" link show wgA | grep -q '<.*UP.*>' || fail "wgA is not up"
ip -n "$NSA" addr add 10.99.0.1/24 dev wgA
ip -n "$NSB" addr add 10.99.0.2/24 dev wgB
wait_ping "$NSA" 10.99.0.2
wait_ping "$NSB" 10.99.0.1
note "ping crosses the tunnel"

# ---- what wg reads back is what we set ----
[ "$(in_ns A wg show wgA public-key)" = "$PUBA" ] || fail "wgA public key differs from ours"
[ "$(in_ns B wg show wgB public-key)" = "$PUBB" ] || fail "wgB public key differs from ours"
[ "$(in_ns A wg show wgA listen-port)" = 51820 ] || fail "wgA listen port"
[ "$(in_ns B wg show wgB listen-port)" = "$PB" ] || fail "wgB listen port"
[ "$(in_ns A wg show wgA fwmark)" = 0x1234 ] || fail "wgA fwmark"
[ "$(in_ns B wg show wgB fwmark)" = off ] || fail "wgB fwmark"

WA=$(wg_dump A wgA)
LB=$(peer_line "$WA" "$PUBB")
LC=$(peer_line "$WA" "$PUBC")
[ "$(field "$LB" 2)" = "$PSK" ] || fail "pre-shared key of peer B not set"
[ "$(field "$LB" 3)" = "192.0.2.2:$PB" ] || fail "endpoint of peer B: $(field "$LB" 3)"
[ "$(field "$LB" 4)" = "10.99.0.2/32,fd99::2/128" ] || fail "allowed IPs of peer B: $(field "$LB" 4)"
[ "$(field "$LB" 8)" = off ] || fail "keepalive of peer B: $(field "$LB" 8)"
[ "$(field "$LB" 5)" -gt 0 ] || fail "no handshake with peer B"
[ "$(field "$LC" 2)" = "(none)" ] || fail "peer C has a pre-shared key"
[ "$(field "$LC" 3)" = 192.0.2.3:51820 ] || fail "endpoint of peer C: $(field "$LC" 3)"
[ "$(field "$LC" 4)" = 10.99.0.3/32 ] || fail "allowed IPs of peer C: $(field "$LC" 4)"
[ "$(field "$LC" 8)" = 25 ] || fail "keepalive of peer C: $(field "$LC" 8)"
LBB=$(peer_line "$(wg_dump B wgB)" "$PUBA")
[ "$(field "$LBB" 2)" = "$PSK" ] || fail "pre-shared key of peer A on B not set"
[ "$(field "$LBB" 4)" = "10.99.0.1/32,fd99::1/128" ] || fail "allowed IPs of peer A on B"

# ... and our own reading (ncu_wg_get_device) agrees with wg's
check_readback A wgA
check_readback B wgB
note "every attribute set reads back the same through wg and ncu_wg_get_device"

# ---- the private key is in no log, argv or environment ----
PRIVA=$(in_ns A wg show wgA private-key)
WGPID=$(pgrep -P "${PID[A]}")
[ -n "$WGPID" ] && [ "$(printf '%s\n' "$WGPID" | wc -l)" = 1 ] || fail "wireguard-go of A not found"
[ "$(tr '\0' ' ' </proc/"$WGPID"/cmdline)" = "$(command -v wireguard-go) -f wgA " ] ||
	fail "wireguard-go argv: $(tr '\0' ' ' </proc/"$WGPID"/cmdline)"
grep -qF "$PRIVA" /proc/"$WGPID"/environ /proc/"$WGPID"/cmdline && fail "private key in wireguard-go's argv/env"
grep -rqF "$PRIVA" "$TMP" && fail "private key in a log"

# ---- one peer's endpoint changes, the other peer stays as it was ----
BEFORE_B=$(static_cols "$(peer_line "$(wg_dump A wgA)" "$PUBB")")
ok A set-endpoint "$PUBC" 192.0.2.4:4444
WA=$(wg_dump A wgA)
[ "$(static_cols "$(peer_line "$WA" "$PUBB")")" = "$BEFORE_B" ] || fail "peer B changed when peer C's endpoint did"
LC2=$(peer_line "$WA" "$PUBC")
[ "$(field "$LC2" 3)" = 192.0.2.4:4444 ] || fail "peer C endpoint not updated: $(field "$LC2" 3)"
[ "$(static_cols "$LC2" | cut -f1,2,4,5)" = "$(static_cols "$LC" | cut -f1,2,4,5)" ] ||
	fail "peer C lost more than its old endpoint"
ok A set-endpoint "$PUBB" "192.0.2.2:$PB"
ok A set-endpoint "$PUBC" '[2001:db8::4]:4445'
[ "$(field "$(peer_line "$(wg_dump A wgA)" "$PUBC")" 3)" = '[2001:db8::4]:4445' ] || fail "IPv6 endpoint"
GHOST=$(wg genkey | wg pubkey)
ok A set-endpoint "$GHOST" 192.0.2.9:9
[ -z "$(peer_line "$(wg_dump A wgA)" "$GHOST")" ] || fail "an endpoint update created a peer"
wait_ping "$NSA" 10.99.0.2
note "endpoint updates touch one peer only"

ok A set-peer "$PUBC" - - 0 - remove
WA=$(wg_dump A wgA)
[ -z "$(peer_line "$WA" "$PUBC")" ] || fail "peer C not removed"
[ "$(static_cols "$(peer_line "$WA" "$PUBB")")" = "$BEFORE_B" ] || fail "peer B changed when C was removed"

# ---- wireguard-go dies: the exit callback fires, nothing stays behind ----
kill -KILL "$WGPID"
cmd A wait-exit 20
[ "$R" = "ok wireguard-go for wgA was killed by signal 9 (Killed)" ] || fail "exit callback: $R"
in_ns A test -e /run/wireguard/wgA.sock && fail "stale socket of the killed wireguard-go"
ip -n "$NSA" link show wgA >/dev/null 2>&1 && fail "wgA still there after wireguard-go died"
cmd A dump
[[ $R == "error EXITED: "* ]] || fail "dump after exit: $R"
ok A free
note "exit callback: wireguard-go for wgA was killed by signal 9"

# ---- free removes interface, socket and process ----
WGPIDB=$(pgrep -P "${PID[B]}")
[ -n "$WGPIDB" ] || [ $KERNEL_WG = yes ] || fail "wireguard-go of B not found"
in_ns B test -S /run/wireguard/wgB.sock || [ $KERNEL_WG = yes ] || fail "wgB socket missing before free"
ok B close
in_ns B test -e /run/wireguard/wgB.sock && fail "socket left after close"
ip -n "$NSB" link show wgB >/dev/null 2>&1 && fail "interface left after close"
[ -z "$(pgrep -P "${PID[B]}")" ] || fail "process left after close"
cmd B dump
[[ $R == "error FAILED: WireGuard device wgB is closed" ]] || fail "dump after close: $R"
ok B close                                  # idempotent: nothing left to do
ok B free
ok B new userspace wgB                      # the name is free again
ok B free
in_ns B test -e /run/wireguard/wgB.sock && fail "socket left after free"
ip -n "$NSB" link show wgB >/dev/null 2>&1 && fail "interface left after free"
[ -z "$(pgrep -P "${PID[B]}")" ] || fail "process left after free"
note "close/free leave no interface, socket or process"

# ---- the service is killed: wireguard-go follows (parent-death signal) ----
start_driver D "$NSB"
ok D new userspace wgD
WGPIDD=$(pgrep -P "${PID[D]}")
[ -n "$WGPIDD" ] || fail "wireguard-go of D not found"
kill -KILL "${PID[D]}"
wait "${JOB[D]}" 2>/dev/null
eval "exec ${WFD[D]}>&- ${RFD[D]}<&-"
unset 'WFD[D]' 'RFD[D]' 'PID[D]' 'JOB[D]'
for ((t = 0; t < 100; t++)); do kill -0 "$WGPIDD" 2>/dev/null || break; sleep 0.1; done
kill -0 "$WGPIDD" 2>/dev/null && fail "wireguard-go outlived its killed parent"
ip -n "$NSB" link show wgD >/dev/null 2>&1 && fail "wgD left after its parent was killed"
note "wireguard-go exits when its parent is killed"
echo "PASS"
