"""A small FastCGI client (responder role), enough to talk to gomoku-fcgi the way a web server does.

One request per connection: BEGIN_REQUEST, PARAMS (name-value pairs, then an empty PARAMS record),
STDIN (the body in chunks, then an empty STDIN record); then read STDOUT/STDERR records until
END_REQUEST. The STDOUT stream is a CGI response (`Status:` line, headers, blank line, body), parsed
into an `HTTPResponse`.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass, field
from typing import Iterable, Mapping

FCGI_VERSION_1 = 1
FCGI_BEGIN_REQUEST = 1
FCGI_ABORT_REQUEST = 2
FCGI_END_REQUEST = 3
FCGI_PARAMS = 4
FCGI_STDIN = 5
FCGI_STDOUT = 6
FCGI_STDERR = 7
FCGI_RESPONDER = 1
FCGI_REQUEST_COMPLETE = 0
MAX_CONTENT = 65535

Bytesish = bytes | str


def _b(value: Bytesish) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


def record(kind: int, content: bytes = b"", request_id: int = 1) -> bytes:
    """One FastCGI record, padded to a multiple of 8 bytes."""
    if len(content) > MAX_CONTENT:
        raise ValueError("record content longer than 65535 bytes")
    padding = (-len(content)) % 8
    return struct.pack(">BBHHBx", FCGI_VERSION_1, kind, request_id, len(content), padding) + content + b"\0" * padding


def _length(n: int) -> bytes:
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def encode_params(params: Iterable[tuple[Bytesish, Bytesish]]) -> bytes:
    out = bytearray()
    for name, value in params:
        name, value = _b(name), _b(value)
        out += _length(len(name)) + _length(len(value)) + name + value
    return bytes(out)


def stream_records(kind: int, data: bytes, request_id: int = 1) -> bytes:
    """`data` as a stream of records of `kind`, ended by an empty record."""
    out = bytearray()
    for start in range(0, len(data), MAX_CONTENT - 7):
        out += record(kind, data[start:start + MAX_CONTENT - 7], request_id)
    out += record(kind, b"", request_id)
    return bytes(out)


class CaseInsensitiveHeaders:
    """Ordered (name, value) pairs with case-insensitive lookup; repeated names are kept."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()):
        self.pairs = list(pairs)

    def get(self, name: str, default: str | None = None) -> str | None:
        for key, value in reversed(self.pairs):
            if key.lower() == name.lower():
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key.lower() == name.lower()]

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __repr__(self) -> str:
        return f"CaseInsensitiveHeaders({self.pairs!r})"


@dataclass
class HTTPResponse:
    status: int
    reason: str
    headers: CaseInsensitiveHeaders
    body: bytes
    stderr: bytes = b""
    app_status: int | None = None
    protocol_status: int | None = None
    raw: bytes = field(default=b"", repr=False)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def cookies(self) -> dict[str, str]:
        """name → value of every Set-Cookie (the last one wins)."""
        jar = {}
        for header in self.headers.get_all("Set-Cookie"):
            name, _, rest = header.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0].strip()
        return jar

    def __repr__(self) -> str:
        return f"<HTTPResponse {self.status} {self.reason} {len(self.body)} bytes>"


def parse_cgi_response(data: bytes, *, status_line_prefix: bytes = b"") -> HTTPResponse:
    """Parses `Status: 200 OK\\r\\nName: value\\r\\n…\\r\\n\\r\\nbody` (CGI/FastCGI output).

    With `status_line_prefix=b"HTTP/"` it parses a raw HTTP/1.x response instead.
    """
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        head, separator, body = data.partition(b"\n\n")
    if not separator:
        raise ValueError(f"no end of headers in response: {data[:300]!r}")
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    status, reason = 200, "OK"
    pairs = []
    if status_line_prefix:
        first = lines.pop(0)
        if not first.startswith(status_line_prefix.decode()):
            raise ValueError(f"not an HTTP status line: {first!r}")
        parts = first.split(" ", 2)
        status, reason = int(parts[1]), parts[2] if len(parts) > 2 else ""
    for line in lines:
        if not line:
            continue
        name, _, value = line.partition(":")
        name, value = name.strip(), value.strip()
        if name.lower() == "status" and not status_line_prefix:
            code, _, phrase = value.partition(" ")
            status, reason = int(code), phrase
        else:
            pairs.append((name, value))
    return HTTPResponse(status=status, reason=reason, headers=CaseInsensitiveHeaders(pairs), body=body, raw=data)


def _connect(address: str | tuple[str, int], timeout: float) -> socket.socket:
    if isinstance(address, tuple):
        sock = socket.create_connection(address, timeout=timeout)
    else:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(address)
    return sock


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < n:
        chunk = sock.recv(n - len(chunks))
        if not chunk:
            raise ConnectionError(f"connection closed after {len(chunks)} of {n} bytes")
        chunks += chunk
    return bytes(chunks)


def raw_exchange(address: str | tuple[str, int], params: Iterable[tuple[Bytesish, Bytesish]], body: bytes = b"",
                 timeout: float = 30.0, request_id: int = 1) -> tuple[bytes, bytes, int, int]:
    """Sends one request; returns (stdout, stderr, app_status, protocol_status)."""
    sock = _connect(address, timeout)
    try:
        sock.sendall(record(FCGI_BEGIN_REQUEST, struct.pack(">HB5x", FCGI_RESPONDER, 0), request_id)
                     + stream_records(FCGI_PARAMS, encode_params(params), request_id))
        # The body goes separately: a server may answer early (e.g. 413) and close while we still send.
        try:
            sock.sendall(stream_records(FCGI_STDIN, body, request_id))
        except (BrokenPipeError, ConnectionResetError):
            pass
        stdout, stderr = bytearray(), bytearray()
        while True:
            header = _recv_exact(sock, 8)
            version, kind, rid, length, padding = struct.unpack(">BBHHBx", header)
            content = _recv_exact(sock, length + padding)[:length]
            if kind == FCGI_STDOUT:
                stdout += content
            elif kind == FCGI_STDERR:
                stderr += content
            elif kind == FCGI_END_REQUEST:
                app_status, protocol_status = struct.unpack(">IB3x", content)
                return bytes(stdout), bytes(stderr), app_status, protocol_status
    finally:
        sock.close()


def build_params(method: str, uri: Bytesish, *, headers: Mapping[str, Bytesish] | None = None,
                 content_type: str | None = None, body: bytes = b"", host: str = "localhost",
                 remote_addr: str = "127.0.0.1", extra: Mapping[str, Bytesish] | None = None) -> list[tuple[Bytesish, Bytesish]]:
    """The params nginx's fastcgi_params would send for this request."""
    uri_b = _b(uri)
    path, _, query = uri_b.partition(b"?")
    params: list[tuple[Bytesish, Bytesish]] = [
        ("GATEWAY_INTERFACE", "CGI/1.1"), ("SERVER_SOFTWARE", "pytest-fcgi"), ("SERVER_PROTOCOL", "HTTP/1.1"),
        ("SERVER_NAME", host.split(":")[0]), ("SERVER_PORT", "80"), ("REMOTE_ADDR", remote_addr), ("REMOTE_PORT", "40000"),
        ("REQUEST_METHOD", method), ("REQUEST_URI", uri_b), ("DOCUMENT_URI", path), ("SCRIPT_NAME", path),
        ("QUERY_STRING", query), ("HTTP_HOST", host),
        ("CONTENT_TYPE", content_type or ""), ("CONTENT_LENGTH", str(len(body)) if body else ""),
    ]
    for name, value in (headers or {}).items():
        params.append(("HTTP_" + name.upper().replace("-", "_"), value))
    for name, value in (extra or {}).items():
        params.append((name, value))
    return params


def request(address: str | tuple[str, int], method: str, uri: Bytesish, *, headers: Mapping[str, Bytesish] | None = None,
            body: bytes | str = b"", content_type: str | None = None, host: str = "localhost",
            cookies: Mapping[str, str] | None = None, extra: Mapping[str, Bytesish] | None = None,
            timeout: float = 30.0) -> HTTPResponse:
    """One HTTP request over FastCGI; the CGI answer parsed."""
    body_b = _b(body)
    headers = dict(headers or {})
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    params = build_params(method, uri, headers=headers, content_type=content_type, body=body_b, host=host, extra=extra)
    stdout, stderr, app_status, protocol_status = raw_exchange(address, params, body_b, timeout=timeout)
    response = parse_cgi_response(stdout)
    response.stderr, response.app_status, response.protocol_status = stderr, app_status, protocol_status
    return response
