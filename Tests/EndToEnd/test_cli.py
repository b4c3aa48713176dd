"""`gomoku-cli`, the terminal client, against the real stack: nginx (rendered from conf/nginx), `gomoku-fcgi serve`
and `gomoku-bridge` on one SQLite file seeded by `gomoku-fcgi seed-demo`, through the JSON API (docs/api.md).

Every test runs the CLI with its own HOME (so its own config file) and its own seeded players, so the tests do
not depend on each other's order. `play` runs in a real terminal: a tmux session on a private tmux server,
read with capture-pane, driven with send-keys."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest
import requests

import e2e_support as support
import live_support as live
from e2e_support import wait_until

pytestmark = pytest.mark.webserver

CLI = Path(os.environ.get("GOMOKU_CLI_BIN") or support.BIN.parent / "gomoku-cli")
USERS = 24
PASSWORD = "Quartz-Lantern-8842"
LETTERS = "abcdefghijklmnopqrs"


# ---------------------------------------------------------------------------------------------
# The site and the CLI


class CliSite:
    def __init__(self, data_dir: Path, web: support.WebServer):
        self.data_dir = data_dir
        self.web = web

    @property
    def url(self) -> str:
        return self.web.base_url

    def api(self, method: str, path: str, token: str | None = None, body: dict | None = None) -> requests.Response:
        """A JSON API call straight over HTTP (what another client, e.g. the opponent's, does)."""
        headers = {"Authorization": f"Token {token}"} if token else {}
        return requests.request(method, self.url + "/api/v1/" + path, json=body, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    support.need("nginx")
    assert CLI.is_file() and os.access(CLI, os.X_OK), f"{CLI} is missing: swift build --product gomoku-cli"
    data_dir = tmp_path_factory.mktemp("cli-data")
    support.run_cli(data_dir, "seed-demo", "--users", str(USERS), "--games", "0", "--password", PASSWORD, "--json")
    with live.running_site(data_dir, "gmk-cli-") as (app, bridge, web):
        yield CliSite(data_dir, web)


class Cli:
    """gomoku-cli with its own HOME (hence its own ~/.config/gomoku/config.json) and no GOMOKU_* from outside."""

    def __init__(self, home: Path, site: CliSite):
        self.home = home
        self.site = site
        home.mkdir(parents=True, exist_ok=True)

    @property
    def config_path(self) -> Path:
        return self.home / ".config" / "gomoku" / "config.json"

    def env(self, **extra: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("GOMOKU_") and key != "XDG_CONFIG_HOME"}
        env["HOME"] = str(self.home)
        env.update(extra)
        return env

    def run(self, *args: str, input: str | None = None, check: bool = True, env: dict | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
        result = subprocess.run([str(CLI), *args], input=input, capture_output=True, text=True, timeout=timeout,
                                env=env or self.env(), stdin=None if input is not None else subprocess.DEVNULL)
        if check:
            assert result.returncode == 0, (f"gomoku-cli {' '.join(args)} exited {result.returncode}\n"
                                            f"stdout: {result.stdout}\nstderr: {result.stderr}")
        return result

    def login(self, username: str, profile: str | None = None, *extra: str) -> subprocess.CompletedProcess:
        args = ["login", "--url", self.site.url, "--username", username, "--password-stdin", *extra]
        if profile:
            args += ["--profile", profile]
        return self.run(*args, input=PASSWORD + "\n")

    def config(self) -> dict:
        return json.loads(self.config_path.read_text())

    def profile(self, name: str) -> dict:
        return self.config()["profiles"][name]

    def token(self, name: str) -> str:
        return self.profile(name)["token"]


def make_friends(cli: Cli, first: str, second: str) -> None:
    """Only friends can challenge each other: `first` asks, `second` accepts (both are profiles of `cli`)."""
    cli.run("befriend", cli.profile(second)["username"], "--profile", first)
    assert "now friends" in cli.run("befriend", cli.profile(first)["username"], "--profile", second).stdout


def new_game(cli: Cli, black: str, white: str) -> int:
    """A fresh game, black = profile `black`, through challenge + accept with the CLI; returns its id."""
    make_friends(cli, black, white)
    sent = cli.run("challenge", cli.profile(white)["username"], "--colour", "black", "--profile", black)
    challenge_id = int(re.search(r"Challenge (\d+) sent", sent.stdout).group(1))
    return int(cli.run("accept", str(challenge_id), "--profile", white).stdout.strip())


def refusal(site: CliSite, token: str, game_id: int, point: str, number: int) -> dict:
    """What the API says when `token`'s player asks for `point` as move `number` (expected to be refused)."""
    row, col = 15 - int(point[1:]), LETTERS.index(point[0])
    response = site.api("POST", f"games/{game_id}/move/", token, {"row": row, "col": col, "move_number": number})
    assert response.status_code >= 400, response.text
    return response.json()


# ---------------------------------------------------------------------------------------------
# Login, profiles, the config file


def test_login_keeps_two_profiles_in_a_private_config_file(site, tmp_path):
    cli = Cli(tmp_path / "home", site)
    first = cli.login("player1")
    assert "Logged in as player1" in first.stdout and '"player1" (default)' in first.stdout

    # ~/.config/gomoku/ is 0700 and config.json 0600: the file holds bearer tokens.
    assert stat.S_IMODE(cli.config_path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(cli.config_path.stat().st_mode) == 0o600
    config = cli.config()
    assert config["default_profile"] == "player1"
    profile = config["profiles"]["player1"]
    assert profile["url"] == site.url and profile["username"] == "player1"
    assert profile["expires_at"] - time.time() > 6 * 86400

    # A second account in its own profile; the first stays the default.
    cli.login("player2", "second")
    assert set(cli.config()["profiles"]) == {"player1", "second"}
    listing = cli.run("profiles").stdout
    assert re.search(r"^\*\s+player1\s+player1\s+" + re.escape(site.url), listing, re.M), listing
    assert re.search(r"^\s+second\s+player2\s+", listing, re.M), listing

    # --profile, then GOMOKU_PROFILE, then the default.
    assert cli.run("whoami").stdout.startswith("player1 (Player 1)")
    assert cli.run("whoami", "--profile", "second").stdout.startswith("player2 (Player 2)")
    assert cli.run("whoami", env=cli.env(GOMOKU_PROFILE="second")).stdout.startswith("player2")
    assert cli.run("whoami", "--profile", "player1", env=cli.env(GOMOKU_PROFILE="second")).stdout.startswith("player1")
    cli.run("profiles", "--set-default", "second")
    assert cli.run("whoami").stdout.startswith("player2")

    # The server lists the token under the device the CLI described.
    tokens = site.api("GET", "auth/tokens/", cli.token("player1")).json()["tokens"]
    current = [t for t in tokens if t["current"]]
    assert len(current) == 1
    assert current[0]["device_name"] == f"gomoku-cli on {socket.gethostname()}"
    assert current[0]["device_info"]["client"] == "gomoku-cli 1.0" and current[0]["device_info"]["os"]

    # A config file loosened by hand is made private again on the next write.
    cli.config_path.chmod(0o644)
    cli.login("player1")
    assert stat.S_IMODE(cli.config_path.stat().st_mode) == 0o600


def test_login_honours_xdg_config_home_and_refuses_a_wrong_password(site, tmp_path):
    cli = Cli(tmp_path / "home", site)
    xdg = tmp_path / "xdg"
    env = cli.env(XDG_CONFIG_HOME=str(xdg))
    cli.run("login", "--url", site.url, "--username", "player3", "--password-stdin", input=PASSWORD + "\n", env=env)
    assert (xdg / "gomoku" / "config.json").exists() and not cli.config_path.exists()
    assert stat.S_IMODE((xdg / "gomoku").stat().st_mode) == 0o700
    assert cli.run("whoami", env=env).stdout.startswith("player3")

    wrong = cli.run("login", "--url", site.url, "--username", "player4", "--password-stdin", input="not-the-password\n",
                    env=env, check=False)
    expected = requests.post(site.url + "/api/v1/auth/token/", timeout=30,
                             json={"username": "player4", "password": "not-the-password", "device_name": "t",
                                   "device_info": {}}).json()["message"]
    assert wrong.returncode != 0 and expected in wrong.stderr, wrong.stderr
    assert "player4" not in json.loads((xdg / "gomoku" / "config.json").read_text())["profiles"]

    # Without a terminal and without --password-stdin there is nobody to ask.
    no_tty = cli.run("login", "--url", site.url, "--username", "player4", env=env, check=False)
    assert no_tty.returncode != 0 and "--password-stdin" in no_tty.stderr


def test_errors_name_the_unreachable_server_and_the_missing_login(site, tmp_path):
    cli = Cli(tmp_path / "home", site)
    missing = cli.run("whoami", check=False)
    assert missing.returncode != 0 and "not logged in" in missing.stderr

    cli.login("player5")
    dead = f"http://127.0.0.1:{support.free_port()}"
    # GOMOKU_URL beats the profile's URL, and --url beats GOMOKU_URL.
    refused = cli.run("whoami", env=cli.env(GOMOKU_URL=dead), check=False)
    assert refused.returncode != 0
    assert f"cannot reach {dead}: connection refused" in refused.stderr, refused.stderr
    assert cli.run("whoami", "--url", site.url, env=cli.env(GOMOKU_URL=dead)).stdout.startswith("player5")

    unknown = cli.run("whoami", "--profile", "nobody", check=False)
    assert unknown.returncode != 0 and 'no profile "nobody"' in unknown.stderr


def test_a_token_close_to_expiry_is_refreshed_and_the_old_one_dies(site, tmp_path):
    cli = Cli(tmp_path / "home", site)
    cli.login("player6")
    old = cli.profile("player6")

    # Pretend the token expires within the hour: the next command renews it first.
    config = cli.config()
    config["profiles"]["player6"]["expires_at"] = int(time.time()) + 3600
    cli.config_path.write_text(json.dumps(config))
    assert cli.run("whoami").stdout.startswith("player6")

    new = cli.profile("player6")
    assert new["token"] != old["token"] and new["token_id"] != old["token_id"]
    assert new["expires_at"] - time.time() > 6 * 86400
    assert stat.S_IMODE(cli.config_path.stat().st_mode) == 0o600
    assert site.api("GET", "me/", old["token"]).status_code == 401
    assert site.api("GET", "me/", new["token"]).json()["username"] == "player6"

    # A token that is still far from expiry is left alone.
    cli.run("whoami")
    assert cli.profile("player6")["token"] == new["token"]


def test_logout_revokes_the_token_and_forgets_the_profile(site, tmp_path):
    cli = Cli(tmp_path / "home", site)
    cli.login("player7")
    cli.login("player8", "other")
    token = cli.token("player7")
    out = cli.run("logout").stdout
    assert 'Logged out of profile "player7"' in out and 'default profile is now "other"' in out
    assert site.api("GET", "me/", token).status_code == 401
    assert set(cli.config()["profiles"]) == {"other"} and cli.config()["default_profile"] == "other"
    assert cli.run("whoami").stdout.startswith("player8")

    # A token revoked elsewhere: the server says 401, the CLI says so and suggests logging in.
    site.api("DELETE", f"auth/tokens/{cli.profile('other')['token_id']}/", cli.token("other"))
    stale = cli.run("whoami", check=False)
    assert stale.returncode != 0 and "gomoku-cli login" in stale.stderr
    cli.run("logout")  # still removes the profile
    assert cli.config()["profiles"] == {}


# ---------------------------------------------------------------------------------------------
# Challenges, games, moves


def test_challenge_accept_move_show_and_games(site, tmp_path):
    cli = Cli(tmp_path / "home", site)
    cli.login("player9", "black")
    cli.login("player10", "white")
    make_friends(cli, "black", "white")

    sent = cli.run("challenge", "player10", "--ruleset", "freestyle", "--size", "15", "--colour", "black",
                   "--profile", "black").stdout
    challenge_id = int(re.search(r"Challenge (\d+) sent to Player 10 \(@player10\)", sent).group(1))
    listed = cli.run("challenges", "--profile", "white").stdout
    received = listed.split("Sent:")[0]
    assert re.search(rf"^\s+{challenge_id}\s+Player 9 \(@player9\)\s+freestyle\s+15x15\s+black", received, re.M), listed
    assert str(challenge_id) in cli.run("challenges", "--profile", "black").stdout.split("Sent:")[1]

    game_id = int(cli.run("accept", str(challenge_id), "--profile", "white").stdout.strip())
    games = cli.run("games", "--profile", "black").stdout
    assert re.search(rf"^{game_id}\s+Player 10 \(@player10\)\s+black\s+freestyle\s+15x15\s+0\s+active", games, re.M), games

    moved = cli.run("move", str(game_id), "h8", "--profile", "black").stdout
    assert moved.startswith("Move 1: black h8.")
    cli.run("move", str(game_id), "J9", "--profile", "white")

    # Refusals carry the API's own message, unchanged, on stderr.
    black_token, white_token = cli.token("black"), cli.token("white")
    taken = cli.run("move", str(game_id), "h8", "--profile", "black", check=False)
    assert taken.returncode != 0
    assert taken.stderr.strip() == "gomoku-cli: " + refusal(site, black_token, game_id, "h8", 3)["message"]
    not_yours = cli.run("move", str(game_id), "a1", "--profile", "white", check=False)
    assert not_yours.returncode != 0
    assert not_yours.stderr.strip() == "gomoku-cli: " + refusal(site, white_token, game_id, "a1", 3)["message"]
    outside = cli.run("move", str(game_id), "p16", "--profile", "black", check=False)
    assert outside.returncode != 0 and "not a point of this 15x15 board" in outside.stderr

    shown = cli.run("show", str(game_id), "--profile", "white").stdout.splitlines()
    assert shown[0] == f"Game {game_id} · freestyle 15x15 · x Player 9 (@player9) vs o Player 10 (@player10) (you)"
    assert shown[1] == "    a b c d e f g h i j k l m n o"
    row9 = next(line for line in shown if line.startswith(" 9 "))
    row8 = next(line for line in shown if line.startswith(" 8 "))
    assert row9 == " 9  . . . . . . . . .(o). . . . .   9"
    assert row8 == " 8  . . . . . . . x . . . . . . .   8"
    assert "Moves: 1.h8 2.j9" in shown

    # Finished games show up under --status finished.
    cli.run("resign", str(game_id), "--profile", "white")
    assert not re.search(rf"^{game_id}\s", cli.run("games", "--profile", "black").stdout, re.M)
    finished = cli.run("games", "--status", "finished", "--profile", "black").stdout
    assert re.search(rf"^{game_id}\s+Player 10", finished, re.M), finished


def test_decline_and_cancel_challenges(site, tmp_path):
    cli = Cli(tmp_path / "home", site)
    cli.login("player11", "a")
    cli.login("player12", "b")
    make_friends(cli, "a", "b")
    first = int(re.search(r"Challenge (\d+)", cli.run("challenge", "player12", "--profile", "a").stdout).group(1))
    second = int(re.search(r"Challenge (\d+)", cli.run("challenge", "player12", "--profile", "a").stdout).group(1))
    assert "Declined the challenge from Player 11 (@player11)" in cli.run("decline", str(first), "--profile", "b").stdout
    assert "Withdrew the challenge to Player 12 (@player12)" in cli.run("cancel", str(second), "--profile", "a").stdout
    assert cli.run("challenges", "--profile", "b").stdout == "Received:\n  none\nSent:\n  none\n"
    again = cli.run("accept", str(first), "--profile", "b", check=False)
    assert again.returncode != 0 and again.stderr.startswith("gomoku-cli: ") and len(again.stderr.strip()) > 12


def test_friends(site, tmp_path):
    cli = Cli(tmp_path / "home", site)
    cli.login("player13", "a")
    cli.login("player14", "b")
    assert "Friend request sent to Player 14 (@player14)" in cli.run("befriend", "player14", "--profile", "a").stdout
    assert "@player13" in cli.run("friends", "--profile", "b").stdout.split("Asking to be your friend")[1]
    assert "now friends" in cli.run("befriend", "player13", "--profile", "b").stdout
    listing = cli.run("friends", "--profile", "a").stdout
    assert re.search(r"^\s+Player 14 \(@player14\)\s+(online|away)$", listing, re.M), listing
    assert "Removed Player 14 (@player14)" in cli.run("unfriend", "player14", "--profile", "a").stdout
    assert cli.run("friends", "--profile", "b").stdout.startswith("Friends:\n  none")


# ---------------------------------------------------------------------------------------------
# play, in a real terminal (tmux)


class Tmux:
    """A private tmux server (its own socket) with one 120×40 session running `command`."""

    def __init__(self, socket_path: Path, command: str, env: dict[str, str]):
        self.tmux = support.need("tmux")
        self.socket = str(socket_path)
        self.env = env
        self.ctl("new-session", "-d", "-s", "cli", "-x", "120", "-y", "40", command)

    def ctl(self, *args: str, check: bool = True) -> str:
        result = subprocess.run([self.tmux, "-u", "-S", self.socket, *args], capture_output=True, text=True,
                                timeout=30, env=self.env)
        if check:
            assert result.returncode == 0, f"tmux {args}: {result.stderr}"
        return result.stdout

    def screen(self) -> str:
        return self.ctl("capture-pane", "-p", "-t", "cli")

    def keys(self, *keys: str) -> None:
        self.ctl("send-keys", "-t", "cli", *keys)

    def typed(self, text: str) -> None:
        self.ctl("send-keys", "-t", "cli", "-l", text)

    def pane(self, variable: str) -> str:
        return self.ctl("display-message", "-p", "-t", "cli", f"#{{{variable}}}").strip()

    def wait_for(self, predicate, what: str, timeout: float = 15) -> str:
        wait_until(lambda: predicate(self.screen()), timeout, interval=0.05,
                   message=lambda: f"{what}; the screen:\n{self.screen()}")
        return self.screen()

    def close(self) -> None:
        self.ctl("kill-server", check=False)


def cell(screen: str, point: str) -> str:
    """The character shown at `point` (e.g. "h8") on the play screen's board."""
    lines = screen.splitlines()
    header = next(line for line in lines if line.startswith("    a b c "))
    column = header.index(point[0])
    number = point[1:]
    row = next(line for line in lines if re.match(rf"^ ?{number} .* ?{number}$", line))
    return row[column]


def marks_around(screen: str, point: str) -> str:
    """The point's cell with its two separators, e.g. "[x]" under the cursor or "(o)" for the last move."""
    lines = screen.splitlines()
    header = next(line for line in lines if line.startswith("    a b c "))
    column = header.index(point[0])
    row = next(line for line in lines if re.match(rf"^ ?{point[1:]} .* ?{point[1:]}$", line))
    return row[column - 1:column + 2]


def stty_flags(path: Path) -> set[str]:
    return set(re.split(r"[\s;]+", path.read_text()))


@pytest.fixture
def tmux_env(tmp_path):
    support.need("tmux")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GOMOKU_", "TMUX"))}
    env.update(HOME=str(tmp_path / "home"), TERM="xterm-256color", LANG="C.UTF-8")
    return env


def test_play_in_a_terminal(site, tmp_path, tmux_env):
    cli = Cli(tmp_path / "home", site)
    cli.login("player15", "black")
    cli.login("player16", "white")
    game_id = new_game(cli, "black", "white")
    white_token = cli.token("white")
    done = tmp_path / "after-play.txt"
    command = (f"{shlex.quote(str(CLI))} play {game_id} --profile black; echo exit=$? > {shlex.quote(str(done))}; "
               f"stty -a >> {shlex.quote(str(done))}; sleep 120")
    term = Tmux(tmp_path / "tmux.sock", command, tmux_env)
    try:
        screen = term.wait_for(lambda s: "Your turn (black), move 1." in s, "the board")
        assert term.pane("alternate_on") == "1"
        assert "x Black: Player 15 (@player15) (you)" in screen and "o White: Player 16 (@player16)" in screen
        assert marks_around(screen, "h8") == "[.]"  # the cursor starts in the centre

        # Arrows, then Enter: a stone where the cursor is.
        term.keys("Up", "Right")
        term.wait_for(lambda s: marks_around(s, "i9") == "[.]", "the cursor on i9")
        term.keys("Enter")
        screen = term.wait_for(lambda s: cell(s, "i9") == "x", "black's stone on i9")
        assert "Last move: 1. black i9" in screen
        assert "Waiting for Player 16 (white) to play move 2" in screen

        # The opponent plays through the API: the screen follows with no key pressed.
        moved = site.api("POST", f"games/{game_id}/move/", white_token, {"row": 7, "col": 7, "move_number": 2})
        assert moved.status_code == 200, moved.text
        screen = term.wait_for(lambda s: cell(s, "h8") == "o", "white's stone on h8", timeout=10)
        assert "Player 16 played h8." in screen and "Your turn (black), move 3." in screen
        assert marks_around(screen, "h8") == "(o)"

        # A typed point on a taken point: the server's message on the status line.
        taken = refusal(site, cli.token("black"), game_id, "h8", 3)["message"]
        term.typed("h8")
        term.wait_for(lambda s: "Point: h8_" in s, "the typed point")
        term.keys("Enter")
        term.wait_for(lambda s: taken in s, f"the server's refusal {taken!r}")

        # A typed point that is free, then one more move while it is white's turn: again the server's words.
        term.typed("k10")
        term.keys("Enter")
        screen = term.wait_for(lambda s: cell(s, "k10") == "x", "black's stone on k10")
        not_yours = refusal(site, cli.token("black"), game_id, "a1", 4)["message"]
        term.typed("a1")
        term.keys("Enter")
        term.wait_for(lambda s: not_yours in s, f"the server's refusal {not_yours!r}")
        assert cell(term.screen(), "a1") == "."

        # q leaves: the normal screen is back, echo and canonical mode on, exit status 0.
        term.keys("q")
        wait_until(lambda: done.exists() and "exit=" in done.read_text() and "icanon" in done.read_text(), 10,
                   message="gomoku-cli to exit and stty to report")
        assert done.read_text().startswith("exit=0")
        flags = stty_flags(done)
        assert {"icanon", "echo", "isig", "icrnl"} <= flags and not {"-icanon", "-echo", "-isig"} & flags, flags
        assert term.pane("alternate_on") == "0"
        assert term.pane("cursor_flag") == "1"
    finally:
        term.close()


def test_play_restores_the_terminal_on_sigterm_and_shows_the_winning_line(site, tmp_path, tmux_env):
    cli = Cli(tmp_path / "home", site)
    cli.login("player17", "black")
    cli.login("player18", "white")
    game_id = new_game(cli, "black", "white")
    # Four in a row for black, white elsewhere; black's fifth comes from the terminal.
    for black, white in [("a1", "o15"), ("b1", "o14"), ("c1", "o13"), ("d1", "o12")]:
        cli.run("move", str(game_id), black, "--profile", "black")
        cli.run("move", str(game_id), white, "--profile", "white")
    done = tmp_path / "after-play.txt"
    command = (f"{shlex.quote(str(CLI))} play {game_id} --profile black; echo exit=$? > {shlex.quote(str(done))}; "
               f"stty -a >> {shlex.quote(str(done))}; sleep 120")
    term = Tmux(tmp_path / "tmux.sock", command, tmux_env)
    try:
        screen = term.wait_for(lambda s: "Your turn (black), move 9." in s, "the board")
        assert marks_around(screen, "o12") == "[o]"  # the cursor starts on the last move
        term.typed("e1")
        term.keys("Enter")
        screen = term.wait_for(lambda s: "Game over" in s, "the end of the game")
        # The winning line in capitals (and green), the last move in parentheses.
        assert [cell(screen, p) for p in ("a1", "b1", "c1", "d1", "e1", "f1")] == ["X", "X", "X", "X", "X", "."]
        assert marks_around(screen, "e1") in ("[X]", "(X)")
        status = site.api("GET", f"games/{game_id}/", cli.token("black")).json()
        assert status["status"] == "finished" and len(status["winning_line"]) >= 5
        assert status["status_text"] in screen

        # SIGTERM from outside: the terminal is put back before the process ends.
        shell = int(term.pane("pane_pid"))
        client = wait_until(lambda: next(iter(support.children(shell)), None), 5, message="the gomoku-cli process")
        os.kill(client, signal.SIGTERM)
        wait_until(lambda: done.exists() and "exit=" in done.read_text() and "icanon" in done.read_text(), 10,
                   message="gomoku-cli to exit and stty to report")
        assert done.read_text().startswith(f"exit={128 + signal.SIGTERM}")
        flags = stty_flags(done)
        assert {"icanon", "echo"} <= flags and "-echo" not in flags, flags
        assert term.pane("alternate_on") == "0"
    finally:
        term.close()

    # show marks the winning line with capitals and the last move in parentheses.
    shown = cli.run("show", str(game_id), "--profile", "white").stdout
    assert " 1  X X X X(X). . . . . . . . . .   1" in shown, shown


def test_play_refuses_without_a_terminal(site, tmp_path):
    cli = Cli(tmp_path / "home", site)
    cli.login("player19", "black")
    cli.login("player20", "white")
    game_id = new_game(cli, "black", "white")
    result = cli.run("play", str(game_id), "--profile", "black", check=False)
    assert result.returncode != 0 and "play needs a terminal" in result.stderr
