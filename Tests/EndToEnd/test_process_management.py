"""The `serve` master and its workers: replacement after a crash, reload on SIGHUP under load,
draining on SIGTERM, recycling after --max-requests, dying with the master, the master's WAL checkpoints."""

from __future__ import annotations

import os
import re
import signal
import struct
import threading
import time
import urllib.parse

import pytest

import e2e_support as support
import fcgi_client
from e2e_support import DEFAULT_PASSWORD, FcgiServer, create_user, wait_until


def healthy(server: FcgiServer, count: int) -> None:
    """`count` sequential requests, every one answered 200."""
    for n in range(count):
        response = server.get(f"/healthz?n={n}")
        assert response.status == 200 and response.body == b"ok\n", (n, response)


class Load:
    """Client threads looping requests until stopped; every failure is recorded, none is retried."""

    def __init__(self, server: FcgiServer, clients: int = 4):
        self.server = server
        self.stop_event = threading.Event()
        self.failures: list[str] = []
        self.done = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.loop, args=(i,), daemon=True) for i in range(clients)]

    def loop(self, index: int) -> None:
        n = 0
        while not self.stop_event.is_set():
            n += 1
            try:
                if n % 3:
                    response = self.server.get("/healthz")
                    ok = response.status == 200 and response.body == b"ok\n"
                else:
                    response = self.server.get("/accounts/login/")
                    ok = response.status == 200 and response.text.rstrip().endswith("</html>")
                error = None if ok else f"{response.status} {response.text[:200]}"
            except Exception as exc:  # noqa: BLE001 - a failed request is what we count
                error = repr(exc)
            with self.lock:
                self.done += 1
                if error:
                    self.failures.append(f"client {index} request {n}: {error}")

    def __enter__(self) -> "Load":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in self.threads), "a load thread hangs"


def test_killed_worker_is_replaced_and_requests_keep_succeeding(start_server):
    server = start_server(workers=2, threads=2)
    before = server.worker_pids()
    healthy(server, 10)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    # The surviving worker answers while the master replaces the dead one.
    healthy(server, 10)
    after = server.wait_for_workers(2, exclude={victim})
    assert not support.pid_alive(victim)
    assert len(after - before) == 1 and (before - {victim}) <= after
    healthy(server, 10)
    assert "worker died; replacing it" in server.log_text()
    assert server.alive()


def test_request_queued_while_every_worker_is_dead_is_answered_by_the_replacements(start_server):
    server = start_server(workers=2, threads=1)
    before = server.worker_pids()
    for pid in before:
        os.kill(pid, signal.SIGKILL)
    # No worker is alive now: the connection waits in the socket's backlog for a replacement.
    response = server.get("/healthz", timeout=30)
    assert response.status == 200
    server.wait_for_workers(2, exclude=before)
    healthy(server, 5)


def test_sighup_reload_under_load_fails_no_request_and_replaces_every_worker(start_server):
    server = start_server(workers=2, threads=2)
    old = server.worker_pids()
    with Load(server, clients=4) as load:
        wait_until(lambda: load.done >= 20, 20, message="the load to get going")
        os.kill(server.pid, signal.SIGHUP)
        new = server.wait_for_workers(2, exclude=old)
        served_at_reload = load.done
        # Keep the load on past the hand-over, ~2 s in all.
        time.sleep(1.5)
        wait_until(lambda: load.done >= served_at_reload + 20, 20, message="requests after the reload")
    assert not load.failures, f"{len(load.failures)} of {load.done} failed: {load.failures[:5]}"
    assert load.done > 40
    assert not (new & old)
    wait_until(lambda: not any(support.pid_alive(pid) for pid in old), 20, message=f"old workers {old} to exit")
    assert server.worker_pids() == new
    log = server.log_text()
    assert "reloading" in log and "old worker finished" in log
    healthy(server, 5)


def test_sigterm_drains_an_in_flight_request_then_exits_cleanly(start_server, data_dir):
    create_user(data_dir, "drainer", display_name="Drain Tester")
    server = start_server(workers=1, threads=2)
    page = server.get("/accounts/login/")
    cookie, token = page.cookies()["gomoku_csrf"], support.csrf_token(page.text)
    body = urllib.parse.urlencode(dict(csrf_token=token, username="drainer", password=DEFAULT_PASSWORD, next="/")).encode()
    outcome: dict = {}

    def slow_login() -> None:
        try:
            outcome["response"] = server.request("POST", "/accounts/login/", body=body, cookies={"gomoku_csrf": cookie},
                                                 content_type="application/x-www-form-urlencoded", timeout=60)
        except Exception as error:  # noqa: BLE001
            outcome["error"] = error
        outcome["finished"] = time.monotonic()

    (worker,) = server.worker_pids()
    idle_ticks = support.cpu_ticks(worker)
    client = threading.Thread(target=slow_login)
    client.start()
    # The login hashes the password (PBKDF2, 600k iterations: hundreds of ms of CPU); stop the server
    # ~50 ms in, once the worker is visibly busy with it (so the request is surely accepted, not queued).
    time.sleep(0.05)
    wait_until(lambda: support.cpu_ticks(worker) >= idle_ticks + 2 or "finished" in outcome, 10, interval=0.005,
               message="the worker to start on the login")
    os.kill(server.pid, signal.SIGTERM)
    terminated = time.monotonic()
    client.join(60)
    assert "error" not in outcome, f"the in-flight request failed: {outcome['error']!r}\n{server.log_text()}"
    response = outcome["response"]
    assert outcome["finished"] > terminated, "the login finished before SIGTERM: nothing was drained"
    assert response.status == 303, response.text
    assert response.headers["Location"] == "/"
    assert "gomoku_session" in response.cookies()
    assert server.process.wait(timeout=30) == 0, server.log_text()
    assert not os.path.exists(server.socket)
    with pytest.raises(OSError):
        fcgi_client.request(server.socket, "GET", "/healthz", timeout=5)
    wait_until(lambda: not any(support.pid_alive(pid) for pid in server.seen_workers), 10, message="workers to exit")
    assert "shutting down" in server.log_text()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_on_an_idle_server_exits_zero_and_removes_the_socket(start_server, sig):
    server = start_server(workers=2, threads=1)
    workers = server.worker_pids()
    os.kill(server.pid, sig)
    assert server.process.wait(timeout=30) == 0
    assert not os.path.exists(server.socket)
    wait_until(lambda: not any(support.pid_alive(pid) for pid in workers), 10, message="workers to exit")


def test_max_requests_recycles_workers_without_failing_a_request(start_server):
    server = start_server(workers=2, threads=1, max_requests=5)
    initial = server.worker_pids()
    results: list = []
    lock = threading.Lock()

    def client() -> None:
        for n in range(15):
            try:
                response = server.get(f"/healthz?n={n}")
                outcome = response.status if response.body == b"ok\n" else f"{response.status} {response.body[:100]!r}"
            except Exception as error:  # noqa: BLE001
                outcome = repr(error)
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=client) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert results == [200] * 45, [r for r in results if r != 200][:5]
    # 45 requests, 5 per worker before it stops: workers have come and gone. (Not an exact count: a
    # worker that reached its limit may take a few more requests until its stop signal is handled.)
    wait_until(lambda: server.log_text().count("worker recycled") >= 2, 20,
               message=lambda: f"2 recycles; log:\n{support.tail(server.log_path, 30)}")
    served = [int(n) for n in re.findall(r'msg="worker stopped".*?served="?(\d+)', server.log_text())]
    assert served and min(served) >= 5, served
    current = server.wait_for_workers(2)
    assert current != initial and len(server.seen_workers) > 2
    assert "worker died" not in server.log_text()
    healthy(server, 5)


def wal_frames(data_dir) -> tuple[int, int]:
    """(frames in the WAL, frames of them copied into the database file), read from the WAL-index header
    in the -shm file (sqlite.org/walformat.html: mxFrame at byte 16, nBackfill at byte 96, native order)."""
    header = (support.db_path(data_dir).parent / "gomoku.sqlite3-shm").read_bytes()[:136]
    return struct.unpack_from("=I", header, 16)[0], struct.unpack_from("=I", header, 96)[0]


def test_the_master_checkpoints_the_wal_that_commits_leave_behind(start_server, data_dir):
    # SQLite's own checkpoint would wait for 1,000 pages, inside some request's commit; the master copies
    # a few pages of log into the database file within its next passes, while the workers stay idle.
    server = start_server(workers=2, threads=1)
    create_user(data_dir, "walter")
    frames, _ = wal_frames(data_dir)
    assert 0 < frames < 1000
    wait_until(lambda: wal_frames(data_dir)[1] == wal_frames(data_dir)[0] > 0, 10,
               message=lambda: f"WAL (frames, backfilled) {wal_frames(data_dir)}")
    assert "checkpoint failed" not in server.log_text()
    healthy(server, 3)


def test_workers_die_with_a_killed_master_and_a_new_server_takes_over_the_stale_socket(start_server, data_dir):
    first = start_server(workers=2, threads=1)
    workers = first.worker_pids()
    os.kill(first.pid, signal.SIGKILL)
    first.process.wait(timeout=10)
    wait_until(lambda: not any(support.pid_alive(pid) for pid in workers), 10,
               message=f"workers {workers} to die with their master")
    assert os.path.exists(first.socket)  # left behind by the crash
    with pytest.raises(OSError):
        fcgi_client.request(first.socket, "GET", "/healthz", timeout=5)
    second = start_server(workers=1, threads=1, socket_dir=first.socket_dir)
    assert second.socket == first.socket
    healthy(second, 3)


def test_serve_refuses_a_socket_a_live_server_answers_on(start_server, data_dir):
    first = start_server(workers=1, threads=1)
    result = support.run_cli(data_dir, "serve", "--listen", first.socket, "--workers", "1", check=False, timeout=30)
    assert result.returncode != 0
    assert "already listening" in result.stdout + result.stderr
    healthy(first, 3)
