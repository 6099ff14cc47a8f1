#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzzes fuzz/fuzz-signal-receive (see fuzz/run-fuzzer.sh); inputs up to 16400 bytes.
exec bash "${top_srcdir:?}/fuzz/run-fuzzer.sh" signal-receive 16400
