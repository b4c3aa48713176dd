"""The school through nginx + `gomoku-fcgi serve` (with its job threads) + `gomoku-bridge`: a lesson's
exercises are generated in the background and arrive without a reload, the tutor answers over the page's
WebSocket (ws-send) and in every tab of the student, math is typeset, the difficulty switch lands in the
other syllabus, and all of it also works as plain forms without JavaScript."""

from __future__ import annotations

import json
import re

import pytest
import requests
from selenium.webdriver.common.by import By

import e2e_support as support
import live_support as live
from live_support import browser_wait

pytestmark = pytest.mark.webserver

LESSON = "beginner-making-and-stopping-five"  # winInOne exercises
MATH_LESSON = "beginner-fours-and-straight-fours"


class SchoolSite(live.SignedInSite):
    def exercises(self, username: str, lesson: str) -> list[tuple[int, str, dict]]:
        rows = support.db_query(self.data_dir, "SELECT e.position, e.state, e.puzzle FROM lesson_exercises e JOIN users u "
                                               "ON u.id = e.user_id WHERE u.username = ? AND e.lesson_id = ? ORDER BY e.position",
                                (username, lesson))
        return [(position, state, json.loads(puzzle)) for position, state, puzzle in rows]

    def current(self, username: str, lesson: str) -> dict:
        return next(puzzle for _, state, puzzle in self.exercises(username, lesson) if state == "open")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    support.need("nginx")
    data_dir = tmp_path_factory.mktemp("school-data")
    for name in ("stu1", "stu2", "stu3", "stu4"):
        support.create_user(data_dir, name)
    with live.running_site(data_dir, "gmk-school-") as (app, bridge, web):
        yield SchoolSite(data_dir, app, bridge, web)


def open_as(driver, site: SchoolSite, username: str, path: str) -> None:
    driver.get(site.base_url + "/healthz")
    for name, value in site.member(username).cookies.items():
        driver.add_cookie({"name": name, "value": value, "path": "/", "httpOnly": name == "gomoku_session"})
    driver.get(site.base_url + path)


def text(driver, selector: str) -> str:
    value = driver.execute_script("var e = document.querySelector(arguments[0]); return e ? e.textContent : '';", selector)
    return " ".join(value.split())


def chat(driver) -> list[str]:
    return [" ".join(t.split()) for t in driver.execute_script(
        "return Array.from(document.querySelectorAll('#chat-history .chat-line'))"
        ".map(e => e.querySelector('.chat-who').textContent + ' ' + e.querySelector('.chat-body').textContent);")]


def severe(driver) -> list[str]:
    """The browser's errors since the last call (reading the log empties it)."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE" and "/favicon.ico" not in e["message"]]


@pytest.mark.browser
def test_exercises_arrive_live_and_the_tutor_answers_in_every_tab(site, chrome):
    driver, second = chrome(), chrome()
    open_as(driver, site, "stu1", f"/lessons/{LESSON}/")
    driver.execute_script("document.body.dataset.school = 'original';")
    # The page asked for its exercises by itself (hx-trigger=load); the job's pushes fill them in.
    browser_wait(driver, lambda d: "Your exercises: 0 of 5 solved" in text(d, "#exercise-set"), "the generated set, pushed", timeout=60)
    browser_wait(driver, lambda d: "Exercise 1 of 5" in text(d, "#active-task-area"), "the first task")
    assert driver.execute_script("return document.body.dataset.school") == "original", "no reload"
    assert len(site.exercises("stu1", LESSON)) == 5

    open_as(second, site, "stu1", f"/lessons/{LESSON}/")
    browser_wait(second, lambda d: d.execute_script("return document.documentElement.dataset.live") == "online", "2nd tab live")

    puzzle = site.current("stu1", LESSON)
    wrong = next(b.get_attribute("value") for b in driver.find_elements(By.CSS_SELECTOR, "#task-form .exercise-board button.cell")
                 if b.get_attribute("value") != puzzle["answer"])
    # A click on the exercise board is an answer (the clicked button's value goes over the socket).
    driver.find_element(By.CSS_SELECTOR, f'#task-form button.cell[value="{wrong}"]').click()
    for tab in (driver, second):
        browser_wait(tab, lambda d: any(line.startswith("Tutor Not " + wrong + ".") for line in chat(d)), "the refutation in both tabs")
    assert any(line == f"You {wrong}" for line in chat(second))

    box = driver.find_element(By.ID, "tutor-message")
    box.send_keys(puzzle["answer"].upper() + "\n")
    for tab in (driver, second):
        browser_wait(tab, lambda d: any(f"Yes — {puzzle['answer']} is right!" in line for line in chat(d)), "the praise in both tabs")
        browser_wait(tab, lambda d: "Exercise 2 of 5" in text(d, "#active-task-area"), "the next task in both tabs")
        browser_wait(tab, lambda d: "1 of 5 solved" in text(d, "#exercise-set"), "the set's progress")
    browser_wait(driver, lambda d: d.find_element(By.ID, "tutor-message").get_attribute("value") == "", "the input cleared")
    assert [state for _, state, _ in site.exercises("stu1", LESSON)][:2] == ["solved", "open"]
    errors = severe(driver) + severe(second)
    assert not errors, errors


@pytest.mark.browser
def test_math_is_typeset_and_changing_difficulty_lands_in_the_other_syllabus(site, chrome):
    driver = chrome()
    open_as(driver, site, "stu2", f"/lessons/{MATH_LESSON}/")
    browser_wait(driver, lambda d: d.execute_script("return document.querySelectorAll('.lesson-text .katex').length") > 0,
                 "KaTeX output in the lesson")
    assert driver.execute_script("return document.querySelectorAll('.lesson-text figure.diagram').length") >= 2
    buttons = {b.text: b for b in driver.find_elements(By.CSS_SELECTOR, ".level-form button")}
    assert set(buttons) == {"Intermediate", "Advanced"}
    buttons["Intermediate"].click()
    alert = driver.switch_to.alert
    assert "Intermediate" in alert.text
    alert.accept()
    browser_wait(driver, lambda d: re.search(r"/lessons/intermediate-[a-z0-9-]+/$", d.current_url), "the intermediate lesson")
    assert "Intermediate · lesson" in text(driver, ".lesson-header")
    assert support.db_query(site.data_dir, "SELECT level FROM school_levels s JOIN users u ON u.id = s.user_id "
                                           "WHERE u.username = 'stu2'") == [("intermediate",)]


@pytest.mark.browser
def test_without_javascript_the_lesson_works_with_plain_forms(site, chrome):
    driver = chrome(javascript=False)
    open_as(driver, site, "stu3", f"/lessons/{LESSON}/")
    driver.find_element(By.XPATH, "//button[normalize-space()='Prepare my exercises']").click()
    browser_wait(driver, lambda d: d.current_url.endswith(f"/lessons/{LESSON}/#exercise-set"), "back on the lesson after the post")
    support.wait_until(lambda: len(site.exercises("stu3", LESSON)) == 5, 60, message="the job to prepare the set")
    driver.get(site.base_url + f"/lessons/{LESSON}/")
    assert "Exercise 1 of 5" in text(driver, "#active-task-area")
    answer = site.current("stu3", LESSON)["answer"]
    driver.find_element(By.CSS_SELECTOR, f'#task-form button.cell[value="{answer}"]').click()
    browser_wait(driver, lambda d: any(f"Yes — {answer} is right!" in line for line in chat(d)), "the page after the answer")
    assert "Exercise 2 of 5" in text(driver, "#active-task-area")
    box = driver.find_element(By.ID, "tutor-message")
    box.send_keys("hint\n")
    browser_wait(driver, lambda d: "You hint" in chat(d), "the page after the hint was posted")
    assert chat(driver)[-2] == "You hint" and chat(driver)[-1].startswith("Tutor ")


def test_bad_school_requests_are_refused_and_change_nothing(site):
    member = site.member("stu4")
    before = support.db_query(site.data_dir, "SELECT count(*) FROM tutor_messages")[0][0]
    headers = {"Origin": site.base_url, "X-CSRF-Token": member.csrf_token, "HX-Request": "true"}
    def post(path, data, **extra):
        return requests.post(site.base_url + path, data=data, headers=headers | extra, cookies=member.cookies,
                             allow_redirects=False, timeout=30)
    assert post(f"/lessons/{LESSON}/tutor/", {"message": ""}).status_code == 422
    assert post(f"/lessons/{LESSON}/tutor/", {"message": "x" * 201}).status_code == 422
    assert post(f"/lessons/{LESSON}/level/", {"level": "grandmaster"}).status_code == 422
    assert post("/lessons/no-such-lesson/tutor/", {"message": "h8"}).status_code == 404
    assert post("/lessons/beginner-the-board-and-the-goal/generate/", {}).status_code == 409
    assert requests.post(site.base_url + f"/lessons/{LESSON}/tutor/", data={"message": "h8"}, cookies=member.cookies,
                         headers={"Origin": site.base_url}, allow_redirects=False, timeout=30).status_code == 403
    assert requests.get(site.base_url + f"/lessons/{LESSON}/tutor/", cookies=member.cookies, timeout=30).status_code == 405
    assert support.db_query(site.data_dir, "SELECT count(*) FROM tutor_messages")[0][0] == before


def test_the_tutor_over_raw_websocket_frames_right_wrong_and_malformed(site):
    """The same frames htmx's ws extension sends, from a plain WebSocket client: a malformed message is
    answered to the sender with an error fragment and changes nothing; wrong and right answers are
    judged and pushed to the student's lesson topic."""
    import asyncio

    member = site.member("stu4")
    lesson_path = f"/lessons/{LESSON}/"
    page = live.live_page(site.base_url, member, lesson_path)
    requests.post(site.base_url + lesson_path + "generate/", headers={"X-CSRF-Token": member.csrf_token, "Origin": site.base_url,
                                                                      "HX-Request": "true"}, cookies=member.cookies, timeout=30)
    support.wait_until(lambda: len(site.exercises("stu4", LESSON)) == 5, 60, message="stu4's exercises")
    puzzle = site.current("stu4", LESSON)
    wrong = next(f"{c}{r}" for c in "abcdefghijklmno" for r in range(1, 16)
                 if f"{c}{r}" != puzzle["answer"] and f"{c}{r}" not in puzzle["black"] + puzzle["white"])
    tutor = lesson_path + "tutor/"

    def frame(**fields):
        return live.ws_send_message(tutor, page.csrf_token, site.base_url + lesson_path, **fields)

    async def scenario():
        async with live.ClientPool(site.base_url) as pool:
            client = await pool.open(page, member, name="stu4")
            before = support.db_query(site.data_dir, "SELECT count(*) FROM tutor_messages")[0][0]
            await client.send(frame(message=""))
            refused = await client.wait_for_frame("Write a point like h8")
            assert support.db_query(site.data_dir, "SELECT count(*) FROM tutor_messages")[0][0] == before
            await client.send(live.ws_send_message(tutor, "forged-token", site.base_url + lesson_path, message="h8"))
            forged = await client.wait_for_frame("security token")
            await client.send(frame(message=wrong))
            judged = await client.wait_for_frame(f"Not {wrong}.")
            await client.send(frame(message=puzzle["answer"]))
            praised = await client.wait_for_frame(f"Yes — {puzzle['answer']} is right!")
            task = await client.wait_for_frame("Exercise 2 of 5")
            return refused, forged, judged, praised, task

    refused, forged, judged, praised, task = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert not refused.startswith("<!--n:") and not forged.startswith("<!--n:"), "errors go to the sender only"
    assert judged.startswith("<!--n:") and praised.startswith("<!--n:"), "the chat is pushed to the lesson topic"
    assert [state for _, state, _ in site.exercises("stu4", LESSON)][:2] == ["solved", "open"]
