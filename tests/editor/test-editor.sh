#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs the GTK4 editor test (test-editor) in a real X server (xvfb-run),
# with libnm finding the plugin in the build tree through NM_VPN_PLUGIN_DIR,
# the way GNOME Settings finds an installed one. Screenshots land in
# $top_builddir/tests/editor/ (editor-main.png, editor-peer.png, ...).
set -eu

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}

fail() {
	echo "test-editor: FAIL: $*" >&2
	exit 1
}

command -v xvfb-run >/dev/null ||
	fail "xvfb-run is missing: install the Debian packages xvfb and xauth"
command -v xauth >/dev/null ||
	fail "xauth is missing (xvfb-run needs it): install the Debian package xauth"

plugin="$top_builddir/properties/.libs/libnm-vpn-plugin-cunicu.so"
editor="$top_builddir/properties/.libs/libnm-gtk4-vpn-plugin-cunicu-editor.so"
program="$top_builddir/tests/editor/test-editor"
[ -f "$plugin" ] || fail "the libnm plugin $plugin is not built"
[ -f "$editor" ] || fail "the editor $editor is not built"
[ -x "$program" ] || fail "$program is not built (make check builds it)"

# libnm skips plugin files that are not owned by us (or root) or that are
# group/world-writable, without a word: say so instead.
for f in "$plugin" "$editor"; do
	[ -z "$(find "$f" -perm /022)" ] || fail "$f is group/world-writable; libnm would ignore it"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ncu-editor-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -m 0755 "$work/vpn" "$work/home"
mkdir -m 0700 "$work/runtime"

# The real .name file, pointed at the build tree.
sed -e "s|@PLUGINDIR@/libnm-vpn-plugin-cunicu.so|$plugin|" \
    -e "s|@LIBEXECDIR@|$top_builddir/src|" \
    "$top_srcdir/data/nm-cunicu-service.name.in" > "$work/vpn/nm-cunicu-service.name"
chmod 0644 "$work/vpn/nm-cunicu-service.name"

mkdir -p "$top_builddir/tests/editor"

# A private, quiet desktop: no session bus, settings in memory, no a11y.
env -u DBUS_SESSION_BUS_ADDRESS \
	HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" \
	XDG_RUNTIME_DIR="$work/runtime" \
	LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE= \
	NM_VPN_PLUGIN_DIR="$work/vpn" \
	NCU_TEST_OUTPUT_DIR="$top_builddir/tests/editor" \
	GSK_RENDERER=cairo GTK_A11Y=none NO_AT_BRIDGE=1 GDK_BACKEND=x11 \
	GSETTINGS_BACKEND=memory GTK_THEME=Adwaita \
	xvfb-run -a -s "-screen 0 1280x1024x24" "$program" ||
	fail "test-editor failed (exit $?)"
