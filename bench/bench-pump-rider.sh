#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The pump_rider strategy (STRATEGY.md §1) on one symbol: the indicator set
# alone, then indicators plus the state machine. One JSON object per line,
# with the 20 M events/s target; there is no reference implementation to
# compare against, so no ratio.

set -euo pipefail

exe="$KANTOR_BUILD_DIR/bench/bench-pump-rider"
[ -x "$exe" ] || { echo "bench-pump-rider is not built in $KANTOR_BUILD_DIR" >&2; exit 1; }
"$exe" "${KANTOR_BENCH_PUMP_RIDER_ROUNDS:-64}"
