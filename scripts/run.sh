#!/usr/bin/env bash
# Runs the whole site locally: gomoku-fcgi (FastCGI master + workers), gomoku-bridge and an
# nginx in front of them, all under run/ in this checkout. `make run` calls it after building and
# migrating. Ctrl-C (or SIGTERM) stops everything; if one part dies, the others are stopped too.
#
# Environment: PORT (default 8080), BIN_DIR (default .build/release), WORKERS and THREADS
# (passed to gomoku-fcgi serve when set), BRIDGE_ADDR (default 127.0.0.1:8081), and any
# GOMOKU_* setting (see `gomoku-fcgi check-config`).
set -euo pipefail

# nginx lives in /usr/sbin, which is not on every user's PATH.
PATH=$PATH:/usr/sbin:/sbin
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

PORT=${PORT:-8080}
BIN_DIR=${BIN_DIR:-.build/release}
BRIDGE_ADDR=${BRIDGE_ADDR:-127.0.0.1:8081}
export GOMOKU_ROOT=${GOMOKU_ROOT:-$repo}
case "$BIN_DIR" in /*) ;; *) BIN_DIR=$repo/$BIN_DIR ;; esac
fcgi_bin=$BIN_DIR/gomoku-fcgi
bridge_bin=$BIN_DIR/gomoku-bridge

run_dir=$repo/run
socket=$run_dir/gomoku.sock
nginx_dir=$run_dir/nginx
fcgi_pidfile=$run_dir/gomoku-fcgi.pid
bridge_pidfile=$run_dir/gomoku-bridge.pid
nginx_pidfile=$nginx_dir/nginx.pid

say() { echo "run: $*" >&2; }
die() { say "$*"; exit 1; }

# `wait -n -p` below needs bash 5.1 (Debian 12 has 5.2).
(( BASH_VERSINFO[0] > 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] >= 1) )) || die "bash 5.1 or newer is needed"
[[ "$PORT" =~ ^[0-9]+$ ]] || die "PORT must be a number, got '$PORT'"
[ -x "$fcgi_bin" ] || die "$fcgi_bin not found; build first (make build), or set BIN_DIR"
command -v nginx >/dev/null || die "nginx is not installed (make setup installs it)"
command -v setsid >/dev/null || die "setsid (util-linux) is missing"

mkdir -p "$run_dir"

# A process from an earlier run that is still alive is an error; a dead one leaves files to clean.
for pidfile in "$fcgi_pidfile" "$bridge_pidfile" "$nginx_pidfile"; do
    [ -f "$pidfile" ] || continue
    old=$(cat "$pidfile" 2>/dev/null || true)
    # (A recycled pid that now belongs to something else does not count.)
    if [[ "$old" =~ ^[0-9]+$ ]] && kill -0 "$old" 2>/dev/null && tr '\0' ' ' < "/proc/$old/cmdline" 2>/dev/null | grep -q 'gomoku\|nginx'; then
        die "an earlier run is still going (pid $old from $pidfile); stop it first: kill $old"
    fi
    rm -f "$pidfile"
done
rm -f "$socket"
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "something already listens on 127.0.0.1:$PORT; stop it or choose another port: make run PORT=8090"
fi

PORT=$PORT FCGI_SOCKET=$socket BRIDGE_ADDR=$BRIDGE_ADDR "$repo/scripts/render-conf.sh" nginx "$nginx_dir" >/dev/null

fcgi_pid=""
bridge_pid=""
nginx_pid=""
stopping=0

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# Waits up to $2 seconds for pid $1 to exit, then kills it; reaps it either way.
wait_for_exit() {
    local pid=$1 limit=$2 waited=0
    while alive "$pid" && [ "$waited" -lt $((limit * 10)) ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    if alive "$pid"; then
        say "pid $pid did not stop within ${limit}s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

stop_all() {
    [ "$stopping" = 1 ] && return
    stopping=1
    trap '' INT TERM
    # nginx first, so no new request reaches the app; it finishes what it has (at most 5 s).
    if alive "$nginx_pid"; then kill -QUIT "$nginx_pid" 2>/dev/null || true; wait_for_exit "$nginx_pid" 10; fi
    if alive "$bridge_pid"; then kill -TERM "$bridge_pid" 2>/dev/null || true; fi
    # The master stops accepting, lets its workers finish their requests (at most 30 s) and exits.
    if alive "$fcgi_pid"; then kill -TERM "$fcgi_pid" 2>/dev/null || true; wait_for_exit "$fcgi_pid" 35; fi
    if [ -n "$bridge_pid" ]; then wait_for_exit "$bridge_pid" 15; fi
    rm -f "$fcgi_pidfile" "$bridge_pidfile" "$socket"
}

on_signal() {
    echo >&2
    say "stopping"
    stop_all
    say "stopped"
    exit 0
}

# From here on, whatever happens, what was started gets stopped.
trap on_signal INT TERM
trap 'stop_all' EXIT

# Each part runs in its own session: Ctrl-C reaches only this script, which then stops them in
# order (a terminal's SIGINT would otherwise kill workers mid-request and nginx without draining).
serve_args=(serve --listen "$socket" --socket-mode 666)
[ -n "${WORKERS:-}" ] && serve_args+=(--workers "$WORKERS")
[ -n "${THREADS:-}" ] && serve_args+=(--threads "$THREADS")
setsid "$fcgi_bin" "${serve_args[@]}" </dev/null &
fcgi_pid=$!
echo "$fcgi_pid" > "$fcgi_pidfile"

for _ in $(seq 300); do
    [ -S "$socket" ] && break
    if ! alive "$fcgi_pid"; then
        status=0; wait "$fcgi_pid" || status=$?
        fcgi_pid=""
        die "gomoku-fcgi exited during startup (status $status); see its messages above"
    fi
    sleep 0.1
done
[ -S "$socket" ] || die "gomoku-fcgi did not create $socket within 30 s"

if [ -x "$bridge_bin" ]; then
    setsid "$bridge_bin" --listen "$BRIDGE_ADDR" --app-socket "$socket" </dev/null &
    bridge_pid=$!
    echo "$bridge_pid" > "$bridge_pidfile"
    for _ in $(seq 10); do
        alive "$bridge_pid" || break
        sleep 0.1
    done
fi
if ! alive "$bridge_pid"; then
    status=missing
    if [ -n "$bridge_pid" ]; then status=0; wait "$bridge_pid" || status=$?; fi
    bridge_pid=""
    rm -f "$bridge_pidfile"
    say "gomoku-bridge is not running (status $status): live updates are off; pages still work"
fi

setsid nginx -p "$nginx_dir" -c "$nginx_dir/nginx.conf" -g 'daemon off;' </dev/null &
nginx_pid=$!
# nginx writes its pid file once it listens.
for _ in $(seq 100); do
    [ -s "$nginx_pidfile" ] && break
    alive "$nginx_pid" || break
    sleep 0.1
done
if ! alive "$nginx_pid" || [ ! -s "$nginx_pidfile" ]; then
    die "nginx did not start; see the messages above and $nginx_dir/logs/error.log"
fi

echo "Gomoku is running at http://127.0.0.1:$PORT/ (Ctrl-C stops it)"

pids=("$fcgi_pid" "$nginx_pid")
[ -n "$bridge_pid" ] && pids+=("$bridge_pid")
names=([$fcgi_pid]=gomoku-fcgi [$nginx_pid]=nginx)
[ -n "$bridge_pid" ] && names[$bridge_pid]=gomoku-bridge

# Returns when one of them exits; a signal interrupts it and runs on_signal instead.
status=0
wait -n -p dead "${pids[@]}" || status=$?
name=${names[$dead]:-"pid $dead"}
case "$dead" in
    "$fcgi_pid") fcgi_pid="" ;;
    "$nginx_pid") nginx_pid="" ;;
    "$bridge_pid") bridge_pid="" ;;
esac
say "$name exited unexpectedly (status $status); stopping the rest"
stop_all
exit 1
