"""Friends, challenges and the dashboard through the real stack: nginx (rendered from conf/nginx, /ws/ proxied
to the bridge), `gomoku-fcgi serve` and `gomoku-bridge` on one SQLite file seeded by `gomoku-fcgi seed-demo`.
Pushes are read by real WebSocket clients and by Chromium pages (with JavaScript); the same flows are also
done by Chromium without JavaScript, with plain form posts only.

Each test uses its own pair of seeded players, so the tests do not depend on each other's order."""

from __future__ import annotations

import asyncio
import html
import json
import re
import time

import pytest
import requests

import e2e_support as support
import live_support as live
from live_support import browser_wait
from e2e_support import FcgiServer, WebServer
from live_support import Bridge, ClientPool, LivePage

pytestmark = pytest.mark.webserver

USERS, GAMES = 17, 1  # game 1: player1 (black) against player2 (white)
PASSWORD = "Quartz-Lantern-8842"

TOAST = re.compile(r'<div class="alert alert-info toast" role="status">(.*?)</div>', re.S)
PANEL = re.compile(r'^<!--n:\d+--><div id="(dashboard-games|dashboard-friends|challenge-lists|friend-lists)"')


def run(coroutine, timeout: float = 60):
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


def text_of(fragment: str) -> str:
    """The fragment's text: tags removed, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def toasts(fragment: str) -> list[str]:
    return [text_of(t) for t in TOAST.findall(fragment)]


def games_sections(fragment: str) -> tuple[str, str]:
    """(text of "Your turn", text of "Waiting for your opponent") of a #dashboard-games panel."""
    body = fragment.split('id="dashboard-games"', 1)[1].split(">", 1)[1].split("</div>", 1)[0]
    yours, _, waiting = body.partition("Waiting for your opponent")
    return text_of(yours), text_of(waiting)


def friends_panel(fragment: str) -> list[tuple[bool, str, str]]:
    """[(online-dot lit, "Player 1 @player1", "online"/"away"), …] of a #dashboard-friends panel."""
    body = fragment.split('id="dashboard-friends"', 1)[1].split(">", 1)[1].split("</div>", 1)[0]
    return [(bool(lit), text_of(name), state) for lit, name, state in
            re.findall(r'<li class="person"><span><span class="online-dot( is-online)?" aria-hidden="true"></span>'
                       r'(.*?)</span><span class="muted">(online|away)</span></li>', body, re.S)]


# ---------------------------------------------------------------------------------------------
# The site


class SocialSite(live.SignedInSite):
    def __init__(self, data_dir, app: FcgiServer, bridge: Bridge, web: WebServer):
        super().__init__(data_dir, app, bridge, web, password=PASSWORD)

    def user_id(self, username: str) -> int:
        return support.db_query(self.data_dir, "SELECT id FROM users WHERE username = ?", (username,))[0][0]

    def get(self, username: str | None, path: str, **headers) -> requests.Response:
        cookies = self.member(username).cookies if username else None
        return requests.get(self.base_url + path, cookies=cookies, headers=headers, allow_redirects=False, timeout=30)

    def post(self, username: str, path: str, fields: dict, *, htmx: bool = True) -> requests.Response:
        """A POST through nginx as htmx sends it (HX-Request, the X-CSRF-Token header) or, with `htmx=False`,
        as a plain form (the hidden csrf_token field)."""
        member = self.member(username)
        headers = {"Origin": self.base_url}
        data = dict(fields)
        if htmx:
            headers.update({"HX-Request": "true", "X-CSRF-Token": member.csrf_token})
        else:
            data["csrf_token"] = member.csrf_token
        return requests.post(self.base_url + path, data=data, headers=headers, allow_redirects=False, timeout=30,
                             cookies=member.cookies)

    def page(self, username: str, path: str) -> LivePage:
        return live.live_page(self.base_url, self.member(username), path)

    # The database

    def friendship(self, a: str, b: str) -> tuple | None:
        ids = sorted((self.user_id(a), self.user_id(b)))
        rows = support.db_query(self.data_dir, "SELECT id, requester_id, status FROM friendships "
                                               "WHERE user_low = ? AND user_high = ?", tuple(ids))
        return rows[0] if rows else None

    def challenges(self, a: str, b: str) -> list[tuple]:
        return support.db_query(self.data_dir, "SELECT id, ruleset, board_size, colour, status, game_id FROM challenges "
                                               "WHERE from_id = ? AND to_id = ? ORDER BY id",
                                (self.user_id(a), self.user_id(b)))

    def game(self, game_id: int) -> tuple:
        return support.db_query(self.data_dir, "SELECT black_id, white_id, ruleset, board_size, status, move_count "
                                               "FROM games WHERE id = ?", (game_id,))[0]

    def snapshot(self) -> dict:
        """Everything a social request could change, and the latest notification id."""
        return {table: support.db_query(self.data_dir, f"SELECT * FROM {table} ORDER BY id")
                for table in ("friendships", "challenges", "games", "users")} | \
            {"notification": live.latest_notification_id(self.data_dir)}

    def online(self, username: str, topic_prefix: str) -> bool:
        """Whether the bridge has reported a socket of `username` subscribed to `topic_prefix<id>`."""
        uid = self.user_id(username)
        return support.db_query(self.data_dir, "SELECT count(*) FROM presence WHERE topic = ? AND user_id = ?",
                                (f"{topic_prefix}{uid}", uid))[0][0] > 0

    def make_friends(self, a: str, b: str) -> None:
        """`a` asks, `b` accepts (htmx posts through nginx)."""
        asked = self.post(a, "/friends/request/", {"username": b})
        assert asked.status_code == 200, asked.text[:300]
        fid = self.friendship(a, b)[0]
        accepted = self.post(b, f"/friends/{fid}/respond/", {"answer": "accept"})
        assert accepted.status_code == 200, accepted.text[:300]
        assert self.friendship(a, b)[2] == "accepted"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    support.need("nginx")
    data_dir = tmp_path_factory.mktemp("social-data")
    seeded = json.loads(support.run_cli(data_dir, "seed-demo", "--users", str(USERS), "--games", str(GAMES),
                                        "--password", PASSWORD, "--json").stdout)
    assert [g["id"] for g in seeded["games"]] == [1]
    with live.running_site(data_dir, "gmk-social-") as (app, bridge, web):
        yield SocialSite(data_dir, app, bridge, web)


# ---------------------------------------------------------------------------------------------
# Chromium helpers


def open_page(driver, site: SocialSite, username: str, path: str) -> None:
    """Carries `username`'s session into the browser and opens `path`."""
    driver.get(site.base_url + "/healthz")
    for name, value in site.member(username).cookies.items():
        driver.add_cookie({"name": name, "value": value, "path": "/", "httpOnly": name == "gomoku_session"})
    driver.get(site.base_url + path)




def element_text(driver, selector: str) -> str:
    """textContent (whitespace collapsed) of the first element matching `selector`, "" when none."""
    text = driver.execute_script("var e = document.querySelector(arguments[0]); return e ? e.textContent : '';", selector)
    return " ".join(text.split())


def toast_texts(driver) -> list[str]:
    return [" ".join(t.split()) for t in driver.execute_script(
        "return Array.from(document.querySelectorAll('#messages .toast')).map(e => e.textContent);")]


def mark_document(driver) -> None:
    driver.execute_script("document.body.dataset.e2eDocument = 'original';")


def same_document(driver) -> bool:
    return driver.execute_script("return document.body.dataset.e2eDocument || null;") == "original"


def severe_errors(driver) -> list[str]:
    # /healthz (opened to set the cookies) has no icon link, so Chromium asks for /favicon.ico (404).
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and "/favicon.ico" not in e["message"]]


def click_button(driver, scope: str, text: str) -> None:
    """Clicks the button whose text is `text` inside `scope` (a CSS selector)."""
    from selenium.webdriver.common.by import By
    for button in driver.find_elements(By.CSS_SELECTOR, f"{scope} button"):
        if " ".join(button.text.split()) == text:
            button.click()
            return
    raise AssertionError(f"no button {text!r} in {scope}: {element_text(driver, scope)!r}")


# ---------------------------------------------------------------------------------------------
# 1. Friend request with JavaScript: search as you type, ask, accept, both pages updated live


@pytest.mark.browser
def test_friend_request_flow_in_two_browsers(site, chrome):
    from selenium.webdriver.common.by import By
    a, b = "player3", "player4"
    drivers = {a: chrome(), b: chrome()}
    for username, driver in drivers.items():
        open_page(driver, site, username, "/friends/")
    support.wait_until(lambda: site.online(a, "friends:") and site.online(b, "friends:"), 20,
                       message="both /friends/ pages subscribed")
    for driver in drivers.values():
        mark_document(driver)
        assert "No friends yet" in element_text(driver, "#friend-lists")

    # A types B's name; the results appear without submitting the form.
    drivers[a].find_element(By.ID, "friend-q").send_keys("player4")
    browser_wait(drivers[a], lambda d: "@player4" in element_text(d, "#friend-search-results"), "the search results")
    assert element_text(drivers[a], "#friend-search-results") == "Player 4 @player4 Add friend"
    assert drivers[a].current_url == site.base_url + "/friends/"
    click_button(drivers[a], "#friend-search-results", "Add friend")
    browser_wait(drivers[a], lambda d: "Friend request sent to Player 4." in toast_texts(d), "A's toast")
    # The social-changed event refreshes A's lists: B is waiting for an answer.
    browser_wait(drivers[a], lambda d: "Waiting for an answer Player 4 @player4" in element_text(d, "#friend-lists"),
                 "B under Waiting for an answer on A's page")
    assert site.friendship(a, b)[1:] == (site.user_id(a), "pending")

    # B sees the toast and the request without reloading.
    browser_wait(drivers[b], lambda d: "Player 3 wants to be your friend. Friends" in toast_texts(d), "B's toast")
    browser_wait(drivers[b], lambda d: "Requests for you Player 3 @player3 Accept Decline" in element_text(d, "#friend-lists"),
                 "the incoming request on B's page")
    click_button(drivers[b], "#friend-lists", "Accept")
    browser_wait(drivers[b], lambda d: "You and Player 3 are now friends." in toast_texts(d), "B's own toast")
    browser_wait(drivers[b], lambda d: "Your friends Player 3 @player3" in element_text(d, "#friend-lists"),
                 "A in B's friends")

    browser_wait(drivers[a], lambda d: "Player 4 accepted your friend request. Friends" in toast_texts(d),
                 "the acceptance toast on A's page")
    browser_wait(drivers[a], lambda d: "Your friends Player 4 @player4" in element_text(d, "#friend-lists"),
                 "B in A's friends")
    assert "Waiting for an answer" not in element_text(drivers[a], "#friend-lists")
    assert site.friendship(a, b)[2] == "accepted"
    for username, driver in drivers.items():
        assert same_document(driver) and driver.current_url == site.base_url + "/friends/", username
        errors = severe_errors(driver)  # reading the log empties it
        assert not errors, (username, errors)


# ---------------------------------------------------------------------------------------------
# 2. Challenge with JavaScript: accepting takes both browsers into the new game


@pytest.mark.browser
def test_challenge_accepted_takes_both_browsers_into_the_game(site, chrome):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    a, b = "player5", "player6"
    site.make_friends(a, b)
    drivers = {a: chrome(), b: chrome()}
    open_page(drivers[a], site, a, "/challenges/")
    open_page(drivers[b], site, b, "/dashboard/")
    support.wait_until(lambda: site.online(a, "challenges:") and site.online(b, "dashboard:"), 20,
                       message="A's /challenges/ and B's /dashboard/ subscribed")
    mark_document(drivers[b])
    assert "No challenges waiting." in element_text(drivers[b], "#challenge-lists")

    Select(drivers[a].find_element(By.ID, "challenge-opponent")).select_by_value(b)
    Select(drivers[a].find_element(By.ID, "challenge-ruleset")).select_by_value("standard")
    Select(drivers[a].find_element(By.ID, "challenge-size")).select_by_value("15")
    Select(drivers[a].find_element(By.ID, "challenge-colour")).select_by_value("white")
    click_button(drivers[a], ".challenge-form", "Send challenge")
    browser_wait(drivers[a], lambda d: "Challenge sent to Player 6." in toast_texts(d), "A's toast")
    browser_wait(drivers[a], lambda d: "to Player 6 Standard, 15×15, Player 5 plays white" in element_text(d, "#challenge-lists"),
                 "the sent challenge on A's page")
    (challenge_id, *terms), = site.challenges(a, b)
    assert terms == ["standard", 15, "white", "pending", None]

    # B's dashboard shows it without a reload.
    browser_wait(drivers[b], lambda d: "Player 5 challenges you to Standard on 15×15. Challenges" in toast_texts(d),
                 "B's toast")
    browser_wait(drivers[b], lambda d: "Player 5 Standard, 15×15, Player 5 plays white Accept and play Decline"
                 in element_text(d, "#challenge-lists"), "the challenge on B's dashboard")
    assert same_document(drivers[b]) and drivers[b].current_url == site.base_url + "/dashboard/"

    click_button(drivers[b], "#challenge-lists", "Accept and play")
    browser_wait(drivers[b], lambda d: re.fullmatch(re.escape(site.base_url) + r"/games/\d+/", d.current_url),
                 "B in the new game")
    game_id = int(drivers[b].current_url.rstrip("/").rsplit("/", 1)[1])
    assert site.challenges(a, b)[0] == (challenge_id, "standard", 15, "white", "accepted", game_id)
    assert site.game(game_id) == (site.user_id(b), site.user_id(a), "standard", 15, "active", 0)

    # A's browser goes there by itself.
    browser_wait(drivers[a], lambda d: d.current_url == site.base_url + f"/games/{game_id}/", "A sent to the game")
    for username, driver in drivers.items():
        browser_wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#board"), f"the board at {username}")
    you = {u: d.find_element(By.CSS_SELECTOR, "section.game").get_attribute("data-you") for u, d in drivers.items()}
    assert you == {a: "white", b: "black"}
    assert element_text(drivers[a], ".game-rules") == "Standard · 15×15"
    for username, driver in drivers.items():
        errors = severe_errors(driver)  # reading the log empties it
        assert not errors, (username, errors)


# ---------------------------------------------------------------------------------------------
# 3. The dashboard is pushed: a move moves the game to "Your turn"; a friend goes online and away


def test_dashboard_games_and_friends_online_are_pushed(site):
    a, b = "player1", "player2"  # game 1: A black, B white, no moves yet
    site.make_friends(a, b)
    page_b = site.page(b, "/dashboard/")
    assert games_sections(page_b.html) == ("Your turn No game is waiting for you.",
                                           "#1 against Player 1 Freestyle · you play white · 0 moves")
    assert friends_panel(page_b.html) == [(False, "Player 1 @player1", "away")]
    user_a, user_b = site.user_id(a), site.user_id(b)

    async def scenario():
        async with ClientPool(site.base_url) as pool:
            client_b = await pool.open(page_b, site.member(b), name="B dashboard")
            await asyncio.to_thread(support.wait_until, lambda: site.online(b, "dashboard:"), 20, 0.02,
                                    "B's dashboard subscribed")
            # A opens a page (its dashboard): A is online on B's dashboard.
            mark = len(client_b.frames)
            page_a = await asyncio.to_thread(site.page, a, "/dashboard/")
            client_a = await pool.open(page_a, site.member(a), name="A dashboard")
            online = await client_b.wait_for(
                lambda c: next((f for f in c.frames[mark:] if 'id="dashboard-friends"' in f
                                and friends_panel(f) == [(True, "Player 1 @player1", "online")]), None),
                what="Player 1 online")
            # A moves: both dashboards get their games panel.
            mark_a, mark_b = len(client_a.frames), len(client_b.frames)
            moved = await asyncio.to_thread(site.post, a, "/games/1/move/", {"at": "7,7", "move": "1"})
            games_b = await client_b.wait_for(
                lambda c: next((f for f in c.frames[mark_b:] if 'id="dashboard-games"' in f), None), what="B's games")
            games_a = await client_a.wait_for(
                lambda c: next((f for f in c.frames[mark_a:] if 'id="dashboard-games"' in f), None), what="A's games")
            # A's last page closes: away.
            mark = len(client_b.frames)
            await client_a.close()
            away = await client_b.wait_for(
                lambda c: next((f for f in c.frames[mark:] if 'id="dashboard-friends"' in f
                                and friends_panel(f) == [(False, "Player 1 @player1", "away")]), None),
                what="Player 1 away")
            return online, moved, games_a, games_b, away, list(client_a.frames), list(client_b.frames)

    online, moved, games_a, games_b, away, frames_a, frames_b = run(scenario())
    assert moved.status_code == 200, moved.text[:300]
    assert 'hx-swap-oob="true"' in online and 'hx-swap-oob="true"' in games_b
    assert games_sections(games_b) == ("Your turn #1 against Player 1 Freestyle · you play white · 1 move", "None.")
    assert games_sections(games_a) == ("Your turn No game is waiting for you.",
                                       "#1 against Player 2 Freestyle · you play black · 1 move")
    # Each user's panels are addressed to them only (no one else's names in B's panels).
    for frame in frames_b:
        if PANEL.match(frame):
            assert "Player 2 @player2" not in frame, frame
    assert all("Player 1 @player1" not in f for f in frames_a if PANEL.match(f))
    rows = support.db_query(site.data_dir, "SELECT topic, user_id FROM notifications WHERE topic LIKE 'dashboard:%' "
                                           "AND html LIKE '%dashboard-games%'")
    assert {(f"dashboard:{user_a}", user_a), (f"dashboard:{user_b}", user_b)} <= set(rows)


def test_a_page_that_connects_after_an_unwatched_change_reloads_its_panels(site):
    """A panel no page listens to is not rendered; a marker goes out instead. A dashboard loaded before a
    move and connected after it (nobody listened meanwhile) gets the marker replayed: live.js reloads it."""
    a, b = "player16", "player17"
    site.make_friends(a, b)
    challenged = site.post(a, "/challenges/", {"opponent": b, "ruleset": "freestyle", "size": "15", "colour": "white"})
    assert challenged.status_code == 200, challenged.text[:300]
    (challenge_id, *_), = site.challenges(a, b)
    assert site.post(b, f"/challenges/{challenge_id}/respond/", {"answer": "accept"}).status_code == 200
    game_id = site.challenges(a, b)[0][5]
    support.wait_until(lambda: not site.online(a, "dashboard:"), 20, 0.02, "no page of A's listens to A's dashboard")
    page_a = site.page(a, "/dashboard/")
    assert "0 moves" in games_sections(page_a.html)[1], "A plays white: waiting for B"

    moved = site.post(b, f"/games/{game_id}/move/", {"at": "7,7", "move": "1"})
    assert moved.status_code == 200, moved.text[:300]
    pushed = support.db_query(site.data_dir, "SELECT html FROM notifications WHERE id > ? AND topic = ?",
                              (page_a.last, f"dashboard:{site.user_id(a)}"))
    assert pushed == [('<div id="live-reload" hx-swap-oob="true" hidden></div>',)], "nobody listened: not rendered"

    async def scenario():
        async with ClientPool(site.base_url) as pool:
            client = await pool.open(page_a, site.member(a), name="A dashboard, connecting late")
            return await client.wait_for_frame('<div id="live-reload"')

    frame = run(scenario())
    assert re.fullmatch(r'<!--n:\d+--><div id="live-reload" hx-swap-oob="true" hidden></div>', frame), frame
    # What live.js then loads: A's turn.
    assert games_sections(site.page(a, "/dashboard/").html)[0].startswith("Your turn #%d against Player 17" % game_id)


# ---------------------------------------------------------------------------------------------
# 4. Without JavaScript: every step is a plain form post


@pytest.mark.browser
def test_without_javascript_request_accept_challenge_accept_and_play(site, chrome):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    a, b = "player7", "player8"
    drivers = {a: chrome(javascript=False), b: chrome(javascript=False)}
    open_page(drivers[a], site, a, "/friends/")
    open_page(drivers[b], site, b, "/friends/")

    # A searches (submitting the form) and asks.
    drivers[a].find_element(By.ID, "friend-q").send_keys("player8")
    click_button(drivers[a], ".search-form", "Search")
    browser_wait(drivers[a], lambda d: "/friends/search/?q=player8" in d.current_url, "the search results page")
    assert "Player 8 @player8" in element_text(drivers[a], "#friend-search-results")
    click_button(drivers[a], "#friend-search-results", "Add friend")
    browser_wait(drivers[a], lambda d: d.current_url == site.base_url + "/friends/", "back on /friends/")
    assert "Waiting for an answer Player 8 @player8" in element_text(drivers[a], "#friend-lists")

    # B reloads /friends/ and accepts.
    drivers[b].get(site.base_url + "/friends/")
    assert "Requests for you Player 7 @player7 Accept Decline" in element_text(drivers[b], "#friend-lists")
    click_button(drivers[b], "#friend-lists", "Accept")
    browser_wait(drivers[b], lambda d: "Your friends Player 7 @player7" in element_text(d, "#friend-lists"),
                 "A among B's friends")
    assert drivers[b].current_url == site.base_url + "/friends/"
    assert site.friendship(a, b)[2] == "accepted"

    # A challenges B.
    drivers[a].get(site.base_url + "/challenges/")
    Select(drivers[a].find_element(By.ID, "challenge-opponent")).select_by_value(b)
    Select(drivers[a].find_element(By.ID, "challenge-ruleset")).select_by_value("renju")
    Select(drivers[a].find_element(By.ID, "challenge-size")).select_by_value("15")
    Select(drivers[a].find_element(By.ID, "challenge-colour")).select_by_value("black")
    click_button(drivers[a], ".challenge-form", "Send challenge")
    browser_wait(drivers[a], lambda d: "to Player 8 Renju, 15×15, Player 7 plays black" in element_text(d, "#challenge-lists"),
                 "the sent challenge")
    assert drivers[a].current_url == site.base_url + "/challenges/"

    # B accepts on /challenges/ and lands in the game.
    drivers[b].get(site.base_url + "/challenges/")
    assert "Player 7 Renju, 15×15, Player 7 plays black Accept and play Decline" in element_text(drivers[b], "#challenge-lists")
    click_button(drivers[b], "#challenge-lists", "Accept and play")
    browser_wait(drivers[b], lambda d: re.fullmatch(re.escape(site.base_url) + r"/games/\d+/", d.current_url), "B in the game")
    game_id = int(drivers[b].current_url.rstrip("/").rsplit("/", 1)[1])
    assert drivers[b].find_element(By.CSS_SELECTOR, "section.game").get_attribute("data-you") == "white"
    assert site.game(game_id) == (site.user_id(a), site.user_id(b), "renju", 15, "active", 0)

    # A finds it on the dashboard ("Your turn": A plays black) and follows the link.
    drivers[a].get(site.base_url + "/dashboard/")
    assert f"Your turn #{game_id} against Player 8" in element_text(drivers[a], "#dashboard-games")
    drivers[a].find_element(By.CSS_SELECTOR, f'#dashboard-games a[href="/games/{game_id}/"]').click()
    browser_wait(drivers[a], lambda d: d.current_url == site.base_url + f"/games/{game_id}/", "A in the game")
    assert drivers[a].find_element(By.CSS_SELECTOR, "section.game").get_attribute("data-you") == "black"


# ---------------------------------------------------------------------------------------------
# 5. Refusals change nothing


def test_refusals_through_nginx_change_nothing(site):
    a, b, stranger = "player9", "player10", "player11"
    for username in (a, b, stranger):
        site.member(username)  # signed in first: a sign-in sets users.last_login_at
    site.make_friends(a, b)
    sent = site.post(a, "/challenges/", {"opponent": b, "ruleset": "freestyle", "size": "15", "colour": "random"})
    assert sent.status_code == 200, sent.text[:300]
    assert toasts(sent.text) == ["Challenge sent to Player 10."]
    assert sent.headers.get("HX-Trigger") == '{"social-changed":null}'
    (challenge_id, *_), = site.challenges(a, b)

    def challenge(**fields):
        return {"opponent": b, "ruleset": "freestyle", "size": "15", "colour": "random"} | fields

    cases = [
        ("challenge a non-friend", a, "/challenges/", challenge(opponent=stranger), 403),
        ("bad ruleset", a, "/challenges/", challenge(ruleset="chess"), 422),
        ("bad size", a, "/challenges/", challenge(size="13"), 422),
        ("bad colour", a, "/challenges/", challenge(colour="green"), 422),
        ("challenge an unknown player", a, "/challenges/", challenge(opponent="nobody-here"), 404),
        ("respond to someone else's challenge", stranger, f"/challenges/{challenge_id}/respond/", {"answer": "accept"}, 404),
        ("the challenger accepts", a, f"/challenges/{challenge_id}/respond/", {"answer": "accept"}, 403),
        ("friend request to self", a, "/friends/request/", {"username": a}, 422),
        ("friend request to an unknown player", a, "/friends/request/", {"username": "nobody-here"}, 404),
        ("friend request to a friend", b, "/friends/request/", {"username": a}, 409),
    ]
    outcomes = []
    for name, who, path, fields, status in cases:
        for htmx in (True, False):
            before = site.snapshot()
            response = site.post(who, path, fields, htmx=htmx)
            outcomes.append((name, htmx, response.status_code, status))
            assert response.status_code == status, (name, htmx, response.status_code, response.text[:300])
            assert site.snapshot() == before, (name, htmx)

    # Accepting twice: the first creates the game, the second is refused and changes nothing.
    first = site.post(b, f"/challenges/{challenge_id}/respond/", {"answer": "accept"})
    assert first.status_code == 200 and re.fullmatch(r"/games/\d+/", first.headers.get("HX-Redirect", "")), \
        (first.status_code, dict(first.headers), first.text[:300])
    game_id = int(first.headers["HX-Redirect"].split("/")[2])
    assert site.challenges(a, b)[0][4:] == ("accepted", game_id)
    for htmx in (True, False):
        before = site.snapshot()
        again = site.post(b, f"/challenges/{challenge_id}/respond/", {"answer": "accept"}, htmx=htmx)
        assert again.status_code == 409, again.text[:300]
        assert "This challenge is no longer open." in html.unescape(again.text)
        assert site.snapshot() == before

    # Reading: a search of more than 30 characters is refused; anonymous visitors go to the login form.
    assert site.get(a, "/friends/search/?q=" + "x" * 31).status_code == 400
    for path in ("/friends/", "/challenges/", "/dashboard/"):
        response = site.get(None, path)
        assert (response.status_code, response.headers.get("Location")) == (303, f"/accounts/login/?next={path}"), path


def test_without_javascript_the_search_results_are_a_full_page(site):
    response = site.get("player12", "/friends/search/?q=player1")
    assert response.status_code == 200
    assert 'id="friend-search-results"' in response.text
    assert response.text.lstrip().lower().startswith("<!doctype html>"), response.text[:200]
    assert 'class="site-header"' in response.text


# ---------------------------------------------------------------------------------------------
# 6. Decline, cancel and remove reach the other user's pages, and no one else's socket


def test_decline_cancel_and_remove_are_pushed_to_the_other_user_only(site):
    a, b, eve = "player13", "player14", "player15"
    ids = {u: site.user_id(u) for u in (a, b, eve)}
    pages = {(u, path): site.page(u, path) for u in (a, b) for path in ("/friends/", "/challenges/")}
    eve_member = site.member(eve)
    start = live.latest_notification_id(site.data_dir)
    # Eve's socket: a validly signed token for her own user id that lists B's topics.
    b_topics = [f"friends:{ids[b]}", f"challenges:{ids[b]}", f"dashboard:{ids[b]}", f"user:{ids[b]}"]
    token = live.sign_subscription(site.data_dir, ids[eve], b_topics + [f"user:{ids[eve]}"], int(time.time()) + 600)
    eve_page = LivePage(f"/ws/?t={token}&last={start}", token, start, "", "")

    def step(username, path, fields):
        response = site.post(username, path, fields)
        assert response.status_code == 200, (path, fields, response.status_code, response.text[:300])
        return toasts(response.text)

    async def scenario():
        async with ClientPool(site.base_url) as pool:
            clients = {key: await pool.open(page, site.member(key[0]), name=f"{key[0]} {key[1]}")
                       for key, page in pages.items()}
            eavesdropper = await pool.open(eve_page, eve_member, name="eve")
            await asyncio.to_thread(support.wait_until, lambda: site.online(a, "challenges:") and site.online(b, "challenges:")
                                    and site.online(a, "friends:") and site.online(b, "friends:")
                                    and site.online(eve, "user:"), 20, 0.02, "every socket subscribed")
            marks = {}

            async def act(username, path, fields):
                """Posts; the frames expected afterwards are looked for among those received from now on."""
                marks.update({key: len(client.frames) for key, client in clients.items()})
                return await asyncio.to_thread(step, username, path, fields)

            async def expect(username, path, needle, note):
                start = marks[(username, path)]
                return await clients[(username, path)].wait_for(
                    lambda c: next((f for f in c.frames[start:] if needle in f), None), what=note)

            # A asks; B declines; A's lists lose the waiting request (no toast for a refusal).
            assert await act(a, "/friends/request/", {"username": b}) == ["Friend request sent to Player 14."]
            await expect(b, "/friends/", "Player 13 wants to be your friend.", "B's toast")
            fid = site.friendship(a, b)[0]
            assert await act(b, f"/friends/{fid}/respond/", {"answer": "decline"}) == ["Request declined."]
            declined = await expect(a, "/friends/", 'id="friend-lists"', "A's lists after the decline")
            assert site.friendship(a, b)[2] == "declined"
            # Asked again, accepted this time.
            assert await act(a, "/friends/request/", {"username": b}) == ["Friend request sent to Player 14."]
            fid = site.friendship(a, b)[0]
            assert await act(b, f"/friends/{fid}/respond/", {"answer": "accept"}) == \
                ["You and Player 13 are now friends."]
            await expect(a, "/friends/", "Player 14 accepted your friend request.", "A's toast")

            # A challenges; B declines → A's challenges page gets the lists and a toast.
            terms = {"opponent": b, "ruleset": "caro", "size": "19", "colour": "random"}
            assert await act(a, "/challenges/", terms) == ["Challenge sent to Player 14."]
            offered = await expect(b, "/challenges/", 'id="challenge-lists"', "B's challenge lists")
            await expect(b, "/challenges/", "Player 13 challenges you to Caro on 19×19.", "B's challenge toast")
            (first_id, *_), = site.challenges(a, b)
            assert await act(b, f"/challenges/{first_id}/respond/", {"answer": "decline"}) == \
                ["Challenge declined."]
            await expect(a, "/challenges/", "Player 14 declined your challenge.", "A's decline toast")
            # A challenges again and cancels → B's lists are emptied.
            assert await act(a, "/challenges/", terms) == ["Challenge sent to Player 14."]
            await expect(b, "/challenges/", "Caro, 19×19, random colours", "the second challenge at B")
            second_id = site.challenges(a, b)[1][0]
            assert await act(a, f"/challenges/{second_id}/respond/", {"answer": "cancel"}) == \
                ["Challenge cancelled."]
            emptied = await expect(b, "/challenges/", "No challenges waiting.", "B's lists after the cancel")
            # A removes B → B's friend lists are pushed without A.
            assert await act(a, f"/friends/{fid}/remove/", {}) == ["Removed."]
            removed = await expect(b, "/friends/", "No friends yet", "B's lists after the removal")

            # Eve reconnects from the start: nothing of B's is replayed to her either. Then a toast to Eve herself:
            # once both her sockets have it, anything else meant for them would have come before it.
            replayed = await pool.open(eve_page, eve_member, name="eve again")
            await asyncio.to_thread(support.wait_until, lambda: support.db_query(
                site.data_dir, "SELECT count(*) FROM presence WHERE topic = ? AND user_id = ?",
                (f"user:{ids[eve]}", ids[eve]))[0][0] == 2, 20, 0.02, "Eve's second socket subscribed")
            await act(a, "/friends/request/", {"username": eve})
            for client in (eavesdropper, replayed):
                await client.wait_for_frame("Player 13 wants to be your friend.")
            return declined, offered, emptied, removed, list(eavesdropper.frames), list(replayed.frames)

    declined, offered, emptied, removed, eve_frames, eve_replayed = run(scenario())
    assert "Waiting for an answer" not in declined and 'hx-swap-oob="true"' in declined
    assert "Player 13 Caro, 19×19, random colours Accept and play Decline" in text_of(offered)
    assert "Challenges you sent None waiting." in text_of(emptied)
    assert "Player 13" not in text_of(removed)
    assert site.friendship(a, b) is None
    assert [row[4] for row in site.challenges(a, b)] == ["declined", "cancelled"]
    published = support.db_query(site.data_dir, "SELECT count(*) FROM notifications WHERE id > ? AND topic IN (?, ?, ?, ?)",
                                 (start, *b_topics))[0][0]
    assert published >= 10
    for frames in (eve_frames, eve_replayed):
        assert len(frames) == 1 and toasts(frames[0]) == ["Player 13 wants to be your friend. Friends"], frames
