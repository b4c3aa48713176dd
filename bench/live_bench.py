"""Realtime benchmarks against a running bridge (started by scripts/bench.sh):

  latency  commit → frame received, p50/p99, with N subscribed connections (one topic)
  latency-quiet  the same with this client idle while the bridge writes: the bridge's own figures
  idle     bridge RSS per idle connection at N connections
  fanout   one publish to N subscribers: time until the last frame is written (server) and received
           (this client, reading meanwhile on the same cores)
  fanout-quiet  the same with this client idle while the bridge writes: the bridge's own send time

Notifications are committed straight into the shared SQLite file and the doorbell is rung, exactly
as a handler does after its transaction: what is measured is the bridge, from commit to socket.
Prints one JSON object per scenario on stdout.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import resource
import socket
import sqlite3
import statistics
import time

from websockets.asyncio.client import connect


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Stack:
    def __init__(self, data_dir: str, port: int, pid: int):
        self.data_dir, self.port, self.pid = data_dir, port, pid
        self.secret = open(f"{data_dir}/secret").read().strip().encode()
        self.db = sqlite3.connect(f"{data_dir}/gomoku.sqlite3", isolation_level=None, timeout=10)
        self.db.execute("PRAGMA journal_mode=WAL")
        # As the app commits (Store's `synchronous = NORMAL`): Python's default FULL would fsync the WAL in
        # every commit, and the bridge's commit → frame clock starts at created_us, before the commit.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.bell = f"{data_dir}/gomoku.sqlite3-bell"

    def token(self, topics: list[str]) -> str:
        payload = b64(f"|{int(time.time()) + 3600}|{','.join(topics)}".encode())
        return payload + "." + b64(hmac.new(self.secret, b"subscribe:" + payload.encode(), hashlib.sha256).digest())

    async def open(self, topic: str, count: int, batch: int = 200):
        url = f"ws://127.0.0.1:{self.port}/ws/?t={self.token([topic])}"
        sockets = []
        for start in range(0, count, batch):
            sockets += await asyncio.gather(*[
                connect(url, origin=f"http://127.0.0.1:{self.port}", compression=None, max_queue=None, ping_interval=None)
                for _ in range(min(batch, count - start))])
        return sockets

    def publish(self, topic: str, html: str) -> float:
        """Commits one notification and rings the bell; returns the commit time (perf_counter)."""
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("INSERT INTO notifications (topic, html, created_us) VALUES (?, ?, ?)",
                        (topic, html, time.time_ns() // 1000))
        self.db.execute("COMMIT")
        committed = time.perf_counter()
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as bell:
            try:
                bell.sendto(b"\x01", self.bell)
            except OSError:
                pass
        return committed

    def cpu_seconds(self) -> float:
        """The bridge's CPU time so far (user + system, all threads)."""
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        import os
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_kib(self) -> int:
        with open(f"/proc/{self.pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))


async def receive(sock, marker: str) -> str:
    """The next frame containing `marker` (presence updates for the topic may come in between)."""
    while True:
        frame = await sock.recv()
        if marker in frame:
            return frame


def flush_histogram(port: int) -> dict[float, int]:
    """The bridge's cumulative commit-to-flush buckets (upper bound in ms → count)."""
    import urllib.request
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    buckets = {}
    for line in text.splitlines():
        if line.startswith("gomoku_bridge_commit_to_flush_ms_bucket"):
            bound = line.split('le="')[1].split('"')[0]
            buckets[float("inf") if bound == "+Inf" else float(bound)] = int(line.rsplit(" ", 1)[1])
    return buckets


def server_quantiles(before: dict[float, int], after: dict[float, int]) -> dict:
    """p50/p99 of the frames written between two readings: the bucket's upper bound, and an estimate
    interpolated linearly within the bucket (as Prometheus's histogram_quantile does) to compare runs
    whose figures fall in the same bucket."""
    delta = {bound: after[bound] - before.get(bound, 0) for bound in after}
    total = delta[float("inf")]
    result = {"server_frames": total}
    bounds = sorted(delta)
    for label, q in (("p50", 0.5), ("p99", 0.99)):
        upper = next((bound for bound in bounds if delta[bound] >= q * total), None) if total else None
        result[f"server_{label}_ms_at_most"] = upper
        if upper is not None and upper != float("inf"):
            index = bounds.index(upper)
            lower = bounds[index - 1] if index else 0.0
            below = delta[lower] if index else 0
            result[f"server_{label}_ms_estimate"] = round(lower + (upper - lower) * (q * total - below) / max(1, delta[upper] - below), 2)
    return result


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def latency(stack: Stack, connections: int, messages: int, quiet: bool = False) -> dict:
    """Commit → frame for each of `messages` 2 KB notifications to `connections` subscribers. With
    `quiet`, this client blocks for 100 ms after each publish (see `fanout`), so the server-side
    figures are the bridge's alone; its own receive times then include that pause and are left out."""
    sockets = await stack.open("bench:latency", connections)
    await asyncio.sleep(0.5)
    before = flush_histogram(stack.port)
    samples, last = [], []
    for sequence in range(messages):
        marker = f'data-seq="{sequence}"'
        committed = stack.publish("bench:latency", f'<div id="bench" {marker} hx-swap-oob="true">' + "x" * 2000 + "</div>")
        if quiet:
            time.sleep(0.1)  # blocking on purpose: no reading until the bridge is done

        async def arrival(sock):
            await receive(sock, marker)
            return (time.perf_counter() - committed) * 1000
        times = await asyncio.gather(*[arrival(s) for s in sockets])
        samples += times
        last.append(max(times))
    server = server_quantiles(before, flush_histogram(stack.port))
    await close_all(sockets)
    if quiet:
        return {"scenario": "commit_to_frame", "client": "quiet", "connections": connections, "messages": messages, **server,
                "note": "server side: commit to each frame written, the client idle meanwhile"}
    return {"scenario": "commit_to_frame", "client": "reading", "connections": connections, "messages": messages, **server,
            "p50_ms": round(statistics.median(samples), 3), "p99_ms": round(percentile(samples, 99), 3),
            "last_client_p50_ms": round(statistics.median(last), 3),
            "note": "per frame and client, measured by one Python client process on the same 2 cores"}


async def idle(stack: Stack, connections: int) -> dict:
    before = stack.rss_kib()
    sockets = await stack.open("bench:idle", connections)
    await asyncio.sleep(3)
    after = stack.rss_kib()
    await close_all(sockets)
    return {"scenario": "idle_rss", "connections": connections, "rss_before_kib": before, "rss_after_kib": after,
            "bytes_per_connection": round((after - before) * 1024 / connections)}


async def fanout(stack: Stack, connections: int, rounds: int, quiet: bool) -> dict:
    """One publish to `connections` subscribers, `rounds` times. With `quiet`, this client blocks (reads
    nothing) for a second after each publish, so the bridge has the two cores to itself and the frames
    wait in the kernel's socket buffers: the server-side figure is then the bridge's own send time.
    Otherwise the client reads while the bridge writes, as on a machine shared with its clients."""
    sockets = await stack.open("bench:fanout", connections)
    await asyncio.sleep(3)  # let the presence updates of the joins pass
    before = flush_histogram(stack.port)
    cpu_before = stack.cpu_seconds()
    samples = []
    for sequence in range(rounds):
        marker = f'data-seq="{sequence}"'
        committed = stack.publish("bench:fanout", f'<div id="fan" {marker} hx-swap-oob="true">hello</div>')
        if quiet:
            time.sleep(1.0)  # blocking on purpose: no reading until the bridge is done
        await asyncio.gather(*[receive(s, marker) for s in sockets])
        samples.append((time.perf_counter() - committed) * 1000)
    bridge_cpu_ms = (stack.cpu_seconds() - cpu_before) * 1000 / rounds
    server = server_quantiles(before, flush_histogram(stack.port))
    await close_all(sockets)
    result = {"scenario": "fanout", "client": "quiet" if quiet else "reading", "connections": connections, "rounds": rounds,
              **server, "bridge_cpu_ms_per_publish": round(bridge_cpu_ms, 1)}
    if not quiet:
        result |= {"last_frame_p50_ms": round(statistics.median(samples), 1), "last_frame_max_ms": round(max(samples), 1),
                   "note": "received by a Python client on the same 2 cores; the client's own receive loop is included"}
    else:
        result["note"] = "server side: commit to each frame written (p99 ≈ the last), the client idle meanwhile"
    return result


async def close_all(sockets) -> None:
    for start in range(0, len(sockets), 500):
        await asyncio.gather(*[s.close() for s in sockets[start:start + 500]])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("scenario", nargs="+")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    stack = Stack(args.data_dir, args.port, args.pid)
    for spec in args.scenario:
        name, _, count = spec.partition(":")
        if name in ("latency", "latency-quiet"):
            result = await latency(stack, int(count), 200, quiet=name == "latency-quiet")
        elif name == "idle":
            result = await idle(stack, int(count))
        elif name in ("fanout", "fanout-quiet"):
            result = await fanout(stack, int(count), 5, quiet=name == "fanout-quiet")
        else:
            raise SystemExit(f"unknown scenario {spec}")
        print(json.dumps(result), flush=True)


asyncio.run(main())
