#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# po/POTFILES.in lists exactly the source files with translatable strings:
# every .c file using _(), N_() or C_() and every .ui file with
# translatable="yes" — and nothing else, since a stale entry breaks
# `make update-po`.
set -euo pipefail
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$srcdir"

listed=$(grep -v '^#' po/POTFILES.in | sed '/^$/d' | sort)
found=$(
	{
		grep -lE '\b(N?_|C_)[[:space:]]*\(' $(find shared src properties -name '*.c') || true
		grep -l 'translatable="yes"' $(find properties -name '*.ui') || true
	} | sort
)
missing=$(comm -23 <(echo "$found") <(echo "$listed"))
stale=$(comm -13 <(echo "$found") <(echo "$listed"))
[[ -z $missing ]] || { echo "FAIL: not in po/POTFILES.in: $missing"; exit 1; }
[[ -z $stale ]] || { echo "FAIL: in po/POTFILES.in without translatable strings: $stale"; exit 1; }
echo "PASS: po/POTFILES.in lists all $(wc -l <<<"$found") files with translatable strings"
