"""The binary spoken to directly: FastCGI (`serve`, libfcgi's cgi-fcgi, our own client), FastCGI on an
inherited fd 0 (spawn-fcgi and a socket passed by Python), plain CGI, and the admin subcommands."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest

import e2e_support as support
import fcgi_client
from e2e_support import BIN, DEFAULT_PASSWORD, app_env, create_user, run_cli, stop_process, wait_until


def form(**fields: str) -> bytes:
    return urllib.parse.urlencode(fields).encode()


# ---------------------------------------------------------------------------------------------
# serve + cgi-fcgi / our client


def test_cgi_fcgi_gets_an_answer_from_serve(module_server):
    cgi_fcgi = support.need("cgi-fcgi")
    result = subprocess.run(["env", "-i", "REQUEST_METHOD=GET", "REQUEST_URI=/healthz", "HTTP_HOST=localhost",
                             cgi_fcgi, "-bind", "-connect", module_server.socket],
                            capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    response = fcgi_client.parse_cgi_response(result.stdout)
    assert response.status == 200
    assert response.body == b"ok\n"
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_our_client_gets_the_login_page_with_security_headers(module_server):
    response = module_server.get("/accounts/login/")
    assert response.status == 200, response.text
    assert response.app_status == 0 and response.protocol_status == fcgi_client.FCGI_REQUEST_COMPLETE
    page = response.text
    token = support.csrf_token(page)
    assert support.hidden_csrf_tokens(page) == [token]
    assert support.hx_headers_token(page) == token
    assert '<form id="login-form"' in page and 'name="username"' in page and 'name="password"' in page
    assert "gomoku_csrf" in response.cookies()
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"]
    assert "HX-Request" in response.headers["Vary"]
    assert int(response.headers["Content-Length"]) == len(response.body)


def test_every_page_gets_its_own_csrf_cookie_and_a_token_that_matches_it(module_server):
    first, second = module_server.get("/"), module_server.get("/")
    assert first.cookies()["gomoku_csrf"] != second.cookies()["gomoku_csrf"]
    # A browser that already has the cookie keeps it, and gets the same token for it again.
    cookie = first.cookies()["gomoku_csrf"]
    again = module_server.get("/accounts/register/", cookies={"gomoku_csrf": cookie})
    assert "gomoku_csrf" not in again.cookies()
    assert support.csrf_token(again.text) == support.csrf_token(first.text)


def test_anonymous_home_links_to_sign_in_and_register(module_server):
    page = module_server.get("/").text
    assert ">Sign in</a>" in page and ">Create account</a>" in page
    assert "Welcome back" not in page


def test_trailing_slash_redirect_and_head(module_server):
    response = module_server.get("/accounts/login?next=/x")
    assert response.status == 303
    assert response.headers["Location"] == "/accounts/login/?next=/x"
    head = module_server.request("HEAD", "/accounts/login/")
    assert head.status == 200 and head.body == b""
    assert int(head.headers["Content-Length"]) > 1000


def test_concurrent_requests_all_answered_correctly(module_server):
    """8 client threads × 25 requests over 2 workers × 2 threads: every answer complete and correct."""
    failures: list[str] = []
    statuses: Counter = Counter()
    tokens: set[str] = set()
    lock = threading.Lock()

    def client(index: int) -> None:
        for n in range(25):
            try:
                if (index + n) % 2:
                    response = module_server.get("/healthz")
                    ok = response.status == 200 and response.body == b"ok\n"
                else:
                    response = module_server.get(f"/accounts/login/?next=/t{index}-{n}")
                    ok = (response.status == 200 and f'value="/t{index}-{n}"' in response.text
                          and response.text.rstrip().endswith("</html>"))
                    with lock:
                        tokens.add(support.csrf_token(response.text))
                with lock:
                    statuses[response.status] += 1
                    if not ok:
                        failures.append(f"{index}/{n}: {response.status} {response.text[:200]}")
            except Exception as error:  # noqa: BLE001
                with lock:
                    failures.append(f"{index}/{n}: {error!r}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures[:5]
    assert statuses == Counter({200: 200})
    assert len(tokens) == 100  # a fresh CSRF cookie (and token) per cookieless page view


def _answer_then_eof(address: str, *, send_end_of_input: bool) -> socket.socket:
    """Sends a GET /healthz (with or without its end-of-stdin record), reads the answer through
    END_REQUEST and then to end of file; returns the socket, still open on our side."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(address)
    params = fcgi_client.build_params("GET", "/healthz")
    message = (fcgi_client.record(fcgi_client.FCGI_BEGIN_REQUEST, struct.pack(">HB5x", fcgi_client.FCGI_RESPONDER, 0))
               + fcgi_client.stream_records(fcgi_client.FCGI_PARAMS, fcgi_client.encode_params(params)))
    if send_end_of_input:
        message += fcgi_client.record(fcgi_client.FCGI_STDIN, b"")
    sock.sendall(message)
    received = bytearray()
    while chunk := sock.recv(65536):
        received += chunk
    end_request = fcgi_client.record(fcgi_client.FCGI_END_REQUEST, struct.pack(">IB3x", 0, fcgi_client.FCGI_REQUEST_COMPLETE))
    assert received.endswith(end_request), bytes(received[-64:])
    assert b"ok\n" in received
    return sock


def test_a_connection_whose_input_was_read_to_its_end_is_closed_at_once(module_server):
    """No lingering close (shut down, then wait for the web server to close first) when there is no
    unread input left to reset the connection: the app's end is gone as soon as the answer is."""
    sock = _answer_then_eof(module_server.socket, send_end_of_input=True)
    try:
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            for _ in range(3):
                sock.sendall(b"\0" * 8)
    finally:
        sock.close()


def test_a_client_that_has_not_ended_its_input_gets_its_answer_and_a_lingering_close(module_server):
    """The app does not wait for input a client has not sent: the answer comes, the app's side is shut
    down, and it keeps reading (and discarding) until the client closes, so no reset can cut the answer."""
    sock = _answer_then_eof(module_server.socket, send_end_of_input=False)
    try:
        sock.sendall(fcgi_client.record(fcgi_client.FCGI_STDIN, b""))  # still accepted: the app is lingering
    finally:
        sock.close()
    assert module_server.get("/healthz").status == 200


class KeptConnection:
    """A raw FastCGI connection that asks the app to keep it open (FCGI_KEEP_CONN), as nginx does with
    `fastcgi_keep_conn on`: several requests one after another on the same socket."""

    def __init__(self, address: str):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(address)

    def send(self, path: str, request_id: int = 1) -> None:
        params = fcgi_client.build_params("GET", path)
        self.sock.sendall(fcgi_client.record(fcgi_client.FCGI_BEGIN_REQUEST, struct.pack(">HB5x", fcgi_client.FCGI_RESPONDER, 1), request_id)
                          + fcgi_client.stream_records(fcgi_client.FCGI_PARAMS, fcgi_client.encode_params(params), request_id)
                          + fcgi_client.record(fcgi_client.FCGI_STDIN, b"", request_id))

    def answer(self) -> bytes:
        """The STDOUT of the answer, read through its END_REQUEST and no further (the connection stays open)."""
        stdout = bytearray()
        while True:
            _, kind, _, length, padding = struct.unpack(">BBHHBx", fcgi_client._recv_exact(self.sock, 8))
            content = fcgi_client._recv_exact(self.sock, length + padding)[:length]
            if kind == fcgi_client.FCGI_STDOUT:
                stdout += content
            elif kind == fcgi_client.FCGI_END_REQUEST:
                return bytes(stdout)

    def close(self) -> None:
        self.sock.close()


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_idle_kept_connections_hold_no_thread(start_server):
    """More kept connections than the worker has threads: each gets its answers, in any order. A kept
    connection waits for its next request in the worker's epoll set, not on a thread of its own."""
    server = start_server(workers=1, threads=2)
    connections = [KeptConnection(server.socket) for _ in range(6)]
    try:
        for round_order in (connections, list(reversed(connections)), connections[::2] + connections[1::2]):
            for index, connection in enumerate(round_order):
                connection.send("/healthz", request_id=index + 1)
                assert connection.answer().endswith(b"ok\n")
        # Several requests waiting at once on different kept connections are all answered.
        for connection in connections:
            connection.send("/accounts/login/")
        for connection in connections:
            assert b"Status: 200" in connection.answer()
    finally:
        for connection in connections:
            connection.close()
    assert server.get("/healthz").status == 200


def test_a_kept_connection_the_web_server_closes_is_let_go(start_server):
    """A web server closing an idle kept connection ends it in the app too: the worker keeps no
    descriptor for it and goes on answering, on new connections and on the kept ones left."""
    server = start_server(workers=1, threads=1)
    (worker,) = server.worker_pids()
    survivor = KeptConnection(server.socket)
    survivor.send("/healthz")
    assert survivor.answer().endswith(b"ok\n")
    def open_use_and_close(count: int) -> None:
        for _ in range(count):
            connection = KeptConnection(server.socket)
            connection.send("/healthz")
            assert connection.answer().endswith(b"ok\n")
            connection.close()

    open_use_and_close(10)  # the worker's own lazily opened descriptors (database, dispatch) come first
    time.sleep(0.5)
    before = open_fds(worker)
    open_use_and_close(40)
    wait_until(lambda: open_fds(worker) <= before, 10, message=lambda: f"{open_fds(worker)} descriptors open, {before} before")
    survivor.send("/healthz")
    assert survivor.answer().endswith(b"ok\n")
    survivor.close()
    assert server.get("/healthz").status == 200


def test_a_stopping_worker_closes_idle_kept_connections_and_answers_requests_already_sent(start_server):
    """On SIGTERM a worker closes its idle kept connections at once (the web server drops a cached
    connection it sees closed), answers a request that was already sent on a kept one, then closes that."""
    server = start_server(workers=1, threads=1)
    (worker,) = server.worker_pids()
    idle, pending = KeptConnection(server.socket), KeptConnection(server.socket)
    for connection in (idle, pending):
        connection.send("/healthz")
        assert connection.answer().endswith(b"ok\n")
    # The worker's one thread waits for the rest of a POST body...
    slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    slow.settimeout(10)
    slow.connect(server.socket)
    params = fcgi_client.build_params("POST", "/accounts/login/", content_type="application/x-www-form-urlencoded", body=b"username=x")
    slow.sendall(fcgi_client.record(fcgi_client.FCGI_BEGIN_REQUEST, struct.pack(">HB5x", fcgi_client.FCGI_RESPONDER, 0))
                 + fcgi_client.stream_records(fcgi_client.FCGI_PARAMS, fcgi_client.encode_params(params)))
    time.sleep(0.3)
    # ...while a request arrives on a kept connection, and the worker is told to stop.
    pending.send("/healthz")
    time.sleep(0.1)
    os.kill(worker, signal.SIGTERM)
    assert idle.sock.recv(1) == b""  # closed without a thread to spare
    slow.sendall(fcgi_client.stream_records(fcgi_client.FCGI_STDIN, b"username=x"))
    answered = bytearray()
    while chunk := slow.recv(65536):
        answered += chunk
    assert b"Status: 403" in answered  # no CSRF token: answered all the same
    assert pending.answer().endswith(b"ok\n")
    assert pending.sock.recv(1) == b""  # and then closed
    for connection in (idle, pending):
        connection.close()
    slow.close()
    server.wait_for_workers(1, exclude={worker})
    assert server.get("/healthz").status == 200


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_a_reload_keeps_answering_on_kept_connections_until_the_web_server_closes_them(start_server):
    """A worker replaced by a reload (SIGHUP to the master) takes no new connections but keeps answering
    on its kept ones: closing one itself could cut a request the web server has just sent (nginx answers
    such a POST with 502). It exits as soon as the web server has closed them."""
    server = start_server(workers=1, threads=2)
    (old,) = server.worker_pids()
    kept = KeptConnection(server.socket)
    kept.send("/healthz")
    assert kept.answer().endswith(b"ok\n")
    os.kill(server.pid, signal.SIGHUP)
    wait_until(lambda: server.worker_pids() - {old}, 30, message="a new worker")
    for _ in range(3):
        time.sleep(0.2)
        kept.send("/healthz")
        assert kept.answer().endswith(b"ok\n")
    assert _running(old)
    assert server.get("/healthz").status == 200  # a new connection: the new worker's
    kept.close()
    wait_until(lambda: not _running(old), 5, message="the old worker to exit once its kept connection was closed")


def test_a_draining_worker_closes_kept_connections_after_the_drain_time(start_server, data_dir):
    server = start_server(workers=1, threads=1, env={**app_env(data_dir), "GOMOKU_DRAIN": "1"})
    (old,) = server.worker_pids()
    kept = KeptConnection(server.socket)
    kept.send("/healthz")
    assert kept.answer().endswith(b"ok\n")
    started = time.monotonic()
    os.kill(server.pid, signal.SIGHUP)
    assert kept.sock.recv(1) == b""  # closed by the old worker once its drain time was over
    assert 0.5 < time.monotonic() - started < 8
    kept.close()
    wait_until(lambda: not _running(old), 5, message="the old worker to exit")
    assert server.get("/healthz").status == 200


def test_concurrent_registrations_of_one_username_create_exactly_one_account(start_server, data_dir):
    """Three browsers race to register the same name: one account, one 303, the others a clear 422."""
    server = start_server(workers=2, threads=2)
    page = server.get("/accounts/register/")
    cookie, token = page.cookies()["gomoku_csrf"], support.csrf_token(page.text)
    results: list = [None] * 3

    def register(index: int) -> None:
        try:
            results[index] = server.request(
                "POST", "/accounts/register/", content_type="application/x-www-form-urlencoded",
                cookies={"gomoku_csrf": cookie},
                body=form(csrf_token=token, username="racer", email=f"racer{index}@example.org",
                          display_name=f"Racer {index}", password=DEFAULT_PASSWORD))
        except Exception as error:  # noqa: BLE001
            results[index] = error

    threads = [threading.Thread(target=register, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    statuses = sorted(r.status if isinstance(r, fcgi_client.HTTPResponse) else repr(r) for r in results)
    assert statuses == [303, 422, 422], statuses
    for response in results:
        if response.status == 422:
            assert "taken" in (support.field_error(response.text, "username") or "")
    assert support.usernames(data_dir) == ["racer"]


# ---------------------------------------------------------------------------------------------
# FastCGI on fd 0


def test_socket_passed_as_stdin_is_served(data_dir, socket_dir):
    path = str(socket_dir / "fd0.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    log = open(data_dir / "fd0.log", "wb")
    process = subprocess.Popen([str(BIN)], stdin=listener.fileno(), stdout=log, stderr=subprocess.STDOUT,
                               env=app_env(data_dir, GOMOKU_THREADS="3"), start_new_session=True)
    listener.close()  # only the child holds it now
    try:
        response = fcgi_client.request(path, "GET", "/healthz", timeout=30)
        assert response.status == 200 and response.body == b"ok\n"
        page = fcgi_client.request(path, "GET", "/accounts/register/")
        assert page.status == 200 and 'id="register-form"' in page.text
        # One process serves it all: no master, no workers.
        assert support.children(process.pid) == set()
        # Several at once over its 3 threads.
        results: list = []
        threads = [threading.Thread(target=lambda: results.append(fcgi_client.request(path, "GET", "/").status))
                   for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert results == [200] * 6
    finally:
        code = stop_process(process, signal.SIGTERM)
        log.close()
    assert code == 0, (data_dir / "fd0.log").read_text()


def test_spawn_fcgi_runs_the_app_on_its_socket(data_dir, socket_dir):
    spawn = support.need("spawn-fcgi")
    path = str(socket_dir / "spawn.sock")
    log = open(data_dir / "spawn.log", "wb")
    # -n: no fork, spawn-fcgi execs the app, so the pid we hold is the app's.
    process = subprocess.Popen([spawn, "-s", path, "-n", "--", str(BIN)], stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, env=app_env(data_dir, GOMOKU_THREADS="2"), start_new_session=True)
    try:
        wait_until(lambda: os.path.exists(path), 20, message=f"spawn-fcgi socket {path}")
        response = wait_until(lambda: fcgi_client.request(path, "GET", "/accounts/login/"), 20, message="an answer")
        assert response.status == 200
        assert '<form id="login-form"' in response.text
        assert support.cmdline(process.pid).startswith(str(BIN))
    finally:
        code = stop_process(process, signal.SIGTERM)
        log.close()
    assert code == 0, (data_dir / "spawn.log").read_text()


# ---------------------------------------------------------------------------------------------
# CGI


def run_cgi(data_dir: Path, method: str, uri: str, body: bytes = b"", headers: dict | None = None,
            content_type: str | None = None) -> fcgi_client.HTTPResponse:
    path, _, query = uri.partition("?")
    env = app_env(data_dir, GATEWAY_INTERFACE="CGI/1.1", REQUEST_METHOD=method, REQUEST_URI=uri, QUERY_STRING=query,
                  SCRIPT_NAME="", PATH_INFO=path, SERVER_NAME="localhost", SERVER_PORT="80",
                  SERVER_PROTOCOL="HTTP/1.1", REMOTE_ADDR="127.0.0.1", HTTP_HOST="localhost")
    if body:
        env["CONTENT_LENGTH"] = str(len(body))
    if content_type:
        env["CONTENT_TYPE"] = content_type
    for name, value in (headers or {}).items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    result = subprocess.run([str(BIN)], input=body, capture_output=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"Status: "), result.stdout[:200]
    return fcgi_client.parse_cgi_response(result.stdout)


def test_cgi_get_page(data_dir):
    response = run_cgi(data_dir, "GET", "/accounts/login/")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<form id="login-form"' in response.text
    assert int(response.headers["Content-Length"]) == len(response.body)


def test_cgi_post_through_csrf_registers_a_user(data_dir):
    page = run_cgi(data_dir, "GET", "/accounts/register/")
    cookie, token = page.cookies()["gomoku_csrf"], support.csrf_token(page.text)
    fields = dict(username="cgi_user", email="cgi@example.org", display_name="CGI User", password=DEFAULT_PASSWORD)

    refused = run_cgi(data_dir, "POST", "/accounts/register/", body=form(**fields),
                      content_type="application/x-www-form-urlencoded", headers={"Cookie": f"gomoku_csrf={cookie}"})
    assert refused.status == 403
    assert "security token" in refused.text
    assert support.usernames(data_dir) == []

    response = run_cgi(data_dir, "POST", "/accounts/register/", body=form(csrf_token=token, **fields),
                       content_type="application/x-www-form-urlencoded", headers={"Cookie": f"gomoku_csrf={cookie}"})
    assert response.status == 303, response.text
    assert response.headers["Location"] == "/"
    session = response.cookies()["gomoku_session"]
    assert support.usernames(data_dir) == ["cgi_user"]

    home = run_cgi(data_dir, "GET", "/", headers={"Cookie": f"gomoku_session={session}"})
    assert "<h1>Welcome back, CGI User!</h1>" in home.text


def test_a_cgi_request_that_changes_nothing_leaves_the_database_files_alone(data_dir):
    """A CGI process that changed nothing exits without closing the database: closing would make it the
    last connection out, which copies the write-ahead log into the database file, syncs both and deletes
    the log, so that the next process has to write one again. One that changed something closes it."""
    database = support.db_path(data_dir)
    wal = Path(str(database) + "-wal")
    # The first request creates the database (a change: it closes, and the log goes); the second opens a
    # log and leaves it (empty: its one connection writes nothing to start it, as a pool's would).
    for _ in range(2):
        run_cgi(data_dir, "GET", "/accounts/login/")
    assert wal.exists() and wal.stat().st_size == 0, "a request that reads writes nothing to the log"
    files = wal.read_bytes(), database.read_bytes()
    for path in ("/accounts/login/", "/healthz", "/games/"):
        assert run_cgi(data_dir, "GET", path).status in (200, 302)
        assert (wal.read_bytes(), database.read_bytes()) == files, path

    page = run_cgi(data_dir, "GET", "/accounts/register/")
    cookie, token = page.cookies()["gomoku_csrf"], support.csrf_token(page.text)
    fields = dict(username="cgi_writer", email="w@example.org", display_name="W", password=DEFAULT_PASSWORD)
    response = run_cgi(data_dir, "POST", "/accounts/register/", body=form(csrf_token=token, **fields),
                       content_type="application/x-www-form-urlencoded", headers={"Cookie": f"gomoku_csrf={cookie}"})
    assert response.status == 303, response.text
    # Closed as the last connection out: the log was copied into the database file and deleted.
    assert not wal.exists()
    assert support.usernames(data_dir) == ["cgi_writer"]


def test_a_cgi_request_that_changes_nothing_closes_the_database_once_the_log_has_grown(data_dir):
    """A new process rebuilds the log's index and cannot tell copied frames from others, so a log that no
    process closes keeps every later writer's frames: past 256 KB, a read-only request closes the database
    as the last connection out, which copies the log into the database file and deletes it."""
    database = support.db_path(data_dir)
    wal = Path(str(database) + "-wal")
    assert run_cgi(data_dir, "GET", "/accounts/login/").status == 200  # creates the database
    # Frames nobody copied: written while another connection holds the database open, which then exits
    # without closing it (as a read-only CGI request does).
    script = f"""
import os, sqlite3
holder = sqlite3.connect({str(database)!r})
holder.execute("SELECT count(*) FROM users").fetchall()
writer = sqlite3.connect({str(database)!r}, isolation_level=None)
writer.execute("CREATE TABLE filler (bytes BLOB)")
writer.execute("BEGIN")
for _ in range(100):
    writer.execute("INSERT INTO filler VALUES (randomblob(3000))")
writer.execute("COMMIT")
writer.close()
os._exit(0)
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert wal.stat().st_size > 256 * 1024
    assert run_cgi(data_dir, "GET", "/accounts/login/").status == 200
    assert not wal.exists()
    assert support.db_query(data_dir, "SELECT count(*) FROM filler") == [(100,)]


def test_cgi_body_cut_short_is_a_400(data_dir):
    env = app_env(data_dir, GATEWAY_INTERFACE="CGI/1.1", REQUEST_METHOD="POST", REQUEST_URI="/accounts/login/",
                  CONTENT_LENGTH="100", CONTENT_TYPE="application/x-www-form-urlencoded", HTTP_HOST="localhost")
    result = subprocess.run([str(BIN)], input=b"username=x", capture_output=True, env=env, timeout=60)
    response = fcgi_client.parse_cgi_response(result.stdout)
    assert response.status == 400
    assert "ended early" in response.text


# ---------------------------------------------------------------------------------------------
# Admin and developer subcommands


def parse_http(text: str) -> fcgi_client.HTTPResponse:
    return fcgi_client.parse_cgi_response(text.encode(), status_line_prefix=b"HTTP/")


def test_request_subcommand_prints_the_login_page(data_dir):
    result = run_cli(data_dir, "request", "GET", "/accounts/login/")
    assert result.stdout.startswith("HTTP/1.1 200 OK\r\n")
    response = parse_http(result.stdout)
    assert '<form id="login-form"' in response.text
    assert response.headers["X-Frame-Options"] == "DENY"


def test_request_subcommand_repeats_for_profiling(data_dir):
    create_user(data_dir, "alice", display_name="Alice Example")
    result = run_cli(data_dir, "request", "GET", "/dashboard/", "--as", "alice", "--repeat", "25")
    # The answer is printed once; the timing of the 24 repeats goes to stderr.
    assert result.stdout.count("HTTP/1.1 200 OK\r\n") == 1
    assert "Alice Example" in parse_http(result.stdout).text
    assert re.search(r"^24 answers, [0-9.]+ µs each$", result.stderr, re.M), result.stderr
    refused = run_cli(data_dir, "request", "GET", "/", "--repeat", "0", check=False)
    assert refused.returncode != 0 and "--repeat must be at least 1" in refused.stderr


def test_bench_moves_plays_a_game_through_the_handlers(data_dir):
    game = json.loads(run_cli(data_dir, "seed-demo", "--users", "2", "--games", "1", "--json").stdout)["games"][0]
    result = run_cli(data_dir, "bench-moves", "--game", str(game["id"]), "--black", game["black"],
                     "--white", game["white"], "--moves", "30")
    assert re.search(r"^30 moves, [0-9.]+ µs each$", result.stdout, re.M), result.stdout
    # The moves were committed: the game page shows 30 stones and whose turn is next.
    page = parse_http(run_cli(data_dir, "request", "GET", f"/games/{game['id']}/", "--as", game["black"]).stdout)
    assert page.text.count('role="img"') == 30
    assert 'data-turn="black" data-move="31"' in page.text
    # A second run finds the first stone taken: refused, with the app's answer shown.
    again = run_cli(data_dir, "bench-moves", "--game", str(game["id"]), "--black", game["black"],
                    "--white", game["white"], "--moves", "1", check=False)
    assert again.returncode != 0 and "move 1 was refused" in again.stderr
    assert run_cli(data_dir, "bench-moves", "--game", "1", "--black", "x", "--white", "y", "--moves", "300",
                   check=False).returncode != 0


def test_request_subcommand_post_as_a_user(data_dir):
    create_user(data_dir, "alice", display_name="Alice Example")
    home = parse_http(run_cli(data_dir, "request", "GET", "/", "--as", "alice").stdout)
    assert "<h1>Welcome back, Alice Example!</h1>" in home.text

    logout = parse_http(run_cli(data_dir, "request", "POST", "/accounts/logout/", "--as", "alice").stdout)
    assert logout.status == 303, logout.text
    assert logout.headers["Location"] == "/"
    assert any(c.startswith("gomoku_session=;") and "Max-Age=0" in c for c in logout.headers.get_all("Set-Cookie"))

    validate = parse_http(run_cli(data_dir, "request", "POST", "/accounts/register/validate/", "--as", "alice",
                                  "-H", "HX-Request: true", "-H", "HX-Trigger-Name: username",
                                  "--form", "username=alice").stdout)
    assert validate.status == 200
    assert "That username is taken" in support.field_error(validate.text, "username")

    without_csrf = parse_http(run_cli(data_dir, "request", "POST", "/accounts/logout/", "--as", "alice", "--no-csrf").stdout)
    assert without_csrf.status == 403


def test_check_config_succeeds(data_dir):
    result = run_cli(data_dir, "check-config")
    assert re.search(r"^status:\s+ok$", result.stdout, re.M), result.stdout
    assert re.search(r"^lessons:\s+\d+ ", result.stdout, re.M), "the school's lessons load"
    assert str(data_dir) in result.stdout


def test_check_config_fails_on_a_broken_root(data_dir, tmp_path):
    empty_root = tmp_path / "empty-root"
    empty_root.mkdir()
    result = run_cli(data_dir, "check-config", check=False, env=app_env(data_dir, GOMOKU_ROOT=str(empty_root)))
    assert result.returncode != 0
    assert "templates" in result.stdout + result.stderr


def test_migrate_is_idempotent(data_dir):
    first = run_cli(data_dir, "migrate").stdout
    assert "applied" in first
    assert "up to date" in run_cli(data_dir, "migrate").stdout


def test_seed_demo_json_shape_and_password(data_dir):
    result = run_cli(data_dir, "seed-demo", "--users", "4", "--games", "2", "--json")
    seeded = json.loads(result.stdout)
    assert set(seeded) == {"users", "games"}
    assert [u["username"] for u in seeded["users"]] == ["player1", "player2", "player3", "player4"]
    assert all(set(u) == {"username", "password"} and isinstance(u["password"], str) and u["password"]
               for u in seeded["users"])
    assert [(g["black"], g["white"]) for g in seeded["games"]] == [("player1", "player2"), ("player3", "player4")]
    assert all(isinstance(g["id"], int) for g in seeded["games"])
    ids = {row[0] for row in support.db_query(data_dir, "SELECT id FROM games")}
    assert ids == {g["id"] for g in seeded["games"]}
    assert support.db_counts(data_dir)["users"] == 4

    # The password printed really signs that user in.
    login = parse_http(run_cli(data_dir, "request", "POST", "/accounts/login/", "--form", "username=player3",
                               "--form", f"password={seeded['users'][2]['password']}").stdout)
    assert login.status == 303, login.text
    assert "gomoku_session" in login.cookies()

    # Seeding again replaces the demo data rather than adding to it.
    again = json.loads(run_cli(data_dir, "seed-demo", "--users", "2", "--games", "1", "--json").stdout)
    assert len(again["users"]) == 2 and support.db_counts(data_dir)["users"] == 2
