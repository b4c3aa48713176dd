"""The arena as its users meet it, in one story, through nginx + `gomoku-fcgi serve` + `gomoku-bridge` and
three Chromium windows: two people register, become friends, one challenges the other, the challenge is
accepted and both land in the game, a third person watches; they play to five in a row, and every move
appears on the other two boards without a reload while the dashboards follow along."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

import e2e_support as support
import live_support as live
from live_support import browser_wait

pytestmark = [pytest.mark.webserver, pytest.mark.browser]

PASSWORD = "Saffron-Kettle-5519"
PEOPLE = {"ann": "Ann Arbor", "ben": "Ben Nevis", "cyd": "Cyd Young"}


def text(driver, selector: str) -> str:
    value = driver.execute_script("var e = document.querySelector(arguments[0]); return e ? e.textContent : '';", selector)
    return " ".join(value.split())


def toasts(driver) -> list[str]:
    return [" ".join(t.split()) for t in driver.execute_script(
        "return Array.from(document.querySelectorAll('#messages .toast')).map(e => e.textContent);")]


def press(driver, scope: str, label: str) -> None:
    for button in driver.find_elements(By.CSS_SELECTOR, f"{scope} button"):
        if " ".join(button.text.split()) == label:
            button.click()
            return
    raise AssertionError(f"no button {label!r} in {scope}: {text(driver, scope)!r}")


def register(driver, base_url: str, username: str) -> None:
    driver.get(base_url + "/accounts/register/")
    browser_wait(driver, lambda d: d.execute_script("return !!window.htmx"), "htmx")
    for field, value in (("username", username), ("email", f"{username}@example.org"),
                         ("display_name", PEOPLE[username]), ("password", PASSWORD)):
        element = driver.find_element(By.ID, f"register-{field}")
        element.clear()
        element.send_keys(value)
    browser_wait(driver, lambda d: d.find_element(By.ID, "register-submit").get_attribute("disabled") is None,
                 f"the register button enabled; errors: {text(driver, '#register-form')!r}")
    driver.find_element(By.ID, "register-submit").click()
    browser_wait(driver, lambda d: d.current_url == base_url + "/", f"{username} registered and home")
    # Leaving the page cancels a field check still in flight (htmx logs it as "htmx:sendAbort"); harmless, so
    # the log is emptied here and the rest of the story must not log any error.
    driver.get_log("browser")


def live_online(driver) -> bool:
    return driver.execute_script("return document.documentElement.dataset.live") == "online"


def board(driver) -> dict:
    return driver.execute_script("""
        var b = document.getElementById('board');
        return {stones: Array.from(b.querySelectorAll('span.cell[role=img]')).map(e => e.getAttribute('aria-label')).sort(),
                wins: Array.from(b.querySelectorAll('span.cell.win')).map(e => e.getAttribute('aria-label')).sort(),
                turn: document.getElementById('turn').dataset.turn, status: document.getElementById('game-status').textContent,
                here: Array.from(document.querySelectorAll('.presence .presence-user')).map(e => e.title).sort(),
                document: document.body.dataset.journey || null};""")


def test_register_befriend_challenge_accept_watch_and_play_to_five(tmp_path, chrome):
    support.need("nginx")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with live.running_site(data_dir, "gmk-journey-") as (app, bridge, web):
        base = web.base_url
        ann, ben, cy = chrome(), chrome(), chrome()
        for driver, name in ((ann, "ann"), (ben, "ben"), (cy, "cyd")):
            register(driver, base, name)

        # Ann finds Ben by typing part of his name, and asks.
        ann.get(base + "/friends/")
        ann.find_element(By.ID, "friend-q").send_keys("be")
        browser_wait(ann, lambda d: "@ben" in text(d, "#friend-search-results"), "search results as Ann types")
        ben.get(base + "/friends/")
        browser_wait(ben, live_online, "Ben's friends page live")
        press(ann, "#friend-search-results", "Add friend")
        browser_wait(ben, lambda d: any("Ann Arbor wants to be your friend." in t for t in toasts(d)), "Ben's toast")
        browser_wait(ben, lambda d: "Ann Arbor" in text(d, "#friend-lists"), "the request in Ben's list, live")
        press(ben, "#friend-lists", "Accept")
        browser_wait(ann, lambda d: any("Ben Nevis accepted your friend request." in t for t in toasts(d)), "Ann's toast")

        # Ben waits on his dashboard; Ann challenges him (she plays Black).
        ben.get(base + "/dashboard/")
        browser_wait(ben, live_online, "Ben's dashboard live")
        ben.execute_script("document.body.dataset.journey = 'dashboard';")
        ann.get(base + "/challenges/")
        Select(ann.find_element(By.ID, "challenge-opponent")).select_by_value("ben")
        Select(ann.find_element(By.ID, "challenge-ruleset")).select_by_value("freestyle")
        Select(ann.find_element(By.ID, "challenge-colour")).select_by_value("black")
        browser_wait(ann, live_online, "Ann's challenges page live")
        press(ann, ".challenge-form", "Send challenge")
        browser_wait(ben, lambda d: "Accept and play" in text(d, "#challenge-lists"), "the challenge on Ben's dashboard")
        assert ben.execute_script("return document.body.dataset.journey") == "dashboard", "pushed, not reloaded"
        press(ben, "#challenge-lists", "Accept and play")
        browser_wait(ben, lambda d: re.fullmatch(re.escape(base) + r"/games/\d+/", d.current_url), "Ben in the game")
        game_path = ben.current_url[len(base):]
        browser_wait(ann, lambda d: d.current_url == base + game_path, "Ann taken into the game by the push")

        # Cy watches; everyone sees everyone under "Here now".
        cy.get(base + game_path)
        everyone = ["@ann", "@ben", "@cyd"]
        for driver in (ann, ben, cy):
            browser_wait(driver, lambda d: board(d)["here"] == everyone, "all three present")
            driver.execute_script("document.body.dataset.journey = 'game';")
        assert "you are watching" in text(cy, ".game-rules")

        # A second window of Ann's on her dashboard follows the game's turn.
        ann_dashboard = chrome()
        ann_dashboard.get(base + "/healthz")
        ann_dashboard.add_cookie({"name": "gomoku_session", "value": ann.get_cookie("gomoku_session")["value"], "path": "/"})
        ann_dashboard.get(base + "/dashboard/")
        browser_wait(ann_dashboard, live_online, "Ann's dashboard live")
        assert "Ben Nevis" in text(ann_dashboard, "#dashboard-games")

        black_moves = ["h8", "i8", "j8", "k8", "l8"]
        white_moves = ["h9", "i9", "j9", "k9"]
        played: list[str] = []
        for turn in range(9):
            mover, label = (ann, black_moves[turn // 2]) if turn % 2 == 0 else (ben, white_moves[turn // 2])
            mover.find_element(By.CSS_SELECTOR, f'#board button.cell[aria-label="{label}"]').click()
            played.append(f"{label} {'black' if turn % 2 == 0 else 'white'}")
            for driver in (ann, ben, cy):
                browser_wait(driver, lambda d: board(d)["stones"] == sorted(played), f"{label} on every board")
            if turn == 0:
                # Ann has just moved: on her dashboard the game waits for Ben.
                browser_wait(ann_dashboard, lambda d: "Ben Nevis" in text(d, "#dashboard-games").split("Waiting for your opponent")[-1],
                             "Ann's dashboard: waiting for Ben")
            if turn == 1:
                browser_wait(ann_dashboard, lambda d: "Ben Nevis" in text(d, "#dashboard-games").split("Waiting for your opponent")[0],
                             "Ann's dashboard: her turn again")

        for driver in (ann, ben, cy):
            state = board(driver)
            assert state["status"] == "Black (Ann Arbor) won with five in a row.", state
            assert state["wins"] == sorted(f"{m} black" for m in black_moves) and state["turn"] == "over"
            assert state["document"] == "game", "every move arrived without a reload"
        browser_wait(ann_dashboard, lambda d: "Ben Nevis" not in text(d, "#dashboard-games"), "the finished game leaves the dashboard")
        game_id = int(game_path.strip("/").rsplit("/", 1)[1])
        assert support.db_query(data_dir, "SELECT status, result, move_count FROM games WHERE id = ?", (game_id,)) == \
            [("finished", "black:five", 9)]
        for driver in (ann, ben, cy, ann_dashboard):
            severe = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"
                      and "/favicon.ico" not in e["message"] and "oobErrorNoTarget" not in e["message"]]
            assert not severe, (driver.current_url, severe)
