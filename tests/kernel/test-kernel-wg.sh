#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The kernel WireGuard backend against the real module (in a QEMU guest
# with Debian's kernel): every attribute ncu_wg_set_device/ncu_wg_set_peer
# sets is read back through ncu_wg_get_device and cross-checked with
# `wg show dump`: private key (as its public key), listen port (0: the
# bound port is reported), fwmark, peers with pre-shared key, IPv4/IPv6
# endpoints, keepalive and hundreds of allowed IPs (more than one netlink
# message either way), adding vs replacing allowed IPs, an endpoint-only
# update that leaves every other peer alone, peer removal, errors the
# module reports, and link deletion.  Written to start few processes:
# each costs ~0.1 s in an emulated guest.

set -u
# shellcheck source=lib-guest.sh
. "$(dirname "$0")/lib-guest.sh"

NS=ncu-kwg-$$
IF=wgk0

# expect_ips DUMP KEY "cidr cidr ...": the peer's allowed IPs, as a set
expect_ips () {
	local -A want=()
	local -a got
	local ip n=0
	peer_fields "$1" "$2" || fail "no peer ${2:0:8}"
	for ip in $3; do want[$ip]=1; n=$((n + 1)); done
	got=()
	if [ "${PF[3]}" != "(none)" ]; then
		split_fields "${PF[3]//,/$'\t'}"
		got=("${F[@]}")
	fi
	[ ${#got[@]} = $n ] || fail "allowed IPs of ${2:0:8}: ${#got[@]}, not $n: ${PF[3]:0:200}"
	for ip in "${got[@]}"; do
		[ -n "${want[$ip]:-}" ] || fail "allowed IPs of ${2:0:8}: $ip was not set"
	done
}

# others DUMP KEY: static columns of all peers but KEY, in dump order
others () {
	local line
	split_lines "$1"
	for line in "${LINES[@]:1}"; do
		[[ $line == "$2"$'\t'* ]] || static_cols "$line"
	done
}

add_netns "$NS"
start_driver A "$NS"
start_driver X "$NS"

# ---- the link ----
ok A new kernel $IF
[[ $R == "ok backend=kernel ifname=$IF ifindex="* ]] || fail "new: $R"
ip -n "$NS" -d link show $IF > "$TMP/link" || fail "$IF not created"
grep -q 'wireguard' "$TMP/link" || fail "$IF is not a WireGuard link: $(cat "$TMP/link")"
grep -q '<.*UP.*>' "$TMP/link" || fail "$IF is not up"
cmd X new kernel $IF
[ "$R" = "error EXISTS: interface $IF already exists" ] || fail "second $IF: $R"
check_readback A $IF      # not configured yet: no key, no peer

# ---- device: private key, listen port, fwmark ----
ok A genkey; PUBA=${R#ok }
ok A set-device 51820 0xdeadbeef
WA=$(wg_dump A $IF)
[ "${WA%%$'\n'*}" = "$PUBA	51820	0xdeadbeef" ] ||
	fail "device as wg sees it: ${WA%%$'\n'*} (public key, port, fwmark)"
check_readback A $IF
ok A set-device 0 0
dump A
split_fields "${R%%$'\n'*}"
pub=${F[0]} port=${F[1]} mark=${F[2]}
[ "$pub" = "$PUBA" ] && [ "$mark" = off ] || fail "after set-device 0 0: $pub $mark"
[ "$port" -gt 0 ] || fail "listen port 0: the bound port is not reported ($port)"
[ "$(in_ns A wg show $IF listen-port)" = "$port" ] || fail "wg sees another port than $port"
note "listen port 0 bound $port"
ok X new kernel wgk1
ok X genkey
cmd X set-device "$port" 0
[[ $R == "error ADDRESS_IN_USE: WG_CMD_SET_DEVICE on wgk1: Address already in use"* ]] ||
	fail "a port in use: $R"
ok X free
ok A set-device 51820 0

# ---- peers ----
P1=$(wg genkey | wg pubkey)
P2=$(wg genkey | wg pubkey)
P3=$(wg genkey | wg pubkey)
PSK=$(wg genpsk)
# 300 IPv4 and 300 IPv6 addresses: more than one message's worth.
IPS1=()
for ((i = 0; i < 300; i++)); do
	printf -v hex %x $((i + 1))
	IPS1+=("10.1.$((i / 250)).$((i % 250 + 1))/32" "fd00:1::$hex/128")
done
IPS1_CSV=$(IFS=,; echo "${IPS1[*]}")
ok A set-peer "$P1" "$PSK" 192.0.2.10:51000 25 "$IPS1_CSV" replace
# Host bits are cleared by the kernel: 10.2.3.4/16 reads back as 10.2.0.0/16.
ok A set-peer "$P2" - '[2001:db8::20]:52000' 0 10.2.3.4/16,fd00:2::/64 replace
ok A set-peer "$P3" - - 0 - replace
WA=$(wg_dump A $IF)
peer_fields "$WA" "$P1" || fail "P1 missing"
[ "${PF[1]}" = "$PSK" ] || fail "pre-shared key of P1 not set"
[ "${PF[2]}" = 192.0.2.10:51000 ] || fail "endpoint of P1: ${PF[2]}"
[ "${PF[7]}" = 25 ] || fail "keepalive of P1: ${PF[7]}"
expect_ips "$WA" "$P1" "${IPS1[*]}"
peer_fields "$WA" "$P2" || fail "P2 missing"
[ "${PF[1]}" = "(none)" ] && [ "${PF[2]}" = '[2001:db8::20]:52000' ] && [ "${PF[7]}" = off ] ||
	fail "P2: psk set? endpoint ${PF[2]} keepalive ${PF[7]}"
expect_ips "$WA" "$P2" "10.2.0.0/16 fd00:2::/64"
peer_fields "$WA" "$P3" && [ "${PF[2]} ${PF[3]}" = "(none) (none)" ] || fail "P3 has endpoint or IPs"
check_readback A $IF
note "3 peers, 600 allowed IPs read back alike"

# ---- adding vs replacing allowed IPs; clearing a pre-shared key ----
ok A set-peer "$P2" - '[2001:db8::20]:52000' 0 10.3.0.0/16
expect_ips "$(wg_dump A $IF)" "$P2" "10.2.0.0/16 fd00:2::/64 10.3.0.0/16"
ok A set-peer "$P2" - '[2001:db8::20]:52000' 0 10.4.0.0/16 replace
expect_ips "$(wg_dump A $IF)" "$P2" "10.4.0.0/16"
ok A set-peer "$P2" - '[2001:db8::20]:52000' 0 - replace
expect_ips "$(wg_dump A $IF)" "$P2" ""
ok A set-peer "$P2" - '[2001:db8::20]:52000' 0 10.2.0.0/16,fd00:2::/64
ok A set-peer "$P1" - 192.0.2.10:51000 0 -
WA=$(wg_dump A $IF)
peer_fields "$WA" "$P1" && [ "${PF[1]}" = "(none)" ] && [ "${PF[7]}" = off ] ||
	fail "P1: pre-shared key or keepalive not cleared"
expect_ips "$WA" "$P1" "${IPS1[*]}"
# No endpoint given: the peer keeps the one it has.
ok A set-peer "$P1" "$PSK" - 25 -
peer_fields "$(wg_dump A $IF)" "$P1" && [ "${PF[2]}" = 192.0.2.10:51000 ] ||
	fail "P1's endpoint changed without one given: ${PF[2]:-}"
check_readback A $IF

# ---- an endpoint-only update touches that peer's endpoint only ----
BEFORE=$(wg_dump A $IF)
ok A set-endpoint "$P3" 192.0.2.30:53000
WA=$(wg_dump A $IF)
[ "$(others "$WA" "$P3")" = "$(others "$BEFORE" "$P3")" ] || fail "other peers changed with P3's endpoint"
peer_fields "$WA" "$P3" && [ "${PF[2]} ${PF[3]}" = "192.0.2.30:53000 (none)" ] || fail "P3 endpoint not set"
ok A set-endpoint "$P3" '[2001:db8::30]:53001'
ok A set-endpoint "$P1" '[2001:db8::10]:51001'
WA=$(wg_dump A $IF)
peer_fields "$WA" "$P3" && [ "${PF[2]}" = '[2001:db8::30]:53001' ] || fail "P3 IPv6 endpoint"
peer_fields "$WA" "$P1" && [ "${PF[1]}" = "$PSK" ] && [ "${PF[2]}" = '[2001:db8::10]:51001' ] &&
	[ "${PF[7]}" = 25 ] || fail "P1 after its endpoint changed: endpoint ${PF[2]} keepalive ${PF[7]}, psk kept?"
expect_ips "$WA" "$P1" "${IPS1[*]}"
GHOST=$(wg genkey | wg pubkey)
ok A set-endpoint "$GHOST" 192.0.2.99:9
peer_fields "$(wg_dump A $IF)" "$GHOST" && fail "an endpoint update created a peer"
ok A set-peer "$GHOST" - - 0 - remove    # removing an unknown peer is no error
note "endpoint updates leave other peers and attributes alone"

# ---- many peers: the dump spans many messages ----
ok X new kernel wgk1      # only to make public keys without starting processes
for ((i = 1; i <= 40; i++)); do
	ok X genkey
	printf -v hex %x "$i"
	ok A set-peer "${R#ok }" - "192.0.2.$((i % 200 + 1)):$((40000 + i))" $((i % 3)) \
		"10.9.$i.0/24,fd00:9:$hex::/48,10.8.$i.1/32"
done
ok X free
check_readback A $IF
dump A
R=${R//[!$'\n']/}
[ ${#R} = 43 ] || fail "not 43 peers but ${#R}"
note "43 peers read back alike"

# ---- removing a peer ----
BEFORE=$(wg_dump A $IF)
ok A set-peer "$P2" - - 0 - remove
WA=$(wg_dump A $IF)
peer_fields "$WA" "$P2" && fail "P2 not removed"
[ "$(others "$WA" "$P2")" = "$(others "$BEFORE" "$P2")" ] || fail "other peers changed when P2 was removed"
check_readback A $IF

# ---- no secret in the logs ----
PRIVA=$(in_ns A wg show $IF private-key)
grep -rqF -e "$PRIVA" -e "$PSK" "$TMP" && fail "a secret is in a driver's log"

# ---- link deletion ----
ok A close
ip -n "$NS" link show $IF >/dev/null 2>&1 && fail "$IF left after close"
cmd A dump
[ "$R" = "error FAILED: WireGuard device $IF is closed" ] || fail "dump after close: $R"
ok A new kernel $IF
ip -n "$NS" link del $IF
cmd A dump
[[ $R == "error NOT_FOUND: WG_CMD_GET_DEVICE on $IF: "* ]] || fail "dump of a deleted link: $R"
note "deleted behind our back: $R"
ok A free
ok A new kernel $IF
ok A free
ip -n "$NS" link show $IF >/dev/null 2>&1 && fail "$IF left after free"
echo "PASS"
