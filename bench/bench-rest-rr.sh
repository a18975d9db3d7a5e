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

bench_name="bench-rest-rr"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

duration=${KANTOR_BENCH_REST_DURATION:-5}
counts=${KANTOR_BENCH_REST_CONNECTIONS:-1 16}
client="$build/bench/rest-rr"

need_exe "$kantord" "$client"
need_node http

start_kantord_rr
start_peer "$peer_dir/rest-peer.js"

kantord_args=(--token bench --expect '"no_active_session"')
peer_args=(--token bench --expect '"no_active_session"')
rr_compare rest-rr "$client" node-http-peer
