#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# wireguard-backend=auto picks kernel WireGuard where the kernel has it,
# even before the module is loaded (as on a desktop that never used
# WireGuard): runs in a QEMU guest with Debian's kernel, booted without
# the module, and with no usable wireguard-go, so a fallback to userspace
# would show.

set -u
# Boot without wireguard loaded: the probe itself has to load it.
export NCU_QEMU_MODULES=
# shellcheck source=lib-guest.sh
. "$(dirname "$0")/lib-guest.sh"

[ -e /sys/module/wireguard ] && fail "the guest booted with wireguard loaded"
add_netns "ncu-kauto-$$"
start_driver A "ncu-kauto-$$" NCU_WIREGUARD_GO=/nonexistent/wireguard-go
cmd A new auto wga0
[[ $R == "ok backend=kernel ifname=wga0 ifindex="* ]] || fail "auto did not pick the kernel: $R"
[ -e /sys/module/wireguard ] || fail "the kernel backend runs without the wireguard module?"
ip -n "ncu-kauto-$$" -d link show wga0 | grep -qw wireguard || fail "wga0 is not a WireGuard link"
note "auto: $R"

ok A genkey
ok A set-device 0 0
dump A
[ "$(printf '%s\n' "$R" | head -n1 | cut -f2)" -gt 0 ] || fail "no listen port after set-device 0"
check_readback A wga0
ok A free
ip -n "ncu-kauto-$$" link show wga0 >/dev/null 2>&1 && fail "wga0 left after free"

cmd A new userspace wga1
[ "$R" = "error NOT_FOUND: NCU_WIREGUARD_GO=/nonexistent/wireguard-go is not an executable" ] ||
	fail "userspace must still be what was asked for: $R"
echo "PASS"
