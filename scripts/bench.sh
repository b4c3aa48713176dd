#!/usr/bin/env bash
# `make bench` (never part of `make test`): measures the release build, started with the README's own
# start code (scripts/run.sh: nginx + gomoku-fcgi serve + gomoku-bridge), and writes
# bench/results/<timestamp>.json and .md. BENCH_PEER=1 also runs the seeds' stack
# (../shared/peers/django-channels) in the same run through the scenarios it has — move/push, its game
# page under wrk next to its nginx's static twin, idle WebSockets (PEER_IDLE of them, 2000) — with ratios.
#
# Scenarios (docs/performance.md explains each figure and its goal):
#   move      the peers' movepush.py at MOVE_GAMES concurrent games: moves/s, HTTP and push p50/p99,
#             server CPU per move, and the bridge's own commit → frame histograms
#   pace      bench/paced_moves.py: PACE_GAMES games each moving every PACE_INTERVAL s on a fixed
#             (open-loop) schedule, a human pace: HTTP and POST → opponent's frame p50/p99 without
#             closed-loop queueing, late starts (client lag), server CPU per move, bridge histograms;
#             played by bench/pace_client.c (timestamps as `read` returns) and again by the Python client
#   page      wrk on the login page and on a game page (signed in) vs nginx serving the same bytes, and
#             vs the same bytes from bench/fcgi_floor.c (libfcgi doing nothing) behind the same nginx
#   cgi       one request answered by a cold `gomoku-fcgi` process
#   engine    VCF/VCT solve times and nodes/s on fixed positions; puzzle generation time
#   live      the bridge alone: latency at 50/500 connections, 10k fan-out (each also with the client
#             idle while the bridge writes), idle RSS per connection, and bench/fanout_floor.c: the
#             kernel's cost of the same 10k writes with no event loop
# Environment: BENCH_PORT (18480), DURATION (10 s per run), CONNECTIONS (32), RUNS (3, medians),
# MOVE_GAMES ("1 10 50"), PACE_GAMES (50), PACE_INTERVAL (0.2; a list such as "0.2 0.1" runs each),
# LIVE_SCENARIOS, SCENARIOS (all of the above), BENCH_PEER (0), PEER_IDLE (2000).
set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
PORT=${BENCH_PORT:-18480}
BRIDGE_PORT=$((PORT + 1))
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
RUNS=${RUNS:-3}
MOVE_GAMES=${MOVE_GAMES:-1 10 50}
PACE_GAMES=${PACE_GAMES:-50}
PACE_INTERVAL=${PACE_INTERVAL:-0.2}
SCENARIOS=${SCENARIOS:-move pace page cgi engine live}
bin=$repo/.build/release/gomoku-fcgi
peers=$(cd "$repo/.." && pwd)/shared/peers
[ -x "$bin" ] || { echo "bench: build first (make build)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench: wrk is missing (make setup installs it)" >&2; exit 1; }
want() { [[ " $SCENARIOS " == *" $1 "* ]]; }

tmp=$(mktemp -d /tmp/gmk-bench.XXXXXX)
chmod 755 "$tmp"
data=$tmp/data
results=$tmp/results.jsonl
: > "$results"
run_pid="" app_pid="" bridge_pid=""
cleanup() {
    # `|| true`: under `set -e` a failed kill (the stack already gone) would end the cleanup here.
    for pid in $run_pid $app_pid $bridge_pid; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -f "$repo"/static/vendor/bench-*.html
    if [ -n "${peer_started:-}" ]; then "$peers/django-channels/run.sh" stop >&2 || true; rm -f "$peers/django-channels/run/static/bench-peer-game.html"; fi
    [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
record() { echo "$1" >> "$results"; echo "bench: $1" >&2; }

# The stack, exactly as `make run` starts it.
mkdir -p "$data"
GOMOKU_DATA_DIR=$data GOMOKU_LOG_LEVEL=warning PORT=$PORT BRIDGE_ADDR=127.0.0.1:$BRIDGE_PORT BIN_DIR=.build/release \
    setsid "$repo/scripts/run.sh" > "$tmp/run.log" 2>&1 &
run_pid=$!
base=http://127.0.0.1:$PORT
for _ in $(seq 200); do curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && break; sleep 0.05; done
curl -fsS -o /dev/null "$base/healthz" || { echo "bench: the stack did not start:" >&2; cat "$tmp/run.log" >&2; exit 1; }
pids="$(cat run/gomoku-fcgi.pid),$(cat run/gomoku-bridge.pid),$(cat run/nginx/nginx.pid)"
cli() { GOMOKU_DATA_DIR=$data GOMOKU_ROOT=$repo GOMOKU_LOG_LEVEL=warning "$bin" "$@"; }

median_rps() {  # wrk args… → median requests/s over RUNS runs
    wrk -t2 -c"$CONNECTIONS" -d2s "$@" >/dev/null
    for _ in $(seq "$RUNS"); do wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" "$@" | awk '/Requests\/sec/ {print $2}'; done \
        | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

if want move; then
    loadgen_python=$("$peers/loadgen/setup.sh" | tail -1)
    for games in $MOVE_GAMES; do
        # A game here lasts 225 moves (movepush fills the board without a five), and a slot whose game
        # ends takes the next seeded one: seed enough for the fastest rate a run can reach (1,000 moves/s
        # per game, 2,500 in all, warm-up included), or slots fall idle and moves/s reads low.
        seed_games=$((games + (($((1000 * games < 2500 ? 1000 * games : 2500)) * (${DURATION%.*} + 2) + 224) / 225) + 2))
        cli seed-demo --users $((2 * seed_games)) --games "$seed_games" --json > "$tmp/seed-$games.json"
        record "$("$repo/.venv/bin/python" bench/move_bench.py --loadgen-python "$loadgen_python" --movepush "$peers/loadgen/movepush.py" \
            --base "$base" --metrics "http://127.0.0.1:$BRIDGE_PORT/metrics" --seed "$tmp/seed-$games.json" --games "$games" \
            --duration "$DURATION" --pids "$pids" --label gomoku)"
    done
fi

if want pace; then
    # Open loop at a human pace: each game has its own fixed schedule, so the latency is the server's,
    # not a place in a queue. Fresh games per interval and client; twice as many as needed, in case a
    # game fills up. The C client measures the server; the Python one is kept for comparison.
    loadgen_python=${loadgen_python:-$("$peers/loadgen/setup.sh" | tail -1)}
    pace_clients=python
    if ${CC:-cc} -O2 -o "$tmp/pace_client" bench/pace_client.c 2>"$tmp/pace-cc.log"; then
        pace_clients="c python"
    else
        echo "bench: cannot compile bench/pace_client.c (see $tmp/pace-cc.log); pace with the Python client only" >&2
    fi
    for interval in $PACE_INTERVAL; do
        for client in $pace_clients; do
            seed_games=$((2 * PACE_GAMES + 8))
            cli seed-demo --users $((2 * seed_games)) --games "$seed_games" --json > "$tmp/seed-pace.json"
            record "$("$loadgen_python" bench/paced_moves.py --loadgen "$peers/loadgen" --base "$base" \
                --metrics "http://127.0.0.1:$BRIDGE_PORT/metrics" --seed "$tmp/seed-pace.json" --games "$PACE_GAMES" \
                --interval "$interval" --duration "$DURATION" --pids "$pids" \
                --client "$client" --client-bin "$tmp/pace_client")"
        done
    done
fi

if want page; then
    # The login page, and a game page as its signed-in player sees it, next to the same bytes served
    # by nginx as a static file: the physical limit of the web-server path on this machine.
    cli seed-demo --users 2 --games 1 --password bench-password-1 --json > "$tmp/seed-page.json"
    jar=$tmp/cookies
    token=$(curl -fsS -c "$jar" "$base/accounts/login/" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
    curl -fsS -b "$jar" -c "$jar" -o /dev/null -H "Origin: $base" --data-urlencode "csrf_token=$token" \
        --data-urlencode username=player1 --data-urlencode password=bench-password-1 "$base/accounts/login/"
    cookie=$(awk '$6 == "gomoku_session" || $6 == "gomoku_csrf" {printf "%s=%s; ", $6, $7}' "$jar")
    game_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["games"][0]["id"])' "$tmp/seed-page.json")
    curl -fsS "$base/accounts/login/" -o static/vendor/bench-login.html
    curl -fsS -H "Cookie: $cookie" "$base/games/$game_id/" -o static/vendor/bench-game.html
    grep -q 'ws-connect=' static/vendor/bench-game.html || { echo "bench: the game page did not come back signed in" >&2; exit 1; }
    for page in login game; do
        size=$(stat -c %s "static/vendor/bench-$page.html")
        if [ "$page" = login ]; then url=$base/accounts/login/; app_rps=$(median_rps "$url")
        else url=$base/games/$game_id/; app_rps=$(median_rps -H "Cookie: $cookie" "$url"); fi
        static_rps=$(median_rps "$base/static/vendor/bench-$page.html")
        # The floor of the FastCGI path itself: a C responder on libfcgi that sends the same bytes and
        # does nothing else, behind a second nginx with the site's own configuration. libfcgi ties each
        # kept connection (fastcgi_keep_conn) to a thread, so it gets more threads than nginx keeps
        # connections (32 idle per nginx worker, plus those in use).
        floor_rps=null
        if ${CC:-cc} -O2 -o "$tmp/fcgi_floor" bench/fcgi_floor.c -lfcgi -lpthread 2>"$tmp/floor-cc.log"; then
            "$tmp/fcgi_floor" "$tmp/floor-$page.sock" "static/vendor/bench-$page.html" 128 &
            floor_pid=$!
            PORT=$((PORT + 2)) FCGI_SOCKET=$tmp/floor-$page.sock BRIDGE_ADDR=127.0.0.1:$BRIDGE_PORT \
                scripts/render-conf.sh nginx "$tmp/floor-nginx" >/dev/null
            nginx -p "$tmp/floor-nginx" -c "$tmp/floor-nginx/nginx.conf" -g 'daemon off;' </dev/null &
            floor_nginx=$!
            for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$((PORT + 2))/x" 2>/dev/null && break; sleep 0.05; done
            floor_rps=$(median_rps "http://127.0.0.1:$((PORT + 2))/x")
            kill -QUIT "$floor_nginx"; wait "$floor_nginx" 2>/dev/null || true
            kill -KILL "$floor_pid"; wait "$floor_pid" 2>/dev/null || true
        else
            echo "bench: cannot compile bench/fcgi_floor.c (see $tmp/floor-cc.log); no FastCGI floor" >&2
        fi
        record "$(printf '{"scenario": "page", "page": "%s", "bytes": %s, "app_rps": %s, "static_rps": %s, "fastcgi_floor_rps": %s, "ratio": %s, "floor_ratio": %s}' \
            "$page" "$size" "$app_rps" "$static_rps" "$floor_rps" "$(awk -v a="$app_rps" -v b="$static_rps" 'BEGIN {printf "%.3f", a/b}')" \
            "$(awk -v a="$floor_rps" -v b="$static_rps" 'BEGIN {if (a == "null") print "null"; else printf "%.3f", a/b}')")"
    done
fi

if want cgi; then
    record "$("$repo/.venv/bin/python" bench/cgi_bench.py --bin "$bin" --root "$repo" --data-dir "$data" --runs 40)"
fi

if want engine; then
    record "$(cli bench-engine --repetitions 5 --puzzles 5 | python3 -c 'import json,sys; d=json.load(sys.stdin); d["scenario"]="engine"; print(json.dumps(d, sort_keys=True))')"
fi

if want live; then
    # The bridge alone, a fresh one per scenario (RSS only grows), next to the running app.
    kill -TERM "$run_pid" 2>/dev/null || true; wait "$run_pid" 2>/dev/null || true; run_pid=""
    bridge_bin=$repo/.build/release/gomoku-bridge
    # The binary itself in the background (not through `cli`, whose subshell would take the pid and
    # leave the server running when it is killed).
    GOMOKU_DATA_DIR=$data GOMOKU_ROOT=$repo GOMOKU_LOG_LEVEL=warning \
        "$bin" serve --listen "$tmp/app.sock" --socket-mode 666 --workers 2 --log-level warning 2>"$tmp/app.log" &
    app_pid=$!
    for _ in $(seq 100); do [ -S "$tmp/app.sock" ] && break; sleep 0.05; done
    for scenario in ${LIVE_SCENARIOS:-latency:50 latency:500 latency-quiet:500 fanout:10000 fanout-quiet:10000 idle:10000 idle:19000}; do
        GOMOKU_ROOT=$repo GOMOKU_DATA_DIR=$data "$bridge_bin" --listen "127.0.0.1:$BRIDGE_PORT" --app-socket "$tmp/app.sock" \
            --log-level warning 2>>"$tmp/bridge.log" &
        bridge_pid=$!
        for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$BRIDGE_PORT/healthz" 2>/dev/null && break; sleep 0.05; done
        line=$("$repo/.venv/bin/python" bench/live_bench.py --data-dir "$data" --port "$BRIDGE_PORT" --pid "$bridge_pid" "$scenario") \
            && record "$line" || echo "bench: live scenario $scenario failed" >&2
        kill -TERM "$bridge_pid" 2>/dev/null; wait "$bridge_pid" 2>/dev/null || true; bridge_pid=""
    done
    kill -TERM "$app_pid" 2>/dev/null; wait "$app_pid" 2>/dev/null || true; app_pid=""
    # The kernel's part of a fan-out: the same small writes to loopback TCP connections, one thread per core, no
    # event loop (9,900 connections: both ends live in one process until it forks, under a 20,000-fd limit);
    # and of the 500-connection latency scenario: its 2 KB frames, each frame's time from the round's start.
    if ${CC:-cc} -O2 -o "$tmp/fanout_floor" bench/fanout_floor.c -lpthread 2>"$tmp/fanout-cc.log"; then
        for mode in read noread; do
            line=$("$tmp/fanout_floor" 9900 5 "$mode" "$(nproc)") && record "$line" || echo "bench: fanout floor ($mode) failed" >&2
        done
        line=$("$tmp/fanout_floor" 500 50 noread "$(nproc)" 2048) && record "$line" || echo "bench: fanout floor (500) failed" >&2
    else
        echo "bench: cannot compile bench/fanout_floor.c (see $tmp/fanout-cc.log)" >&2
    fi
fi

if [ "${BENCH_PEER:-0}" = 1 ] && { want move || want page || want live; }; then
    # The seeds' stack through the scenarios it has (it has no CGI mode, no engine and no bridge of its
    # own), on the same machine, in the same run.
    loadgen_python=${loadgen_python:-$("$peers/loadgen/setup.sh" | tail -1)}
    PORT=8090 "$peers/django-channels/run.sh" start >&2
    peer_started=1
    peer_base=http://127.0.0.1:8090
    peer_pids="$(cat "$peers/django-channels/run/app.pid"),$(cat "$peers/django-channels/run/redis.pid"),$(cat "$peers/django-channels/run/nginx.pid")"
    if want move; then
        for games in $MOVE_GAMES; do
            "$peers/django-channels/run.sh" manage seed_bench --users $((2 * (games + 8))) --games $((games + 8)) > "$tmp/peer-seed-$games.json"
            record "$("$repo/.venv/bin/python" bench/move_bench.py --loadgen-python "$loadgen_python" --movepush "$peers/loadgen/movepush.py" \
                --base "$peer_base" --seed "$tmp/peer-seed-$games.json" --games "$games" --duration "$DURATION" \
                --pids "$peer_pids" --label peer)" || echo "bench: peer run at $games games failed" >&2
        done
    fi
    if want page; then
        # Its game page as its black player sees it, next to the same bytes from its nginx's static files.
        "$peers/django-channels/run.sh" manage seed_bench --users 2 --games 1 > "$tmp/peer-seed-page.json"
        if "$loadgen_python" bench/peer_page.py --loadgen "$peers/loadgen" --base "$peer_base" --seed "$tmp/peer-seed-page.json" \
                --out "$peers/django-channels/run/static/bench-peer-game.html" > "$tmp/peer-page.txt"; then
            peer_cookie=$(sed -n 1p "$tmp/peer-page.txt")
            peer_path=$(sed -n 2p "$tmp/peer-page.txt")
            size=$(stat -c %s "$peers/django-channels/run/static/bench-peer-game.html")
            app_rps=$(median_rps -H "Cookie: $peer_cookie" "$peer_base$peer_path")
            static_rps=$(median_rps "$peer_base/static/bench-peer-game.html")
            record "$(printf '{"scenario": "peer_page", "page": "game", "bytes": %s, "app_rps": %s, "static_rps": %s, "ratio": %s}' \
                "$size" "$app_rps" "$static_rps" "$(awk -v a="$app_rps" -v b="$static_rps" 'BEGIN {printf "%.3f", a/b}')")"
        else
            echo "bench: the peer's game page could not be fetched" >&2
        fi
        rm -f "$peers/django-channels/run/static/bench-peer-game.html"
    fi
    if want live; then
        # Idle WebSockets on its game pages: the memory each costs daphne and nginx (redis holds nothing per socket).
        "$peers/django-channels/run.sh" manage seed_bench --users 40 --games 20 > "$tmp/peer-seed-idle.json"
        "$loadgen_python" "$peers/loadgen/idle_ws.py" --base "$peer_base" --seed "$tmp/peer-seed-idle.json" \
            --connections "${PEER_IDLE:-2000}" --sessions 40 --hold 1 --pids "$peer_pids" > "$tmp/peer-idle.jsonl" \
            && record "$(head -1 "$tmp/peer-idle.jsonl" | python3 -c '
import json, sys
r = json.load(sys.stdin)
app, redis, nginx = (int(p) for p in sys.argv[1].split(","))
grown = {name: (r["rss_kb"][str(pid)][1] - r["rss_kb"][str(pid)][0]) * 1024 / max(1, r["connected"]) for name, pid in (("app", app), ("nginx", nginx))}
print(json.dumps({"scenario": "peer_idle", "connections": r["connected"], "failed": r["failed"],
                  "app_bytes_per_connection": round(grown["app"]), "nginx_bytes_per_connection": round(grown["nginx"])}))' "$peer_pids")" \
            || echo "bench: the peer's idle WebSockets failed" >&2
    fi
    "$peers/django-channels/run.sh" stop >&2 || true
    peer_started=""
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p bench/results
"$repo/.venv/bin/python" bench/report.py --results "$results" --stamp "$stamp" --cores "$(nproc)" \
    --json "bench/results/$stamp.json" --markdown "bench/results/$stamp.md"
cat "bench/results/$stamp.md"
