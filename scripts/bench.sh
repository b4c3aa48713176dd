#!/usr/bin/env bash
# `make bench`: measures the release build through a real nginx on this machine and writes
# bench/results/<timestamp>.json and .md. Never part of `make test`.
#
# Scenario so far: the login page through nginx → FastCGI → gomoku-fcgi, next to nginx serving a
# static file of exactly the same bytes (the physical limit of the web-server path here).
# Environment: BENCH_PORT (default 18480), DURATION seconds per run (10), CONNECTIONS (32),
# RUNS (3; the median is reported), WORKERS (2), THREADS (8).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
PORT=${BENCH_PORT:-18480}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
RUNS=${RUNS:-3}
WORKERS=${WORKERS:-2}
THREADS=${THREADS:-8}
bin=$repo/.build/release/gomoku-fcgi
[ -x "$bin" ] || { echo "bench: build first (make build)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench: wrk is missing (make setup installs it)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/gmk-bench.XXXXXX)
chmod 755 "$tmp"  # nginx workers run as nobody and must reach the socket
app_pid=""; nginx_pid=""
cleanup() {
    [ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null || true
    [ -n "$app_pid" ] && kill -TERM "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null || true
    rm -f "$repo/static/vendor/bench-login-page.html"
    [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$tmp/data"
GOMOKU_ROOT=$repo GOMOKU_DATA_DIR=$tmp/data "$bin" serve --listen "$tmp/app.sock" --socket-mode 666 \
    --workers "$WORKERS" --threads "$THREADS" --log-level warning 2>"$tmp/app.log" &
app_pid=$!
for _ in $(seq 100); do [ -S "$tmp/app.sock" ] && break; sleep 0.05; done
GOMOKU_ROOT=$repo PORT=$PORT FCGI_SOCKET=$tmp/app.sock "$repo/scripts/render-conf.sh" nginx "$tmp/nginx" >/dev/null
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' 2>"$tmp/nginx.log" &
nginx_pid=$!
base=http://127.0.0.1:$PORT
for _ in $(seq 100); do curl -fsS -o /dev/null "$base/accounts/login/" 2>/dev/null && break; sleep 0.05; done

# The static twin: the login page's exact bytes, served by nginx from /static/.
curl -fsS "$base/accounts/login/" -o "$repo/static/vendor/bench-login-page.html"
size=$(stat -c %s "$repo/static/vendor/bench-login-page.html")

measure() {  # url → median requests/s over RUNS runs
    local url=$1 values=()
    wrk -t2 -c"$CONNECTIONS" -d2s "$url" >/dev/null  # warm-up
    for _ in $(seq "$RUNS"); do
        values+=("$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" "$url" | awk '/Requests\/sec/ {print $2}')")
    done
    printf '%s\n' "${values[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

login=$(measure "$base/accounts/login/")
static=$(measure "$base/static/vendor/bench-login-page.html")
ratio=$(awk -v a="$login" -v b="$static" 'BEGIN {printf "%.2f", a/b}')

# The bridge, fresh for each memory figure (RSS only grows), measured directly (not through nginx).
bridge_bin=$repo/.build/release/gomoku-bridge
live_results=$tmp/live.jsonl
: > "$live_results"
for scenario in ${LIVE_SCENARIOS:-latency:50 latency:500 fanout:10000 idle:10000 idle:19000}; do
    bridge_port=$((PORT + 1))
    GOMOKU_ROOT=$repo GOMOKU_DATA_DIR=$tmp/data "$bridge_bin" --listen "127.0.0.1:$bridge_port" --app-socket "$tmp/app.sock" \
        --log-level warning 2>>"$tmp/bridge.log" &
    bridge_pid=$!
    for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$bridge_port/healthz" 2>/dev/null && break; sleep 0.05; done
    "$repo/.venv/bin/python" "$repo/bench/live_bench.py" --data-dir "$tmp/data" --port "$bridge_port" --pid "$bridge_pid" \
        "$scenario" >> "$live_results" || echo "bench: scenario $scenario failed" >&2
    kill -TERM "$bridge_pid" 2>/dev/null; wait "$bridge_pid" 2>/dev/null || true
done

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p bench/results
cat > "bench/results/$stamp.json" <<JSON
{"timestamp": "$stamp", "machine": {"cores": $(nproc)}, "settings": {"duration_s": $DURATION, "connections": $CONNECTIONS, "runs": $RUNS, "workers": $WORKERS, "threads": $THREADS},
 "login_page_through_nginx": {"bytes": $size, "requests_per_s": $login},
 "static_file_same_size": {"bytes": $size, "requests_per_s": $static},
 "ratio": $ratio,
 "live": [$(paste -sd, "$live_results")]}
JSON
{
    echo "| scenario | bytes | req/s (median of $RUNS × ${DURATION}s, $CONNECTIONS connections) |"
    echo "|---|---|---|"
    echo "| login page: nginx → FastCGI → gomoku-fcgi ($WORKERS workers × $THREADS threads) | $size | $login |"
    echo "| same bytes as a static file from nginx | $size | $static |"
    echo "| ratio | | $ratio |"
    echo
    echo "Live (bridge, direct):"
    echo
    sed 's/^/    /' "$live_results"
} | tee "bench/results/$stamp.md"
