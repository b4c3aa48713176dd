"""Realtime through the real stack: nginx (rendered from conf/nginx by scripts/render-conf.sh, /ws/ proxied
to the bridge), `gomoku-fcgi serve` and `gomoku-bridge` sharing one SQLite file; real WebSocket clients
(`websockets`, and a raw socket for a client that stops reading), the Autobahn cases (kosoku) against the
bridge's echo route, and two Chromium sessions on the live demo page."""

from __future__ import annotations

import asyncio
import html
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

import e2e_support as support
import live_support as live
from live_support import browser_wait
from e2e_support import create_user
from live_support import Bridge, ClientPool, LivePage, Member

pytestmark = pytest.mark.webserver

DEMO = "/live/demo/"
MESSAGES = "/live/demo/messages/"
USERS = {"alice": "Alice Arden", "bob": "Bob Brook", "carol": "Carol Crane", "dave": "Dave Dunmore",
         "erin": "Erin Ellis", "frank": "Frank Fell"}
ERROR_FRAGMENT = '<div id="messages" hx-swap-oob="innerHTML"><div class="alert alert-error" role="alert">'
PRESENCE = re.compile(r'<li class="presence-user" title="@([^"]+)">')


def run(coroutine, timeout: float = 120):
    """Runs one test's asyncio scenario (every client it opened is closed by its ClientPool)."""
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


async def eventually(predicate, timeout: float = 30, what: str = "condition", interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)


class LiveSite(live.SignedInSite):
    """nginx → (app, bridge) with one database, on the live demo page."""

    def page(self, username: str) -> LivePage:
        return live.live_page(self.base_url, self.member(username))

    def post(self, username: str, body: str) -> None:
        """A plain form POST straight to the app's FastCGI socket (fast: for streams of messages)."""
        response = live.post_message(self.app.socket, self.host, self.member(username), body)
        assert response.status == 303, f"{response.status} {response.text[:300]}"

    def post_http(self, username: str, body: str) -> requests.Response:
        """A plain form POST through nginx, as a browser without JavaScript sends it."""
        member = self.member(username)
        return requests.post(self.base_url + MESSAGES, cookies=member.cookies, allow_redirects=False, timeout=30,
                             headers={"Origin": self.base_url}, data={"csrf_token": member.csrf_token, "body": body})

    def latest_demo_id(self) -> int:
        return support.db_query(self.data_dir, "SELECT coalesce(max(id), 0) FROM notifications WHERE topic = 'demo'")[0][0]

    def demo_ids(self, after: int, up_to: int) -> list[int]:
        return [i for i in live.notification_ids(self.data_dir, "demo", after) if i <= up_to]

    def message_rows(self) -> list[tuple[int, int, str]]:
        return live.stored_messages(self.data_dir)

    def live_message_notifications(self) -> int:
        return support.db_query(self.data_dir, "SELECT count(*) FROM notifications WHERE html LIKE '%class=\"live-message\"%'")[0][0]


@pytest.fixture(scope="module")
def live_site(tmp_path_factory):
    support.need("nginx")
    data_dir = tmp_path_factory.mktemp("live-data")
    for username, display_name in USERS.items():
        create_user(data_dir, username, display_name=display_name)
    with live.running_site(data_dir, "gmk-live-") as (app, bridge, web):
        yield LiveSite(data_dir, app, bridge, web)


@pytest.fixture
def site(live_site):
    """The live site with its bridge running (a test that stopped it gets it started again)."""
    if not live_site.bridge.alive():
        live_site.bridge.start()
    yield live_site
    if not live_site.bridge.alive():
        live_site.bridge.start()


def presence_names(frame: str) -> list[str]:
    return PRESENCE.findall(frame)


def presence_frames(client: live.LiveClient, start: int = 0) -> list[str]:
    return [frame for frame in client.frames[start:] if 'id="presence-demo"' in frame]


# ---------------------------------------------------------------------------------------------
# 1. publish → frame


def test_a_message_posted_by_another_user_is_pushed_with_its_notification_id(site):
    page = site.page("alice")
    body = "Hello over the bridge"

    async def scenario():
        async with ClientPool(site.base_url) as pool:
            alice = await pool.open(page, site.member("alice"), name="alice")
            await alice.wait_for_frame('title="@alice"')  # her own join: the socket is live
            response = await asyncio.to_thread(site.post_http, "bob", body)
            assert response.status_code == 303, response.text[:300]
            assert response.headers["Location"] == DEMO
            return await alice.wait_for_frame(body)

    frame = run(scenario())
    (notification_id, stored_html), = support.db_query(
        site.data_dir, "SELECT id, html FROM notifications WHERE html LIKE ?", (f"%{body}%",))
    (message_id,), = support.db_query(site.data_dir, "SELECT id FROM live_messages WHERE body = ?", (body,))
    assert frame == f"<!--n:{notification_id}-->{stored_html}"
    assert notification_id > page.last
    assert (f'<ol id="live-messages" hx-swap-oob="beforeend"><li class="live-message" id="message-{message_id}">'
            f'<strong class="live-author">Bob Brook</strong> <span class="live-body">{body}</span></li>') in frame


# ---------------------------------------------------------------------------------------------
# 2. refused before the upgrade


REFUSALS = {
    "forged token": "The subscription token is not valid.",
    "expired token": "The subscription has expired; reload the page.",
    "foreign origin": "Connections from this origin are not allowed.",
    "no origin": "Connections from this origin are not allowed.",
    "no token": "A subscription token is required.",
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_handshake_is_refused_with_403_and_a_reason(site, case):
    member = site.member("carol")
    page = site.page("carol")
    origin: str | None = site.base_url
    token = page.token
    if case == "forged token":
        token = live.forge(token)
    elif case == "expired token":
        token = live.sign_subscription(site.data_dir, member.user_id, ["demo"], int(time.time()) - 60)
    elif case == "foreign origin":
        origin = "http://evil.example"
    elif case == "no origin":
        origin = None
    query = f"last={page.last}" if case == "no token" else f"t={token}&last={page.last}"
    url = f"ws://{site.host}/ws/?{query}"
    refused_before = site.bridge.metric("gomoku_bridge_refused_connections_total")

    async def scenario():
        if case == "expired token":
            # The same token with a future expiry opens: the refusal is about the expiry, not the signing.
            fresh = live.sign_subscription(site.data_dir, member.user_id, ["demo"], int(time.time()) + 600)
            async with ClientPool(site.base_url) as pool:
                client = await pool.open(LivePage(f"/ws/?t={fresh}&last={page.last}", fresh, page.last, "", ""), member)
                await client.wait_for_frame('title="@carol"')
        return await live.refused(url, origin=origin, cookie=member.cookie_header)

    status, body = run(scenario())
    assert (status, body) == (403, REFUSALS[case] + "\n")
    assert site.bridge.metric("gomoku_bridge_refused_connections_total") == refused_before + 1


# ---------------------------------------------------------------------------------------------
# 3. SIGKILL during a stream; replay after reconnecting


STREAM_USERS = ["alice", "bob", "carol", "dave", "erin"]  # × 10 connections: 50, within 20 per user
STREAM_MESSAGES = 1000


def test_bridge_killed_mid_stream_every_client_gets_every_notification_once_and_in_order(site):
    pages = {username: site.page(username) for username in STREAM_USERS}
    site.member("frank")
    posted: list[int] = []
    killed_at: list[int] = []

    def post_stream():
        for n in range(STREAM_MESSAGES):
            site.post("frank", f"stream {n}")
            posted.append(n)

    async def settle(clients) -> int:
        """Waits until no notification is being added and every client has the newest one."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            target = await asyncio.to_thread(site.latest_demo_id)
            if all(client.last >= target for client in clients):
                await asyncio.sleep(0.3)
                if await asyncio.to_thread(site.latest_demo_id) == target:
                    return target
            await asyncio.sleep(0.05)
        behind = [(c.name, c.last, c.connections) for c in clients if c.last < target]
        raise AssertionError(f"clients behind notification {target}: {behind[:10]}")

    async def scenario():
        stop = asyncio.Event()
        # Half of them with permessage-deflate, as browsers connect.
        clients = [live.ResumingClient(site.base_url, pages[username], site.member(username), f"{username}#{n}",
                                       compression="deflate" if n % 2 else None)
                   for username in STREAM_USERS for n in range(10)]
        tasks = [asyncio.create_task(client.run(stop)) for client in clients]
        try:
            await eventually(lambda: all(client.connections == 1 for client in clients), 30, "50 connections")
            poster = asyncio.create_task(asyncio.to_thread(post_stream))
            await eventually(lambda: len(posted) >= STREAM_MESSAGES * 3 // 10 or poster.done(), 60, "300 messages posted")
            await asyncio.to_thread(site.bridge.stop, signal.SIGKILL)
            killed_at.append(len(posted))
            await asyncio.to_thread(site.bridge.start)
            await poster
            await eventually(lambda: all(client.connections >= 2 for client in clients), 60,
                             "every client to reconnect to the new bridge")
            target = await settle(clients)
            # The new bridge reset the killed one's presence: exactly the 50 connections of now are present.
            present = await asyncio.to_thread(support.db_query, site.data_dir,
                                              "SELECT count(*), count(DISTINCT user_id) FROM presence WHERE topic = 'demo'")
            # What each had then (closing them below makes more presence notifications).
            received = {client.name: list(client.ids) for client in clients}
        finally:
            stop.set()
            await asyncio.gather(*(client.close() for client in clients), return_exceptions=True)
            await asyncio.wait(tasks, timeout=20)
            for task in tasks:
                task.cancel()
        return clients, target, received, present

    clients, target, received, present = run(scenario(), timeout=150)
    assert present == [(50, len(STREAM_USERS))]
    assert killed_at[0] < STREAM_MESSAGES, "the bridge was killed after the stream had ended"
    problems = []
    for client in clients:
        expected = site.demo_ids(client.first_last, target)
        ids = received[client.name]
        if ids != expected:
            duplicates = len(ids) - len(set(ids))
            missing = sorted(set(expected) - set(ids))
            unordered = ids != sorted(ids)
            extra = sorted(set(ids) - set(expected))
            problems.append(f"{client.name} (from {client.first_last}): {len(ids)} received, {len(expected)} expected, "
                            f"{duplicates} duplicates, missing {missing[:10]}{'…' if len(missing) > 10 else ''}, "
                            f"unexpected {extra[:10]}{'…' if len(extra) > 10 else ''}, out of order: {unordered}")
        # The kill dropped the connection without a close frame (1006).
        assert client.close_codes[0] == 1006, (client.name, client.close_codes)
        if client.compression:
            assert all(ext.startswith("permessage-deflate") for ext in client.extensions), (client.name, client.extensions)
        else:
            assert client.extensions == {""}, (client.name, client.extensions)
    assert not problems, "\n".join(problems[:20])
    stream = {body for _, _, body in site.message_rows() if body.startswith("stream ")}
    assert len(stream) == min(STREAM_MESSAGES, 200)  # the demo keeps its latest 200 messages
    assert site.bridge.metric("gomoku_bridge_replays_total") >= len(clients)
    assert site.bridge.metric("gomoku_bridge_replay_gaps_total") == 0


# ---------------------------------------------------------------------------------------------
# 4. ws-send round trip


def test_ws_send_round_trip_reply_to_the_sender_publish_to_everyone(site):
    alice_page, bob_page = site.page("alice"), site.page("bob")
    alice_member = site.member("alice")
    body = "Sent over the socket & <escaped>"
    messages_before = site.message_rows()
    frames_in_before = site.bridge.metric("gomoku_bridge_frames_in_total")

    async def scenario():
        async with ClientPool(site.base_url) as pool:
            alice = await pool.open(alice_page, alice_member, name="alice")
            bob = await pool.open(bob_page, site.member("bob"), name="bob", compression="deflate")
            assert live.negotiated_extensions(bob.ws).startswith("permessage-deflate")
            await bob.wait_for_frame('title="@bob"')
            await alice.wait_for_frame('title="@alice"')
            await alice.send(live.ws_send_message(MESSAGES, alice_page.csrf_token, site.base_url + DEMO,
                                                  csrf_token=alice_page.csrf_token, body=body))
            reply = await alice.wait_for_frame('<form id="live-form"')
            to_bob = await bob.wait_for_frame("Sent over the socket")
            to_alice = await alice.wait_for_frame("Sent over the socket")
            return reply, to_bob, to_alice

    reply, to_bob, to_alice = run(scenario())
    # The sender's answer: a fresh form swapped out of band, not a notification.
    assert not reply.startswith("<!--n:")
    assert reply.startswith('<form id="live-form" class="live-form" method="post" action="/live/demo/messages/" ws-send '
                            'hx-swap-oob="true">'), reply
    assert f'<input type="hidden" name="csrf_token" value="{alice_page.csrf_token}">' in reply
    assert '<input id="live-body" name="body" type="text"' in reply and "value=" not in reply.split('id="live-body"')[1].split(">")[0]
    # Everyone, the sender included, gets the published message.
    assert to_bob == to_alice
    new = [row for row in site.message_rows() if row not in messages_before]
    assert new == [(new[0][0], alice_member.user_id, body)]
    (notification_id,), = support.db_query(site.data_dir, "SELECT id FROM notifications WHERE html LIKE ?",
                                           (f'%id="message-{new[0][0]}"%',))
    assert to_bob.startswith(f"<!--n:{notification_id}--><ol id=\"live-messages\" hx-swap-oob=\"beforeend\">")
    assert ('<strong class="live-author">Alice Arden</strong> <span class="live-body">Sent over the socket &amp; '
            '&lt;escaped&gt;</span>') in to_bob
    assert site.bridge.metric("gomoku_bridge_frames_in_total") >= frames_in_before + 1


# ---------------------------------------------------------------------------------------------
# 5. presence


def test_presence_join_and_leave_are_seen_by_another_client(site):
    carol_page, dave_page = site.page("carol"), site.page("dave")

    async def scenario():
        async with ClientPool(site.base_url) as pool:
            carol = await pool.open(carol_page, site.member("carol"), name="carol")
            await carol.wait_for_frame('title="@carol"')
            mark = len(carol.frames)
            dave = await live.LiveClient.open(dave_page.ws_url(site.base_url), origin=site.base_url,
                                              cookie=site.member("dave").cookie_header, name="dave")
            try:
                joined = await carol.wait_for(
                    lambda c: next((f for f in presence_frames(c, mark) if "dave" in presence_names(f)), None),
                    what="Dave in Carol's presence list")
                page_while_both = await asyncio.to_thread(live.live_page, site.base_url, site.member("erin"))
            finally:
                mark = len(carol.frames)
                await dave.close()
            left = await carol.wait_for(
                lambda c: next((f for f in presence_frames(c, mark) if "dave" not in presence_names(f)), None),
                what="Dave gone from Carol's presence list")
            return joined, page_while_both, left, dave.close_code

    joined, page_while_both, left, dave_close = run(scenario())
    assert 'Dave Dunmore</li>' in joined and "carol" in presence_names(joined)
    assert joined.startswith("<!--n:") and '<ul class="presence" id="presence-demo" hx-swap-oob="true"' in joined
    listed = re.search(r'<ul class="presence" id="presence-demo"[^>]*>.*?</ul>', page_while_both.html, re.S).group(0)
    assert "Dave Dunmore" in listed and "Carol Crane" in listed
    assert "Dave Dunmore" not in left and "carol" in presence_names(left)
    assert dave_close == 1000
    dave_id = site.member("dave").user_id
    support.wait_until(lambda: not support.db_query(site.data_dir, "SELECT 1 FROM presence WHERE user_id = ?", (dave_id,)),
                       10, message="Dave's presence rows to go")


# ---------------------------------------------------------------------------------------------
# 6. slow consumer


def test_a_client_that_stops_reading_is_closed_with_1013_while_another_gets_everything(site):
    slow_page, reader_page = site.page("alice"), site.page("bob")
    slow_member = site.member("alice")
    site.member("frank")
    drops_before = site.bridge.metric("gomoku_bridge_dropped_slow_consumers_total")
    big = '"' * 500  # the longest message, 3 KB once escaped (&quot;)

    def post_until_dropped() -> int:
        count = 0
        while site.bridge.metric("gomoku_bridge_dropped_slow_consumers_total") == drops_before:
            assert count < 20_000, "20,000 messages (60 MB) and the bridge still buffers for the client that does not read"
            for _ in range(50):
                site.post("frank", big)
                count += 1
        return count

    async def scenario():
        async with ClientPool(site.base_url) as pool:
            reader = await pool.open(reader_page, site.member("bob"), name="reader")
            await reader.wait_for_frame('title="@bob"')
            # Through nginx, from a socket with a tiny receive window, that never reads.
            slow = live.RawWebSocket("127.0.0.1", site.web.port, slow_page.ws_path, origin=site.base_url,
                                     cookie=slow_member.cookie_header)
            try:
                await reader.wait_for_frame('title="@alice"')  # the slow socket is registered
                posted = await asyncio.to_thread(post_until_dropped)
                last = await asyncio.to_thread(site.latest_demo_id)
                await reader.wait_for(lambda c: c.ids and c.ids[-1] >= last, 60, f"notification {last}")
                texts, code = await asyncio.to_thread(slow.read_all_frames)
            finally:
                slow.close()
            slow_ids = [live.note_id(text) for text in texts]
            # Like htmx after 1013: reconnect with the last id received, and get the rest replayed.
            again = await pool.open(slow_page, slow_member, last=slow_ids[-1], name="again", max_size=None)
            await again.wait_for(lambda c: c.ids and c.ids[-1] >= last, 60, f"notification {last} replayed")
            return posted, last, list(reader.ids), texts, code, slow_ids, list(again.ids), again.close_code

    posted, last, reader_ids, texts, code, slow_ids, again_ids, again_close = run(scenario())
    assert site.bridge.metric("gomoku_bridge_dropped_slow_consumers_total") == drops_before + 1
    assert code == 1013
    assert [i for i in reader_ids if i <= last] == site.demo_ids(reader_page.last, last), "the reader missed something"
    expected_slow = site.demo_ids(slow_page.last, last)
    assert None not in slow_ids and slow_ids == expected_slow[:len(slow_ids)], "the slow client's frames are not an in-order prefix"
    assert len(slow_ids) < len(expected_slow), f"the slow client got all {len(slow_ids)} frames before its close"
    assert again_close is None, f"the reconnected client was closed with {again_close}"
    assert [i for i in again_ids if i <= last] == expected_slow[len(slow_ids):]
    assert posted >= 100


# ---------------------------------------------------------------------------------------------
# 7. limits


def test_oversized_frame_gets_1009_and_a_flood_gets_1008_other_connections_carry_on(site):
    bob_page, erin_page = site.page("bob"), site.page("erin")
    bob_member = site.member("bob")
    policy_before = site.bridge.metric("gomoku_bridge_policy_closes_total")

    async def scenario():
        async with ClientPool(site.base_url) as pool:
            observer = await pool.open(erin_page, site.member("erin"), name="observer")
            await observer.wait_for_frame('title="@erin"')
            oversized = await pool.open(bob_page, bob_member, name="oversized")
            try:
                # Far over --max-frame (65536 by default): most of it is still arriving when the bridge
                # answers, and must be read, not reset, for the client to get the 1009.
                await oversized.send("x" * 2_000_000)
            except live.ConnectionClosed:
                pass
            oversized_code = await oversized.wait_closed()
            flood = await pool.open(bob_page, bob_member, name="flood")
            for n in range(300):  # far more than the burst (20) even if this machine is slow
                try:
                    await flood.send(f"flood {n}")
                except live.ConnectionClosed:
                    break
            flood_code = await flood.wait_closed()
            # The same user's other connection still works both ways; the observer saw everything.
            sibling = await pool.open(bob_page, bob_member, name="sibling")
            await sibling.wait_for_frame('title="@bob"')
            await sibling.send(live.ws_send_message(MESSAGES, bob_page.csrf_token, site.base_url + DEMO, body="still here"))
            await sibling.wait_for_frame('<form id="live-form"')
            await observer.wait_for_frame("still here")
            await sibling.wait_for_frame("still here")
            return oversized_code, flood_code, flood.close_reason, observer.done.is_set(), sibling.done.is_set()

    oversized_code, flood_code, flood_reason, observer_closed, sibling_closed = run(scenario())
    assert oversized_code == 1009
    assert (flood_code, flood_reason) == (1008, "too many messages")
    assert not observer_closed and not sibling_closed
    assert site.bridge.metric("gomoku_bridge_policy_closes_total") == policy_before + 1
    assert [body for _, _, body in site.message_rows()][-1] == "still here"


def test_the_twenty_first_connection_of_one_user_is_closed_with_1008(site):
    page = site.page("dave")
    member = site.member("dave")

    async def scenario():
        async with ClientPool(site.base_url) as pool:
            baseline = site.bridge.metric("gomoku_bridge_connections")
            first = [await pool.open(page, member, name=f"dave#{n}") for n in range(20)]
            await eventually(lambda: site.bridge.metric("gomoku_bridge_connections") >= baseline + 20, 20, "20 connections")
            extra = await pool.open(page, member, name="dave#21")
            extra_code = await extra.wait_closed()
            await first[0].close()
            replacement = await pool.open(page, member, name="dave#22")
            await replacement.wait_for_frame('title="@dave"')
            return extra_code, extra.close_reason, [client.done.is_set() for client in first[1:]], replacement.done.is_set()

    extra_code, reason, others_closed, replacement_closed = run(scenario())
    assert (extra_code, reason) == (1008, "too many connections for this user")
    assert not any(others_closed) and not replacement_closed


# ---------------------------------------------------------------------------------------------
# 8. ws-send errors


def test_bad_ws_send_messages_get_an_error_fragment_and_change_nothing(site):
    page = site.page("erin")
    token = page.csrf_token
    current = site.base_url + DEMO

    def message(path=MESSAGES, csrf=token, **fields):
        return live.ws_send_message(path, csrf, current, **fields)

    cases = [
        ("not json at all", "The message was not understood (expected a JSON object)."),
        ('["a", "list"]', "The message was not understood (expected a JSON object)."),
        (message("/internal/presence/", event="reset", body="x"), "The message does not name a place it may be sent to."),
        (message("/accounts/logout/", body="x"), "The message does not name a place it may be sent to."),
        (message("/live/../internal/presence/", body="x"), "The message does not name a place it may be sent to."),
        ({"body": "no path", "HEADERS": {"X-CSRF-Token": token}}, "The message does not name a place it may be sent to."),
        (message("/live/nowhere/", body="x"), "There is no page at /live/nowhere/."),
        (message(csrf=None, body="no token"), "The form is missing its security token."),
        (message(csrf="forged-token", body="forged token"), "The form's security token is out of date."),
        (message(csrf=token, csrf_token="forged-token", body="forged") | {"HEADERS": {"HX-Request": "true"}},
         "The form's security token is out of date."),
        (message(body="   "), "Write a message first."),
    ]
    messages_before = site.message_rows()
    published_before = site.live_message_notifications()

    async def scenario():
        answers = []
        async with ClientPool(site.base_url) as pool:
            erin = await pool.open(page, site.member("erin"), name="erin")
            await erin.wait_for_frame('title="@erin"')
            for sent, _ in cases:
                mark = len(erin.frames)
                await erin.send(sent)
                answers.append(await erin.wait_for(
                    lambda c: next((f for f in c.frames[mark:] if f.startswith(ERROR_FRAGMENT)), None),
                    what=f"the error answer to {sent!r}"))
            return answers, erin.done.is_set()

    answers, closed = run(scenario())
    for (sent, expected), answer in zip(cases, answers):
        assert expected in html.unescape(answer), (sent, answer)
        assert not answer.startswith("<!--n:")
    assert not closed
    assert site.message_rows() == messages_before
    assert site.live_message_notifications() == published_before


def test_a_message_of_one_letter_and_thousands_of_combining_marks_is_refused(site):
    body = "a" + "\u0301" * 2000  # 2,001 code points, 4,001 bytes of UTF-8
    messages_before = site.message_rows()
    response = site.post_http("frank", body)
    assert response.status_code == 422, f"{response.status_code} {response.headers.get('Location')}"
    assert "A message has at most 500 characters." in response.text
    assert site.message_rows() == messages_before


# ---------------------------------------------------------------------------------------------
# 9. SIGTERM


def test_sigterm_closes_every_socket_with_1012_and_a_reconnect_is_replayed_what_it_missed(site):
    pages = {name: site.page(name) for name in ("alice", "bob")}

    async def scenario():
        async with ClientPool(site.base_url) as pool:
            clients = [await pool.open(pages[name], site.member(name), name=name) for name in ("alice", "bob", "bob")]
            for client in clients:
                await client.wait_for(lambda c: c.ids, what="a first notification")
            exit_code = await asyncio.to_thread(site.bridge.stop, signal.SIGTERM)
            codes = [(await client.wait_closed(), client.close_reason) for client in clients]
            await asyncio.to_thread(site.post, "carol", "posted while the bridge was down")
            await asyncio.to_thread(site.bridge.start)
            back = await pool.open(pages["alice"], site.member("alice"), last=clients[0].ids[-1], name="back")
            replayed = await back.wait_for_frame("posted while the bridge was down")
            return exit_code, codes, replayed

    exit_code, codes, replayed = run(scenario())
    assert exit_code == 0
    assert codes == [(1012, "restarting")] * 3
    assert replayed.startswith("<!--n:")


# ---------------------------------------------------------------------------------------------
# 10. WebSocket conformance (Autobahn cases, replayed by kosoku)


def test_autobahn_conformance_cases_pass_against_the_echo_route(tmp_path):
    kosoku = Path(sys.executable).parent / "kosoku"
    if not kosoku.exists():
        kosoku = Path(support.need("kosoku"))
    data_dir = tmp_path / "echo-data"
    support.run_cli(data_dir, "migrate")
    # Its own database and a socket where no app listens: this bridge must not touch the live site.
    bridge = Bridge(data_dir, str(tmp_path / "no-app.sock"), args=["--test-echo"]).start()
    # Two runs: the 9.* cases (messages up to 16 MiB) keep both cores and the bridge's event loops busy for
    # seconds, and cases with 1-second deadlines (6.4.*: fail fast on bad UTF-8) would miss them beside them.
    runs = {"protocol": (["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "10.*"], 4), "performance": (["9.*"], 2)}
    results, outputs = {}, []
    try:
        for name, (patterns, parallelism) in runs.items():
            out_dir = tmp_path / f"reports-{name}"
            result = subprocess.run([str(kosoku), bridge.addr, *[arg for p in patterns for arg in ("-i", p)],
                                     "-p", str(parallelism), "-o", str(out_dir)],
                                    capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
            outputs.append((name, result.returncode, result.stdout[-2000:] + result.stderr[-2000:]))
            report = json.loads((out_dir / "index.json").read_text())
            results.update(next(iter(report.values())))
    finally:
        bridge.stop()
    failed = {case: outcome for case, outcome in results.items()
              if outcome["behavior"] not in ("OK", "NON-STRICT", "INFORMATIONAL")
              or outcome["behaviorClose"] not in ("OK", "INFORMATIONAL")}
    assert all(code == 0 for _, code, _ in outputs) and not failed, f"{failed}\n{outputs}"
    assert len(results) == 301, sorted(results)  # 247 protocol cases + 54 performance cases


# ---------------------------------------------------------------------------------------------
# 11. Two browsers


def open_live_demo(driver, site, member: Member) -> None:
    """Carries `member`'s session into the browser and opens the live demo page."""
    driver.get(site.base_url + "/healthz")
    for name, value in member.cookies.items():
        driver.add_cookie({"name": name, "value": value, "path": "/", "httpOnly": name == "gomoku_session"})
    driver.get(site.base_url + DEMO)




def message_texts(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#live-messages .live-body')).map(e => e.textContent);")


def present_names(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#presence-demo .presence-user')).map(e => e.textContent.trim());")


def banner_hidden(driver) -> bool:
    return driver.execute_script("var b = document.getElementById('offline-banner'); return b.hidden && !b.offsetParent;")


def send_from_the_form(driver, text: str) -> None:
    from selenium.webdriver.common.by import By
    field = driver.find_element(By.ID, "live-body")
    field.clear()
    field.send_keys(text)
    driver.find_element(By.CSS_SELECTOR, "#live-form button[type=submit]").click()


@pytest.mark.browser
def test_two_browsers_see_each_other_and_recover_after_a_bridge_restart(site, chrome):
    erin_member, frank_member = site.member("erin"), site.member("frank")
    erin, frank = chrome(), chrome()
    open_live_demo(erin, site, erin_member)
    open_live_demo(frank, site, frank_member)
    for driver in (erin, frank):
        browser_wait(driver, lambda d: {"Erin Ellis", "Frank Fell"} <= set(present_names(d)), "both names under Here now")
        assert banner_hidden(driver)

    for driver in (erin, frank):  # gone after any reload: everything below happens in these two documents
        driver.execute_script("document.body.dataset.e2eDocument = 'original';")
    frames_in = site.bridge.metric("gomoku_bridge_frames_in_total")
    send_from_the_form(erin, "Hello Frank, from Erin's browser")
    browser_wait(frank, lambda d: "Hello Frank, from Erin's browser" in message_texts(d), "Erin's message at Frank's")
    browser_wait(erin, lambda d: "Hello Frank, from Erin's browser" in message_texts(d), "Erin's message at Erin's")
    # The form was swapped for a fresh one (the ws-send answer), so it is empty again.
    browser_wait(erin, lambda d: d.execute_script("return document.getElementById('live-body').value") == "",
                 "the emptied form")
    send_from_the_form(frank, "Hi Erin, Frank here")
    browser_wait(erin, lambda d: "Hi Erin, Frank here" in message_texts(d), "Frank's message at Erin's")
    bodies = [body for _, _, body in site.message_rows()]
    assert bodies[-2:] == ["Hello Frank, from Erin's browser", "Hi Erin, Frank here"]
    # Both were sent over the socket (ws-send), not as form posts.
    assert site.bridge.metric("gomoku_bridge_frames_in_total") == frames_in + 2

    assert site.bridge.stop(signal.SIGTERM) == 0
    for driver in (erin, frank):
        browser_wait(driver, lambda d: not banner_hidden(d), "the offline banner")
    response = site.post_http("frank", "Sent while the bridge was away")
    assert response.status_code == 303
    site.bridge.start()
    for driver in (erin, frank):
        browser_wait(driver, banner_hidden, "the offline banner to hide again", timeout=60)
        browser_wait(driver, lambda d: "Sent while the bridge was away" in message_texts(d), "the missed message, replayed")
        assert message_texts(driver).count("Sent while the bridge was away") == 1
        assert driver.execute_script("return document.body.dataset.e2eDocument") == "original"
        assert driver.current_url == site.base_url + DEMO
    # It came back by replay on the new bridge, not by reloading the page.
    assert site.bridge.metric("gomoku_bridge_replays_total") >= 2
    assert site.bridge.metric("gomoku_bridge_replay_gaps_total") == 0


# ---------------------------------------------------------------------------------------------
# 12. The shipped lighttpd configuration carries the WebSocket too


def test_through_lighttpd_the_page_connects_and_a_post_is_pushed(tmp_path_factory):
    support.need("lighttpd")
    data_dir = tmp_path_factory.mktemp("lighttpd-live-data")
    for username in ("alice", "bob"):
        create_user(data_dir, username, display_name=USERS[username])
    with live.running_site(data_dir, "gmk-lighttpd-live-", kind="lighttpd") as (app, bridge, web):
        site = LiveSite(data_dir, app, bridge, web)
        page = site.page("alice")
        body = "Pushed through lighttpd"

        async def scenario():
            async with ClientPool(site.base_url) as pool:
                alice = await pool.open(page, site.member("alice"), name="alice")
                await alice.wait_for_frame('title="@alice"')
                response = await asyncio.to_thread(site.post_http, "bob", body)
                assert response.status_code == 303, response.text[:300]
                return await alice.wait_for_frame(body)

        frame = run(scenario())
        assert frame.startswith("<!--n:") and body in frame
