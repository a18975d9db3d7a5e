#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# sessions-backtest-api: a backtest of the pump_rider example over the
# synthetic market (KANTOR_BENCH_SESSION_EVENTS, default 10 M events) as a
# session through kantord's WebSocket API, timed from session_start to the
# "completed" state, against kantor-backtest on the same data in the same run
# (goal: ratio <= 1.2): the best of KANTOR_BENCH_SESSION_REPEAT (default 3)
# alternating runs, with CPU seconds beside the wall times (the daemon's
# whole process against kantor-backtest's replay). Meanwhile a second client
# sends a heartbeat every 10 ms: p50, p99 and max round trip over all runs
# (goal p99 < 5 ms). Every run must give kantor-backtest's results_hash.

set -euo pipefail

build=${KANTOR_BUILD_DIR:?}
src=${KANTOR_SOURCE_DIR:?}
events=${KANTOR_BENCH_SESSION_EVENTS:-10000000}

"$build/bench/bench-sessions" "$build/src/daemon/kantord" "$build/src/backtest/kantor-backtest" \
  "$src/data/strategies/pump_rider.json" "$events" "${KANTOR_BENCH_SESSION_REPEAT:-3}"
