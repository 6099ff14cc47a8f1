#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The version lives in one place, AC_INIT in configure.ac. Fail when
# debian/changelog's upstream version (its latest entry, without epoch and
# Debian revision), the configured PACKAGE_VERSION or NEWS disagree with it.
set -u

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${top_builddir:-$srcdir}

fail() { echo "FAIL: $*" >&2; exit 1; }

for f in configure.ac debian/changelog debian/control NEWS; do
	[ -f "$srcdir/$f" ] || fail "$srcdir/$f is missing (is it in EXTRA_DIST?)"
done

# AC_INIT([NetworkManager-cunicu], [0.1.0], ...)
upstream=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$srcdir/configure.ac")
[ -n "$upstream" ] || fail "cannot read the version from AC_INIT in configure.ac"

# First line: "source (epoch:upstream-revision) distribution; urgency=..."
first=$(head -n 1 "$srcdir/debian/changelog")
source=${first%% *}
debian=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$srcdir/debian/changelog")
[ -n "$debian" ] || fail "cannot read the version from debian/changelog: '$first'"
debian_upstream=${debian#*:}
debian_upstream=${debian_upstream%-*}
[ "$debian_upstream" = "$upstream" ] ||
	fail "debian/changelog is at $debian (upstream $debian_upstream), configure.ac at $upstream: add a debian/changelog entry (dch -v $upstream-1)"

grep -qx "Source: $source" "$srcdir/debian/control" ||
	fail "debian/changelog names source package '$source', debian/control does not"

if [ -f "$builddir/config.h" ]; then
	configured=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$builddir/config.h")
	[ "$configured" = "$upstream" ] ||
		fail "the build is configured as $configured, configure.ac says $upstream: rerun configure"
fi

# NEWS: one section a release, headed "NetworkManager-cunicu X.Y.Z ...".
grep -q "^NetworkManager-cunicu $upstream\b" "$srcdir/NEWS" ||
	fail "NEWS has no section 'NetworkManager-cunicu $upstream'"

echo "PASS: configure.ac, debian/changelog ($debian) and NEWS agree on $upstream"
exit 0
