# shellcheck shell=bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# bench/lib.sh: what the bench-*.sh scripts share. Sourced, never run by
# itself (bench/run runs bench-*.sh only); set bench_name first. It sets
# -euo pipefail, checks KANTOR_BUILD_DIR and KANTOR_SOURCE_DIR (as build
# and source), makes a temporary folder ($tmp) and, on exit, stops the
# servers whose pids are in kantord_pid, peer_pid or server_pid and removes
# $tmp.

set -euo pipefail

build=${KANTOR_BUILD_DIR:?}
source=${KANTOR_SOURCE_DIR:?}
kantord="$build/src/daemon/kantord"
peer_dir="$source/bench/peer"

bench_name=${bench_name:?set by the script that sources this}

bench_fail() {
  echo "$bench_name: $*" >&2
  exit 1
}

# need_exe FILE...: each must be built.
need_exe() {
  local exe
  for exe in "$@"; do
    [ -x "$exe" ] || bench_fail "$exe is not built"
  done
}

# need_node ws|http: node for the reference peers; with "ws", the peers'
# WebSocket module too (installed on first use).
need_node() {
  command -v node >/dev/null || bench_fail "node is needed for the reference peer"
  local what=${1:-}
  if [ "$what" = ws ] && [ ! -d "$peer_dir/node_modules/ws" ]; then
    (cd "$peer_dir" &&
       { npm ci --no-audit --no-fund --silent || npm install --no-audit --no-fund --silent; }) >&2
  fi
}

# Servers on core 0, load on core 1 (when there are two).
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
server_pid=
bench_cleanup() {
  local pid
  for pid in $kantord_pid $peer_pid $server_pid; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap bench_cleanup EXIT

# wait_line FILE PATTERN: waits for a line matching PATTERN in FILE and
# prints it.
wait_line() {
  local file=$1 pattern=$2 i
  for i in $(seq 1 200); do
    if grep -q "$pattern" "$file" 2>/dev/null; then
      grep -m1 "$pattern" "$file"
      return 0
    fi
    sleep 0.05
  done
  echo "$bench_name: no '$pattern' in $file:" >&2
  cat "$file" >&2
  return 1
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# start_kantord_rr: kantord on the server core for the request/response
# benches, sets kantord_pid and kantord_port: a temporary root, --dev so
# that a test token authenticates the load, release build (bench/run's
# contract), and no per-connection rate limit (the peers have none, and
# the point is raw throughput).
start_kantord_rr() {
  mkdir -p "$tmp/root/config"
  printf '[limits]\nrate-limit=0\n' >"$tmp/root/config/kantord.conf"
  "${server_pin[@]}" "$kantord" --root "$tmp/root" --port 0 --dev >"$tmp/kantord.log" 2>&1 &
  kantord_pid=$!
  kantord_port=$(wait_line "$tmp/kantord.log" "listening on" | sed 's/.*:\([0-9]*\)\/ws$/\1/')
}

# start_peer SCRIPT [ARG...]: a reference peer on the server core, sets
# peer_pid and peer_port.
start_peer() {
  "${server_pin[@]}" node "$@" 0 >"$tmp/peer.log" 2>&1 &
  peer_pid=$!
  peer_port=$(wait_line "$tmp/peer.log" "^listening" | awk '{ print $2 }')
}

# rr_compare BENCH CLIENT REFERENCE: for each connection count in $counts,
# CLIENT for $duration seconds against kantord (with the arguments in the
# kantord_args array) and the reference peer (peer_args), taking turns,
# twice each, since other load on the machine shows up as noise. Prints each
# run's line, then one comparison of each side's better run: requests per
# second and p99 latency, kantord/peer.
rr_compare() {
  local bench=$1 client=$2 reference=$3 n round k p
  local -a k_runs p_runs
  for n in $counts; do
    k_runs=()
    p_runs=()
    for round in 1 2; do
      k_runs+=("$("${client_pin[@]}" "$client" --port "$kantord_port" --connections "$n" \
                   --duration "$duration" --label kantord "${kantord_args[@]}")")
      p_runs+=("$("${client_pin[@]}" "$client" --port "$peer_port" --connections "$n" \
                   --duration "$duration" --label "$reference" "${peer_args[@]}")")
      echo "${k_runs[-1]}"
      echo "${p_runs[-1]}"
    done
    k=$(printf '%s\n' "${k_runs[@]}" | jq -sc 'max_by(.rps)')
    p=$(printf '%s\n' "${p_runs[@]}" | jq -sc 'max_by(.rps)')
    jq -cn --arg bench "$bench" --arg ref "$reference" --argjson n "$n" \
       --argjson k "$k" --argjson p "$p" \
       '{bench:$bench, connections:$n, reference:$ref, runs:"best of 2",
         kantord_rps:$k.rps, peer_rps:$p.rps,
         rps_ratio:(if $p.rps > 0 then ($k.rps / $p.rps * 100 | round) / 100 else null end),
         kantord_p99_us:$k.p99_us, peer_p99_us:$p.p99_us,
         p99_ratio:(if $p.p99_us > 0 then ($k.p99_us / $p.p99_us * 100 | round) / 100
                    else null end)}'
  done
}
