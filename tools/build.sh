#!/bin/bash
# Builds NetworkManager-cunicu out of tree with -Werror (used by demo.sh
# and test-all.sh). Prints the build directory on success.
#   tools/build.sh [builddir] [extra configure flags...]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${1:-$top/_build}
shift || true
jobs=$(nproc 2>/dev/null || echo 2)

cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
	NOCONFIGURE=1 ./autogen.sh > /dev/null 2>&1 || { echo "build: autogen.sh failed" >&2; exit 1; }
fi
mkdir -p "$builddir"
cd "$builddir"
if [ ! -f config.status ] || [ "$top/configure" -nt config.status ]; then
	"$top/configure" --enable-werror --prefix=/usr --sysconfdir=/etc \
		--libexecdir=/usr/lib/NetworkManager "$@" > configure.out 2>&1 \
		|| { tail -20 configure.out >&2; echo "build: configure failed" >&2; exit 1; }
fi
make -j"$jobs" > make.out 2>&1 || { tail -40 make.out >&2; echo "build: make failed" >&2; exit 1; }
echo "$builddir"
