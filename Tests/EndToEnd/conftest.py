"""Fixtures for the end-to-end tests: the real gomoku-fcgi binary, real SQLite files in temp dirs,
real nginx/lighttpd from the shipped configs, real Chromium.

Environment:
  GOMOKU_BIN   the binary under test (default ROOT/.build/debug/gomoku-fcgi); missing → every test errors
  GOMOKU_ROOT  the checkout (default: two levels above this file)
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import e2e_support as support
from e2e_support import BIN, ROOT, FcgiServer, start_site


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real Chromium through Selenium")
    config.addinivalue_line("markers", "webserver: runs a real nginx or lighttpd")


@pytest.fixture(scope="session", autouse=True)
def gomoku_bin() -> Path:
    """The binary must exist: a missing build is a failure, never a skip."""
    if not (BIN.is_file() and os.access(BIN, os.X_OK)):
        pytest.fail(f"GOMOKU_BIN {BIN} does not exist or is not executable: build it first "
                    f"(swift build --product gomoku-fcgi) or set GOMOKU_BIN", pytrace=False)
    if not (ROOT / "templates" / "layout.mustache").exists():
        pytest.fail(f"GOMOKU_ROOT {ROOT} has no templates/layout.mustache", pytrace=False)
    return BIN


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    # On failure, show what the servers said: the tail of every log of a process running now.
    if report.failed:
        for name, path in list(support.ACTIVE_LOGS.items()):
            report.sections.append((f"log of {name} ({path})", support.tail(path, 60)))
    return report


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def socket_dir() -> Path:
    """A short directory for unix sockets (removed afterwards)."""
    path = support.short_tmpdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def module_data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture
def start_server(data_dir):
    """Factory: starts `gomoku-fcgi serve` with options; every server is stopped by pid afterwards."""
    servers: list[FcgiServer] = []

    def start(**options) -> FcgiServer:
        server = FcgiServer(options.pop("data_dir", data_dir), **options)
        servers.append(server)
        return server.start()

    yield start
    for server in reversed(servers):
        server.stop()


@pytest.fixture(scope="module")
def module_server(module_data_dir):
    """One `serve` (2 workers × 2 threads) for a module's read-mostly tests."""
    server = FcgiServer(module_data_dir, workers=2, threads=2).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def nginx_site(tmp_path_factory):
    """nginx (rendered from conf/nginx) in front of its own `serve`, with its own database."""
    data_dir = tmp_path_factory.mktemp("nginx-data")
    app, web = start_site("nginx", data_dir, support.short_tmpdir("gmk-nginx-"))
    yield web
    web.stop()
    app.stop()
    shutil.rmtree(web.out_dir, ignore_errors=True)


@pytest.fixture
def chrome():
    """Factory for headless Chromium drivers (JavaScript on or off); each one, chromedriver and its
    browser processes included, is stopped afterwards."""
    import signal
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    support.need("chromium")
    support.need("chromedriver")
    drivers = []

    def start(javascript: bool = True) -> webdriver.Chrome:
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,900", "--disable-extensions", "--no-first-run"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        if not javascript:
            options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        drivers.append(driver)
        return driver

    yield start
    for driver in drivers:
        pid = driver.service.process.pid if driver.service.process else None
        leftovers = support.descendants(pid) if pid else set()
        names = {p: support.cmdline(p) for p in leftovers}
        try:
            driver.quit()
        finally:
            for p in leftovers:
                if support.pid_alive(p) and support.cmdline(p) == names[p]:
                    try:
                        os.kill(p, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
