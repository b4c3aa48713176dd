"""Push latency when players move at a human pace (open loop), for `make bench` (scenario `pace`).

The `move` scenario runs the peers' closed-loop movepush.py: every game moves as soon as its previous
push arrived, so at 50 games the latency a client sees is mostly its place in the queue (games divided
by throughput). Here each of G games instead has a fixed schedule, one move every --interval seconds,
its start placed at random within the first interval so the games do not move in step. The schedule
is open loop: a move that starts late does not shift the ones after it. Within one game a move still
waits for the previous one's pushes (the other player cannot move before seeing the stone).

Per move it measures
  http_ms  the POST /games/<id>/move/ round trip;
  push_ms  from sending that POST until the opponent's WebSocket receives a frame (the mover's own
           copy is awaited and dropped);
  start lag  how late the POST left against its scheduled time. A move counts in late_starts when it
           left more than --late-ms after its slot: the client (or the game's previous move) was
           behind, which tells client lag apart from server latency.
With --metrics it also reads the bridge's commit → dispatch/flush histograms at the start and the end
of the measured window (bench/move_bench.py's functions). Prints one JSON line on stdout; progress
goes to stderr.

The client pieces (Player, Inbox, cpu_seconds, …) come from the peers' loadgen/common.py (--loadgen),
so this runs with the loadgen's python (aiohttp, websockets, uvloop).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import resource
import sys
import time
from urllib.parse import urlsplit

SIZE = 15


def stone_sequence() -> list[tuple[int, int]]:
    """Cells for alternate black/white moves, from the centre outwards, in which neither colour ever
    has five in a row: black takes the cells with (col + 2·row) mod 4 < 2 and white the others, which
    bounds every row, column and diagonal run of one colour to 2. Checked move by move below."""
    centre = (SIZE - 1) / 2

    def by_distance(cells):
        return sorted(cells, key=lambda rc: (max(abs(rc[0] - centre), abs(rc[1] - centre)),
                                             abs(rc[0] - centre) + abs(rc[1] - centre), rc))

    cells = [(r, c) for r in range(SIZE) for c in range(SIZE)]
    first = by_distance([rc for rc in cells if (rc[1] + 2 * rc[0]) % 4 < 2])
    second = by_distance([rc for rc in cells if (rc[1] + 2 * rc[0]) % 4 >= 2])
    black, white = (first, second) if len(first) >= len(second) else (second, first)
    sequence = [cell for pair in zip(black, white) for cell in pair] + black[len(white):]
    board: dict[tuple[int, int], int] = {}
    for index, (r, c) in enumerate(sequence):
        colour = index % 2
        assert (r, c) not in board, f"cell {(r, c)} played twice"
        board[(r, c)] = colour
        for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
            run = 1 + sum(1 for _ in _same(board, r, c, dr, dc, colour)) + sum(1 for _ in _same(board, r, c, -dr, -dc, colour))
            assert run < 5, f"move {index} at {(r, c)} makes {run} in a row"
    return sequence


def _same(board, r, c, dr, dc, colour):
    r, c = r + dr, c + dc
    while board.get((r, c)) == colour:
        yield r, c
        r, c = r + dr, c + dc


def summary(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p90": None, "p99": None, "max": None}
    ordered = sorted(values)

    def at(q):  # nearest rank
        return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 3)

    return {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": round(ordered[-1], 3)}


class Tally:
    def __init__(self):
        self.http_ms: list[float] = []
        self.push_ms: list[float] = []
        self.start_lag_ms: list[float] = []
        self.late_starts = self.late_behind_previous = 0
        self.errors = self.non_2xx = self.push_timeouts = self.unexpected_frames = 0
        self.games_used = self.slots_out_of_games = 0


async def open_sides(common, game, players):
    """Both players' game page and WebSocket: [(player, inbox, csrf)], black first."""
    sides = []
    for colour in ("black", "white"):
        player = players[game[colour]]
        ws_url, csrf = await player.open_game(game["id"])
        sides.append((player, common.Inbox(await player.connect_ws(ws_url)), csrf))
    return sides


async def play(common, slot, games, first_at, args, window, tally):
    """One game slot: a move at first_at + k·interval for k = 0, 1, … until the window ends; when a
    game runs out of cells (or fails) the slot goes on with its next prepared game, same schedule."""
    warm_end, end = window
    k = 0
    prev_done = first_at
    for game, sides in games:
        tally.games_used += 1
        ok = True
        for index, (row, col) in enumerate(SEQUENCE):
            due = first_at + k * args.interval
            if due >= end:
                return
            k += 1
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            mover, opponent = sides[index % 2], sides[1 - index % 2]
            player, own_inbox, csrf = mover
            other_inbox = opponent[1]
            tally.unexpected_frames += own_inbox.drain() + other_inbox.drain()
            if own_inbox.closed or other_inbox.closed:
                tally.errors += 1
                common.log(f"game {game['id']}: websocket closed")
                ok = False
                break
            data = {"row": str(row), "col": str(col), "csrf_token": csrf, "csrfmiddlewaretoken": csrf}
            headers = {"HX-Request": "true", "HX-Target": "board",
                       "HX-Current-URL": f"{player.base}/games/{game['id']}/", **player.csrf_headers(csrf)}
            t0 = time.perf_counter()
            measured = warm_end <= due < end
            lag = t0 - due
            if measured:
                tally.start_lag_ms.append(lag * 1000)
                if lag * 1000 > args.late_ms:
                    tally.late_starts += 1
                    tally.late_behind_previous += prev_done > due + args.late_ms / 1000
            try:
                async with player.http.post(f"{player.base}/games/{game['id']}/move/", data=data, headers=headers) as response:
                    await response.read()
                    status = response.status
            except Exception as error:  # noqa: BLE001 — any failure of the request counts as an error
                tally.errors += 1
                common.log(f"game {game['id']}: POST failed: {error!r}")
                ok = False
                break
            t1 = time.perf_counter()
            if not 200 <= status < 300:
                tally.errors += 1
                tally.non_2xx += 1
                common.log(f"game {game['id']}: move ({row},{col}) -> HTTP {status}")
                ok = False
                break
            try:
                t_push, frame = await asyncio.wait_for(other_inbox.queue.get(), args.push_timeout)
                _, own = await asyncio.wait_for(own_inbox.queue.get(), args.push_timeout)
                if frame is None or own is None:
                    raise ConnectionError("websocket closed")
            except (asyncio.TimeoutError, ConnectionError) as error:
                tally.errors += 1
                tally.push_timeouts += isinstance(error, asyncio.TimeoutError)
                common.log(f"game {game['id']}: no push for move ({row},{col}): {error!r}")
                ok = False
                break
            prev_done = time.perf_counter()
            if measured:
                tally.http_ms.append((t1 - t0) * 1000)
                tally.push_ms.append((t_push - t0) * 1000)
        if ok:
            common.log(f"slot {slot}: game {game['id']} is full; next game")
    if first_at + k * args.interval < end:
        tally.slots_out_of_games += 1
        common.log(f"slot {slot}: out of games (seed more, or a shorter run)")


def _client_cpu() -> float:
    """CPU seconds of this process and of the C client once it has exited (its own, whole run)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


async def play_in_python(common, args, used, players, rng, sample):
    """Plays every slot in this process (aiohttp + websockets): returns (tally, connect frames, when ready)."""
    prepared = []
    for offset in range(0, len(used), 10):  # a few at a time, as browsers would arrive
        prepared += await asyncio.gather(*(open_sides(common, g, players) for g in used[offset: offset + 10]))
    prepared_at = time.perf_counter()
    # The presence frames of joining (a few per game) are not part of the moves' pushes.
    await asyncio.sleep(0.5)
    connect_frames = sum(inbox.drain() for sides in prepared for _, inbox, _ in sides)

    # Slot i plays games i, i + G, i + 2G, …
    slots = [[(used[j], prepared[j]) for j in range(i, len(used), args.games)] for i in range(args.games)]
    begin = time.perf_counter() + 0.2
    window = (begin + args.warmup, begin + args.warmup + args.duration)
    start_sample = asyncio.create_task(sample("start", window[0]))
    tally = Tally()
    await asyncio.gather(*(play(common, i, slot, begin + rng.uniform(0, args.interval), args, window, tally)
                           for i, slot in enumerate(slots)))
    await start_sample
    await sample("end", 0)  # after the last move's pushes, so every measured move is in the counts
    closing = time.perf_counter()
    await asyncio.gather(*(inbox.close() for sides in prepared for _, inbox, _ in sides))
    common.log(f"closed {2 * len(prepared)} WebSockets in {time.perf_counter() - closing:.1f}s")
    return tally, connect_frames, prepared_at


async def play_in_c(common, args, used, players, rng, sample):
    """Opens the game pages here, then lets bench/pace_client.c connect the WebSockets and play the
    same schedule, timestamping each answer and frame as `read` returns it (see that file)."""
    async def side_line(game, colour):
        player = players[game[colour]]
        ws_url, csrf = await player.open_game(game["id"])
        cookie = "; ".join(f"{c.key}={c.value}" for c in player.http.cookie_jar)
        path = "/" + ws_url.split("://", 1)[1].split("/", 1)[1]
        return "\t".join(("side", cookie, csrf, path))

    sides = {}
    for offset in range(0, len(used), 10):
        batch = used[offset: offset + 10]
        lines = await asyncio.gather(*(side_line(g, colour) for g in batch for colour in ("black", "white")))
        for index, game in enumerate(batch):
            sides[game["id"]] = lines[2 * index: 2 * index + 2]
    prepared_at = time.perf_counter()
    spec = [f"run\t{args.interval}\t{args.warmup}\t{args.duration}\t{args.late_ms}\t{args.push_timeout}"]
    spec += [f"cell\t{row}\t{col}" for row, col in SEQUENCE]
    for i in range(args.games):
        spec.append(f"slot\t{rng.uniform(0, args.interval)!r}")
        for j in range(i, len(used), args.games):
            spec += [f"game\t{used[j]['id']}", *sides[used[j]["id"]]]
    spec.append("end")

    address = urlsplit(args.base)
    client = await asyncio.create_subprocess_exec(args.client_bin, address.hostname, str(address.port or 80),
                                                  stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    client.stdin.write(("\n".join(spec) + "\n").encode())
    await client.stdin.drain()
    ready = (await client.stdout.readline()).decode().split()
    if not ready or ready[0] != "ready":
        raise SystemExit(f"pace_client did not get ready (exit status {await client.wait()})")
    connect_frames = int(ready[1])
    begin = time.perf_counter() + 0.2
    client.stdin.write(f"begin {begin!r}\n".encode())
    await client.stdin.drain()
    start_sample = asyncio.create_task(sample("start", begin + args.warmup))
    tally = Tally()
    async for line in client.stdout:
        kind, *fields = line.decode().split()
        if kind == "move":
            http_ms, push_ms, lag_ms = map(float, fields)
            tally.http_ms.append(http_ms)
            tally.push_ms.append(push_ms)
            tally.start_lag_ms.append(lag_ms)
        elif kind == "errors":
            (tally.errors, tally.non_2xx, tally.push_timeouts, tally.unexpected_frames, tally.games_used,
             tally.slots_out_of_games, tally.late_starts, tally.late_behind_previous) = map(int, fields)
    if await client.wait() != 0:
        raise SystemExit(f"pace_client failed (exit status {client.returncode})")
    await start_sample
    await sample("end", 0)
    return tally, connect_frames, prepared_at


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loadgen", required=True, help="the peers' loadgen directory (holds common.py)")
    parser.add_argument("--base", required=True)
    parser.add_argument("--seed", required=True, help="the JSON of `gomoku-fcgi seed-demo --json`")
    parser.add_argument("--games", type=int, default=50, help="concurrent games")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between moves in one game")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--late-ms", type=float, default=5, help="a move that leaves later than this after its slot is a late start")
    parser.add_argument("--push-timeout", type=float, default=5)
    parser.add_argument("--login-concurrency", type=int, default=4)
    parser.add_argument("--random-seed", type=int, default=1, help="for the start offsets")
    parser.add_argument("--pids", default="", help="comma-separated server pids: their CPU in the window (children included)")
    parser.add_argument("--metrics", help="the bridge's /metrics URL")
    parser.add_argument("--client", choices=("python", "c"), default="python",
                        help="who plays the timed part: this process, or bench/pace_client.c (--client-bin)")
    parser.add_argument("--client-bin", help="the compiled bench/pace_client.c, for --client c")
    args = parser.parse_args()
    if args.client == "c" and not args.client_bin:
        parser.error("--client c needs --client-bin")

    sys.path.insert(0, os.path.abspath(args.loadgen))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import common  # the peers' loadgen client pieces
    from move_bench import histograms, quantiles

    common.raise_fd_limit()
    games, passwords = common.load_seed(args.seed)
    # Every game a slot can reach within the run is opened before the clock starts (logins hash
    # passwords on purpose slowly; pages and WebSockets are not what is measured).
    per_slot = math.ceil((args.warmup + args.duration + args.interval) / (len(SEQUENCE) * args.interval))
    if len(games) < args.games:
        raise SystemExit(f"the seed has {len(games)} games, --games {args.games} needs at least that many")
    per_slot = min(per_slot, len(games) // args.games)
    used = games[: per_slot * args.games]
    players = {name: common.Player(args.base, name, passwords[name]) for g in used for name in (g["black"], g["white"])}
    gate = asyncio.Semaphore(args.login_concurrency)

    async def login(player):
        async with gate:
            await player.login()

    started = time.perf_counter()
    await asyncio.gather(*(login(p) for p in players.values()))
    rng = random.Random(args.random_seed)
    pids = [int(p) for p in args.pids.split(",") if p]
    samples = {}

    async def sample(key, at):
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        bridge = await asyncio.to_thread(histograms, args.metrics) if args.metrics else {}
        samples[key] = ({pid: common.cpu_seconds([pid]) for pid in pids}, _client_cpu(), bridge)

    play_moves = play_in_python if args.client == "python" else play_in_c
    tally, connect_frames, prepared_at = await play_moves(common, args, used, players, rng, sample)
    common.log(f"{len(players)} users logged in, {len(used)} games open in {prepared_at - started:.1f}s; "
               f"{len(SEQUENCE)} moves per game, {args.games} games × 1 move / {args.interval}s ({args.client} client)")
    await asyncio.gather(*(player.close() for player in players.values()))

    moves = len(tally.push_ms)
    (cpu0, client0, bridge0), (cpu1, client1, bridge1) = samples["start"], samples["end"]
    result = {
        "scenario": "pace", "label": "gomoku", "client": args.client, "games": args.games, "interval_s": args.interval,
        "duration_s": args.duration, "warmup_s": args.warmup,
        "offered_moves_per_s": round(args.games / args.interval, 1),
        "achieved_moves_per_s": round(moves / args.duration, 1), "moves": moves,
        "http_ms": summary(tally.http_ms), "push_ms": summary(tally.push_ms),
        "start_lag_ms": summary(tally.start_lag_ms),
        "late_starts": tally.late_starts, "late_behind_previous": tally.late_behind_previous,
        "errors": tally.errors, "non_2xx": tally.non_2xx, "push_timeouts": tally.push_timeouts,
        "unexpected_frames": tally.unexpected_frames, "connect_frames": connect_frames,
        "games_used": tally.games_used, "slots_out_of_games": tally.slots_out_of_games,
        "client_cpu_s": round(client1 - client0, 2),
    }
    if pids:
        spent = {pid: cpu1[pid] - cpu0[pid] for pid in pids}
        result["server_cpu_s"] = round(sum(spent.values()), 2)
        result["server_cpu_ms_per_move"] = round(1000 * sum(spent.values()) / moves, 3) if moves else None
        # Each --pids entry (with its children) alone, in the order given: app, bridge, nginx in make bench.
        result["server_cpu_ms_per_move_by_pid"] = [round(1000 * spent[pid] / moves, 3) if moves else None for pid in pids]
    if args.metrics:
        result["bridge"] = {name: quantiles(bridge0.get(name, []), series) for name, series in bridge1.items()}
    print(json.dumps(result, sort_keys=True), flush=True)


SEQUENCE = stone_sequence()

if __name__ == "__main__":
    try:
        from uvloop import run
    except ImportError:
        run = asyncio.run
    run(main())
