#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The user's documentation stays true to the tree: every relative link of
# README.md and docs/*.md leads to a file that exists, every source file
# they name exists, and docs/architecture.svg was drawn from the current
# docs/architecture.dot (every label of the source is in the drawing; run
# `make update-diagram` after editing the .dot).
set -u

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}

fail() { echo "FAIL: $*" >&2; exit 1; }

docs=("$srcdir/README.md" "$srcdir"/docs/*.md)
for f in "${docs[@]}" "$srcdir/docs/architecture.dot" "$srcdir/docs/architecture.svg"; do
	[ -f "$f" ] || fail "$f is missing (is it in EXTRA_DIST?)"
done

bad=
for doc in "${docs[@]}"; do
	dir=$(dirname "$doc")
	# [text](target) and ![alt](target), without URLs and #anchors.
	for target in $(grep -oE '\]\([^)#[:space:]]+' "$doc" | sed 's/^](//' | grep -vE '^[a-z]+:'); do
		[ -e "$dir/$target" ] || bad+=" ${doc#"$srcdir"/}->$target"
	done
	# Source files named in backquotes: `src/ncu-foo.c`, `shared/...`, `tools/...`.
	for path in $(grep -oE '`(src|shared|properties|data|tools|tests|debian)/[A-Za-z0-9_./-]+`' "$doc" | tr -d '`' | sort -u); do
		case $path in
		*\**) continue ;;   # globs such as src/ncu-wg*.c
		esac
		[ -e "$srcdir/$path" ] || bad+=" ${doc#"$srcdir"/}:$path"
	done
done
[ -z "$bad" ] || fail "links or files that do not exist:$bad"

# Node and edge labels of the source: their first lines, as the SVG writes text.
missing=
while IFS= read -r label; do
	[ -n "$label" ] || continue
	text=$(printf '%s' "$label" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/-/\&#45;/g' -e "s/'/\&#39;/g")
	grep -qF -- ">$text<" "$srcdir/docs/architecture.svg" || missing+=" '$label'"
done < <(grep -oE 'label="[^"]*"' "$srcdir/docs/architecture.dot" | sed -e 's/^label="//' -e 's/"$//' -e 's/\\n.*//')
[ -z "$missing" ] || fail "docs/architecture.svg lacks labels of docs/architecture.dot (run make update-diagram):$missing"

echo "PASS: the documentation's links, file names and diagram match the tree"
exit 0
