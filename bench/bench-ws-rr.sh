#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# WebSocket request/response: heartbeat round trips through kantord and
# through the reference peer (bench/peer, Node + ws) in the same run, at 1,
# 16 and 64 connections, server and load client pinned to different cores.
# Prints one JSON line per run, one ratio line per connection count
# (kantord/peer requests per second and p99 latency, best of two runs each),
# and kantord's memory when idle after start-up and after the load.
#
# Environment: KANTOR_BUILD_DIR, KANTOR_SOURCE_DIR (set by bench/run);
# KANTOR_BENCH_WS_DURATION (seconds per run, default 5);
# KANTOR_BENCH_WS_CONNECTIONS (default "1 16 64").

set -euo pipefail

build=${KANTOR_BUILD_DIR:?}
source=${KANTOR_SOURCE_DIR:?}
duration=${KANTOR_BENCH_WS_DURATION:-5}
counts=${KANTOR_BENCH_WS_CONNECTIONS:-1 16 64}
kantord="$build/src/daemon/kantord"
client="$build/bench/ws-rr"
peer_dir="$source/bench/peer"

for exe in "$kantord" "$client"; do
  [ -x "$exe" ] || { echo "bench-ws-rr: $exe is not built" >&2; exit 1; }
done
if ! command -v node >/dev/null; then
  echo "bench-ws-rr: node is needed for the reference peer" >&2
  exit 1
fi

# Server on core 0, load on core 1 (when there are two).
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  server_pin=(taskset -c 0)
  client_pin=(taskset -c 1)
else
  server_pin=()
  client_pin=()
fi

if [ ! -d "$peer_dir/node_modules/ws" ]; then
  (cd "$peer_dir" &&
     { npm ci --no-audit --no-fund --silent || npm install --no-audit --no-fund --silent; }) >&2
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

# Waits for a line matching $2 in file $1 and prints it.
wait_line() {
  local file=$1 pattern=$2 i
  for i in $(seq 1 200); do
    if grep -q "$pattern" "$file" 2>/dev/null; then
      grep -m1 "$pattern" "$file"
      return 0
    fi
    sleep 0.05
  done
  echo "bench-ws-rr: no '$pattern' in $file:" >&2
  cat "$file" >&2
  return 1
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# Shared library pages count in full in VmRSS; PSS and private dirty pages
# say what the process itself costs.
pss_kb() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup"; }
private_kb() { awk '/^Private_Dirty:/ { print $2 }' "/proc/$1/smaps_rollup"; }

# kantord: temporary root, --dev so that a test token authenticates the
# load connections, release build (bench/run's contract). The per-connection
# rate limit is off: the peer has none, and the point is raw throughput.
mkdir -p "$tmp/root/config"
printf '[limits]\nrate-limit=0\n' >"$tmp/root/config/kantord.conf"
"${server_pin[@]}" "$kantord" --root "$tmp/root" --port 0 --dev >"$tmp/kantord.log" 2>&1 &
kantord_pid=$!
kantord_port=$(wait_line "$tmp/kantord.log" "listening on" | sed 's/.*:\([0-9]*\)\/ws$/\1/')

"${server_pin[@]}" node "$peer_dir/peer.js" 0 >"$tmp/peer.log" 2>&1 &
peer_pid=$!
peer_port=$(wait_line "$tmp/peer.log" "^listening" | awk '{ print $2 }')

idle_rss=$(rss_kb "$kantord_pid")
idle_pss=$(pss_kb "$kantord_pid")
idle_private=$(private_kb "$kantord_pid")

# Other load on the machine shows up as noise: the two servers take turns,
# twice each, and each side's better run counts.
best() { jq -sc 'max_by(.rps)'; }

for n in $counts; do
  k_runs=()
  p_runs=()
  for round in 1 2; do
    k_runs+=("$("${client_pin[@]}" "$client" --port "$kantord_port" --connections "$n" \
                 --duration "$duration" --label kantord --token bench)")
    p_runs+=("$("${client_pin[@]}" "$client" --port "$peer_port" --connections "$n" \
                 --duration "$duration" --label node-ws-peer)")
    echo "${k_runs[-1]}"
    echo "${p_runs[-1]}"
  done
  k=$(printf '%s\n' "${k_runs[@]}" | best)
  p=$(printf '%s\n' "${p_runs[@]}" | best)
  k_rps=$(jq -r .rps <<<"$k"); p_rps=$(jq -r .rps <<<"$p")
  k_p99=$(jq -r .p99_us <<<"$k"); p_p99=$(jq -r .p99_us <<<"$p")
  jq -cn --argjson n "$n" --argjson kr "$k_rps" --argjson pr "$p_rps" \
     --argjson k99 "$k_p99" --argjson p99 "$p_p99" \
     '{bench:"ws-rr", connections:$n, reference:"node-ws-peer", runs:"best of 2",
       kantord_rps:$kr, peer_rps:$pr,
       rps_ratio:(if $pr > 0 then ($kr / $pr * 100 | round) / 100 else null end),
       kantord_p99_us:$k99, peer_p99_us:$p99,
       p99_ratio:(if $p99 > 0 then ($k99 / $p99 * 100 | round) / 100 else null end)}'
done

loaded_rss=$(rss_kb "$kantord_pid")
jq -cn --argjson idle "$idle_rss" --argjson after "$loaded_rss" \
   --argjson pss "$idle_pss" --argjson private "$idle_private" \
   '{bench:"ws-rr", kantord_idle_rss_kb:$idle, kantord_rss_after_load_kb:$after,
     kantord_idle_pss_kb:$pss, kantord_idle_private_dirty_kb:$private,
     idle_rss_mb:(($idle / 1024 * 10 | round) / 10)}'
