"""Helpers for the realtime end-to-end tests: the real `gomoku-bridge`, signed-in members, the live demo
page, FastCGI posts straight to the app, WebSocket clients (the `websockets` library, plus a raw socket
for a client that stops reading), subscription tokens signed in Python, the bridge's metrics.

Everything talks to 127.0.0.1 and unix sockets only; every process started here is stopped by pid.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import html
import inspect
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import requests
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

import e2e_support as support
import fcgi_client
from e2e_support import BIN, DEFAULT_PASSWORD, app_env, free_port, tail, wait_until

BRIDGE_BIN = Path(os.environ.get("GOMOKU_BRIDGE_BIN") or BIN.parent / "gomoku-bridge")

# Every pushed notification starts with its id; the ws-send replies to the sender do not.
NOTE = re.compile(r"^<!--n:(\d+)-->")
WS_CONNECT = re.compile(r'ws-connect="([^"]+)"')
LIVE_MESSAGE = re.compile(r'<li class="live-message" id="message-(\d+)"><strong class="live-author">(.*?)</strong> '
                          r'<span class="live-body">(.*?)</span></li>', re.S)


def note_id(frame: str) -> int | None:
    match = NOTE.match(frame)
    return int(match.group(1)) if match else None


# ---------------------------------------------------------------------------------------------
# The bridge process


class Bridge:
    """`gomoku-bridge` on 127.0.0.1:PORT, sharing the app's data dir (database, secret)."""

    def __init__(self, data_dir: Path, app_socket: str, *, port: int | None = None, args: Iterable[str] = ()):
        self.data_dir = data_dir
        self.app_socket = app_socket
        self.port = port or free_port()
        self.args = list(args)
        self.process: subprocess.Popen | None = None
        self.log_path = data_dir / f"bridge-{self.port}-{time.monotonic_ns()}.log"
        self._log = None

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.addr}"

    def command(self) -> list[str]:
        return [str(BRIDGE_BIN), "--listen", self.addr, "--app-socket", self.app_socket, *self.args]

    def start(self, timeout: float = 30) -> "Bridge":
        assert BRIDGE_BIN.is_file() and os.access(BRIDGE_BIN, os.X_OK), \
            f"{BRIDGE_BIN} does not exist: build it (swift build --product gomoku-bridge) or set GOMOKU_BRIDGE_BIN"
        assert not self.alive(), "the bridge already runs"
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command(), env=app_env(self.data_dir), stdin=subprocess.DEVNULL,
                                        stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        support.ACTIVE_LOGS[f"gomoku-bridge {self.process.pid}"] = self.log_path
        try:
            def healthy():
                assert self.process.poll() is None, f"the bridge exited {self.process.returncode}:\n{tail(self.log_path)}"
                return requests.get(self.base_url + "/healthz", timeout=2).text == "ok\n"
            wait_until(healthy, timeout, message=lambda: f"the bridge on {self.addr}\n{tail(self.log_path)}")
        except BaseException:
            self.stop(signal.SIGKILL)
            raise
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int | None:
        """Stops the bridge by pid with `sig` (SIGKILL after `timeout`); returns its exit code."""
        if self.process is None:
            return None
        try:
            return support.stop_process(self.process, sig, timeout)
        finally:
            support.ACTIVE_LOGS.pop(f"gomoku-bridge {self.process.pid}", None)
            if self._log:
                self._log.close()
                self._log = None

    def restart(self) -> "Bridge":
        self.stop()
        return self.start()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def metrics(self) -> dict[str, float]:
        """`/metrics` as {name{labels}: value} (histogram buckets included)."""
        response = requests.get(self.base_url + "/metrics", timeout=10)
        assert response.status_code == 200, response.text[:300]
        values: dict[str, float] = {}
        for line in response.text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                values[name.strip()] = float(value)
        return values

    def metric(self, name: str) -> float:
        return self.metrics().get(name, 0.0)


# ---------------------------------------------------------------------------------------------
# Members: signed-in users with their cookies


@dataclass
class Member:
    username: str
    display_name: str
    user_id: int
    cookies: dict[str, str]
    csrf_token: str

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())


def sign_in(base_url: str, data_dir: Path, username: str, password: str = DEFAULT_PASSWORD) -> Member:
    """Signs in through the web server (the real login form) and keeps the session and CSRF cookies."""
    session = requests.Session()
    page = session.get(base_url + "/accounts/login/", timeout=30)
    assert page.status_code == 200, page.text[:300]
    response = session.post(base_url + "/accounts/login/", allow_redirects=False, timeout=60,
                            headers={"Origin": base_url},
                            data={"csrf_token": support.csrf_token(page.text), "username": username,
                                  "password": password, "next": "/"})
    assert response.status_code == 303, f"login of {username}: {response.status_code} {response.text[:500]}"
    cookies = {name: session.cookies.get(name) for name in ("gomoku_session", "gomoku_csrf")}
    assert all(cookies.values()), cookies
    home = session.get(base_url + "/", timeout=30)
    (user_id, display_name), = support.db_query(data_dir, "SELECT id, display_name FROM users WHERE username = ?",
                                                 (username,))
    return Member(username, display_name, user_id, cookies, support.csrf_token(home.text))


@dataclass
class LivePage:
    ws_path: str  # /ws/?t=TOKEN&last=N (unescaped)
    token: str
    last: int
    csrf_token: str
    html: str

    def ws_url(self, base: str, last: int | None = None) -> str:
        """`ws://HOST:PORT/ws/?t=…&last=…` (with another `last` when given)."""
        path = self.ws_path if last is None else re.sub(r"([?&])last=\d+", rf"\g<1>last={last}", self.ws_path)
        return "ws://" + base.split("://", 1)[1] + path


def live_page(base_url: str, member: Member, page_path: str = "/live/demo/") -> LivePage:
    """GET `page_path` (the live demo page unless told; any page with a ws-connect, such as /games/ID/) as
    `member` through the web server; its subscription, last id and CSRF token."""
    response = requests.get(base_url + page_path, cookies=member.cookies, timeout=30, allow_redirects=False)
    assert response.status_code == 200, f"{response.status_code} {response.text[:500]}"
    match = WS_CONNECT.search(response.text)
    assert match, f"no ws-connect on {page_path}: {response.text[:800]}"
    path = html.unescape(match.group(1))
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    return LivePage(path, query["t"][0], int(query["last"][0]), support.csrf_token(response.text), response.text)


def post_message(app_socket: str, host: str, member: Member, body: str, timeout: float = 30) -> fcgi_client.HTTPResponse:
    """A plain (no JavaScript) form POST of a live demo message, straight to the app's FastCGI socket, as
    nginx would pass it for `host` (HOST:PORT)."""
    form = urllib.parse.urlencode({"csrf_token": member.csrf_token, "body": body})
    return fcgi_client.request(app_socket, "POST", "/live/demo/messages/", body=form, host=host, cookies=member.cookies,
                               content_type="application/x-www-form-urlencoded",
                               headers={"Origin": f"http://{host}"}, timeout=timeout)


def stored_messages(data_dir: Path) -> list[tuple[int, int, str]]:
    """(id, user_id, body) of every live demo message kept."""
    return support.db_query(data_dir, "SELECT id, user_id, body FROM live_messages ORDER BY id")


def notification_ids(data_dir: Path, topic: str, after: int) -> list[int]:
    return [row[0] for row in support.db_query(data_dir, "SELECT id FROM notifications WHERE topic = ? AND id > ? "
                                                         "ORDER BY id", (topic, after))]


def latest_notification_id(data_dir: Path) -> int:
    rows = support.db_query(data_dir, "SELECT seq FROM sqlite_sequence WHERE name = 'notifications'")
    return rows[0][0] if rows else 0


# ---------------------------------------------------------------------------------------------
# Subscription tokens (the app's format, signed here with the installation's secret)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def secret_key(data_dir: Path) -> bytes:
    return (data_dir / "secret").read_bytes().strip()


def sign_subscription(data_dir: Path, user_id: int | None, topics: list[str], expires: int) -> str:
    payload = b64url(f"{'' if user_id is None else user_id}|{expires}|{','.join(topics)}".encode())
    signature = hmac.new(secret_key(data_dir), b"subscribe:" + payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{b64url(signature)}"


def forge(token: str) -> str:
    """The token with one character of its payload changed (the signature no longer matches)."""
    payload, signature = token.split(".")
    index = len(payload) // 2
    changed = "A" if payload[index] != "A" else "B"
    return f"{payload[:index]}{changed}{payload[index + 1:]}.{signature}"


# ---------------------------------------------------------------------------------------------
# WebSocket clients (asyncio)


_CONNECT_TAKES_PROXY = "proxy" in inspect.signature(connect.__init__).parameters  # websockets >= 15


def origin_of(base_url: str) -> str:
    return base_url.rstrip("/")


async def open_ws(url: str, *, origin: str | None, cookie: str | None = None, **options) -> ClientConnection:
    """A WebSocket as a browser page opens it: Origin and cookies; no client pings, no proxy; no compression
    unless `compression="deflate"` (permessage-deflate, as browsers offer it)."""
    headers = {"Cookie": cookie} if cookie else None
    options.setdefault("open_timeout", 20)
    options.setdefault("close_timeout", 5)
    options.setdefault("compression", None)
    if _CONNECT_TAKES_PROXY:
        options.setdefault("proxy", None)  # never an HTTP(S)_PROXY from the environment
    return await connect(url, origin=origin, additional_headers=headers, ping_interval=None, **options)


def negotiated_extensions(ws: ClientConnection) -> str:
    """The Sec-WebSocket-Extensions the server answered with ("" when none)."""
    return ws.response.headers.get("Sec-WebSocket-Extensions", "") if ws.response else ""


async def refused(url: str, *, origin: str | None, cookie: str | None = None) -> tuple[int, str]:
    """Opens `url` expecting the handshake to be refused; returns (HTTP status, body text)."""
    try:
        ws = await open_ws(url, origin=origin, cookie=cookie)
    except InvalidStatus as error:
        return error.response.status_code, error.response.body.decode("utf-8", errors="replace")
    await ws.close()
    raise AssertionError(f"the handshake to {url} (Origin {origin!r}) was accepted")


class LiveClient:
    """One open WebSocket whose frames are read continuously into `frames` (and the ids into `ids`)."""

    def __init__(self, ws: ClientConnection, name: str = "client"):
        self.ws = ws
        self.name = name
        self.frames: list[str] = []
        self.ids: list[int] = []
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self.done = asyncio.Event()
        self._task = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, url: str, *, origin: str | None, cookie: str | None = None, name: str = "client",
                   **options) -> "LiveClient":
        return cls(await open_ws(url, origin=origin, cookie=cookie, **options), name)

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                text = message if isinstance(message, str) else message.decode("utf-8", errors="replace")
                self.frames.append(text)
                number = note_id(text)
                if number is not None:
                    self.ids.append(number)
        except ConnectionClosed:
            pass
        finally:
            # The code of the close frame received (1006 when the connection dropped without one).
            self.close_code = self.ws.close_code if self.ws.close_code is not None else 1006
            self.close_reason = self.ws.close_reason
            self.done.set()

    async def send(self, message: str | dict) -> None:
        await self.ws.send(json.dumps(message) if isinstance(message, dict) else message)

    async def wait_for(self, predicate: Callable[["LiveClient"], object], timeout: float = 20,
                       what: str = "a frame") -> object:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate(self)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: timed out after {timeout}s waiting for {what}; "
                                     f"close code {self.close_code}; last frames: {self.frames[-5:]!r}")
            await asyncio.sleep(0.02)

    async def wait_for_frame(self, needle: str, timeout: float = 20, start: int = 0) -> str:
        def found(client):
            return next((frame for frame in client.frames[start:] if needle in frame), None)
        return await self.wait_for(found, timeout, f"a frame containing {needle!r}")

    async def wait_closed(self, timeout: float = 20) -> int:
        try:
            await asyncio.wait_for(self.done.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"{self.name}: still open after {timeout}s; last frames {self.frames[-3:]!r}") from None
        return self.close_code

    async def close(self) -> None:
        if not self.done.is_set():
            await self.ws.close()
        try:
            await asyncio.wait_for(self.done.wait(), 10)
        except TimeoutError:
            self._task.cancel()


class ClientPool:
    """Opens `LiveClient`s and closes every one of them on exit, whatever happened in between."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.clients: list[LiveClient] = []

    async def open(self, page: LivePage, member: Member | None = None, *, last: int | None = None,
                   name: str = "client", **options) -> LiveClient:
        client = await LiveClient.open(page.ws_url(self.base_url, last), origin=origin_of(self.base_url),
                                       cookie=member.cookie_header if member else None, name=name, **options)
        self.clients.append(client)
        return client

    async def __aenter__(self) -> "ClientPool":
        return self

    async def __aexit__(self, *exc) -> None:
        await asyncio.gather(*(client.close() for client in self.clients), return_exceptions=True)


class ResumingClient:
    """A page's socket that, like live.js, reconnects after every drop with `last=<last id received>`,
    until `stop` is set; records every notification id it receives, across connections."""

    def __init__(self, base_url: str, page: LivePage, member: Member, name: str, compression: str | None = None):
        self.base_url = base_url
        self.compression = compression
        self.extensions: set[str] = set()
        self.page = page
        self.member = member
        self.name = name
        self.first_last = page.last
        self.last = page.last
        self.ids: list[int] = []
        self.connections = 0
        self.close_codes: list[int] = []
        self.refusals = 0
        self.ws: ClientConnection | None = None

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                self.ws = await open_ws(self.page.ws_url(self.base_url, self.last), origin=origin_of(self.base_url),
                                        cookie=self.member.cookie_header, open_timeout=10, compression=self.compression)
            except (OSError, InvalidHandshake, TimeoutError, ConnectionClosed):
                # The bridge is down (nginx answers 502) or not listening yet: try again shortly.
                self.refusals += 1
                await asyncio.sleep(0.05)
                continue
            self.connections += 1
            self.extensions.add(negotiated_extensions(self.ws))
            if stop.is_set():
                await self.ws.close()
                break
            try:
                async for message in self.ws:
                    number = note_id(message)
                    if number is not None:
                        self.ids.append(number)
                        self.last = number
            except ConnectionClosed:
                pass
            self.close_codes.append(self.ws.close_code if self.ws.close_code is not None else 1006)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


def ws_send_message(path: str, header_token: str | None, current_url: str, **fields) -> dict:
    """What htmx's ws extension sends for the live form: its values (`fields`), `ws_path`, and HEADERS with
    the page's `hx-headers` X-CSRF-Token (`header_token`; None leaves it out)."""
    headers = {"HX-Request": "true", "HX-Trigger": "live-form", "HX-Trigger-Name": None, "HX-Target": "live-form",
               "HX-Current-URL": current_url}
    if header_token is not None:
        headers["X-CSRF-Token"] = header_token
    return {"ws_path": path, **fields, "HEADERS": headers}


# ---------------------------------------------------------------------------------------------
# A raw WebSocket client that can stop reading (the kernel's receive window then fills up)


class RawWebSocket:
    """Handshake by hand over a socket with a small receive buffer; reads nothing until asked."""

    def __init__(self, host: str, port: int, path: str, *, origin: str, cookie: str | None = None,
                 receive_buffer: int = 4096):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)  # before connect: a small window
        self.sock.settimeout(20)
        self.sock.connect((host, port))
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket", "Connection: Upgrade",
                 f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13", f"Origin: {origin}"]
        if cookie:
            lines.append(f"Cookie: {cookie}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buffer = bytearray()
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            assert chunk, f"closed during the handshake: {bytes(self.buffer)!r}"
            self.buffer += chunk
        head, _, rest = bytes(self.buffer).partition(b"\r\n\r\n")
        self.status_line = head.split(b"\r\n", 1)[0].decode()
        assert self.status_line.startswith("HTTP/1.1 101"), head.decode(errors="replace")
        self.buffer = bytearray(rest)

    def read_all_frames(self, timeout: float = 30) -> tuple[list[str], int | None]:
        """Reads until the server's close frame (or EOF); returns (text frames, close code or None)."""
        self.sock.settimeout(timeout)
        texts: list[str] = []
        while True:
            frame = self._next_frame()
            if frame is None:
                return texts, None
            opcode, payload = frame
            if opcode == 0x1:
                texts.append(payload.decode("utf-8"))
            elif opcode == 0x8:
                return texts, struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005

    def _fill(self, n: int) -> bool:
        while len(self.buffer) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                return False
            self.buffer += chunk
        return True

    def _next_frame(self) -> tuple[int, bytes] | None:
        if not self._fill(2):
            return None
        first, second = self.buffer[0], self.buffer[1]
        length, offset = second & 0x7F, 2
        if length == 126:
            if not self._fill(4):
                return None
            length, offset = struct.unpack(">H", self.buffer[2:4])[0], 4
        elif length == 127:
            if not self._fill(10):
                return None
            length, offset = struct.unpack(">Q", self.buffer[2:10])[0], 10
        if not self._fill(offset + length):
            return None
        payload = bytes(self.buffer[offset:offset + length])
        del self.buffer[:offset + length]
        assert first & 0x80, "the bridge sent a fragmented frame"
        return first & 0x0F, payload

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class SignedInSite:
    """An app, its bridge and a web server on one database, with members signed in once and kept."""

    def __init__(self, data_dir: Path, app, bridge: "Bridge", web, password: str = DEFAULT_PASSWORD):
        self.data_dir = data_dir
        self.app = app
        self.bridge = bridge
        self.web = web
        self.password = password
        self._members: dict[str, Member] = {}

    @property
    def base_url(self) -> str:
        return self.web.base_url

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.web.port}"

    def member(self, username: str) -> Member:
        if username not in self._members:
            self._members[username] = sign_in(self.base_url, self.data_dir, username, self.password)
        return self._members[username]


@contextlib.contextmanager
def running_site(data_dir: Path, prefix: str, kind: str = "nginx"):
    """The app, a bridge and a web server (`nginx` or `lighttpd`, rendered from the shipped config, with
    /ws/ proxied to the bridge) on one data directory; all three stopped by pid afterwards."""
    app = support.FcgiServer(data_dir, workers=2, threads=2).start()
    bridge = web = None
    try:
        bridge = Bridge(data_dir, app.socket).start()
        web = support.WebServer(kind, app, support.short_tmpdir(prefix), bridge_addr=bridge.addr).start()
        yield app, bridge, web
    finally:
        if web is not None:
            web.stop()
            shutil.rmtree(web.out_dir, ignore_errors=True)
        if bridge is not None:
            bridge.stop()
        app.stop()


def browser_wait(driver, predicate, what: str, timeout: float = 30):
    """Waits for `predicate(driver)`; on timeout says what was awaited, where, and the browser's last log lines."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.05,
                             ignored_exceptions=(StaleElementReferenceException, NoSuchElementException)).until(predicate)
    except TimeoutException:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}; url {driver.current_url}; browser log: "
                             f"{driver.get_log('browser')[-5:]}") from None
