#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# PID 1 of the guest that tests/kernel/qemu-run.sh boots (busybox sh, from
# the initramfs).  Loads the boot modules, mounts the host's root read-only
# on /newroot with fresh /proc /sys /dev /run /tmp /var/tmp over it (the
# rest stays read-only: a test bind-mounts temporary directories over
# paths it must write), mounts the run's writable share on
# /newroot/run/ncu-qemu, runs the script named by ncu.script= with the host
# root as its root, writes its output and exit status to the share, and
# reboots (QEMU runs with -no-reboot, so it exits).
#
# PID 1 itself keeps the initramfs as its root: the kernel starts its
# module loader (/sbin/modprobe) with that root, whose /lib/modules is then
# the full module tree from the cache, so `ip link add type veth`, nftables
# and the like load their modules on demand in the guest (the host root may
# have neither modprobe nor these modules).

PATH=/bin:/sbin
export PATH
SHARE=/newroot/run/ncu-qemu

halt_guest () {
	[ -n "$1" ] && echo "ncu-guest: $1" >/dev/console
	sync
	umount "$SHARE" 2>/dev/null
	reboot -f
	sleep 10
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

MODDIR=
SCRIPT=
MODULES=
for word in $(cat /proc/cmdline); do
	case $word in
		ncu.moddir=*) MODDIR=${word#*=} ;;
		ncu.script=*) SCRIPT=${word#*=} ;;
		ncu.modules=*) MODULES=${word#*=} ;;
	esac
done
[ -n "$MODDIR" ] && [ -n "$SCRIPT" ] || halt_guest "ncu.moddir= or ncu.script= missing"

for m in virtio_pci virtio_rng 9pnet_virtio 9p; do
	modprobe "$m" || halt_guest "cannot load module $m"
done

P9="trans=virtio,version=9p2000.L,msize=512000"
# The host root does not change during a run: cache it (far faster).
mount -t 9p -o "$P9,ro,cache=loose" hostroot /newroot || halt_guest "cannot mount the host root"
# A view of the host root without the guest's mounts on top (see keep-paths).
mkdir -p /hostroot && mount --bind /newroot /hostroot
mount -t proc proc /newroot/proc
mount -t sysfs sysfs /newroot/sys
mount -t devtmpfs devtmpfs /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm 2>/dev/null
# What udev would add; bash's <(...) needs /dev/fd.
ln -s /proc/self/fd /newroot/dev/fd
ln -s /proc/self/fd/0 /newroot/dev/stdin
ln -s /proc/self/fd/1 /newroot/dev/stdout
ln -s /proc/self/fd/2 /newroot/dev/stderr
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777 tmpfs /newroot/dev/shm
mount -t tmpfs -o mode=755 tmpfs /newroot/run
mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp
mount -t tmpfs -o mode=1777 tmpfs /newroot/var/tmp
mkdir "$SHARE"
mount -t 9p -o "$P9,cache=none" ncushare "$SHARE" || halt_guest "cannot mount the share"
# Host paths under the tmpfs mounts above that the command needs (its
# source or build tree under /tmp): bound back read-only from the host root.
if [ -s "$SHARE/keep-paths" ]; then
	while read -r dir; do
		mkdir -p "/newroot$dir" && mount -o bind "/hostroot$dir" "/newroot$dir" ||
			halt_guest "cannot bind $dir from the host"
	done < "$SHARE/keep-paths"
fi
mount -o bind "/newroot$MODDIR" "/lib/modules/$(uname -r)" || halt_guest "no module tree at $MODDIR"
for m in $(echo "$MODULES" | tr , ' '); do
	modprobe "$m" || halt_guest "cannot load module $m"
done
hostname ncu-guest
ip link set lo up

cat /proc/uptime > "$SHARE/uptime-start"
# The command gets a mount namespace of its own whose root is the host
# root (moved over /, as switch_root does), so that entering the namespace
# of one of its processes (nsenter -m) lands there too, not in the
# initramfs as it would after a mere chroot.
unshare -m --propagation private sh -c 'cd /newroot && mount --move . / && exec chroot . /bin/bash "$0"' \
	"$SCRIPT" </dev/null >"$SHARE/output" 2>&1
echo $? > "$SHARE/status"
cat /proc/uptime > "$SHARE/uptime-end"
halt_guest ""
