#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzzes fuzz/fuzz-wg-uapi (see fuzz/run-fuzzer.sh); inputs up to 8192 bytes.
exec bash "${top_srcdir:?}/fuzz/run-fuzzer.sh" wg-uapi 8192
