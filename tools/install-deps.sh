#!/bin/bash
# Installs the Debian 12 packages needed to build NetworkManager-cunicu and
# run its demo and tests. Idempotent: installs only what is missing.
#   tools/install-deps.sh [build|test|all]   (default: all)
set -euo pipefail

build_pkgs=(
	build-essential autoconf automake libtool autopoint gettext pkg-config
	libglib2.0-dev libglib2.0-dev-bin libnm-dev libnice-dev
	libnl-3-dev libnl-genl-3-dev libnl-route-3-dev
	libsodium-dev libmosquitto-dev libgtk-4-dev libnma-gtk4-dev
	xz-utils clang libclang-rt-14-dev
)
# What the demo and the test bed run for real: NetworkManager, WireGuard,
# QEMU (kernel WireGuard is tested in a guest running Debian's kernel),
# the STUN/TURN server, the MQTT broker, NAT routers made of nftables.
test_pkgs=(
	network-manager wireguard-go wireguard-tools coturn mosquitto
	mosquitto-clients nftables dbus iproute2 iputils-ping conntrack
	util-linux procps psmisc xvfb xauth man-db groff-base
	qemu-system-x86
)

case "${1:-all}" in
	build) want=("${build_pkgs[@]}") ;;
	test|all) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
	*) echo "usage: $0 [build|test|all]" >&2; exit 2 ;;
esac

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: run as root (it calls apt-get)" >&2
	exit 1
fi

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
# The packages ship services (NetworkManager, mosquitto, coturn). The test bed
# starts its own private instances; the host's must not be started.
added_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	added_policy=1
fi
cleanup() { [ -n "$added_policy" ] && rm -f /usr/sbin/policy-rc.d; true; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
