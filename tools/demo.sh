#!/bin/bash
# The main job of NetworkManager-cunicu on a fresh Debian 12 machine, as root:
# installs the Debian packages it needs, builds, and runs the demo: two peers
# behind NATs, each with its own NetworkManager, connect through the plugin
# and ping across the tunnel (tests/e2e/demo-two-peers.sh). Everything runs
# in network namespaces and is removed afterwards.
#   tools/demo.sh [--nat-b symmetric]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${NCU_BUILDDIR:-$top/_build}

[ "$(id -u)" = 0 ] || { echo "demo: run as root (network namespaces, apt-get)" >&2; exit 1; }
"$top/tools/install-deps.sh" all
echo "demo: building in $builddir"
"$top/tools/build.sh" "$builddir" > /dev/null
cd "$builddir"
export top_srcdir=$top top_builddir=$builddir
exec bash "$top/tests/e2e/demo-two-peers.sh" "$@"
