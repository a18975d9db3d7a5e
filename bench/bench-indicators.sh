#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Nanoseconds per market event for each indicator type alone in a set, and
# for the pump_rider indicator set (STRATEGY.md §1) with and without reading
# every value after every event. One JSON object per line; there is no
# reference implementation in-process, so no ratio.

set -euo pipefail

exe="$KANTOR_BUILD_DIR/bench/bench-indicators"
[ -x "$exe" ] || { echo "bench-indicators is not built in $KANTOR_BUILD_DIR" >&2; exit 1; }
"$exe" "${KANTOR_BENCH_INDICATORS_ROUNDS:-64}"
