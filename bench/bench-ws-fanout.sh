#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Stream fan-out: market_data items to N subscribers from the real kantord
# (release build, a temporary --root whose kantord.conf sets the synthetic
# feed's [feed] rate, --dev so that a test token authenticates) and from the
# reference broadcasting peer (bench/peer/fanout-peer.js, Node + ws), under
# the same load client (ws-fanout client), each server pinned to one core
# and the client to the other.
#
# - latency: 50 subscribers x 20 symbols at 1 000 feed events/s (50 per
#   symbol; a third of the synthetic market's events are book updates,
#   which refresh best_bid/best_ask but are not items). The peer then
#   broadcasts as many items a second as kantord delivered. Delivered
#   items/s and end-to-end latency: receipt time minus the item's event
#   time. kantord's event times fall on whole milliseconds at a fixed rate
#   and are due exactly then, so its figures are exact; the peer stamps
#   Date.now() (whole milliseconds, floored) when it publishes, so its
#   figures read 0-1 ms high (0.5 ms on average): peer_p99_us is an upper
#   bound, peer_p99_us - 1000 a lower one.
# - throughput: both flat out (kantord at a rate it cannot reach, so that
#   its event clock falls behind and latency means nothing there), 50
#   subscribers: delivered items/s.
# - idle: each server's RSS holding 1 000 idle subscribed connections.
# One JSON line per run, one comparison line per scenario.
#
# Environment: KANTOR_BUILD_DIR, KANTOR_SOURCE_DIR (set by bench/run);
# KANTOR_BENCH_FANOUT_DURATION (seconds per run, default 5);
# KANTOR_BENCH_FANOUT_SUBSCRIBERS (default 50).

bench_name="bench-ws-fanout"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

duration=${KANTOR_BENCH_FANOUT_DURATION:-5}
subscribers=${KANTOR_BENCH_FANOUT_SUBSCRIBERS:-50}
symbols=20
fanout="$build/bench/ws-fanout"

need_exe "$fanout" "$kantord"
need_node ws
ulimit -n 4096 2>/dev/null || true

# wait_port LOG: the port from the server's first line ("listening PORT",
# or kantord's "... listening on ws://HOST:PORT/...").
wait_port() {
  local file=$1 i p
  for i in $(seq 1 200); do
    p=$(sed -n -e 's/^listening \([0-9]*\).*/\1/p' \
               -e 's/^kantord .* listening on ws:\/\/[^:]*:\([0-9]*\).*/\1/p' "$file" 2>/dev/null |
          head -n 1)
    if [ -n "$p" ]; then
      echo "$p"
      return 0
    fi
    sleep 0.05
  done
  echo "bench-ws-fanout: no port in $file:" >&2
  cat "$file" >&2
  return 1
}

# start_server kantord RATE_PER_SYMBOL | peer TOTAL_RATE: sets server_pid and port.
# Flat out, the load client is slower than either server: kantord drops for
# it past the soft bound like the peer, and its hard bound is set out of
# reach so that it does not evict the client (the peer never does).
start_server() {
  local which=$1 rate=$2
  if [ "$which" = kantord ]; then
    rm -rf "$tmp/root"
    mkdir -p "$tmp/root/config"
    printf '[limits]\nmax-connections=4096\nrate-limit=0\n\n[feed]\nrate=%s\nseed=1\n\n%s\n%s\n' \
      "$rate" '[streams]' 'hard-bound-kib=4000000000' >"$tmp/root/config/kantord.conf"
    "${server_pin[@]}" "$kantord" --root "$tmp/root" --dev --port 0 >"$tmp/server.log" 2>&1 &
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

run_client() {
  local label=$1
  "${client_pin[@]}" "$fanout" client --port "$port" --subscribers "$subscribers" \
    --symbols "$symbols" --duration "$duration" --warmup 1 --token bench --label "$label"
}

tag() { jq -c --arg s "$1" --argjson r "$2" '. + {scenario:$s, offered_per_s:$r}'; }

# scenario NAME KANTORD_RATE_PER_SYMBOL [PEER_RATE]: both servers, one line
# each and a comparison. Without PEER_RATE the peer broadcasts the items/s
# kantord delivered to one subscriber.
scenario() {
  local name=$1 krate=$2 prate=${3:-} k p
  start_server kantord "$krate"
  k=$(run_client kantord | tag "$name" "$(jq -n "$krate * $symbols")")
  stop_server
  if [ -z "$prate" ]; then
    prate=$(jq -n --argjson k "$k" '$k.items_per_s / $k.subscribers | round')
  fi
  start_server peer "$prate"
  p=$(run_client node-ws-peer | tag "$name" "$prate")
  stop_server
  echo "$k"
  echo "$p"
  jq -cn --argjson k "$k" --argjson p "$p" --arg s "$name" \
     '{bench:"ws-fanout", scenario:$s, reference:"node-ws-peer", subscribers:$k.subscribers,
       symbols:$k.symbols, kantord_items_per_s:$k.items_per_s, peer_items_per_s:$p.items_per_s,
       items_ratio:(if $p.items_per_s > 0 then ($k.items_per_s / $p.items_per_s * 100 | round) / 100
                    else null end),
       kantord_p50_us:$k.p50_us, peer_p50_us:$p.p50_us,
       kantord_p99_us:$k.p99_us, peer_p99_us:$p.p99_us,
       p99_ratio:(if $p.p99_us > 0 then ($k.p99_us / $p.p99_us * 100 | round) / 100
                  else null end)}
      | if $s == "latency" then . else del(.[("kantord", "peer") + ("_p50_us", "_p99_us")],
                                            .p99_ratio) end'
}

scenario latency 50
scenario throughput 1000000 0

# Idle: 1 000 subscribed connections and (almost) no events.
for which in kantord peer; do
  start_server "$which" 0.0001
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
