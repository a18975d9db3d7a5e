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

bench_name="bench-ws-rr"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

duration=${KANTOR_BENCH_WS_DURATION:-5}
counts=${KANTOR_BENCH_WS_CONNECTIONS:-1 16 64}
client="$build/bench/ws-rr"

need_exe "$kantord" "$client"
need_node ws

# Shared library pages count in full in VmRSS; PSS and private dirty pages
# say what the process itself costs.
pss_kb() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup"; }
private_kb() { awk '/^Private_Dirty:/ { print $2 }' "/proc/$1/smaps_rollup"; }
# Heap and other private memory versus mapped files (mostly libraries).
anon_kb() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status"; }
file_kb() { awk '/^RssFile:/ { print $2 }' "/proc/$1/status"; }
# The biggest resident mappings, summed per file ([anon] for the unnamed),
# as {"name":kB,...}: where an idle kantord's pages are.
top_mappings() {
  awk '/^[0-9a-f]+-[0-9a-f]+ / { name = NF >= 6 ? $6 : "[anon]"; sub(/.*\//, "", name) }
       /^Rss:/ { rss[name] += $2 }
       END { for (n in rss) print rss[n], n }' "/proc/$1/smaps" |
    sort -rn | jq -Rsc 'split("\n") | map(select(length > 0))[:8] | map(split(" ") |
                        {(.[1]): (.[0] | tonumber)}) | add'
}

start_kantord_rr
start_peer "$peer_dir/peer.js"

idle_rss=$(rss_kb "$kantord_pid")
idle_pss=$(pss_kb "$kantord_pid")
idle_private=$(private_kb "$kantord_pid")
idle_anon=$(anon_kb "$kantord_pid")
idle_file=$(file_kb "$kantord_pid")
idle_top=$(top_mappings "$kantord_pid")

kantord_args=(--token bench)
peer_args=()
rr_compare ws-rr "$client" node-ws-peer

loaded_rss=$(rss_kb "$kantord_pid")
jq -cn --argjson idle "$idle_rss" --argjson after "$loaded_rss" \
   --argjson pss "$idle_pss" --argjson private "$idle_private" \
   --argjson anon "$idle_anon" --argjson file "$idle_file" --argjson top "$idle_top" \
   '{bench:"ws-rr", kantord_idle_rss_kb:$idle, kantord_rss_after_load_kb:$after,
     kantord_idle_pss_kb:$pss, kantord_idle_private_dirty_kb:$private,
     kantord_idle_rss_anon_kb:$anon, kantord_idle_rss_file_kb:$file,
     kantord_idle_top_rss_kb:$top,
     idle_rss_mb:(($idle / 1024 * 10 | round) / 10)}'
