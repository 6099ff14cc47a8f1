#!/bin/sh
# Regenerates the build system from configure.ac and Makefile.am.
set -e
srcdir=$(dirname "$0")
cd "$srcdir"
autoreconf --force --install --verbose
cd - >/dev/null
if [ -z "$NOCONFIGURE" ]; then
    exec "$srcdir/configure" "$@"
fi
