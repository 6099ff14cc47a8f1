#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# PID 1 of a private NetworkManager (started by tb_start_nm in lib.sh as
#   ip netns exec <host> unshare --mount --uts --pid --fork --kill-child \
#       --mount-proc --propagation private bash nm-init.sh DIR NAME
# ). It runs in the host's network namespace and in fresh mount, UTS and PID
# namespaces, so everything below is private to this NetworkManager:
#   DIR/etc  -> /etc/NetworkManager       (NetworkManager.conf, system-connections)
#   DIR/var  -> /var/lib/NetworkManager   (state)
#   DIR/vpn  -> /usr/lib/NetworkManager/VPN (the plugin's .name file)
#   tmpfs    -> /run                      (system bus socket, NM's run state,
#                                          /run/wireguard of this host only)
# /sys is the namespace's own sysfs (mounted by `ip netns exec`), made
# read-only here: NetworkManager then knows that no udev runs and does not
# wait for it.
# When NetworkManager exits, its VPN services get up to 5 s to notice and
# tear down; then this script exits, and the kernel kills every process
# left in the PID namespace (dbus-daemon, VPN services, wireguard-go).
# SIGTERM/SIGINT stop NetworkManager gracefully first (like a real
# shutdown, it leaves VPN connections to their services).
set -eu

dir=$1
name=$2

hostname "$name"
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/dbus /run/NetworkManager
mount -o remount,bind,ro /sys
mount --bind "$dir/etc" /etc/NetworkManager
mount --bind "$dir/var" /var/lib/NetworkManager
mount --bind "$dir/vpn" /usr/lib/NetworkManager/VPN

dbus-daemon --nofork --nopidfile --config-file="$dir/bus.conf" >>"$dir/dbus.log" 2>&1 &
dbus=$!
for _ in $(seq 250); do
	[[ -S /run/dbus/system_bus_socket ]] && break
	sleep 0.02
done
if [[ ! -S /run/dbus/system_bus_socket ]]; then
	echo "nm-init: dbus-daemon did not create its socket within 5 s" >&2
	exit 1
fi

NetworkManager --no-daemon --debug >>"$dir/NetworkManager.log" 2>&1 &
nm=$!
trap 'kill -TERM "$nm" 2>/dev/null || true' TERM INT

# As PID 1 this shell also reaps orphans (bash reaps every child it is told
# about by SIGCHLD); `wait` returns early when a trapped signal arrives.
while kill -0 "$nm" 2>/dev/null; do
	wait "$nm" || true
done

# NetworkManager leaves its VPN services running when it stops (as under
# systemd, whose KillMode=process spares them): they see it leave the bus
# and tear down (interface, nft table, retained offers). Give them 5 s,
# with the bus still up, before this namespace and all left in it die.
# Orphans are re-parented to this shell (PID 1); no fork while looking.
orphans_left() {
	local f stat pid state ppid
	for f in /proc/[0-9]*/stat; do
		read -r stat <"$f" 2>/dev/null || continue
		pid=${f#/proc/}
		pid=${pid%/stat}
		read -r state ppid _ <<<"${stat##*) }"
		[[ $ppid == 1 && $state != Z && $pid != "$dbus" ]] && return 0
	done
	return 1
}
for _ in $(seq 100); do
	orphans_left || break
	sleep 0.05
done
