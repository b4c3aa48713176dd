"""Process and HTTP helpers shared by the end-to-end tests.

Everything here starts real processes (gomoku-fcgi, nginx, lighttpd) and stops them again by pid.
No network beyond 127.0.0.1 and unix sockets.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable

import pytest

import fcgi_client

HERE = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("GOMOKU_ROOT") or HERE.parent.parent).resolve()
BIN = Path(os.environ.get("GOMOKU_BIN") or ROOT / ".build" / "debug" / "gomoku-fcgi")
RENDER_CONF = ROOT / "scripts" / "render-conf.sh"

# Strong enough for the app's rules (≥10 chars, ≥4 distinct, no username inside, not common).
DEFAULT_PASSWORD = "Quartz-Lantern-8842"

# Log files of the processes running right now; their tails are attached to failing test reports.
ACTIVE_LOGS: dict[str, Path] = {}


# ---------------------------------------------------------------------------------------------
# Small utilities


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def short_tmpdir(prefix: str = "gmk-") -> Path:
    """A short (unix socket paths are limited to 107 bytes) directory that nginx's workers can traverse."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)
    return path


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.02,
               message: str | Callable[[], str] = "condition") -> object:
    """Polls `predicate` until it returns something truthy; fails with `message` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as error:  # noqa: BLE001 - kept for the failure message
            last_error = error
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {text}"
                                 + (f" (last error: {last_error!r})" if last_error else ""))
        time.sleep(interval)


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as error:
        return f"(cannot read {path}: {error})"


# ---------------------------------------------------------------------------------------------
# Processes


def pid_alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def children(pid: int) -> set[int]:
    """Live child pids of `pid` (all its threads' children)."""
    found: set[int] = set()
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.update(int(p) for p in handle.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return {p for p in found if pid_alive(p)}


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    queue = [pid]
    while queue:
        for child in children(queue.pop()):
            if child not in found:
                found.add(child)
                queue.append(child)
    return found


def cpu_ticks(pid: int) -> int:
    """User + system CPU time of `pid` so far, in clock ticks (usually 10 ms)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def stop_process(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10.0,
                 also: Iterable[int] = ()) -> int | None:
    """Stops `process` (by its pid) with `sig`, then SIGKILL after `timeout`; also SIGKILLs any of its
    descendants and the pids in `also` that are still alive afterwards (only if they still run the
    program we started). Returns the exit code."""
    watched = set(also) | descendants(process.pid)
    names = {pid: cmdline(pid) for pid in watched}
    if process.poll() is None:
        try:
            os.kill(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            watched |= descendants(process.pid)
            names.update({pid: cmdline(pid) for pid in watched if pid not in names})
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    deadline = time.monotonic() + 5
    for pid in sorted(watched):
        while pid_alive(pid) and cmdline(pid) == names.get(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if pid_alive(pid) and names.get(pid) and cmdline(pid) == names[pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    return process.returncode


def app_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GOMOKU_")}
    env.update(GOMOKU_DATA_DIR=str(data_dir), GOMOKU_ROOT=str(ROOT), GOMOKU_LOG_LEVEL="info")
    env.update(extra)
    return env


def run_cli(data_dir: Path, *args: str, input: str | None = None, check: bool = True, env: dict | None = None,
            timeout: float = 60.0) -> subprocess.CompletedProcess:
    """Runs `gomoku-fcgi ARGS…` with the test's data dir; fails with its output when `check` and it fails."""
    # Bytes, decoded here: text mode would turn the CRLFs of `request`'s raw HTTP into LFs.
    result = subprocess.run([str(BIN), *args], input=input.encode() if input is not None else None, capture_output=True,
                            timeout=timeout, env=env or app_env(data_dir),
                            stdin=None if input is not None else subprocess.DEVNULL)
    result.stdout = result.stdout.decode("utf-8", errors="replace")
    result.stderr = result.stderr.decode("utf-8", errors="replace")
    if check and result.returncode != 0:
        raise AssertionError(f"gomoku-fcgi {' '.join(args)} exited {result.returncode}\n"
                             f"stdout: {result.stdout}\nstderr: {result.stderr}")
    return result


def create_user(data_dir: Path, username: str, password: str = DEFAULT_PASSWORD, display_name: str | None = None,
                email: str | None = None) -> None:
    args = ["createuser", username, "--password-stdin"]
    if display_name:
        args += ["--display-name", display_name]
    if email:
        args += ["--email", email]
    run_cli(data_dir, *args, input=password + "\n")


# ---------------------------------------------------------------------------------------------
# The database


def db_path(data_dir: Path) -> Path:
    return data_dir / "gomoku.sqlite3"


def db_query(data_dir: Path, sql: str, args: tuple = ()) -> list[tuple]:
    connection = sqlite3.connect(db_path(data_dir), timeout=10)
    try:
        return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


def db_counts(data_dir: Path) -> dict[str, int]:
    """Row counts of the tables that a request could change."""
    return {table: db_query(data_dir, f"SELECT count(*) FROM {table}")[0][0]
            for table in ("users", "sessions", "login_failures", "games")}


def usernames(data_dir: Path) -> list[str]:
    return [row[0] for row in db_query(data_dir, "SELECT username FROM users ORDER BY id")]


# ---------------------------------------------------------------------------------------------
# HTML


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def csrf_token(page: str) -> str:
    match = CSRF_META.search(page)
    assert match, f"no <meta name=csrf-token> in page: {page[:500]}"
    return html.unescape(match.group(1))


def hidden_csrf_tokens(page: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r'<input type="hidden" name="csrf_token" value="([^"]*)">', page)]


def hx_headers_token(page: str) -> str | None:
    match = re.search(r"<body hx-headers='([^']*)'>", page)
    if not match:
        return None
    import json
    return json.loads(html.unescape(match.group(1))).get("X-CSRF-Token")


def field_error(page: str, field: str) -> str | None:
    """Text of `<p class="field-error" id="error-FIELD" …>text</p>`, or None when absent."""
    match = re.search(r'<p class="field-error" id="error-' + re.escape(field) + r'"[^>]*>(.*?)</p>', page, re.S)
    return html.unescape(match.group(1)).strip() if match else None


def submit_button(page: str) -> str | None:
    match = re.search(r'<button id="register-submit"[^>]*>', page)
    return match.group(0) if match else None


# ---------------------------------------------------------------------------------------------
# Raw HTTP (for requests a normal client would refuse to send)


def raw_http(port: int, data: bytes, host: str = "127.0.0.1", timeout: float = 20.0) -> fcgi_client.HTTPResponse:
    """Sends `data` as is (it should ask for `Connection: close`) and reads until the server closes;
    returns the parsed first response."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        # No shutdown(SHUT_WR): nginx takes a half-closed client for one that went away (499).
        chunks = bytearray()
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks += chunk
    assert chunks, "the server closed the connection without an answer"
    return fcgi_client.parse_cgi_response(bytes(chunks), status_line_prefix=b"HTTP/")


# ---------------------------------------------------------------------------------------------
# gomoku-fcgi serve


class FcgiServer:
    """`gomoku-fcgi serve` (master + workers) on a unix socket, with its own data dir."""

    def __init__(self, data_dir: Path, *, workers: int = 2, threads: int = 2, max_requests: int | None = None,
                 socket_dir: Path | None = None, extra_args: Iterable[str] = (), env: dict | None = None):
        self.data_dir = data_dir
        self.socket_dir = socket_dir or short_tmpdir()
        self._own_socket_dir = socket_dir is None
        self.socket = str(self.socket_dir / "gomoku.sock")
        self.workers = workers
        self.log_path = data_dir / f"serve-{os.getpid()}-{time.monotonic_ns()}.log"
        self.args = [str(BIN), "serve", "--listen", self.socket, "--socket-mode", "666", "--workers", str(workers),
                     "--threads", str(threads)]
        if max_requests is not None:
            self.args += ["--max-requests", str(max_requests)]
        self.args += list(extra_args)
        self.env = env or app_env(data_dir)
        self.process: subprocess.Popen | None = None
        self.seen_workers: set[int] = set()

    def start(self) -> "FcgiServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.args, env=self.env, stdin=subprocess.DEVNULL, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        ACTIVE_LOGS[f"gomoku-fcgi serve {self.process.pid}"] = self.log_path
        try:
            wait_until(lambda: self.process.poll() is not None or os.path.exists(self.socket), 30,
                       message=lambda: f"socket {self.socket}\n{tail(self.log_path)}")
            assert self.process.poll() is None, f"serve exited {self.process.returncode}:\n{tail(self.log_path)}"
            self.wait_for_workers(self.workers)
            wait_until(lambda: self.get("/healthz").status == 200, 30, message="a healthy worker")
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def worker_pids(self) -> set[int]:
        pids = children(self.pid)
        self.seen_workers |= pids
        return pids

    def wait_for_workers(self, count: int, exclude: set[int] = frozenset(), timeout: float = 30) -> set[int]:
        """Waits until exactly `count` workers run, none of them in `exclude`; returns their pids."""
        def ready():
            pids = self.worker_pids()
            return pids if len(pids) == count and not (pids & exclude) else None
        return wait_until(ready, timeout,
                          message=lambda: f"{count} workers not in {sorted(exclude)}; have {sorted(self.worker_pids())}\n"
                                          f"{tail(self.log_path)}")

    def request(self, method: str, uri: str, **kwargs) -> fcgi_client.HTTPResponse:
        return fcgi_client.request(self.socket, method, uri, **kwargs)

    def get(self, uri: str, **kwargs) -> fcgi_client.HTTPResponse:
        return self.request("GET", uri, **kwargs)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int | None:
        if self.process is None:
            return None
        try:
            if self.process.poll() is None:
                self.worker_pids()
            return stop_process(self.process, sig, timeout, also=self.seen_workers)
        finally:
            ACTIVE_LOGS.pop(f"gomoku-fcgi serve {self.process.pid}", None)
            self._log.close()
            if self._own_socket_dir:
                shutil.rmtree(self.socket_dir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# nginx / lighttpd from the shipped configs


class WebServer:
    """A real nginx or lighttpd rendered by scripts/render-conf.sh, in front of an `FcgiServer`."""

    def __init__(self, kind: str, app: FcgiServer, out_dir: Path, bridge_addr: str | None = None):
        assert kind in ("nginx", "lighttpd")
        self.kind = kind
        self.app = app
        self.out_dir = out_dir
        self.port = free_port()
        # HOST:PORT of the gomoku-bridge that /ws/ is proxied to (default: a free port nobody listens on).
        self.bridge_addr = bridge_addr or f"127.0.0.1:{free_port()}"
        self.process: subprocess.Popen | None = None
        self.log_path = out_dir / f"{kind}.stderr.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def render(self) -> None:
        assert RENDER_CONF.exists(), f"{RENDER_CONF} is missing: the web server tests need it"
        env = dict(os.environ, GOMOKU_ROOT=str(ROOT), PORT=str(self.port), FCGI_SOCKET=self.app.socket,
                   BRIDGE_ADDR=self.bridge_addr)
        result = subprocess.run(["bash", str(RENDER_CONF), self.kind, str(self.out_dir)], env=env,
                                capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert result.returncode == 0, f"render-conf.sh {self.kind} failed:\n{result.stdout}\n{result.stderr}"

    def command(self) -> list[str]:
        if self.kind == "nginx":
            conf = self.out_dir / "nginx.conf"
            return ["nginx", "-p", str(self.out_dir), "-c", str(conf), "-g", "daemon off;"]
        return ["lighttpd", "-D", "-f", str(self.out_dir / "lighttpd.conf")]

    def start(self) -> "WebServer":
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.render()
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True, cwd=self.out_dir)
        ACTIVE_LOGS[f"{self.kind} {self.process.pid}"] = self.log_path
        try:
            def up():
                assert self.process.poll() is None, f"{self.kind} exited {self.process.returncode}:\n{tail(self.log_path)}"
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            wait_until(up, 20, message=lambda: f"{self.kind} on port {self.port}\n{tail(self.log_path)}")
            import requests
            wait_until(lambda: requests.get(self.base_url + "/healthz", timeout=5).status_code == 200, 20,
                       message=lambda: f"{self.kind} /healthz → 200\n{tail(self.log_path)}")
        except BaseException:
            self.stop()
            raise
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            stop_process(self.process, signal.SIGQUIT if self.kind == "nginx" else signal.SIGTERM, timeout=10)
        finally:
            ACTIVE_LOGS.pop(f"{self.kind} {self.process.pid}", None)
            self._log.close()


def need(tool: str) -> str:
    """The path of an installed tool; a missing one fails the test (setup.sh installs them all)."""
    path = shutil.which(tool) or (f"/usr/sbin/{tool}" if os.path.exists(f"/usr/sbin/{tool}") else None)
    if not path:
        pytest.fail(f"{tool} is not installed (scripts/setup.sh installs it)", pytrace=False)
    return path


def start_site(kind: str, data_dir: Path, out_dir: Path) -> tuple[FcgiServer, WebServer]:
    need(kind)
    app = FcgiServer(data_dir, workers=2, threads=2).start()
    try:
        web = WebServer(kind, app, out_dir).start()
    except BaseException:
        app.stop()
        raise
    return app, web
