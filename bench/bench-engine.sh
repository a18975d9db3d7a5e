#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Engine benchmarks (one JSON object per line):
#  - engine-throughput: >= 20 M synthetic trades through the pump_rider example
#    (windowed and candle indicators, the state machine, the ledger), one
#    thread. Goal >= 20 M events/s. Published figures for comparison:
#    NautilusTrader ~3 M events/s, Lean ~0.65 M/s, Jesse ~0.5 M candles/s.
#  - engine-rss: peak RSS for 2 M and 30 M events; it must stay flat
#    (goal < 50 MB at 20 M).
#  - backtest-end-to-end(-trades-only): kantor-backtest over a collection
#    folder on disk, CSV parsing included, with and without book updates.
#    Goal >= 5 M trades/s.
#  - backtest-dump-indicators: the same replay writing every indicator value
#    of every event (kantor-backtest --dump-indicators), number formatting
#    included.
#
# KANTOR_BENCH_EVENTS (default 30000000), KANTOR_BENCH_E2E_EVENTS (default
# 10000000) and KANTOR_BENCH_DUMP_EVENTS (default 2000000) scale the runs.
# KANTOR_BENCH_REFERENCE_BACKTEST, another kantor-backtest binary (an
# earlier build), is replayed over the same collections right before this
# one: the end-to-end lines then carry its rate, the ratio to it, and
# whether it computed the same results_hash.

set -euo pipefail

build=${KANTOR_BUILD_DIR:?}
src=${KANTOR_SOURCE_DIR:?}
bench="$build/bench/bench-engine"
backtest="$build/src/backtest/kantor-backtest"
strategy="$src/data/strategies/pump_rider.json"
events=${KANTOR_BENCH_EVENTS:-30000000}
e2e_events=${KANTOR_BENCH_E2E_EVENTS:-10000000}
dump_events=${KANTOR_BENCH_DUMP_EVENTS:-2000000}

field() { # field NAME JSON
  sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" <<<"$2" | tr -d '"'
}

big=$("$bench" throughput "$events" "$strategy")
small=$("$bench" throughput 2000000 "$strategy")

# Rates per CPU second: the machine may be shared, and wall time then
# counts the neighbours; the wall-clock rate is reported beside it.
rate=$(field events_per_cpu_s "$big")
trades=$(field trades "$big")
alone=$(field engine_only_events_per_cpu_s "$big")
printf '{"name":"engine-throughput","events":%s,"trades":%s,"events_per_s":%s,"events_per_s_wall":%s,"engine_only_events_per_s":%s,"source_events_per_s":%s,"goal_events_per_s":20000000,"ratio_to_goal":%s,"engine_only_ratio_to_goal":%s,"ratio_to_nautilus_published":%s}\n' \
  "$(field events "$big")" "$trades" "$rate" "$(field events_per_s "$big")" "$alone" \
  "$(field source_events_per_cpu_s "$big")" \
  "$(awk -v r="$rate" 'BEGIN { printf "%.3f", r / 20e6 }')" \
  "$(awk -v r="$alone" 'BEGIN { printf "%.3f", r / 20e6 }')" \
  "$(awk -v r="$rate" 'BEGIN { printf "%.2f", r / 3e6 }')"

rss_big=$(field peak_rss_kb "$big")
rss_small=$(field peak_rss_kb "$small")
printf '{"name":"engine-rss","events_small":2000000,"peak_rss_kb_small":%s,"events_large":%s,"peak_rss_kb_large":%s,"growth":%s,"goal_kb":51200}\n' \
  "$rss_small" "$events" "$rss_big" \
  "$(awk -v a="$rss_small" -v b="$rss_big" 'BEGIN { printf "%.3f", b / a }')"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# end_to_end NAME [trades-only]: writes a collection, replays it with
# kantor-backtest, prints one JSON line.
# replay BINARY DIR: a warm-up run (the file pages are warm after writing;
# this makes sure), then the measured one; sets stats, hash, start, end.
replay() {
  "$1" --strategy "$strategy" --data "$2" --json >/dev/null
  start=$(date +%s.%N)
  "$1" --strategy "$strategy" --data "$2" --json --stats >"$tmp/out.json" 2>"$tmp/stats.json"
  end=$(date +%s.%N)
  stats=$(tail -n 1 "$tmp/stats.json")
  hash=$(field results_hash "$(cat "$tmp/out.json")")
}

end_to_end() {
  local name=$1 dir="$tmp/$1"
  shift
  local written bytes start end stats hash e2e_trades run_s wall_s reference=""

  written=$("$bench" write-collection "$dir" "$e2e_events" "$@")
  bytes=$(du -sb "$dir" | cut -f1)
  e2e_trades=$(field trades "$written")

  if [ -n "${KANTOR_BENCH_REFERENCE_BACKTEST:-}" ]; then
    local ref_hash ref_s
    replay "$KANTOR_BENCH_REFERENCE_BACKTEST" "$dir"
    ref_hash=$hash
    ref_s=$(field cpu_s "$stats")
  fi
  replay "$backtest" "$dir"
  rm -rf "$dir"

  run_s=$(field cpu_s "$stats")
  wall_s=$(field elapsed_s "$stats")
  if [ -n "${KANTOR_BENCH_REFERENCE_BACKTEST:-}" ]; then
    reference=$(printf ',"reference_trades_per_s":%s,"ratio_to_reference":%s,%s' \
      "$(awk -v t="$e2e_trades" -v s="$ref_s" 'BEGIN { printf "%.0f", t / s }')" \
      "$(awk -v a="$ref_s" -v b="$run_s" 'BEGIN { printf "%.3f", a / b }')" \
      "\"same_results_as_reference\":$([ "$ref_hash" = "$hash" ] && echo true || echo false)")
  fi
  printf '{"name":"%s","events":%s,"trades":%s,"bytes":%s,"cpu_s":%s,"wall_s":%s,"process_wall_s":%s,"trades_per_s":%s,"trades_per_s_wall":%s,"mb_per_s":%s,"peak_rss_kb":%s,"results_hash":"%s","goal_trades_per_s":5000000,"ratio_to_goal":%s%s}\n' \
    "$name" "$(field events "$written")" "$e2e_trades" "$bytes" "$run_s" "$wall_s" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')" \
    "$(awk -v t="$e2e_trades" -v s="$run_s" 'BEGIN { printf "%.0f", t / s }')" \
    "$(awk -v t="$e2e_trades" -v s="$wall_s" 'BEGIN { printf "%.0f", t / s }')" \
    "$(awk -v b="$bytes" -v s="$run_s" 'BEGIN { printf "%.0f", b / s / 1e6 }')" \
    "$(field peak_rss_kb "$stats")" "$hash" \
    "$(awk -v t="$e2e_trades" -v s="$run_s" 'BEGIN { printf "%.3f", t / s / 5e6 }')" \
    "$reference"
}

# A recording as kantord writes it: trades and 3-level book updates (two
# thirds of the bytes are book rows), then the same market's trades alone.
end_to_end backtest-end-to-end
end_to_end backtest-end-to-end-trades-only trades-only

# The indicator dump: one CSV row per event, every value formatted.
dump_dir="$tmp/dump"
"$bench" write-collection "$dump_dir" "$dump_events" >/dev/null
"$backtest" --strategy "$strategy" --data "$dump_dir" --dump-indicators "$tmp/dump.csv" \
  --stats >/dev/null 2>"$tmp/stats.json"
stats=$(tail -n 1 "$tmp/stats.json")
dump_bytes=$(stat -c %s "$tmp/dump.csv")
rm -rf "$dump_dir" "$tmp/dump.csv"
printf '{"name":"backtest-dump-indicators","events":%s,"bytes_written":%s,"cpu_s":%s,"wall_s":%s,"events_per_s":%s,"events_per_s_wall":%s}\n' \
  "$(field events "$stats")" "$dump_bytes" "$(field cpu_s "$stats")" "$(field elapsed_s "$stats")" \
  "$(awk -v e="$(field events "$stats")" -v s="$(field cpu_s "$stats")" 'BEGIN { printf "%.0f", e / s }')" \
  "$(awk -v e="$(field events "$stats")" -v s="$(field elapsed_s "$stats")" 'BEGIN { printf "%.0f", e / s }')"
