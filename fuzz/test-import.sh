#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzzes fuzz/fuzz-import (see fuzz/run-fuzzer.sh); inputs up to 16384 bytes.
exec bash "${top_srcdir:?}/fuzz/run-fuzzer.sh" import 16384
