"""Real Chromium (Selenium) through real nginx: registration with live validation, sign out, sign in —
once with JavaScript (htmx paths) and once without (plain form posts)."""

from __future__ import annotations


import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

import e2e_support as support

pytestmark = [pytest.mark.browser, pytest.mark.webserver]

PASSWORD = "Velvet-Compass-3170"
WAIT = 20


@pytest.fixture(scope="module")
def site(nginx_site):
    return nginx_site


TRANSIENT = ("does not belong to the document", "stale element", "no such element", "Execution context was destroyed",
             "Cannot find context", "target frame detached")


class wait:
    """`WebDriverWait(...).until(...)` that also rides out the errors a page in mid-navigation gives
    (an element looked up in the old document, a script run while the new one loads)."""

    def __init__(self, driver, timeout: float = WAIT):
        self.driver = driver
        self.waiter = WebDriverWait(driver, timeout, poll_frequency=0.05,
                                    ignored_exceptions=(StaleElementReferenceException, NoSuchElementException))

    def until(self, predicate, message: str = ""):
        def settled(driver):
            try:
                return predicate(driver)
            except WebDriverException as error:
                if any(text in str(error) for text in TRANSIENT):
                    return False
                raise
        try:
            return self.waiter.until(settled)
        except TimeoutException:
            raise TimeoutException(f"timed out waiting for {message or predicate} at {self.driver.current_url}") from None


def text_of(driver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text.strip()


def is_disabled(driver, element_id: str) -> bool:
    return driver.find_element(By.ID, element_id).get_attribute("disabled") is not None


def heading(driver) -> str:
    return driver.find_element(By.CSS_SELECTOR, "main h1").text.strip()


def wait_for_heading(driver, expected: str) -> None:
    wait(driver).until(lambda d: heading(d) == expected,
                       message=f"the heading {expected!r}")


def type_into(driver, element_id: str, text: str) -> None:
    field = driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(text)


def record_hx_redirects(driver) -> None:
    """Remembers (across the navigation it causes) the HX-Redirect of the next htmx answer that has one."""
    driver.execute_script("""
        sessionStorage.removeItem('e2e-hx-redirect');
        document.body.addEventListener('htmx:afterRequest', function (event) {
            var target = event.detail.xhr && event.detail.xhr.getResponseHeader('HX-Redirect');
            if (target) { sessionStorage.setItem('e2e-hx-redirect', target); }
        });""")


def recorded_hx_redirect(driver) -> str | None:
    return driver.execute_script("return sessionStorage.getItem('e2e-hx-redirect');")


def console_errors(driver) -> list[str]:
    """Script errors and Content-Security-Policy refusals in the browser console. (Expected noise is left
    out: the 422 of a wrong password, htmx's log of the validation request that submitting aborts.)"""
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE" and (entry.get("source") == "javascript" or
                                               any(word in entry["message"] for word in
                                                   ("Content Security Policy", "Refused to", "Uncaught")))]


def sign_out(driver, site) -> None:
    driver.find_element(By.CSS_SELECTOR, "header.site-header form button[type=submit]").click()
    wait(driver).until(EC.presence_of_element_located((By.LINK_TEXT, "Sign in")))
    wait_for_heading(driver, "Five in a row, live.")
    assert driver.current_url == site.base_url + "/"
    assert driver.get_cookie("gomoku_session") is None


def test_with_javascript_register_live_validation_sign_out_sign_in(site, chrome):
    driver = chrome(javascript=True)
    data_dir = site.app.data_dir
    driver.get(site.base_url + "/accounts/register/")
    wait(driver).until(lambda d: d.execute_script("return !!window.htmx"), message="htmx to load")
    # The form validates itself on load: nothing filled in yet, so the button is off.
    wait(driver).until(lambda d: is_disabled(d, "register-submit"), message="#register-submit disabled on load")

    # Live validation: a too-short username is reported without submitting anything.
    type_into(driver, "register-username", "ab")
    wait(driver).until(lambda d: "3 to 30 characters" in text_of(d, "error-username"),
                       message="the username error to appear")
    assert is_disabled(driver, "register-submit")
    assert driver.current_url == site.base_url + "/accounts/register/"
    assert "dana_js" not in support.usernames(data_dir)

    type_into(driver, "register-username", "dana_js")
    wait(driver).until(lambda d: text_of(d, "error-username") == "", message="the username error to clear")
    type_into(driver, "register-email", "dana@example.org")
    type_into(driver, "register-display_name", "Dana JS")
    type_into(driver, "register-password", PASSWORD)
    wait(driver).until(lambda d: not is_disabled(d, "register-submit"), message="#register-submit enabled")
    for field in ("username", "email", "display_name", "password"):
        assert text_of(driver, f"error-{field}") == ""

    record_hx_redirects(driver)
    driver.find_element(By.ID, "register-submit").click()
    wait_for_heading(driver, "Welcome back, Dana JS!")
    assert driver.current_url == site.base_url + "/"
    assert recorded_hx_redirect(driver) == "/", "the registration did not go through htmx (HX-Redirect)"
    assert "dana_js" in support.usernames(data_dir)
    assert driver.get_cookie("gomoku_session")["httpOnly"] is True

    sign_out(driver, site)

    # Sign in through the htmx form: a wrong password swaps in the form with its error…
    driver.find_element(By.LINK_TEXT, "Sign in").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "login-form")))
    wait(driver).until(lambda d: d.execute_script("return !!window.htmx"), message="htmx to load")
    record_hx_redirects(driver)
    driver.execute_script("document.getElementById('login-form').setAttribute('data-e2e-old', '1')")
    type_into(driver, "login-username", "dana_js")
    type_into(driver, "login-password", "Wrong-Password-99")
    driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    wait(driver).until(lambda d: "That username and password do not match." in d.find_element(By.ID, "login-form").text,
                       message="the login error")
    assert driver.find_element(By.ID, "login-form").get_attribute("data-e2e-old") is None  # swapped, not reloaded
    assert driver.execute_script("return !!window.htmx")
    assert driver.current_url == site.base_url + "/accounts/login/"
    assert driver.find_element(By.ID, "login-username").get_attribute("value") == "dana_js"

    # …and the right one sends the browser home through HX-Redirect.
    type_into(driver, "login-password", PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    wait_for_heading(driver, "Welcome back, Dana JS!")
    assert driver.current_url == site.base_url + "/"
    assert recorded_hx_redirect(driver) == "/", "the sign-in did not go through htmx (HX-Redirect)"
    assert console_errors(driver) == []


def test_without_javascript_register_sign_out_sign_in(site, chrome):
    driver = chrome(javascript=False)
    data_dir = site.app.data_dir
    driver.get(site.base_url + "/accounts/register/")
    assert driver.execute_script("return typeof window.htmx") == "undefined", "JavaScript is not off"
    assert not is_disabled(driver, "register-submit")

    # An invalid field: the error shows after a full POST, the other values are kept (not the password).
    type_into(driver, "register-username", "e")
    type_into(driver, "register-email", "erin@example.org")
    type_into(driver, "register-display_name", "Erin No-JS")
    type_into(driver, "register-password", PASSWORD)
    old_form = driver.find_element(By.ID, "register-form")
    driver.find_element(By.ID, "register-submit").click()
    wait(driver).until(EC.staleness_of(old_form))
    wait(driver).until(lambda d: "3 to 30 characters" in text_of(d, "error-username"), message="the username error")
    assert driver.current_url == site.base_url + "/accounts/register/"
    assert driver.find_element(By.ID, "register-email").get_attribute("value") == "erin@example.org"
    assert driver.find_element(By.ID, "register-password").get_attribute("value") == ""
    assert "erin_nojs" not in support.usernames(data_dir)

    type_into(driver, "register-username", "erin_nojs")
    type_into(driver, "register-password", PASSWORD)
    driver.find_element(By.ID, "register-submit").click()
    wait_for_heading(driver, "Welcome back, Erin No-JS!")
    assert driver.current_url == site.base_url + "/"
    assert "erin_nojs" in support.usernames(data_dir)

    sign_out(driver, site)

    driver.find_element(By.LINK_TEXT, "Sign in").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "login-form")))
    type_into(driver, "login-username", "erin_nojs")
    type_into(driver, "login-password", "Wrong-Password-99")
    old_form = driver.find_element(By.ID, "login-form")
    driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    wait(driver).until(EC.staleness_of(old_form))
    wait(driver).until(lambda d: "That username and password do not match." in d.find_element(By.ID, "login-form").text,
                       message="the login error")
    type_into(driver, "login-password", PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    wait_for_heading(driver, "Welcome back, Erin No-JS!")
    assert driver.current_url == site.base_url + "/"
