# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Sourced first by every test of tests/kernel/: on the host it runs the
# calling test again inside a QEMU guest with Debian's kernel
# (tests/kernel/qemu-run.sh) and exits with the guest's status; inside the
# guest (NCU_IN_QEMU set) it returns and the test goes on there.  Each test
# boots its own guest: the tests stay independent and can run in parallel.

if [ -z "${NCU_IN_QEMU:-}" ]; then
	ncu_self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
	exec bash "$(dirname "$ncu_self")/qemu-run.sh" bash "$ncu_self" "$@"
fi
