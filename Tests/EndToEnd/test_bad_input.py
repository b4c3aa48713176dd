"""Bad input through real nginx, and straight to the FastCGI socket for what nginx would stop first.

Every answer must be a 4xx with a readable message (never a 5xx, never a dropped connection),
nothing may change in the database, and every process must still be the same one afterwards.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import urllib.parse

import pytest
import requests

import e2e_support as support
import fcgi_client
from e2e_support import DEFAULT_PASSWORD, create_user

pytestmark = pytest.mark.webserver

VALID_FIELDS = dict(username="mallory", email="mallory@example.org", display_name="Mallory", password=DEFAULT_PASSWORD)


@pytest.fixture(scope="module")
def site(nginx_site):
    create_user(nginx_site.app.data_dir, "victim", display_name="Victim")
    nginx_site.baseline = {"workers": nginx_site.app.worker_pids(), "users": support.usernames(nginx_site.app.data_dir)}
    return nginx_site


@pytest.fixture(autouse=True)
def nothing_changed_and_everyone_alive(site):
    """After every test: same processes, no new account or session, no error logged."""
    sessions_before = support.db_counts(site.app.data_dir)["sessions"]
    log_before = len(site.app.log_text())
    yield
    assert site.alive(), f"nginx died:\n{support.tail(site.log_path)}"
    assert site.app.alive(), "the gomoku-fcgi master died"
    assert site.app.worker_pids() == site.baseline["workers"], "a worker died or was replaced"
    assert support.usernames(site.app.data_dir) == site.baseline["users"]
    assert support.db_counts(site.app.data_dir)["sessions"] == sessions_before
    new_log = site.app.log_text()[log_before:]
    bad = [line for line in new_log.splitlines() if re.search(r"level=(error|critical)|worker died", line)]
    assert not bad, bad
    assert requests.get(site.base_url + "/healthz", timeout=10).text == "ok\n"


def assert_app_4xx(status: int, body: str, expected_status: int, message: str) -> None:
    """An answer from the app: the status, and an HTML page or fragment that says `message`."""
    assert status == expected_status, f"expected {expected_status}, got {status}: {body[:400]}"
    assert message in body, f"{message!r} not in {body[:600]}"


def assert_server_4xx(response, expected: tuple[int, ...]) -> None:
    """An answer from nginx itself: a 4xx page that names its status."""
    assert response.status in expected, (response.status, response.text[:300])
    assert f"<title>{response.status} " in response.text


class Browser:
    """A requests session holding a CSRF cookie and its token, like a browser that loaded a page."""

    def __init__(self, site):
        self.site = site
        self.session = requests.Session()
        page = self.session.get(site.base_url + "/accounts/register/", timeout=30)
        self.token = support.csrf_token(page.text)

    def post(self, path: str, *, origin: str | None = "same", **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if origin == "same":
            headers.setdefault("Origin", self.site.base_url)
        elif origin:
            headers["Origin"] = origin
        return self.session.post(self.site.base_url + path, headers=headers, allow_redirects=False, timeout=30, **kwargs)


def raw(site, head: bytes, body: bytes = b"") -> fcgi_client.HTTPResponse:
    return support.raw_http(site.port, head + b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n" + body)


# ---------------------------------------------------------------------------------------------
# Body size and encoding


def test_oversized_body_is_refused_by_nginx_with_413(site):
    body = b"username=" + b"x" * (1536 * 1024)
    response = raw(site, b"POST /accounts/register/ HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                   + b"Content-Length: %d\r\n" % len(body), body)
    assert_server_4xx(response, (413,))


def test_oversized_body_straight_to_the_app_is_413(site):
    body = b"username=" + b"x" * (1536 * 1024)
    response = fcgi_client.request(site.app.socket, "POST", "/accounts/register/", body=body,
                                   content_type="application/x-www-form-urlencoded")
    assert_app_4xx(response.status, response.text, 413, "larger than 1024 KiB")
    # Declared too large but never sent: refused from the header alone.
    liar = fcgi_client.request(site.app.socket, "POST", "/accounts/register/", content_type="application/x-www-form-urlencoded",
                               extra={"CONTENT_LENGTH": str(10 * 1024 ** 3)})
    assert_app_4xx(liar.status, liar.text, 413, "larger than 1024 KiB")


def test_body_shorter_than_its_content_length_is_400(site):
    params = fcgi_client.build_params("POST", "/accounts/register/", content_type="application/x-www-form-urlencoded",
                                      extra={"CONTENT_LENGTH": "1000"})
    params = [p for p in params if p[0] != "CONTENT_LENGTH" or p[1] == "1000"]
    stdout, _, _, _ = fcgi_client.raw_exchange(site.app.socket, params, b"username=short")
    response = fcgi_client.parse_cgi_response(stdout)
    assert_app_4xx(response.status, response.text, 400, "ended early")


@pytest.mark.parametrize("content_type, message", [
    ("text/plain", "Content type text/plain is not accepted"),
    ("application/xml", "Content type application/xml is not accepted"),
    (None, "no Content-Type"),
])
def test_unsupported_content_type_is_415(site, content_type, message):
    browser = Browser(site)
    headers = {"X-CSRF-Token": browser.token}
    if content_type:
        headers["Content-Type"] = content_type
    response = browser.post("/accounts/register/", headers=headers, data=b"username=mallory&password=x")
    assert_app_4xx(response.status_code, response.text, 415, message)


@pytest.mark.parametrize("body, message", [
    (b"username=%ZZ&email=a", "not validly encoded"),
    (b"username=%C3%28", "not validly encoded"),           # percent-encoded invalid UTF-8
    (b"username=\xff\xfe&email=x", "not valid UTF-8"),      # raw invalid UTF-8
    (b"user%Gname=mallory", "not validly encoded"),
])
def test_malformed_urlencoded_body_is_400(site, body, message):
    browser = Browser(site)
    response = browser.post("/accounts/register/", data=body,
                            headers={"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": browser.token})
    assert_app_4xx(response.status_code, response.text, 400, message)


def test_malformed_query_string_is_400(site):
    # Raw: requests would "fix" %ZZ into %25ZZ.
    response = raw(site, b"GET /accounts/login/?next=%ZZ HTTP/1.1\r\n")
    assert_app_4xx(response.status, response.text, 400, "The query string is not validly encoded")


@pytest.mark.parametrize("body, message", [
    (b'{"username": ', "The JSON body must be an object"),
    (b'["mallory"]', "The JSON body must be an object"),
    (b'{"username": {"nested": 1}}', "The JSON body must be an object"),
    (b'{"username": "\xff"}', "not valid UTF-8"),
])
def test_malformed_json_is_400(site, body, message):
    browser = Browser(site)
    response = browser.post("/accounts/register/", data=body,
                            headers={"Content-Type": "application/json", "X-CSRF-Token": browser.token})
    assert_app_4xx(response.status_code, response.text, 400, message)


@pytest.mark.parametrize("content_type, body, message", [
    ("multipart/form-data", b"--x\r\n\r\n", "no boundary"),
    ("multipart/form-data; boundary=xyz", b"not a multipart body at all", "malformed"),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--xyz--\r\n", "malformed"),
    ("multipart/form-data; boundary=xyz", b'--xyz\r\nContent-Disposition: form-data; name="username"\r\n\r\n\xff\r\n--xyz--\r\n',
     "not valid UTF-8"),
])
def test_malformed_multipart_is_400(site, content_type, body, message):
    browser = Browser(site)
    response = browser.post("/accounts/register/", data=body,
                            headers={"Content-Type": content_type, "X-CSRF-Token": browser.token})
    assert_app_4xx(response.status_code, response.text, 400, message)


def test_json_and_multipart_bodies_are_read_like_forms(site):
    browser = Browser(site)
    htmx = {"HX-Request": "true", "HX-Trigger-Name": "username", "X-CSRF-Token": browser.token}
    as_json = browser.post("/accounts/register/validate/", headers={**htmx, "Content-Type": "application/json"},
                           data=json.dumps({"username": "ab", "email": "", "remember": True, "n": [1, 2]}))
    assert as_json.status_code == 200
    assert "3 to 30 characters" in support.field_error(as_json.text, "username")
    multipart = browser.post("/accounts/register/validate/", headers=htmx,
                             files={"username": (None, "VICTIM"), "email": (None, "v@example.org")})
    assert multipart.request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert multipart.status_code == 200
    assert "That username is taken" in support.field_error(multipart.text, "username")
    # The CSRF token may travel inside a JSON body, as htmx's json encoding sends it.
    in_body = browser.post("/accounts/register/validate/", headers={"HX-Request": "true", "HX-Trigger-Name": "email",
                                                                     "Content-Type": "application/json"},
                           data=json.dumps({"csrf_token": browser.token, "email": "nope"}))
    assert in_body.status_code == 200
    assert "email address like" in support.field_error(in_body.text, "email")


# ---------------------------------------------------------------------------------------------
# CSRF and Origin


def test_post_without_the_csrf_cookie_is_403(site):
    response = requests.post(site.base_url + "/accounts/register/", data=VALID_FIELDS, allow_redirects=False, timeout=30)
    assert_app_4xx(response.status_code, response.text, 403, "did not send the security cookie")


def test_post_without_the_token_is_403(site):
    browser = Browser(site)
    response = browser.post("/accounts/register/", data=VALID_FIELDS)
    assert_app_4xx(response.status_code, response.text, 403, "missing its security token")


def test_forged_token_is_403(site):
    browser = Browser(site)
    forged = browser.token[:-4] + ("AAAA" if not browser.token.endswith("AAAA") else "BBBB")
    response = browser.post("/accounts/register/", data={**VALID_FIELDS, "csrf_token": forged})
    assert_app_4xx(response.status_code, response.text, 403, "security token is out of date")
    # A genuine token, but minted for someone else's cookie.
    other = Browser(site)
    response = browser.post("/accounts/register/", data={**VALID_FIELDS, "csrf_token": other.token})
    assert_app_4xx(response.status_code, response.text, 403, "security token is out of date")
    # And a token in the header does not rescue a request without the cookie.
    response = requests.post(site.base_url + "/accounts/register/", data=VALID_FIELDS, timeout=30,
                             headers={"X-CSRF-Token": browser.token}, allow_redirects=False)
    assert_app_4xx(response.status_code, response.text, 403, "did not send the security cookie")


@pytest.mark.parametrize("origin", ["http://evil.example", "http://127.0.0.1", "https://127.0.0.1:{port}",
                                    "http://127.0.0.1:{other}"])
def test_foreign_origin_is_403_even_with_a_valid_token(site, origin):
    browser = Browser(site)
    origin = origin.format(port=site.port, other=site.port + 1 if site.port < 65535 else site.port - 1)
    response = browser.post("/accounts/register/", origin=origin, data={**VALID_FIELDS, "csrf_token": browser.token})
    assert_app_4xx(response.status_code, response.text, 403, "came from another site")


def test_csrf_failure_for_htmx_is_a_fragment_for_the_message_area(site):
    browser = Browser(site)
    response = browser.post("/accounts/logout/", headers={"HX-Request": "true", "X-CSRF-Token": "nope"})
    assert_app_4xx(response.status_code, response.text, 403, "security token is out of date")
    assert response.text.startswith('<div class="alert alert-error"')
    assert response.headers["HX-Retarget"] == "#messages"


# ---------------------------------------------------------------------------------------------
# Routes and methods


def test_unknown_route_is_404(site):
    response = requests.get(site.base_url + "/no/such/page", timeout=30)
    assert_app_4xx(response.status_code, response.text, 404, "There is no page at /no/such/page")
    assert "<h1>Not Found</h1>" in response.text


@pytest.mark.parametrize("method, path, allow", [
    ("PUT", "/", "GET, HEAD"),
    ("DELETE", "/accounts/login/", "GET, HEAD, POST"),
    ("GET", "/accounts/register/validate/", "POST"),
    ("PATCH", "/healthz", "GET, HEAD"),
])
def test_wrong_method_is_405_with_allow(site, method, path, allow):
    response = requests.request(method, site.base_url + path, timeout=30, allow_redirects=False)
    assert_app_4xx(response.status_code, response.text, 405, f"{method} is not allowed here")
    assert response.headers["Allow"] == allow


def test_unknown_method_is_405(site):
    response = raw(site, b"BREW /accounts/login/ HTTP/1.1\r\n")
    assert_app_4xx(response.status, response.text, 405, "The method BREW is not supported")


def test_login_throttled_after_five_failures(site):
    create_user(site.app.data_dir, "throttled", display_name="Throttled")
    site.baseline["users"] = support.usernames(site.app.data_dir)
    browser = Browser(site)
    for attempt in range(5):
        response = browser.post("/accounts/login/", data={"csrf_token": browser.token, "username": "throttled",
                                                          "password": f"Wrong-guess-{attempt}x"})
        assert_app_4xx(response.status_code, response.text, 422, "That username and password do not match.")
    # Now even the right password is refused, without trying it.
    response = browser.post("/accounts/login/", data={"csrf_token": browser.token, "username": "THROTTLED",
                                                      "password": DEFAULT_PASSWORD})
    assert_app_4xx(response.status_code, response.text, 429, "Too many failed sign-ins")
    assert int(response.headers["Retry-After"]) > 0
    assert "gomoku_session" not in response.cookies


# ---------------------------------------------------------------------------------------------
# Garbage paths and headers


@pytest.mark.parametrize("request_line", [
    b"GET /accounts/\x00login/ HTTP/1.1\r\n",
    b"GET /accounts/%00/ HTTP/1.1\r\n",
    b"GET /%00 HTTP/1.1\r\n",
    b"GET /\x01\x02garbage HTTP/1.1\r\n",
    b"GET /%ZZ HTTP/1.1\r\n",
    b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n",
    b"this is not http\r\n",
])
def test_garbage_request_lines_get_a_4xx_from_nginx(site, request_line):
    response = support.raw_http(site.port, request_line + b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert 400 <= response.status < 500, (response.status, response.text[:300])
    assert response.status in (400, 414) and f"<title>{response.status} " in response.text


@pytest.mark.parametrize("path, status, message", [
    (b"/%C3%28", 400, "The address of this request is not valid."),   # percent-encoded invalid UTF-8
    (b"/\xff\xfe", 400, "not valid UTF-8"),                             # raw invalid UTF-8 in the path
])
def test_paths_nginx_passes_on_get_a_4xx_from_the_app(site, path, status, message):
    response = raw(site, b"GET " + path + b" HTTP/1.1\r\n")
    assert_app_4xx(response.status, response.text, status, message)


def test_huge_header_is_refused_by_nginx(site):
    response = raw(site, b"GET / HTTP/1.1\r\nX-Junk: " + b"j" * 70000 + b"\r\n")
    assert_server_4xx(response, (400, 431, 494))
    cookie = raw(site, b"GET / HTTP/1.1\r\nCookie: gomoku_session=" + b"c" * 70000 + b"\r\n")
    assert_server_4xx(cookie, (400, 431, 494))


@pytest.mark.parametrize("uri, status, message", [
    (b"/accounts/%00/", 400, "The address of this request is not valid."),
    (b"/%00", 400, "The address of this request is not valid."),
    (b"/\x01garbage", 400, "The address of this request is not valid."),
    (b"/accounts/login/%0d%0aSet-Cookie:%20x=1", 400, "The address of this request is not valid."),
    (b"/nowhere\x00/accounts/login/", 404, "There is no page at /nowhere"),  # a raw NUL ends the param in libfcgi
    (b"relative/path", 400, "The address of this request is not valid."),
    (b"/%ZZ", 400, "The address of this request is not valid."),
])
def test_bad_paths_straight_to_the_app(site, uri, status, message):
    response = fcgi_client.request(site.app.socket, "GET", uri)
    assert_app_4xx(response.status, response.text, status, message)
    assert "Set-Cookie: x=1" not in response.raw.decode("latin-1")


@pytest.mark.parametrize("method, status, message", [
    ("", 400, "The request has no method."),
    ("BREW", 405, "The method BREW is not supported"),
    ("get", 405, "The method get is not supported"),
])
def test_bad_methods_straight_to_the_app(site, method, status, message):
    response = fcgi_client.request(site.app.socket, method, "/")
    assert_app_4xx(response.status, response.text, status, message)


def test_huge_headers_straight_to_the_app_do_no_harm(site):
    junk = "j" * 300_000
    response = fcgi_client.request(site.app.socket, "GET", "/", headers={"X-Junk": junk, "Cookie": "a=" + junk})
    assert response.status == 200
    many = {f"X-Header-{n}": "v" * 100 for n in range(2000)}
    response = fcgi_client.request(site.app.socket, "POST", "/accounts/register/", headers=many,
                                   content_type="application/x-www-form-urlencoded", body=urllib.parse.urlencode(VALID_FIELDS))
    assert_app_4xx(response.status, response.text, 403, "did not send the security cookie")
    bad_hx = fcgi_client.request(site.app.socket, "POST", "/accounts/register/validate/",
                                 headers={"HX-Request": "true", "HX-Trigger-Name": "\xff%ZZ" * 1000,
                                          "HX-Trigger-Name-URI-AutoEncoded": "true"})
    assert_app_4xx(bad_hx.status, bad_hx.text, 403, "did not send the security cookie")


# ---------------------------------------------------------------------------------------------
# Broken FastCGI on the socket itself


def test_garbage_bytes_on_the_fastcgi_socket_do_not_hurt_a_worker(site):
    for garbage in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\x00" * 64, bytes(range(256)) * 4,
                    fcgi_client.record(fcgi_client.FCGI_BEGIN_REQUEST, struct.pack(">HB5x", 1, 0))[:5]):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(10)
            sock.connect(site.app.socket)
            try:
                sock.sendall(garbage)
                sock.shutdown(socket.SHUT_WR)
                while sock.recv(65536):
                    pass
            except (ConnectionResetError, BrokenPipeError):
                pass
    assert site.app.get("/healthz").status == 200


def test_fastcgi_clients_that_vanish_mid_request_do_not_hurt_a_worker(site):
    begin = fcgi_client.record(fcgi_client.FCGI_BEGIN_REQUEST, struct.pack(">HB5x", fcgi_client.FCGI_RESPONDER, 0))
    params = fcgi_client.encode_params(fcgi_client.build_params(
        "POST", "/accounts/register/", content_type="application/x-www-form-urlencoded", body=b"x" * 5000))
    cut_points = [
        begin + fcgi_client.record(fcgi_client.FCGI_PARAMS, params[:40]),                       # inside the params
        begin + fcgi_client.stream_records(fcgi_client.FCGI_PARAMS, params)
        + fcgi_client.record(fcgi_client.FCGI_STDIN, b"x" * 100),                              # inside the body
        begin + fcgi_client.stream_records(fcgi_client.FCGI_PARAMS, params)
        + fcgi_client.stream_records(fcgi_client.FCGI_STDIN, b"x" * 5000),                      # complete; we leave before the answer
    ]
    for data in cut_points:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(site.app.socket)
            sock.sendall(data)
    # An unknown role and an unknown record type get FastCGI's own refusals, not a crash.
    authorizer = fcgi_client.record(fcgi_client.FCGI_BEGIN_REQUEST, struct.pack(">HB5x", 2, 0))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(site.app.socket)
        sock.sendall(authorizer + fcgi_client.stream_records(fcgi_client.FCGI_PARAMS, b""))
        try:
            while sock.recv(65536):
                pass
        except ConnectionResetError:
            pass
    for _ in range(4):
        assert site.app.get("/healthz").status == 200
