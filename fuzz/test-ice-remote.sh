#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzzes fuzz/fuzz-ice-remote (see fuzz/run-fuzzer.sh); inputs up to 4096 bytes.
exec bash "${top_srcdir:?}/fuzz/run-fuzzer.sh" ice-remote 4096
