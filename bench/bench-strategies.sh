#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The strategy manager (dispatch overhead against driving the same
# activations directly, upsert latency) and the synthetic market feed
# (delivery rate on the main loop). One JSON object per line.

set -euo pipefail

exe="$KANTOR_BUILD_DIR/bench/bench-strategies"
[ -x "$exe" ] || { echo "bench-strategies is not built in $KANTOR_BUILD_DIR" >&2; exit 1; }
"$exe" "${KANTOR_BENCH_STRATEGIES_ROUNDS:-5}"
