#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Two network namespaces joined by a veth pair exchange pings over two
# kernel WireGuard interfaces that only our code configured (in a QEMU
# guest with Debian's kernel): IPv4 and IPv6 inside the tunnel, first over
# IPv4 endpoints, then over IPv6 ones set by endpoint-only updates; our
# reading of handshakes and counters agrees with wg's.

set -u
# shellcheck source=lib-guest.sh
. "$(dirname "$0")/lib-guest.sh"

NSA=ncu-kpA-$$
NSB=ncu-kpB-$$
add_netns "$NSA"
add_netns "$NSB"
ip link add vA netns "$NSA" type veth peer name vB netns "$NSB" || fail "veth"
ip -n "$NSA" addr add 192.0.2.1/24 dev vA
ip -n "$NSB" addr add 192.0.2.2/24 dev vB
ip -n "$NSA" addr add 2001:db8::1/64 dev vA nodad
ip -n "$NSB" addr add 2001:db8::2/64 dev vB nodad
ip -n "$NSA" link set vA up
ip -n "$NSB" link set vB up

start_driver A "$NSA"
start_driver B "$NSB"
ok A new kernel wgA
ok B new kernel wgB
ok A genkey; PUBA=${R#ok }
ok B genkey; PUBB=${R#ok }
PSK=$(wg genpsk)
ok A set-device 51820 0
ok B set-device 0 0
dump B
split_fields "${R%%$'\n'*}"
PB=${F[1]}
ok A set-peer "$PUBB" "$PSK" "192.0.2.2:$PB" 0 10.99.0.2/32,fd99::2/128 replace
ok B set-peer "$PUBA" "$PSK" 192.0.2.1:51820 25 10.99.0.1/32,fd99::1/128 replace
# Addresses are NetworkManager's part, not the backend's.
ip -n "$NSA" addr add 10.99.0.1/24 dev wgA
ip -n "$NSB" addr add 10.99.0.2/24 dev wgB
ip -n "$NSA" addr add fd99::1/64 dev wgA nodad
ip -n "$NSB" addr add fd99::2/64 dev wgB nodad

wait_ping "$NSA" 10.99.0.2
wait_ping "$NSB" 10.99.0.1
wait_ping "$NSA" fd99::2
note "pings cross the tunnel over IPv4 endpoints"
check_readback A wgA
check_readback B wgB
dump A
peer_fields "$R" "$PUBB" || fail "A lost peer B"
[ "${PF[4]}" -gt 0 ] && [ "${PF[5]}" -gt 0 ] && [ "${PF[6]}" -gt 0 ] ||
	fail "A: handshake ${PF[4]}, rx ${PF[5]}, tx ${PF[6]}: none?"
RX1=${PF[5]}

ok A set-endpoint "$PUBB" "[2001:db8::2]:$PB"
ok B set-endpoint "$PUBA" '[2001:db8::1]:51820'
wait_ping "$NSA" 10.99.0.2
wait_ping "$NSB" fd99::1
dump A
peer_fields "$R" "$PUBB"
[ "${PF[2]}" = "[2001:db8::2]:$PB" ] || fail "A's endpoint for B: ${PF[2]}"
[ "${PF[5]}" -gt "$RX1" ] || fail "nothing received after the switch to IPv6 endpoints"
check_readback A wgA
check_readback B wgB
note "pings cross the tunnel over IPv6 endpoints"

ok A free
ok B free
ip -n "$NSA" link show wgA >/dev/null 2>&1 && fail "wgA left after free"
ip -n "$NSB" link show wgB >/dev/null 2>&1 && fail "wgB left after free"
echo "PASS"
