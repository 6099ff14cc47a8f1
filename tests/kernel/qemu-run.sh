#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs one command in a QEMU guest booted with Debian's generic kernel (which
# has WireGuard, unlike the host's kernel perhaps):
#
#   tests/kernel/qemu-run.sh COMMAND [ARG...]
#
# prints the command's output (stdout and stderr together) and exits with
# its status.  The guest sees the host's root filesystem read-only over 9p,
# with its own /proc /sys /dev /run /tmp, so programs built on the host run
# there unchanged; it starts in the current directory with a few variables
# of ours (see pass_env) and NCU_QEMU_SHARE, a directory it can write that
# the host reads (NCU_QEMU_KEEP=DIR: use DIR for it, and keep it).  The
# guest has root, network namespaces, veth and nftables (modules load on
# demand), and no network to the outside.
#
#   NCU_QEMU_TIMEOUT   seconds for the whole run (default 300)
#   NCU_QEMU_ACCEL     tcg (default) or kvm; KVM guests hang on some hosts
#   NCU_QEMU_SMP, NCU_QEMU_MEM   vCPUs (default 2) and MiB (default 1024)
#   NCU_QEMU_VERBOSE=1 show the guest's console on stderr afterwards
#   NCU_QEMU_MODULES   modules loaded before the command, comma-separated
#                      (default wireguard,tun; most others load on first use,
#                      but /dev/net/tun appears only once tun is loaded)
#
# Exit status: the command's; 1 with a message when no guest could run
# (no qemu, no kernel) or it ended without reporting a status.  The QEMU
# process and every temporary file are removed on every exit path.
set -u

here=$(cd "$(dirname "$0")" && pwd)
TIMEOUT=${NCU_QEMU_TIMEOUT:-300}
ACCEL=${NCU_QEMU_ACCEL:-tcg}
GUEST_SHARE=/run/ncu-qemu

RUN=
QPID=
cleanup () {
	local rc=$?
	if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then
		kill -TERM "$QPID" 2>/dev/null
		wait "$QPID" 2>/dev/null
	fi
	[ -n "$RUN" ] && rm -rf "$RUN"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

die () { echo "qemu-run: $*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: $0 COMMAND [ARG...]"
command -v qemu-system-x86_64 >/dev/null ||
	die "qemu-system-x86_64 not found: apt-get install qemu-system-x86"
[ "$(id -u)" = 0 ] || die "must run as root (9p shares the root filesystem as the caller)"
KDIR=$(bash "$here/prepare.sh" --cached-ok) || die "no guest kernel (tests/kernel/prepare.sh failed, see above)"
KVER=$(cat "$KDIR/ready")
KERNEL=$KDIR/vmlinux
[ -f "$KERNEL" ] || KERNEL=$KDIR/vmlinuz

RUN=$(mktemp -d /tmp/ncu-qemu.XXXXXX) || die "mktemp failed"
SHARE=${NCU_QEMU_KEEP:-$RUN/share}
mkdir -p "$SHARE" || die "cannot create $SHARE"
SHARE=$(cd "$SHARE" && pwd)
rm -f "$SHARE/status" "$SHARE/output" "$SHARE/uptime-start" "$SHARE/uptime-end"

# Variables the command gets: the test harness's and ours, nothing else
# (the host's session variables mean nothing in the guest).
pass_env () {
	local name
	while IFS= read -r name; do
		[[ $name =~ ^(PATH|LANG|LC_[A-Z]+|TZ|top_srcdir|top_builddir|srcdir|G_DEBUG|G_MESSAGES_DEBUG|MALLOC_PERTURB_|MALLOC_CHECK_|[A-Z]SAN_OPTIONS|UBSAN_OPTIONS|VALGRIND_OPTS|NCU_[A-Z0-9_]+)$ ]] || continue
		[[ $name == NCU_QEMU_* ]] && continue
		printf 'export %s=%q\n' "$name" "${!name}"
	done < <(compgen -e)
}

{
	echo '# written by qemu-run.sh'
	pass_env
	printf 'export NCU_QEMU_SHARE=%q NCU_IN_QEMU=1 HOME=/tmp\n' "$GUEST_SHARE"
	printf 'cd %q || exit 1\n' "$PWD"
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
} > "$SHARE/run.sh"

# Host directories the command needs that the guest covers with a tmpfs
# (a checkout or build tree under /tmp, say): the guest binds them back
# from the read-only host root.
for dir in "$PWD" "${top_srcdir:-}" "${top_builddir:-}"; do
	case $dir in /tmp/* | /var/tmp/* | /run/*) (cd "$dir" 2>/dev/null && pwd) ;; esac
done | sort -u > "$SHARE/keep-paths"

# The initramfs: the cached base (busybox, boot modules) plus our /init;
# the kernel unpacks concatenated cpio archives in order.
mkdir "$RUN/init" && cp "$here/guest-init.sh" "$RUN/init/init" && chmod 755 "$RUN/init/init" ||
	die "cannot stage the guest's init"
(cd "$RUN/init" && echo init | "$KDIR/busybox" cpio -o -H newc -R 0:0 2>/dev/null) > "$RUN/init.cpio" ||
	die "cannot pack the guest's init"
cat "$KDIR/base.cpio" "$RUN/init.cpio" > "$RUN/initrd" || die "cannot write the initramfs"

MODULES=${NCU_QEMU_MODULES-wireguard,tun}
[[ $MODULES =~ ^[A-Za-z0-9_,-]*$ ]] || die "NCU_QEMU_MODULES=$MODULES: module names, comma-separated"

# TCG: one host thread for all vCPUs; on a busy 2-core host multi-threaded
# TCG made process starts in the guest twice as slow.
# shellcheck disable=SC2054  # "tcg,thread=single" is one QEMU option value
case $ACCEL in
	kvm) accel=(-accel kvm) ;;
	tcg) accel=(-accel tcg,thread=single) ;;
	*) die "NCU_QEMU_ACCEL=$ACCEL: tcg or kvm" ;;
esac

fs9p () {   # fs9p ID PATH TAG [readonly=on]; QEMU options double commas
	local opts="local,id=$1,path=${2//,/,,},security_model=none,multidevs=remap"
	[ $# -gt 3 ] && opts+=",$4"
	printf '%s\n' -fsdev "$opts" -device "virtio-9p-pci,fsdev=$1,mount_tag=$3"
}
mapfile -t shares < <(fs9p root / hostroot readonly=on; fs9p share "$SHARE" ncushare)

start=$(date +%s.%N)
timeout -k 5 "$TIMEOUT" qemu-system-x86_64 \
	-nodefaults -no-user-config -no-reboot \
	-machine pc "${accel[@]}" -smp "${NCU_QEMU_SMP:-2}" -m "${NCU_QEMU_MEM:-1024}" \
	-display none -monitor none -serial "file:$RUN/console.log" \
	-kernel "$KERNEL" -initrd "$RUN/initrd" \
	-append "console=ttyS0 panic=-1 quiet mitigations=off cryptomgr.notests no_timer_check ncu.moddir=$KDIR/root/lib/modules/$KVER ncu.script=$GUEST_SHARE/run.sh ncu.modules=$MODULES" \
	"${shares[@]}" \
	-device virtio-rng-pci \
	>"$RUN/qemu.log" 2>&1 &
QPID=$!
wait "$QPID"
qrc=$?
QPID=
end=$(date +%s.%N)

[ "${NCU_QEMU_VERBOSE:-0}" = 1 ] && { echo "--- guest console" >&2; cat "$RUN/console.log" >&2; }
[ -f "$SHARE/output" ] && cat "$SHARE/output"
if [ ! -s "$SHARE/status" ]; then
	{
		if [ $qrc = 124 ]; then
			echo "qemu-run: the guest did not finish within ${TIMEOUT} s (NCU_QEMU_TIMEOUT)"
		else
			echo "qemu-run: the guest ended without reporting a status (QEMU exit status $qrc)"
		fi
		echo "--- QEMU"; tail -n 20 "$RUN/qemu.log"
		echo "--- guest console"; tail -n 40 "$RUN/console.log"
	} >&2
	exit 1
fi
rc=$(cat "$SHARE/status")
boot=$(cut -d' ' -f1 "$SHARE/uptime-start" 2>/dev/null)
awk -v s="$start" -v e="$end" -v b="${boot:-0}" -v a="$ACCEL" 'BEGIN {
	printf "# qemu-run: guest (%s) ran %.1f s, of which %.1f s booting\n", a, e - s, b }' >&2
[[ $rc =~ ^[0-9]+$ ]] || die "unreadable status '$rc'"
exit "$rc"
