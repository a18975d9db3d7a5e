#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The ledger's hot path: kantor_ledger_mark() per market event (with and
# without open positions, by interned name and by index) and
# kantor_ledger_execute() per order. One JSON object per line; there is no
# reference implementation to compare against, so no ratio.

set -euo pipefail

exe="$KANTOR_BUILD_DIR/bench/bench-ledger"
[ -x "$exe" ] || { echo "bench-ledger is not built in $KANTOR_BUILD_DIR" >&2; exit 1; }
"$exe" "${KANTOR_BENCH_LEDGER_ROUNDS:-64}"
