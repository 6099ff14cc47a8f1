#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzzes fuzz/fuzz-signal-payload (see fuzz/run-fuzzer.sh); inputs up to 12400 bytes.
exec bash "${top_srcdir:?}/fuzz/run-fuzzer.sh" signal-payload 12400
