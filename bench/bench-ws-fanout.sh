#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Stream fan-out: market_data items from one generator to N subscribers,
# through Kantor's server stack (ws-fanout serve: KantorServer, the stream
# hub and the stream API, as kantord runs them) and through the reference
# broadcasting peer (bench/peer/fanout-peer.js, Node + ws) in the same run.
#
# - latency: 50 subscribers x 20 symbols at 1 000 events/s: delivered
#   items/s and end-to-end latency (event time to receipt; event times are
#   milliseconds, so latencies read up to 1 ms high);
# - throughput: the generator flat out, 50 subscribers: delivered items/s;
# - idle: the server's RSS holding 1 000 idle subscribed connections.
# One JSON line per run, one comparison line per scenario.
#
# Environment: KANTOR_BUILD_DIR, KANTOR_SOURCE_DIR (set by bench/run);
# KANTOR_BENCH_FANOUT_DURATION (seconds per run, default 5);
# KANTOR_BENCH_FANOUT_SUBSCRIBERS (default 50).

set -euo pipefail

build=${KANTOR_BUILD_DIR:?}
source=${KANTOR_SOURCE_DIR:?}
duration=${KANTOR_BENCH_FANOUT_DURATION:-5}
subscribers=${KANTOR_BENCH_FANOUT_SUBSCRIBERS:-50}
symbols=20
fanout="$build/bench/ws-fanout"
peer_dir="$source/bench/peer"

[ -x "$fanout" ] || { echo "bench-ws-fanout: $fanout is not built" >&2; exit 1; }
if ! command -v node >/dev/null; then
  echo "bench-ws-fanout: node is needed for the reference peer" >&2
  exit 1
fi
if [ ! -d "$peer_dir/node_modules/ws" ]; then
  (cd "$peer_dir" &&
     { npm ci --no-audit --no-fund --silent || npm install --no-audit --no-fund --silent; }) >&2
fi
ulimit -n 4096 2>/dev/null || true

if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  server_pin=(taskset -c 0)
  client_pin=(taskset -c 1)
else
  server_pin=()
  client_pin=()
fi

tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

wait_port() {
  local file=$1 i
  for i in $(seq 1 200); do
    if grep -q '^listening' "$file" 2>/dev/null; then
      awk '/^listening/ { print $2; exit }' "$file"
      return 0
    fi
    sleep 0.05
  done
  echo "bench-ws-fanout: no 'listening' in $file:" >&2
  cat "$file" >&2
  return 1
}

# start_server kantord|peer RATE: sets server_pid and port.
start_server() {
  local which=$1 rate=$2
  if [ "$which" = kantord ]; then
    "${server_pin[@]}" "$fanout" serve --port 0 --symbols "$symbols" --rate "$rate" \
      >"$tmp/server.log" 2>&1 &
  else
    "${server_pin[@]}" node "$peer_dir/fanout-peer.js" 0 "$symbols" "$rate" \
      >"$tmp/server.log" 2>&1 &
  fi
  server_pid=$!
  port=$(wait_port "$tmp/server.log")
}

stop_server() {
  kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  server_pid=
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

run_client() {
  local label=$1
  "${client_pin[@]}" "$fanout" client --port "$port" --subscribers "$subscribers" \
    --symbols "$symbols" --duration "$duration" --warmup 1 --token bench --label "$label"
}

# scenario NAME RATE: both servers, one line each and a comparison.
scenario() {
  local name=$1 rate=$2 k p
  start_server kantord "$rate"
  k=$(run_client kantord | jq -c --arg s "$name" --argjson r "$rate" '. + {scenario:$s, rate:$r}')
  stop_server
  start_server peer "$rate"
  p=$(run_client node-ws-peer |
        jq -c --arg s "$name" --argjson r "$rate" '. + {scenario:$s, rate:$r}')
  stop_server
  echo "$k"
  echo "$p"
  jq -cn --argjson k "$k" --argjson p "$p" --arg s "$name" \
     '{bench:"ws-fanout", scenario:$s, reference:"node-ws-peer", subscribers:$k.subscribers,
       symbols:$k.symbols, kantord_items_per_s:$k.items_per_s, peer_items_per_s:$p.items_per_s,
       items_ratio:(if $p.items_per_s > 0 then ($k.items_per_s / $p.items_per_s * 100 | round) / 100
                    else null end),
       kantord_p99_us:$k.p99_us, peer_p99_us:$p.p99_us,
       kantord_p50_us:$k.p50_us, peer_p50_us:$p.p50_us}'
}

scenario latency 1000
scenario throughput 0

# Idle: 1 000 subscribed connections and (almost) no events.
for which in kantord peer; do
  start_server "$which" 0.001
  base=$(rss_kb "$server_pid")
  "${client_pin[@]}" "$fanout" idle --port "$port" --connections 1000 --seconds 3 \
    --token bench >"$tmp/idle.log" 2>&1 &
  idle_pid=$!
  for i in $(seq 1 200); do
    grep -q '^connected' "$tmp/idle.log" 2>/dev/null && break
    sleep 0.05
  done
  sleep 1
  held=$(rss_kb "$server_pid")
  wait "$idle_pid" || true
  stop_server
  jq -cn --arg w "$which" --argjson base "$base" --argjson held "$held" \
     '{bench:"ws-fanout", scenario:"idle", server:$w, connections:1000,
       rss_start_kb:$base, rss_1000_idle_kb:$held,
       rss_1000_idle_mb:(($held / 1024 * 10 | round) / 10)}'
done
