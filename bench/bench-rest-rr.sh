#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# REST request/response: GET /api/v1/sessions (authenticated, routed through
# the router like its WebSocket twin, no session running) through kantord
# and through the reference (bench/peer/rest-peer.js, Node's http server
# doing the same routing, checks and envelope) in the same run, at 1 and 16
# keep-alive connections, server and load client pinned to different cores.
# Prints one JSON line per run and one ratio line per connection count
# (kantord/peer requests per second and p99 latency, best of two runs each).
#
# Environment: KANTOR_BUILD_DIR, KANTOR_SOURCE_DIR (set by bench/run);
# KANTOR_BENCH_REST_DURATION (seconds per run, default 5);
# KANTOR_BENCH_REST_CONNECTIONS (default "1 16").

set -euo pipefail

build=${KANTOR_BUILD_DIR:?}
source=${KANTOR_SOURCE_DIR:?}
duration=${KANTOR_BENCH_REST_DURATION:-5}
counts=${KANTOR_BENCH_REST_CONNECTIONS:-1 16}
kantord="$build/src/daemon/kantord"
client="$build/bench/rest-rr"
peer="$source/bench/peer/rest-peer.js"

for exe in "$kantord" "$client"; do
  [ -x "$exe" ] || { echo "bench-rest-rr: $exe is not built" >&2; exit 1; }
done
if ! command -v node >/dev/null; then
  echo "bench-rest-rr: node is needed for the reference peer" >&2
  exit 1
fi

if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  server_pin=(taskset -c 0)
  client_pin=(taskset -c 1)
else
  server_pin=()
  client_pin=()
fi

tmp=$(mktemp -d)
kantord_pid=
peer_pid=
cleanup() {
  local pid
  for pid in $kantord_pid $peer_pid; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

wait_line() {
  local file=$1 pattern=$2 i
  for i in $(seq 1 200); do
    if grep -q "$pattern" "$file" 2>/dev/null; then
      grep -m1 "$pattern" "$file"
      return 0
    fi
    sleep 0.05
  done
  echo "bench-rest-rr: no '$pattern' in $file:" >&2
  cat "$file" >&2
  return 1
}

# --dev: a test token authenticates the load; no rate limit (the peer has
# none, and the point is raw throughput).
mkdir -p "$tmp/root/config"
printf '[limits]\nrate-limit=0\n' >"$tmp/root/config/kantord.conf"
"${server_pin[@]}" "$kantord" --root "$tmp/root" --port 0 --dev >"$tmp/kantord.log" 2>&1 &
kantord_pid=$!
kantord_port=$(wait_line "$tmp/kantord.log" "listening on" | sed 's/.*:\([0-9]*\)\/ws$/\1/')

"${server_pin[@]}" node "$peer" 0 >"$tmp/peer.log" 2>&1 &
peer_pid=$!
peer_port=$(wait_line "$tmp/peer.log" "^listening" | awk '{ print $2 }')

best() { jq -sc 'max_by(.rps)'; }

for n in $counts; do
  k_runs=()
  p_runs=()
  for round in 1 2; do
    k_runs+=("$("${client_pin[@]}" "$client" --port "$kantord_port" --connections "$n" \
                 --duration "$duration" --label kantord --token bench \
                 --expect '"no_active_session"')")
    p_runs+=("$("${client_pin[@]}" "$client" --port "$peer_port" --connections "$n" \
                 --duration "$duration" --label node-http-peer --token bench \
                 --expect '"no_active_session"')")
    echo "${k_runs[-1]}"
    echo "${p_runs[-1]}"
  done
  k=$(printf '%s\n' "${k_runs[@]}" | best)
  p=$(printf '%s\n' "${p_runs[@]}" | best)
  k_rps=$(jq -r .rps <<<"$k"); p_rps=$(jq -r .rps <<<"$p")
  k_p99=$(jq -r .p99_us <<<"$k"); p_p99=$(jq -r .p99_us <<<"$p")
  jq -cn --argjson n "$n" --argjson kr "$k_rps" --argjson pr "$p_rps" \
     --argjson k99 "$k_p99" --argjson p99 "$p_p99" \
     '{bench:"rest-rr", connections:$n, reference:"node-http-peer", runs:"best of 2",
       kantord_rps:$kr, peer_rps:$pr,
       rps_ratio:(if $pr > 0 then ($kr / $pr * 100 | round) / 100 else null end),
       kantord_p99_us:$k99, peer_p99_us:$p99,
       p99_ratio:(if $p99 > 0 then ($k99 / $p99 * 100 | round) / 100 else null end)}'
done
