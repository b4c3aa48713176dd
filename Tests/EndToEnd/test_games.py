"""The game page through the real stack: nginx (rendered from conf/nginx, /ws/ proxied to the bridge),
`gomoku-fcgi serve` and `gomoku-bridge` sharing one SQLite file seeded by `gomoku-fcgi seed-demo`; moves
posted over HTTP as htmx and as plain forms, the pushed board frames read by real WebSocket clients (both
players and a spectator), and Chromium with and without JavaScript clicking the board's cells.

Each test plays its own seeded game, so the tests do not depend on each other's order."""

from __future__ import annotations

import asyncio
import base64
import html
import json
import re
import signal
import threading

import pytest
import requests

import e2e_support as support
import live_support as live
from live_support import browser_wait
from e2e_support import FcgiServer, WebServer
from live_support import Bridge, ClientPool, LivePage, Member

pytestmark = pytest.mark.webserver

USERS, GAMES = 22, 10
SPECTATOR, NEWCOMER = "player21", "player22"  # in no game
LETTERS = "abcdefghijklmno"

# A move's push starts with whose turn it is (then only the cells that changed), or is the whole board.
BOARD_FRAME = re.compile(r'^<!--n:(\d+)--><div id="(?:turn|board)" ')
STONE = re.compile(r'<span id="p-(\d+)-(\d+)" class="cell (black|white)((?: last| win)*)" role="img" aria-label="([a-o]\d+) (black|white)"'
                   r'(?: hx-swap-oob="true")?></span>')
BUTTON = re.compile(r'<button id="p-\d+-\d+" class="cell" name="at" value="(\d+),(\d+)" aria-label="([a-o]\d+)"(?: hx-swap-oob="true")?></button>')
BOARD_OPEN = re.compile(r'<div id="turn" class="turn" data-turn="(black|white|over)" data-move="(\d+)"( hx-swap-oob="true")?>')
STATUS = re.compile(r'<p id="game-status" class="game-status"( hx-swap-oob="true")?>(.*?)</p>', re.S)
MOVE_LIST = re.compile(r'<ol id="move-list" class="move-list"( hx-swap-oob="true")?>(.*?)</ol>', re.S)
ERROR_PAGE = re.compile(r'<section class="card narrow error-page">\s*<p class="error-code">\d+</p>\s*<h1>(.*?)</h1>\s*'
                        r'<p>(.*?)</p>', re.S)
ALERT = re.compile(r'<div class="alert alert-error" role="alert"><strong>(.*?)\.</strong> (.*?)</div>', re.S)


def label(row: int, col: int) -> str:
    """The board's name of a point: column letter a–o from the left, row 15 at the top to 1 at the bottom."""
    return f"{LETTERS[col]}{15 - row}"


def run(coroutine, timeout: float = 60):
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


# ---------------------------------------------------------------------------------------------
# Reading the board's HTML


def stones(fragment: str) -> dict[str, tuple[str, set[str]]]:
    """{"h8": ("black", {"last"}), …} of every stone in `fragment`."""
    found = {}
    for row, col, colour, extra, name, colour_again in STONE.findall(fragment):
        assert colour == colour_again and label(int(row), int(col)) == name, fragment
        found[name] = (colour, set(extra.split()))
    return found


def buttons(fragment: str) -> dict[str, tuple[int, int]]:
    """{"h8": (7, 7), …} of every empty point that can be clicked."""
    return {name: (int(row), int(col)) for row, col, name in BUTTON.findall(fragment)}


def board_state(fragment: str) -> tuple[str, int]:
    """(data-turn, data-move) of the board (or of the move update) in `fragment`."""
    match = BOARD_OPEN.search(fragment)
    assert match, f"no board in {fragment[:500]}"
    return match.group(1), int(match.group(2))


def status_text(fragment: str) -> str:
    match = STATUS.search(fragment)
    assert match, f"no #game-status in {fragment[-800:]}"
    return html.unescape(match.group(2))


def move_list(fragment: str) -> list[tuple[str, str]]:
    match = MOVE_LIST.search(fragment)
    assert match, f"no #move-list in {fragment[-800:]}"
    return re.findall(r'<li class="(black|white)">([a-o]\d+)</li>', match.group(2))


def alert(fragment: str) -> tuple[str, str]:
    """(reason, message) of the htmx error fragment, or of the full error page a plain form gets."""
    match = ALERT.search(fragment) or ERROR_PAGE.search(fragment)
    assert match, f"no alert in {fragment[:1500]}"
    return html.unescape(match.group(1)), html.unescape(match.group(2))


def board_frames(client: live.LiveClient, start: int = 0) -> list[str]:
    return [frame for frame in client.frames[start:] if BOARD_FRAME.match(frame)]


# ---------------------------------------------------------------------------------------------
# The site


class GameSite(live.SignedInSite):
    """nginx → (app, bridge) on one database with the seeded players and games; members signed in once."""

    def __init__(self, data_dir, app: FcgiServer, bridge: Bridge, web: WebServer, seeded: dict):
        super().__init__(data_dir, app, bridge, web, password=seeded["users"][0]["password"])
        self.games = {game["id"]: (game["black"], game["white"]) for game in seeded["games"]}

    def page(self, username: str, game_id: int) -> LivePage:
        return live.live_page(self.base_url, self.member(username), f"/games/{game_id}/")

    def post(self, username: str, path: str, fields: dict, *, htmx: bool = True,
             token: str | None = None) -> requests.Response:
        """A POST through nginx as the board's htmx form sends it (HX-Request, the page's X-CSRF-Token header)
        or, with `htmx=False`, as a browser without JavaScript does (the hidden csrf_token field)."""
        member = self.member(username)
        token = token or member.csrf_token
        headers = {"Origin": self.base_url}
        data = dict(fields)
        if htmx:
            headers.update({"HX-Request": "true", "X-CSRF-Token": token,
                            "HX-Current-URL": self.base_url + path.rsplit("/", 2)[0] + "/"})
        else:
            data["csrf_token"] = token
        return requests.post(self.base_url + path, data=data, headers=headers, allow_redirects=False, timeout=30,
                             cookies=member.cookies)

    def move(self, username: str, game_id: int, row: int, col: int, number: int | None = None, **options):
        fields = {"at": f"{row},{col}"}
        if number is not None:
            fields["move"] = str(number)
        return self.post(username, f"/games/{game_id}/move/", fields, **options)

    def moves(self, game_id: int) -> list[tuple[int, int, int]]:
        return support.db_query(self.data_dir, "SELECT number, row, col FROM moves WHERE game_id = ? ORDER BY number",
                                (game_id,))

    def game_row(self, game_id: int) -> tuple:
        return support.db_query(self.data_dir, "SELECT status, result, move_count FROM games WHERE id = ?", (game_id,))[0]

    def notifications(self, game_id: int, after: int = 0) -> list[tuple[int, str]]:
        return support.db_query(self.data_dir, "SELECT id, html FROM notifications WHERE topic = ? AND id > ? ORDER BY id",
                                (f"game:{game_id}", after))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    support.need("nginx")
    data_dir = tmp_path_factory.mktemp("games-data")
    result = support.run_cli(data_dir, "seed-demo", "--users", str(USERS), "--games", str(GAMES), "--json")
    seeded = json.loads(result.stdout)
    with live.running_site(data_dir, "gmk-games-") as (app, bridge, web):
        yield GameSite(data_dir, app, bridge, web, seeded)


def test_seed_demo_pairs_the_players_into_fresh_games(site):
    assert site.games == {k: (f"player{2 * k - 1}", f"player{2 * k}") for k in range(1, GAMES + 1)}
    assert support.db_query(site.data_dir, "SELECT id, black_id, white_id, ruleset, board_size, status, result, move_count "
                                           "FROM games ORDER BY id") == \
        [(k, 2 * k - 1, 2 * k, "freestyle", 15, "active", None, 0) for k in range(1, GAMES + 1)]
    assert support.db_query(site.data_dir, "SELECT count(*) FROM moves") == [(0,)]
    names = support.db_query(site.data_dir, "SELECT username, display_name FROM users ORDER BY id")
    assert names == [(f"player{n}", f"Player {n}") for n in range(1, USERS + 1)]


# ---------------------------------------------------------------------------------------------
# 1. A move is answered with the fragments and pushed to every socket of the game


async def open_game_sockets(pool: ClientPool, site: GameSite, game_id: int, usernames: list[str]) -> dict[str, live.LiveClient]:
    """One socket per user with their page's ws-connect URL, cookies and Origin; returns when each one has
    received its own arrival in the game's presence list (it is then subscribed)."""
    clients = {}
    for username in usernames:
        page = await asyncio.to_thread(site.page, username, game_id)
        clients[username] = await pool.open(page, site.member(username), name=username)
    for username, client in clients.items():
        await client.wait_for(
            lambda c: any(f'id="presence-game-{game_id}"' in f and f'title="@{username}"' in f for f in c.frames),
            what=f"{username}'s arrival in presence-game-{game_id}")
    return clients


def test_a_move_is_answered_with_fragments_and_pushed_to_both_players_and_a_spectator(site):
    game_id = 1
    black, white = site.games[game_id]
    page = site.page(black, game_id)
    assert 'data-you="black"' in page.html
    assert f'hx-post="/games/{game_id}/move/"' in page.html and 'hx-swap="none"' in page.html
    assert board_state(page.html) == ("black", 1)
    assert len(buttons(page.html)) == 225 and not stones(page.html)
    assert status_text(page.html) == "Black (Player 1) to play · move 1"
    token_payload = base64.urlsafe_b64decode(page.token.split(".")[0] + "==").decode()
    # The page listens to its game and to the viewer's own topic (toasts, challenges).
    assert token_payload.split("|")[2].split(",")[0] == f"game:{game_id}", token_payload
    assert token_payload.split("|")[2].split(",")[1].startswith("user:"), token_payload

    async def scenario():
        async with ClientPool(site.base_url) as pool:
            clients = await open_game_sockets(pool, site, game_id, [black, white, SPECTATOR])
            marks = {name: len(client.frames) for name, client in clients.items()}
            response = await asyncio.to_thread(site.move, black, game_id, 7, 7, 1, token=page.csrf_token)
            frames = {}
            for name, client in clients.items():
                frames[name] = await client.wait_for(lambda c: board_frames(c, marks[name]), what="the board frame")
            return response, frames

    response, frames = run(scenario())
    assert response.status_code == 200, response.text[:500]
    assert response.headers.get("HX-Reswap") == "none"
    body = response.text
    # Only what changed (a few hundred bytes, not the 20 KB board): whose turn, the new stone, the status;
    # the push adds the move to every page's list (the mover's included), the answer does not.
    assert body.startswith('<div id="turn" class="turn" data-turn="white" data-move="2" hx-swap-oob="true">')
    assert body.count(' hx-swap-oob="true"') == 3 and 'id="board"' not in body and len(body) < 1000
    assert STATUS.search(body).group(1) and "move-list" not in body
    assert stones(body) == {"h8": ("black", {"last"})}
    assert not buttons(body)
    assert status_text(body) == "White (Player 2) to play · move 2"
    assert 'name="move" value="2"' in body
    assert 'name="csrf_token"' not in body  # pushed to everyone: no one's token in it

    # The socket closes above published presence changes after it: the move's is the one board notification.
    (notification_id, published), = [n for n in site.notifications(game_id, page.last) if BOARD_FRAME.match(f"<!--n:0-->{n[1]}")]
    assert published == body + '<ol hx-swap-oob="beforeend:#move-list"><li class="black">h8</li></ol>'
    for name, received in frames.items():
        assert len(received) == 1, (name, received)
        assert received[0] == f"<!--n:{notification_id}-->{published}", name
    assert site.moves(game_id) == [(1, 7, 7)]
    assert site.game_row(game_id) == ("active", None, 1)


# ---------------------------------------------------------------------------------------------
# 2. Refusals change nothing and publish nothing


REFUSALS = [
    # (name, who, fields, htmx, status, message); "_action" posts elsewhere than move/, "_token" sends another
    # CSRF token than the page's; a message ending in "…" is a prefix.
    ("not your turn", "black", {"at": "0,0", "move": "2"}, True, 409, "It is White's turn, not yours."),
    ("not your turn, no move number", "black", {"at": "0,0"}, True, 409, "It is White's turn, not yours."),
    ("stale move number", "white", {"at": "0,0", "move": "1"}, True, 409,
     "This position has changed since you chose your move; the move you answered was already played. Look at the board again."),
    ("occupied", "white", {"at": "7,7", "move": "2"}, True, 422, "There is already a stone on that point."),
    ("off the board", "white", {"at": "15,0", "move": "2"}, True, 422, "That point is off the 15×15 board."),
    ("off the board, negative", "white", {"row": "-1", "col": "3", "move": "2"}, True, 422, "That point is off the 15×15 board."),
    ("spectator", "spectator", {"at": "0,0", "move": "2"}, True, 403, "You are watching this game; only its players can move."),
    ("garbage at", "white", {"at": "h8", "move": "2"}, True, 400, "Choose a point on the board (row and column)."),
    ("no point at all", "white", {"move": "2"}, True, 400, "Choose a point on the board (row and column)."),
    ("move number not a number", "white", {"at": "0,0", "move": "two"}, True, 400,
     "The move number must be a positive whole number."),
    ("move number from the future", "white", {"at": "0,0", "move": "1000"}, True, 422, "There is no move 1000 yet; the next move is number 2."),
    ("forged CSRF token", "white", {"at": "0,0", "move": "2", "_token": "forged-token"}, True, 403,
     "The form's security token is out of date. Reload the page and try again."),
    ("spectator resigns", "spectator", {"_action": "resign"}, True, 403, "Only the players can resign this game."),
    ("not your turn, plain form", "black", {"at": "0,0", "move": "2"}, False, 409, "It is White's turn, not yours."),
    ("occupied, plain form", "white", {"at": "7,7", "move": "2"}, False, 422, "There is already a stone on that point."),
]


def test_refused_moves_answer_with_the_reason_and_change_or_publish_nothing(site):
    game_id = 2
    black, white = site.games[game_id]
    who = {"black": black, "white": white, "spectator": SPECTATOR}
    tokens = {role: site.page(username, game_id).csrf_token for role, username in who.items()}
    first = site.move(black, game_id, 7, 7, 1, token=tokens["black"])
    assert first.status_code == 200, first.text[:300]

    moves_before, game_before = site.moves(game_id), site.game_row(game_id)
    answers = {}

    async def scenario():
        async with ClientPool(site.base_url) as pool:
            clients = await open_game_sockets(pool, site, game_id, [black, white, SPECTATOR])
            marks = {name: len(client.frames) for name, client in clients.items()}
            last_note = await asyncio.to_thread(live.latest_notification_id, site.data_dir)
            for name, role, fields, htmx, _, _ in REFUSALS:
                fields = dict(fields)
                path = f"/games/{game_id}/{fields.pop('_action', 'move')}/"
                token = fields.pop("_token", tokens[role])
                answers[name] = await asyncio.to_thread(site.post, who[role], path, fields, htmx=htmx, token=token)
            changed = (await asyncio.to_thread(site.moves, game_id), await asyncio.to_thread(site.game_row, game_id),
                       await asyncio.to_thread(site.notifications, game_id, last_note))
            # A sentinel: White's real move. Frames arrive in order, so anything a refusal had published
            # would be in front of it.
            sentinel = await asyncio.to_thread(site.move, white, game_id, 6, 6, 2, token=tokens["white"])
            assert sentinel.status_code == 200, sentinel.text[:300]
            received = {}
            for name, client in clients.items():
                await client.wait_for(lambda c: any("g9 white" in f for f in board_frames(c, marks[name])),
                                      what="the sentinel's board frame")
                received[name] = client.frames[marks[name]:]
            return changed, received

    (moves_after, game_after, published), received = run(scenario())
    problems = []
    for name, role, fields, htmx, status, message in REFUSALS:
        response = answers[name]
        if response.status_code != status:
            problems.append(f"{name}: {fields} → {response.status_code}, expected {status}: {response.text[:300]}")
            continue
        if htmx:
            if (response.headers.get("HX-Retarget"), response.headers.get("HX-Reswap")) != ("#messages", "innerHTML"):
                problems.append(f"{name}: headers {dict(response.headers)}")
            if not response.text.startswith('<div class="alert alert-error" role="alert">'):
                problems.append(f"{name}: body {response.text[:300]}")
        else:
            if "<!doctype html>" not in response.text.lower() or "HX-Retarget" in response.headers:
                problems.append(f"{name}: not a full error page: {response.text[:300]}")
        actual = alert(response.text)[1]
        if not (actual == message or (message.endswith("…") and actual.startswith(message[:-1]))):
            problems.append(f"{name}: message {alert(response.text)!r}, expected {message!r}")
        if 'id="board"' in response.text:
            problems.append(f"{name}: a board came with the refusal")
    assert not problems, "\n".join(problems)

    assert moves_after == moves_before == [(1, 7, 7)]
    assert game_after == game_before == ("active", None, 1)
    assert published == []
    for name, frames in received.items():
        assert len(frames) == 1 and "g9 white" in frames[0], (name, frames)
    assert site.moves(game_id) == [(1, 7, 7), (2, 6, 6)]


def test_after_resigning_a_move_is_refused_and_nothing_is_published(site):
    game_id = 3
    black, white = site.games[game_id]
    page = site.page(white, game_id)
    assert 'class="resign-form"' in page.html and f'action="/games/{game_id}/resign/"' in page.html
    assert 'hx-confirm="Resign this game? Your opponent wins."' in page.html
    assert site.move(black, game_id, 7, 7, 1).status_code == 200

    async def scenario():
        async with ClientPool(site.base_url) as pool:
            clients = await open_game_sockets(pool, site, game_id, [black, SPECTATOR])
            marks = {name: len(client.frames) for name, client in clients.items()}
            resigned = await asyncio.to_thread(site.post, white, f"/games/{game_id}/resign/", {}, token=page.csrf_token)
            for name, client in clients.items():
                await client.wait_for(lambda c: board_frames(c, marks[name]), what="the resignation's board frame")
            marks = {name: len(client.frames) for name, client in clients.items()}
            last = await asyncio.to_thread(live.latest_notification_id, site.data_dir)
            refusals = [await asyncio.to_thread(site.move, black, game_id, 0, 0, 2),
                        await asyncio.to_thread(site.move, white, game_id, 0, 0, 2, htmx=False),
                        await asyncio.to_thread(site.post, black, f"/games/{game_id}/resign/", {})]
            published = await asyncio.to_thread(site.notifications, game_id, last)
            # A sentinel: someone new arrives, and the game's presence list changes.
            await open_game_sockets(pool, site, game_id, [NEWCOMER])
            for name, client in clients.items():
                await client.wait_for(lambda c: any(f'title="@{NEWCOMER}"' in f for f in c.frames[marks[name]:]),
                                      what="the newcomer's arrival")
            return resigned, refusals, published, {name: client.frames[marks[name]:] for name, client in clients.items()}

    resigned, refusals, published, received = run(scenario())
    assert resigned.status_code == 200, resigned.text[:300]
    assert board_state(resigned.text) == ("over", 2)
    assert status_text(resigned.text) == "White (Player 6) resigned; Black (Player 5) wins."
    assert not buttons(resigned.text)
    for response in refusals:
        assert response.status_code == 409, response.text[:300]
        assert alert(response.text)[1] == "This game is over; no more moves can be made."
    assert published == []
    for name, frames in received.items():
        assert len(frames) == 1 and f'id="presence-game-{game_id}"' in frames[0], (name, frames)
    assert site.moves(game_id) == [(1, 7, 7)]
    assert site.game_row(game_id)[1] == "black:resign"
    page = site.page(black, game_id)
    assert status_text(page.html) == "White (Player 6) resigned; Black (Player 5) wins."
    assert 'class="resign-form"' not in page.html


# ---------------------------------------------------------------------------------------------
# 3. Double submit


def test_two_concurrent_posts_for_the_same_move_number_one_wins_one_gets_409(site):
    game_id = 4
    black, white = site.games[game_id]
    tokens = {username: site.page(username, game_id).csrf_token for username in (black, white)}
    rounds = [(black, (7, 7), (7, 8)), (white, (6, 6), (6, 7)), (black, (8, 8), (8, 9)), (white, (5, 5), (5, 6))]
    outcomes = []
    for number, (username, a, b) in enumerate(rounds, start=1):
        barrier = threading.Barrier(2)
        results: dict[tuple, requests.Response] = {}

        def submit(point):
            barrier.wait(timeout=10)
            results[point] = site.move(username, game_id, *point, number, token=tokens[username])

        threads = [threading.Thread(target=submit, args=(point,)) for point in (a, b)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        statuses = sorted(response.status_code for response in results.values())
        outcomes.append((number, statuses, {p: r.text[:200] for p, r in results.items() if r.status_code != 200}))
        assert statuses == [200, 409], outcomes
        loser = next(r for r in results.values() if r.status_code == 409)
        assert alert(loser.text)[1].startswith("This position has changed since you chose your move")
        winner = next(p for p, r in results.items() if r.status_code == 200)
        assert site.moves(game_id)[-1] == (number, *winner)
    assert len(site.moves(game_id)) == len(rounds)
    assert len(site.notifications(game_id)) >= len(rounds)
    assert sum(1 for _, text in site.notifications(game_id) if text.startswith('<div id="turn"')) == len(rounds)


# ---------------------------------------------------------------------------------------------
# 4. Five in a row


def test_five_in_a_row_wins_and_the_game_is_over(site):
    game_id = 5
    black, white = site.games[game_id]
    plan = []
    for n in range(5):
        plan.append((black, (7, 3 + n)))
        if n < 4:
            plan.append((white, (0, n)))
    for number, (username, (row, col)) in enumerate(plan[:-1], start=1):
        # Alternately as htmx and as a plain form (303 back to the page).
        htmx = number % 2 == 1
        response = site.move(username, game_id, row, col, number, htmx=htmx)
        assert response.status_code == (200 if htmx else 303), (number, response.status_code, response.text[:300])
        if not htmx:
            assert response.headers["Location"] == f"/games/{game_id}/"
    response = site.move(black, game_id, 7, 7, len(plan))
    assert response.status_code == 200, response.text[:300]
    body = response.text
    assert board_state(body) == ("over", 10)
    assert status_text(body) == "Black (Player 9) won with five in a row."
    winners = {name for name, (colour, extra) in stones(body).items() if "win" in extra}
    assert winners == {label(7, c) for c in range(3, 8)} == {"d8", "e8", "f8", "g8", "h8"}
    assert stones(body)["h8"] == ("black", {"last", "win"})
    assert all(colour == "black" for name, (colour, _) in stones(body).items() if name in winners)
    assert not buttons(body) and "<button" not in body.split('<p id="game-status"')[0]
    assert len(stones(body)) == 9
    assert site.game_row(game_id)[1:] == ("black:five", 9)

    after = site.move(white, game_id, 1, 1, 10)
    assert after.status_code == 409, after.text[:300]
    assert alert(after.text)[1] == "This game is over; no more moves can be made."
    assert len(site.moves(game_id)) == 9

    for username in (black, white, SPECTATOR):
        page = site.page(username, game_id).html
        assert status_text(page) == "Black (Player 9) won with five in a row."
        assert board_state(page)[0] == "over"
        assert {name for name, (_, extra) in stones(page).items() if "win" in extra} == winners
        assert not buttons(page) and 'class="resign-form"' not in page
        assert move_list(page) == [("black" if i % 2 == 0 else "white", label(*point)) for i, (_, point) in enumerate(plan)]


# ---------------------------------------------------------------------------------------------
# 5–6. Chromium


def open_game(driver, site: GameSite, member: Member, game_id: int) -> None:
    """Carries `member`'s session into the browser (as test_realtime does) and opens the game page."""
    driver.get(site.base_url + "/healthz")
    for name, value in member.cookies.items():
        driver.add_cookie({"name": name, "value": value, "path": "/", "httpOnly": name == "gomoku_session"})
    driver.get(site.base_url + f"/games/{game_id}/")




BOARD_STATE_JS = """
var board = document.getElementById('board');
var turn = document.getElementById('turn');
return {turn: turn.dataset.turn, move: turn.dataset.move,
        stones: Array.from(board.querySelectorAll('span.cell[role=img]')).map(e => e.getAttribute('aria-label')),
        status: document.getElementById('game-status').textContent,
        moves: Array.from(document.querySelectorAll('#move-list li')).map(e => e.className + ' ' + e.textContent),
        presence: Array.from(document.querySelectorAll('.presence .presence-user')).map(e => e.title),
        document: document.body.dataset.e2eDocument || null};
"""


def board_in(driver) -> dict:
    return driver.execute_script(BOARD_STATE_JS)


def open_game_live(driver, site: GameSite, username: str, game_id: int) -> None:
    """`open_game`, then waits until the page's socket is subscribed (its user is under Here now)."""
    open_game(driver, site, site.member(username), game_id)
    browser_wait(driver, lambda d: f"@{username}" in board_in(d)["presence"], f"{username}'s socket subscribed")


# Known and harmless, so not failures here (see the report of this file's author):
# - /healthz, opened to set the cookies, has no icon link, so Chromium asks for /favicon.ico (404);
# - when the pushed frame reaches the mover's page before the answer to its own POST, the push replaces the
#   board and with it the form that sent the request; htmx then looks for the answer's out-of-band targets
#   under that detached form and logs "htmx:oobErrorNoTarget, #board" (and #game-status, #move-list). The
#   page shows the right position anyway: the push carried the same fragments.
TOLERATED = re.compile(r'/favicon\.ico - Failed to load resource|"htmx:oobErrorNoTarget, #(board|game-status|move-list)"$')


def tolerated(message: str) -> bool:
    return bool(TOLERATED.search(message))


def pointer_events(driver, name: str) -> str:
    return driver.execute_script("return getComputedStyle(document.querySelector("
                                 "'#board button.cell[aria-label=\"' + arguments[0] + '\"]')).pointerEvents;", name)


def click_cell(driver, name: str) -> None:
    from selenium.webdriver.common.by import By
    driver.find_element(By.CSS_SELECTOR, f'#board button.cell[aria-label="{name}"]').click()


@pytest.mark.browser
def test_two_browsers_play_and_each_move_is_pushed_to_the_other(site, chrome):
    game_id = 6
    black, white = site.games[game_id]
    drivers = {black: chrome(), white: chrome()}
    for username, driver in drivers.items():
        open_game(driver, site, site.member(username), game_id)
    for driver in drivers.values():
        browser_wait(driver, lambda d: {f"@{black}", f"@{white}"} <= set(board_in(d)["presence"]),
                     "both players under Here now (both sockets open)")
        driver.execute_script("document.body.dataset.e2eDocument = 'original';")
        assert board_in(driver)["status"] == "Black (Player 11) to play · move 1"

    click_cell(drivers[black], "h8")
    for username, driver in drivers.items():
        browser_wait(driver, lambda d: "h8 black" in board_in(d)["stones"], f"h8 black at {username}")
        state = board_in(driver)
        assert state["status"] == "White (Player 12) to play · move 2", (username, state)
        assert (state["turn"], state["move"], state["stones"], state["moves"]) == ("white", "2", ["h8 black"], ["black h8"])
    assert site.moves(game_id) == [(1, 7, 7)]
    # Only the player to move can click (CSS); the server would refuse the other anyway (tested above).
    assert pointer_events(drivers[black], "j9") == "none"
    assert pointer_events(drivers[white], "j9") == "auto"

    click_cell(drivers[white], "j9")
    for username, driver in drivers.items():
        browser_wait(driver, lambda d: "j9 white" in board_in(d)["stones"], f"j9 white at {username}")
        state = board_in(driver)
        assert state["status"] == "Black (Player 11) to play · move 3", (username, state)
        assert sorted(state["stones"]) == ["h8 black", "j9 white"]
        assert state["moves"] == ["black h8", "white j9"]
        # Pushed and swapped into the same document: no reload, no navigation.
        assert state["document"] == "original"
        assert driver.current_url == site.base_url + f"/games/{game_id}/"
        errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert not [message for message in errors if not tolerated(message)], (username, errors)
    assert site.moves(game_id) == [(1, 7, 7), (2, 6, 9)] and label(6, 9) == "j9"


@pytest.mark.browser
def test_a_game_page_offline_while_moves_are_made_gets_each_of_them_once_on_reconnecting(site, chrome):
    """The move list grows by appended items, which relies on every page getting each push exactly once:
    a page whose socket was down while three moves were made has them all, once and in order, after the
    bridge returns — replayed into the same document, not reloaded."""
    game_id = 10
    black, white = site.games[game_id]
    driver = chrome()
    open_game_live(driver, site, white, game_id)
    driver.execute_script("document.body.dataset.e2eDocument = 'original';")
    assert site.move(black, game_id, 7, 7, 1).status_code == 200
    browser_wait(driver, lambda d: board_in(d)["moves"] == ["black h8"], "the first move, live")

    assert site.bridge.stop(signal.SIGTERM) == 0
    browser_wait(driver, lambda d: d.execute_script("return document.documentElement.dataset.live") == "offline",
                 "the page offline")
    for number, (username, point) in enumerate([(white, (6, 9)), (black, (8, 8)), (white, (5, 10))], start=2):
        assert site.move(username, game_id, *point, number).status_code == 200
    site.bridge.start()
    expected = ["black h8", "white j9", "black i7", "white k10"]
    browser_wait(driver, lambda d: board_in(d)["moves"] == expected, "the three missed moves, replayed", timeout=60)
    state = board_in(driver)
    assert sorted(state["stones"]) == ["h8 black", "i7 black", "j9 white", "k10 white"]
    assert (state["turn"], state["move"], state["status"]) == ("black", "5", "Black (Player 19) to play · move 5")
    assert state["document"] == "original" and site.bridge.metric("gomoku_bridge_replay_gaps_total") == 0
    # Nothing else arrives later to add to the list.
    assert site.move(black, game_id, 9, 9, 5).status_code == 200
    browser_wait(driver, lambda d: board_in(d)["moves"] == expected + ["black j6"], "the next move, live again")


@pytest.mark.browser
def test_without_javascript_a_click_posts_the_form_and_comes_back_to_the_game(site, chrome):
    game_id = 7
    black, _ = site.games[game_id]
    driver = chrome(javascript=False)
    open_game(driver, site, site.member(black), game_id)
    page = driver.page_source
    assert 'data-you="black"' in page
    click_cell(driver, "h8")
    browser_wait(driver, lambda d: 'aria-label="h8 black"' in d.page_source, "the page with the black stone on h8")
    assert driver.current_url == site.base_url + f"/games/{game_id}/"
    page = driver.page_source
    assert 'data-turn="white" data-move="2"' in page
    assert "White (Player 14) to play · move 2" in html.unescape(page)
    assert site.moves(game_id) == [(1, 7, 7)]


FOCUS_JS = """
var cell = document.activeElement;
return {label: cell && cell.getAttribute('aria-label'), tabbable: document.querySelectorAll('#board .cell[tabindex="0"]').length,
        announcer: document.getElementById('move-announcer').textContent,
        live: document.getElementById('move-announcer').getAttribute('aria-live')};
"""

OPTIMISTIC_JS = """
var cell = document.querySelector('#board button.cell[aria-label="' + arguments[0] + '"]');
var form = document.getElementById('board-form');
return {inFlight: form.classList.contains('htmx-request'),
        stone: cell ? getComputedStyle(cell, '::after').backgroundImage : null,
        messages: document.getElementById('messages').textContent};
"""


@pytest.mark.browser
def test_the_board_is_played_by_keyboard_and_moves_are_announced(site, chrome):
    from selenium.webdriver.common.keys import Keys
    game_id = 8
    black, white = site.games[game_id]
    driver = chrome()
    open_game_live(driver, site, black, game_id)
    # One cell in the tab order (the centre on an empty board); arrows move, Enter plays.
    driver.execute_script("document.querySelector('#board .cell[tabindex=\"0\"]').focus();")
    state = driver.execute_script(FOCUS_JS)
    assert (state["label"], state["tabbable"], state["live"]) == ("h8", 1, "polite"), state
    active = driver.switch_to.active_element
    for key in (Keys.ARROW_UP, Keys.ARROW_UP, Keys.ARROW_RIGHT):
        active.send_keys(key)
        active = driver.switch_to.active_element
    assert driver.execute_script(FOCUS_JS)["label"] == "i10"
    active.send_keys(Keys.ENTER)
    browser_wait(driver, lambda d: "i10 black" in board_in(d)["stones"], "the stone played by Enter")
    assert site.moves(game_id) == [(1, 5, 8)]
    browser_wait(driver, lambda d: d.execute_script(FOCUS_JS)["announcer"].startswith("Black played i10."), "the announcement")
    # The pushed move replaced the played cell (a stone now); the focus is back on that point.
    browser_wait(driver, lambda d: d.execute_script(FOCUS_JS)["label"] == "i10 black", "the focus back on the played point")
    driver.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
    assert driver.execute_script(FOCUS_JS)["label"] == "i9"
    assert site.move(white, game_id, 7, 7).status_code == 200
    browser_wait(driver, lambda d: "h8 white" in board_in(d)["stones"], "the opponent's move pushed")
    state = driver.execute_script(FOCUS_JS)
    assert state["label"] == "i9" and state["tabbable"] == 1, state
    assert state["announcer"] == "White played h8. Black (Player 15) to play · move 3", state
    # Edges stop the cursor instead of wrapping.
    driver.execute_script("document.querySelector('#board .cell[aria-label=\"a15\"]').focus();")
    for key in (Keys.ARROW_UP, Keys.ARROW_LEFT):
        driver.switch_to.active_element.send_keys(key)
    assert driver.execute_script(FOCUS_JS)["label"] == "a15"
    driver.switch_to.active_element.send_keys(Keys.END)
    assert driver.execute_script(FOCUS_JS)["label"] == "o15"


@pytest.mark.browser
def test_a_stone_shows_at_once_while_the_move_is_in_flight_and_goes_when_refused(site, chrome):
    from selenium.webdriver.common.keys import Keys
    game_id = 9
    black, white = site.games[game_id]
    driver = chrome()
    open_game_live(driver, site, black, game_id)
    # Hold move requests in the browser (DevTools' request interception), so the in-flight state can be seen.
    def hold_moves():
        driver.execute_cdp_cmd("Fetch.enable", {"patterns": [{"urlPattern": "*/move/", "requestStage": "Request"}]})

    def release_moves():
        driver.execute_cdp_cmd("Fetch.disable", {})

    hold_moves()
    driver.execute_script("document.querySelector('#board button.cell[aria-label=\"h8\"]').focus();")
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    browser_wait(driver, lambda d: d.execute_script(OPTIMISTIC_JS, "h8")["inFlight"], "the move in flight")
    shown = driver.execute_script(OPTIMISTIC_JS, "h8")
    assert "radial-gradient" in shown["stone"], shown
    assert site.moves(game_id) == [], "held in the browser, not yet at the server"
    release_moves()
    browser_wait(driver, lambda d: "h8 black" in board_in(d)["stones"], "the confirmed stone", timeout=15)

    # Not our turn now: the cell cannot be clicked, but Enter still posts; the server refuses and the stone goes.
    hold_moves()
    driver.execute_script("document.querySelector('#board button.cell[aria-label=\"j9\"]').focus();")
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    browser_wait(driver, lambda d: d.execute_script(OPTIMISTIC_JS, "j9")["inFlight"], "the refused move in flight")
    assert "radial-gradient" in driver.execute_script(OPTIMISTIC_JS, "j9")["stone"]
    release_moves()
    browser_wait(driver, lambda d: not d.execute_script(OPTIMISTIC_JS, "j9")["inFlight"], "the refusal", timeout=15)
    after = driver.execute_script(OPTIMISTIC_JS, "j9")
    assert after["stone"] == "none" and "turn, not yours" in after["messages"], after
    assert site.moves(game_id) == [(1, 7, 7)]
    assert "j9 black" not in board_in(driver)["stones"]


GAME_ROW_JS = """
var row = document.getElementById('game-row-' + arguments[0]);
return {row: row ? Array.from(row.cells).map(c => c.textContent) : null,
        news: document.getElementById('games-news').textContent.trim(), rows: document.querySelectorAll('#games-results tbody tr').length};
"""


@pytest.mark.browser
def test_the_games_list_updates_its_rows_live(site, chrome):
    driver = chrome()
    open_game(driver, site, site.member(SPECTATOR), 1)
    driver.get(site.base_url + "/games/?status=all&ruleset=any&page=1")
    browser_wait(driver, lambda d: d.execute_script("return document.documentElement.dataset.live") == "online",
                 "the list's socket open")
    before = driver.execute_script(GAME_ROW_JS, 9)["row"]
    moves_before = int(before[4])
    black, white = site.games[9]
    player = white if moves_before % 2 else black
    free = next((r, c) for r in range(15) for c in range(15) if (r, c) not in {(m[1], m[2]) for m in site.moves(9)})
    assert site.move(player, 9, *free).status_code == 200
    browser_wait(driver, lambda d: d.execute_script(GAME_ROW_JS, 9)["row"][4] == str(moves_before + 1), "the pushed row")
    row = driver.execute_script(GAME_ROW_JS, 9)["row"]
    assert row[5] == ("Black to play" if (moves_before + 1) % 2 == 0 else "White to play"), row
    assert driver.execute_script(GAME_ROW_JS, 9)["rows"] == GAMES


# ---------------------------------------------------------------------------------------------
# 7. Who may see the page


def test_anonymous_visitors_go_to_login_unknown_games_are_404_spectators_get_no_resign_button(site):
    response = requests.get(site.base_url + "/games/1/", allow_redirects=False, timeout=30)
    assert (response.status_code, response.headers["Location"]) == (303, "/accounts/login/?next=/games/1/")
    # htmx asking for it is sent there too.
    response = requests.get(site.base_url + "/games/1/", headers={"HX-Request": "true"}, allow_redirects=False, timeout=30)
    assert response.headers.get("HX-Redirect") == "/accounts/login/?next=/games/1/"

    spectator = site.member(SPECTATOR)
    missing = requests.get(site.base_url + "/games/999/", cookies=spectator.cookies, allow_redirects=False, timeout=30)
    assert missing.status_code == 404
    assert "There is no game 999." in html.unescape(missing.text)

    page = site.page(SPECTATOR, 1).html
    assert 'data-you="spectator"' in page and "you are watching" in page
    assert 'class="resign-form"' not in page and "/resign/" not in page and ">Resign<" not in page
    # The board is there (the CSS makes it inert for spectators); the server refuses their moves anyway.
    assert board_state(page)[0] in ("black", "white")

    player_page = site.page(site.games[1][0], 1).html
    assert 'class="resign-form"' in player_page and 'data-you="black"' in player_page
