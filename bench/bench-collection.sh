#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Collection recording: events/s one run writes with flushing on, bytes per
# event on disk, and how late the main loop answers a 5 ms heartbeat
# meanwhile (one symbol, then 100, as fast as they go), and the main loop's
# CPU time per event (at 1 M events/s the share of the loop the recorder
# takes is that many nanoseconds per millisecond). One JSON object per line.

set -euo pipefail

exe="$KANTOR_BUILD_DIR/bench/bench-collection"
[ -x "$exe" ] || { echo "bench-collection is not built in $KANTOR_BUILD_DIR" >&2; exit 1; }
"$exe" "${KANTOR_BENCH_COLLECTION_EVENTS:-5000000}" 1
"$exe" "${KANTOR_BENCH_COLLECTION_EVENTS:-5000000}" 100
