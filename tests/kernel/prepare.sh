#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Prepares what tests/kernel/qemu-run.sh boots: Debian's generic kernel
# (it has the WireGuard module; the host's kernel may not) and a busybox for
# the guest's initramfs.  Both packages are only downloaded with
# `apt-get download` and unpacked with `dpkg-deb -x` into a cache: nothing is
# installed, so the host's /boot, /lib/modules and busybox stay as they are
# (installing busybox-static would remove busybox).
#
#   tests/kernel/prepare.sh [--cached-ok]
#
# prints the prepared directory on stdout.  --cached-ok (what qemu-run.sh
# uses): any kernel already prepared will do, so no package list is read.
#
# Cache: $NCU_QEMU_CACHE (default /var/cache/nm-cunicu-qemu), one directory
# per kernel version:
#   <kver>/vmlinuz                   the kernel
#   <kver>/vmlinux                   the same, uncompressed ELF (boots faster)
#   <kver>/root/lib/modules/<kver>/  all its modules, with modules.dep/alias
#   <kver>/busybox                   busybox-static's binary
#   <kver>/base.cpio                 initramfs without /init: busybox and the
#                                    modules needed to reach the host root
#   <kver>/ready                     written last: the rest is complete
# $NCU_QEMU_KERNEL picks a version (e.g. 6.1.0-56-amd64); by default it is
# the one linux-image-amd64 depends on (without package lists: the newest
# one cached).  Preparing a new default version removes the older ones.
# Idempotent and quick once done; concurrent runs wait for each other.
set -euo pipefail

CACHE=${NCU_QEMU_CACHE:-/var/cache/nm-cunicu-qemu}
# What the guest needs before it can read the host root; every other
# module (wireguard too) loads from the full tree once that is mounted.
BOOT_MODULES=(virtio_pci virtio_rng 9pnet_virtio 9p)

die () { echo "prepare: $*" >&2; exit 1; }
say () { echo "prepare: $*" >&2; }

command -v qemu-system-x86_64 >/dev/null ||
	die "qemu-system-x86_64 not found: apt-get install qemu-system-x86"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found (a Debian system is needed)"
command -v apt-get >/dev/null || die "apt-get not found (a Debian system is needed)"

# The version linux-image-amd64 depends on, from the local package lists.
apt_kernel_version () {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | head -n1
}

newest_cached () {
	local d best
	best=$(for d in "$CACHE"/*/ready; do
		[ -e "$d" ] && basename "$(dirname "$d")"
	done | sort -V | tail -n1)
	[ -n "$best" ] && printf '%s\n' "$best"
}

pick_version () {
	local v=${NCU_QEMU_KERNEL:-}
	[ -n "$v" ] && { printf '%s\n' "$v"; return; }
	if [ "$CACHED_OK" = 1 ]; then
		v=$(newest_cached) && { printf '%s\n' "$v"; return; }
	fi
	v=$(apt_kernel_version)
	if [ -z "$v" ]; then
		v=$(newest_cached) && { printf '%s\n' "$v"; return; }
		[ "$(id -u)" = 0 ] || die "no package lists to find linux-image-amd64 in: run apt-get update as root"
		say "no package lists: apt-get update"
		apt-get update -q >&2 || die "apt-get update failed"
		v=$(apt_kernel_version)
	fi
	[ -n "$v" ] || die "cannot tell which kernel linux-image-amd64 depends on (apt-cache depends linux-image-amd64)"
	printf '%s\n' "$v"
}

# extract_elf VMLINUZ OUT: the uncompressed ELF kernel inside a bzImage
# (xz, as Debian builds it).  QEMU boots an ELF kernel through its PVH
# entry directly: on TCG that saves ~4.5 s of firmware and decompression.
extract_elf () {
	local off
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$1" | head -n1 | cut -d: -f1)
	[ -n "$off" ] || return 1
	# xz stops after the stream: tail's SIGPIPE is no failure; the check is.
	tail -c +$((off + 1)) "$1" | xz -dc --single-stream > "$2" 2>/dev/null
	[ "$(head -c 4 "$2")" = $'\x7fELF' ]
}

# deps_closure MODDIR NAME...: the .ko paths (relative to MODDIR) of the
# modules and everything they depend on, dependencies first.
deps_closure () {
	local moddir=$1
	shift
	awk -v want="$*" '
		function base(p) { sub(/.*\//, "", p); sub(/\.ko$/, "", p); gsub(/-/, "_", p); return p }
		function visit(p,   n, i, d) {
			if (p in seen) return
			seen[p] = 1
			n = split(deps[p], d, " ")
			for (i = 1; i <= n; i++) visit(d[i])
			print p
		}
		{ mod = $1; sub(/:$/, "", mod); deps[mod] = ""; for (i = 2; i <= NF; i++) deps[mod] = deps[mod] " " $i
		  path[base(mod)] = mod }
		END {
			n = split(want, w, " ")
			for (i = 1; i <= n; i++) {
				m = w[i]; gsub(/-/, "_", m)
				if (!(m in path)) { print "missing module " w[i] > "/dev/stderr"; exit 1 }
				visit(path[m])
			}
		}' "$moddir/modules.dep"
}

# build_base DIR KVER: base.cpio with busybox, its applet links and the
# boot modules (with a modules.dep of their own).
build_base () {
	local dir=$1 kver=$2 stage=$1/stage mods=$1/root/lib/modules/$2 m a
	mkdir -p "$stage/bin" "$stage/sbin" "$stage/lib/modules/$kver"
	cp "$dir/busybox" "$stage/bin/busybox"
	for a in $("$dir/busybox" --list); do
		[ "$a" = busybox ] || ln -s busybox "$stage/bin/$a"
	done
	# The kernel runs /sbin/modprobe to load modules on demand.
	ln -s ../bin/busybox "$stage/sbin/modprobe"
	deps_closure "$mods" "${BOOT_MODULES[@]}" > "$dir/boot-modules"
	while read -r m; do
		mkdir -p "$stage/lib/modules/$kver/$(dirname "$m")"
		cp "$mods/$m" "$stage/lib/modules/$kver/$m"
	done < "$dir/boot-modules"
	"$dir/busybox" depmod -b "$stage" "$kver"
	mkdir -p "$stage/proc" "$stage/sys" "$stage/dev" "$stage/newroot"
	(cd "$stage" && find . -mindepth 1 | "$dir/busybox" cpio -o -H newc -R 0:0 > "$dir/base.cpio" 2>/dev/null)
	rm -rf "$stage"
}

# fetch_into DIR PACKAGE: downloads PACKAGE's .deb and unpacks it into DIR.
fetch_into () {
	local dest=$1 pkg=$2 dl
	dl=$(mktemp -d "$CACHE/dl.XXXXXX")
	# apt's _apt user must be able to write the download directory.
	chmod 755 "$dl"
	chown _apt "$dl" 2>/dev/null || true
	say "downloading $pkg"
	if ! (cd "$dl" && apt-get download -q "$pkg" >&2); then
		rm -rf "$dl"
		die "apt-get download $pkg failed (run apt-get update?)"
	fi
	dpkg-deb -x "$dl"/*.deb "$dest" || { rm -rf "$dl"; die "cannot unpack $pkg"; }
	rm -rf "$dl"
}

prepare () {
	local kver=$1 dir=$CACHE/$1 tmp
	[ -e "$dir/ready" ] && return 0
	tmp=$(mktemp -d "$CACHE/new-$kver.XXXXXX")
	chmod 755 "$tmp"
	# shellcheck disable=SC2064  # expand now: the trap must know this dir
	trap "rm -rf '$tmp'" EXIT
	fetch_into "$tmp/kernel" "linux-image-$kver"
	fetch_into "$tmp/busybox-pkg" busybox-static
	[ -f "$tmp/kernel/boot/vmlinuz-$kver" ] || die "linux-image-$kver has no boot/vmlinuz-$kver"
	[ -d "$tmp/kernel/lib/modules/$kver" ] || die "linux-image-$kver has no lib/modules/$kver"
	mkdir -p "$tmp/root/lib/modules"
	mv "$tmp/kernel/boot/vmlinuz-$kver" "$tmp/vmlinuz"
	mv "$tmp/kernel/lib/modules/$kver" "$tmp/root/lib/modules/$kver"
	mv "$tmp/busybox-pkg/bin/busybox" "$tmp/busybox"
	extract_elf "$tmp/vmlinuz" "$tmp/vmlinux" ||
		{ say "no ELF kernel inside vmlinuz: booting the slower way"; rm -f "$tmp/vmlinux"; }
	rm -rf "$tmp/kernel" "$tmp/busybox-pkg"
	say "indexing the modules of $kver"
	"$tmp/busybox" depmod -b "$tmp/root" "$kver"
	[ -s "$tmp/root/lib/modules/$kver/modules.dep" ] || die "depmod wrote no modules.dep"
	build_base "$tmp" "$kver"
	echo "$kver" > "$tmp/ready"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	trap - EXIT
	say "kernel $kver ready in $dir"
	[ -n "${NCU_QEMU_KERNEL:-}" ] || prune_others "$kver"
}

# A new default kernel replaces the old ones (400 MB each).
prune_others () {
	local d
	for d in "$CACHE"/*/ready; do
		[ -e "$d" ] || continue
		d=$(dirname "$d")
		[ "$(basename "$d")" = "$1" ] && continue
		say "removing the older kernel in $d"
		rm -rf "$d"
	done
}

CACHED_OK=0
case ${1:-} in
	--cached-ok) CACHED_OK=1 ;;
	"") ;;
	*) die "usage: $0 [--cached-ok]" ;;
esac
mkdir -p "$CACHE" || die "cannot create $CACHE"
case $CACHE in
	*[!A-Za-z0-9/._+-]*) die "cache path $CACHE: only letters, digits and /._+- please (it goes on the kernel command line)" ;;
esac
exec 9>"$CACHE/.lock"
flock 9 || die "cannot lock $CACHE"
# Left by a run that was killed: nobody else works here while we hold the lock.
rm -rf "$CACHE"/new-* "$CACHE"/dl.*
KVER=$(pick_version)
case $KVER in
	*[!A-Za-z0-9._+-]*) die "odd kernel version '$KVER'" ;;
esac
prepare "$KVER"
printf '%s\n' "$CACHE/$KVER"
