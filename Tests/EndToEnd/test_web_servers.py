"""Through real nginx and real lighttpd, rendered from the shipped configs by scripts/render-conf.sh:
pages, static files, sign in/out, registration, htmx answers."""

from __future__ import annotations

import re
import shutil

import pytest
import requests

import e2e_support as support
from e2e_support import DEFAULT_PASSWORD, ROOT, create_user, start_site

pytestmark = pytest.mark.webserver

DISPLAY_NAME = "Alice Liddell"


@pytest.fixture(scope="module", params=["nginx", "lighttpd"])
def site(request, tmp_path_factory):
    """A web server from the shipped config in front of its own `serve` and database, with user alice."""
    data_dir = tmp_path_factory.mktemp(f"{request.param}-data")
    create_user(data_dir, "alice", display_name=DISPLAY_NAME, email="alice@example.org")
    app, web = start_site(request.param, data_dir, support.short_tmpdir(f"gmk-{request.param}-"))
    yield web
    web.stop()
    app.stop()
    shutil.rmtree(web.out_dir, ignore_errors=True)


def browser_session(site) -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = "gomoku-e2e"
    return session


def get_token(session: requests.Session, url: str) -> str:
    response = session.get(url, timeout=30)
    assert response.status_code == 200, response.text[:500]
    return support.csrf_token(response.text)


def test_login_page_with_csrf_token(site):
    response = requests.get(site.base_url + "/accounts/login/", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    token = support.csrf_token(response.text)
    assert support.hidden_csrf_tokens(response.text) == [token]
    assert support.hx_headers_token(response.text) == token
    assert response.cookies.get("gomoku_csrf")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "HX-Request" in response.headers["Vary"]


def test_missing_slash_redirects(site):
    response = requests.get(site.base_url + "/accounts/login?next=/abc", allow_redirects=False, timeout=30)
    assert response.status_code == 303
    assert response.headers["Location"] == "/accounts/login/?next=/abc"


@pytest.mark.parametrize("path, content_type", [("vendor/htmx.min.js", "javascript"), ("css/site.css", "text/css")])
def test_static_file_served_by_the_web_server_with_a_long_cache_header(site, path, content_type):
    response = requests.get(f"{site.base_url}/static/{path}", timeout=30)
    assert response.status_code == 200
    assert response.content == (ROOT / "static" / path).read_bytes()
    assert content_type in response.headers["Content-Type"]
    max_ages = [int(v) for v in re.findall(r"max-age=(\d+)", response.headers.get("Cache-Control", ""))]
    assert max_ages and min(max_ages) >= 7 * 86400, response.headers.get("Cache-Control")
    assert "public" in response.headers["Cache-Control"]
    # Not an app response: the app would have said no-store.
    assert "no-store" not in response.headers["Cache-Control"]
    missing = requests.get(f"{site.base_url}/static/no-such-file.js", timeout=30)
    assert missing.status_code == 404


def test_full_login_and_logout_flow(site):
    session = browser_session(site)
    token = get_token(session, site.base_url + "/accounts/login/?next=/")
    response = session.post(site.base_url + "/accounts/login/", allow_redirects=False, timeout=30,
                            headers={"Origin": site.base_url},
                            data={"csrf_token": token, "username": "alice", "password": DEFAULT_PASSWORD, "next": "/"})
    assert response.status_code == 303, response.text[:500]
    assert response.headers["Location"] == "/"
    session_cookie = response.cookies.get("gomoku_session")
    assert session_cookie
    set_cookies = response.raw.headers.getlist("Set-Cookie")
    assert any(c.startswith("gomoku_session=") and "HttpOnly" in c and "SameSite=Lax" in c for c in set_cookies)

    home = session.get(site.base_url + "/", timeout=30)
    assert f"<h1>Welcome back, {DISPLAY_NAME}!</h1>" in home.text
    assert "Sign out</button>" in home.text

    confirm = session.get(site.base_url + "/accounts/logout/", timeout=30)
    assert confirm.status_code == 200 and "Sign out</button>" in confirm.text
    logout = session.post(site.base_url + "/accounts/logout/", allow_redirects=False, timeout=30,
                          headers={"Origin": site.base_url}, data={"csrf_token": support.csrf_token(confirm.text)})
    assert logout.status_code == 303 and logout.headers["Location"] == "/"
    assert not session.cookies.get("gomoku_session")
    anonymous = session.get(site.base_url + "/", timeout=30)
    assert "Welcome back" not in anonymous.text and ">Sign in</a>" in anonymous.text
    # The session is gone on the server too, not just forgotten by this client.
    replayed = requests.get(site.base_url + "/", cookies={"gomoku_session": session_cookie}, timeout=30)
    assert "Welcome back" not in replayed.text


def test_login_next_parameter_stays_on_this_site(site):
    page = requests.get(site.base_url + "/accounts/login/?next=//evil.example/", timeout=30).text
    assert 'name="next" value="/"' in page
    kept = requests.get(site.base_url + "/accounts/login/?next=/accounts/logout/", timeout=30).text
    assert 'name="next" value="/accounts/logout/"' in kept


def test_register_flow(site):
    session = browser_session(site)
    url = site.base_url + "/accounts/register/"
    token = get_token(session, url)
    username = f"bob_{site.kind}"
    invalid = session.post(url, allow_redirects=False, timeout=30, headers={"Origin": site.base_url},
                           data={"csrf_token": token, "username": "b", "email": "not-an-email",
                                 "display_name": "Bob", "password": DEFAULT_PASSWORD})
    assert invalid.status_code == 422
    assert "3 to 30 characters" in support.field_error(invalid.text, "username")
    assert "email address like" in support.field_error(invalid.text, "email")
    assert support.field_error(invalid.text, "display_name") == ""
    assert 'value="not-an-email"' in invalid.text
    assert DEFAULT_PASSWORD not in invalid.text  # never echoed back
    assert support.usernames(site.app.data_dir) == ["alice"]

    response = session.post(url, allow_redirects=False, timeout=30, headers={"Origin": site.base_url},
                            data={"csrf_token": token, "username": username, "email": f"{username}@example.org",
                                  "display_name": "Bob Builder", "password": DEFAULT_PASSWORD})
    assert response.status_code == 303, response.text[:500]
    assert response.headers["Location"] == "/"
    home = session.get(site.base_url + "/", timeout=30)
    assert "<h1>Welcome back, Bob Builder!</h1>" in home.text
    assert username in support.usernames(site.app.data_dir)

    again = session.post(url, allow_redirects=False, timeout=30, headers={"Origin": site.base_url},
                         data={"csrf_token": support.csrf_token(home.text), "username": username.upper(),
                               "email": f"other-{username}@example.org", "display_name": "Bob Again",
                               "password": DEFAULT_PASSWORD})
    assert again.status_code == 422
    assert "taken" in support.field_error(again.text, "username")


def htmx_headers(site, token: str, **extra: str) -> dict[str, str]:
    return {"HX-Request": "true", "HX-Current-URL": site.base_url + "/accounts/login/", "X-CSRF-Token": token,
            "Origin": site.base_url, **extra}


def test_htmx_login_gets_hx_redirect_and_bad_password_gets_the_form_fragment(site):
    session = browser_session(site)
    token = get_token(session, site.base_url + "/accounts/login/")
    wrong = session.post(site.base_url + "/accounts/login/", timeout=30, allow_redirects=False,
                         headers=htmx_headers(site, token, **{"HX-Target": "login-form"}),
                         data={"username": "alice", "password": "Not-The-Password-1", "next": "/"})
    assert wrong.status_code == 422
    assert wrong.text.lstrip().startswith('<form id="login-form"'), wrong.text[:300]
    assert "<html" not in wrong.text
    assert "That username and password do not match." in wrong.text
    assert 'value="alice"' in wrong.text
    assert "HX-Request" in wrong.headers["Vary"]

    response = session.post(site.base_url + "/accounts/login/", timeout=30, allow_redirects=False,
                            headers=htmx_headers(site, token, **{"HX-Target": "login-form"}),
                            data={"username": "alice", "password": DEFAULT_PASSWORD, "next": "/"})
    assert response.status_code == 200, response.text[:500]
    assert response.headers["HX-Redirect"] == "/"
    assert "Location" not in response.headers
    assert response.cookies.get("gomoku_session")
    assert f"Welcome back, {DISPLAY_NAME}!" in session.get(site.base_url + "/", timeout=30).text


def test_htmx_error_goes_to_the_message_area(site):
    session = browser_session(site)
    get_token(session, site.base_url + "/accounts/login/")
    response = session.post(site.base_url + "/accounts/login/", timeout=30,
                            headers=htmx_headers(site, "forged-token"),
                            data={"username": "alice", "password": "whatever-it-is"})
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#messages"
    assert response.headers["HX-Reswap"] == "innerHTML"
    assert response.text.startswith('<div class="alert alert-error"')
    assert "security token" in response.text


def validate(site, session, token, trigger: str, **fields: str) -> requests.Response:
    return session.post(site.base_url + "/accounts/register/validate/", timeout=30,
                        headers=htmx_headers(site, token, **{"HX-Trigger-Name": trigger,
                                                             "HX-Trigger": f"register-{trigger}"}),
                        data=fields)


def test_register_validate_fragment(site):
    session = browser_session(site)
    token = get_token(session, site.base_url + "/accounts/register/")
    short = validate(site, session, token, "username", username="ab", email="", display_name="", password="")
    assert short.status_code == 200
    assert '<p class="field-error" id="error-username" hx-swap-oob="true"' in short.text
    assert "3 to 30 characters" in support.field_error(short.text, "username")
    assert " disabled" in support.submit_button(short.text)
    assert 'hx-swap-oob="true"' in support.submit_button(short.text)
    assert "<html" not in short.text

    taken = validate(site, session, token, "username", username="ALICE")
    assert "That username is taken" in support.field_error(taken.text, "username")

    weak = validate(site, session, token, "password", username="carol", password="carol12345x")
    assert "must not contain your username" in support.field_error(weak.text, "password")
    assert support.field_error(weak.text, "username") is None  # only the triggering field's message

    valid = validate(site, session, token, "password", username="carol_v", email="carol@example.org",
                     display_name="Carol", password=DEFAULT_PASSWORD)
    assert valid.status_code == 200
    assert support.field_error(valid.text, "password") == ""
    assert " disabled" not in support.submit_button(valid.text)
    assert support.usernames(site.app.data_dir).count("carol_v") == 0  # validating creates nothing


def test_foreign_origin_refused_through_the_web_server(site):
    session = browser_session(site)
    token = get_token(session, site.base_url + "/accounts/register/")
    response = session.post(site.base_url + "/accounts/register/validate/", timeout=30,
                            headers=htmx_headers(site, token, Origin="http://evil.example", **{"HX-Trigger-Name": "username"}),
                            data={"username": "abc"})
    assert response.status_code == 403
    assert "another site" in response.text


def test_oversized_body_refused_by_the_web_server(site):
    body = b"username=" + b"x" * (1536 * 1024)
    response = support.raw_http(site.port, b"POST /accounts/register/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    assert response.status == 413
    assert support.usernames(site.app.data_dir).count("x" * 9) == 0
    assert requests.get(site.base_url + "/healthz", timeout=10).text == "ok\n"
