"""Turns the JSON lines of one `make bench` run into bench/results/<stamp>.json and a Markdown table with
each figure next to its goal (and next to the peer's, when BENCH_PEER=1 ran it too)."""
from __future__ import annotations

import argparse
import json


def fmt(value, digits=1) -> str:
    return "–" if value is None else (f"{value:.{digits}f}" if isinstance(value, float) else str(value))


def split(row) -> str:
    """The pace row's CPU per move by process (app / bridge / nginx, the order make bench passes them)."""
    parts = row.get("server_cpu_ms_per_move_by_pid")
    return f" ({' / '.join(fmt(p, 2) for p in parts)})" if parts and len(parts) == 3 else ""


def server_quantiles(row) -> str:
    """The bridge's own p50 / p99: the estimate within the bucket, then the bucket's bound."""
    def one(label):
        bound, estimate = row.get(f"server_{label}_ms_at_most"), row.get(f"server_{label}_ms_estimate")
        return f"{fmt(estimate, 2)} (≤ {fmt(bound)})" if estimate is not None else f"≤ {fmt(bound)}"
    return f"{one('p50')} / {one('p99')}"


def bridge_tables(rows) -> list[str]:
    """The bridge alone (bench/live_bench.py) next to the kernel's floor for the same writes."""
    out = []
    sends = [r for r in rows if r.get("scenario") in ("commit_to_frame", "fanout")]
    if sends:
        out += ["## Bridge alone (bench/live_bench.py)", "",
                "Server figures are the bridge's commit → frame written histogram (one observation per frame); *quiet* "
                "means the client does not read while the bridge writes, so they are the bridge's alone.", "",
                "| scenario | connections | client | server p50 / p99 ms | client p50 / p99 ms | bridge CPU ms per publish | goal |",
                "|---|---|---|---|---|---|---|"]
        for r in sends:
            fanout = r["scenario"] == "fanout"
            client = (f"{fmt(r.get('last_frame_p50_ms'))} / {fmt(r.get('last_frame_max_ms'))} (last frame, median / max)" if fanout
                      else f"{fmt(r.get('p50_ms'), 2)} / {fmt(r.get('p99_ms'), 2)}")
            if r["client"] == "quiet":
                client = "–"
            goal = "p99 ≤ 50" if fanout else "p50 ≤ 2, p99 ≤ 10"
            out.append(f"| {'one publish' if fanout else 'commit → frame'} | {r['connections']} | {r['client']} | "
                       f"{server_quantiles(r)} | {client} | {fmt(r.get('bridge_cpu_ms_per_publish'))} | {goal} |")
        out.append("")
    floors = [r for r in rows if r.get("scenario") == "fanout_floor"]
    if floors:
        out += ["The kernel's floor (bench/fanout_floor.c): the same writes to loopback TCP, one thread per core, no event loop.", "",
                "| connections | frame bytes | reader | frame p50 / p99 ms | last write p50 / max ms | µs per connection |",
                "|---|---|---|---|---|---|"]
        out += [f"| {r['connections']} | {r.get('frame_bytes', 64)} | {r['reader']} | "
                f"{fmt(r.get('frame_p50_ms'), 2)} / {fmt(r.get('frame_p99_ms'), 2)} | "
                f"{fmt(r['last_write_p50_ms'])} / {fmt(r['last_write_max_ms'])} | {fmt(r['write_us_per_connection'], 2)} |" for r in floors]
        out.append("")
    idle = [r for r in rows if r.get("scenario") == "idle_rss"]
    if idle:
        out += ["| idle connections | bridge RSS per connection, bytes (goal ≤ 10,240) |", "|---|---|"]
        out += [f"| {r['connections']} | {r['bytes_per_connection']} |" for r in idle]
        out.append("")
    for r in (r for r in rows if r.get("scenario") == "peer_idle"):
        ours = idle[0]["bytes_per_connection"] if idle else None
        out += [f"The peer (BENCH_PEER=1), {r['connections']} idle WebSockets on its game pages ({r['failed']} failed): "
                f"daphne {r['app_bytes_per_connection']} bytes and nginx {r['nginx_bytes_per_connection']} bytes per connection"
                + (f"; the bridge uses {fmt(ours / r['app_bytes_per_connection'], 3)}× daphne's." if ours and r['app_bytes_per_connection'] > 0 else "."), ""]
    return out
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", required=True)
    parser.add_argument("--stamp", required=True)
    parser.add_argument("--cores", type=int, required=True)
    parser.add_argument("--json", required=True)
    parser.add_argument("--markdown", required=True)
    args = parser.parse_args()
    rows = [json.loads(line) for line in open(args.results) if line.strip().startswith("{")]
    json.dump({"timestamp": args.stamp, "machine": {"cores": args.cores}, "results": rows}, open(args.json, "w"), indent=1, sort_keys=True)

    out = [f"# make bench — {args.stamp} ({args.cores} cores)", ""]
    moves = [r for r in rows if "games" in r and "moves_per_s" in r and r.get("scenario") != "pace"]
    if moves:
        peer = {r["games"]: r for r in moves if r.get("label") == "peer"}
        out += ["## Move round trip (movepush.py; closed loop: each game waits for its push before the next move)", "",
                "| games | moves/s | server CPU ms/move | HTTP p50/p99 ms | push p50/p99 ms (client) | bridge commit→flush p50/p99 ms | peer moves/s | peer CPU ms/move | CPU ratio (goal ≤ 0.01) | peer push p50/p99 ms |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        for r in (r for r in moves if r.get("label") == "gomoku"):
            flush = r.get("bridge", {}).get("commit_to_flush", {})
            p = peer.get(r["games"], {})
            ratio = (r["server_cpu_ms_per_move"] / p["server_cpu_ms_per_move"]) if p.get("server_cpu_ms_per_move") else None
            out.append(f"| {r['games']} | {fmt(r['moves_per_s'])} | {fmt(r.get('server_cpu_ms_per_move'), 2)} | "
                       f"{fmt(r['http_ms']['p50'])}/{fmt(r['http_ms']['p99'])} | {fmt(r['push_ms']['p50'])}/{fmt(r['push_ms']['p99'])} | "
                       f"≤{fmt(flush.get('p50_le_ms'))}/≤{fmt(flush.get('p99_le_ms'))} | {fmt(p.get('moves_per_s'))} | "
                       f"{fmt(p.get('server_cpu_ms_per_move'), 2)} | {fmt(ratio, 3)} | "
                       f"{fmt(p.get('push_ms', {}).get('p50'))}/{fmt(p.get('push_ms', {}).get('p99'))} |")
        out.append("")
    paced = [r for r in rows if r.get("scenario") == "pace"]
    if paced:
        out += ["## Push latency at a human pace (open loop)", "",
                "Each game moves every *interval* seconds on a fixed schedule (bench/paced_moves.py), so no move waits for "
                "another game's: push is POST sent → the opponent's WebSocket frame. Goal at 50 games: push p50 ≤ 2 ms, p99 ≤ 10 ms. "
                "Late starts are moves the client sent more than 5 ms after their slot (client lag, not server latency). "
                "Client *c* is bench/pace_client.c, which timestamps each answer and frame as `read` returns it; client *python* "
                "plays the same schedule with aiohttp and websockets, whose event loop adds its own time to both figures.", "",
                "| client | games | interval s | offered/achieved moves/s | HTTP p50/p99 ms | push p50/p99 ms (goal ≤ 2/≤ 10) | "
                "bridge commit→flush p50/p99 ms | late starts | errors | server CPU ms/move (app / bridge / nginx) |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        for r in paced:
            flush = r.get("bridge", {}).get("commit_to_flush", {})
            out.append(f"| {r.get('client', 'python')} | {r['games']} | {fmt(r['interval_s'], 2)} | {fmt(r['offered_moves_per_s'])}/{fmt(r['achieved_moves_per_s'])} | "
                       f"{fmt(r['http_ms']['p50'], 2)}/{fmt(r['http_ms']['p99'], 2)} | {fmt(r['push_ms']['p50'], 2)}/{fmt(r['push_ms']['p99'], 2)} | "
                       f"≤{fmt(flush.get('p50_le_ms'))}/≤{fmt(flush.get('p99_le_ms'))} | {r['late_starts']} of {r['moves']} | "
                       f"{r['errors']} | {fmt(r.get('server_cpu_ms_per_move'), 2)}{split(r)} |")
        out.append("")
    pages = [r for r in rows if r.get("scenario") == "page"]
    if pages:
        out += ["## Pages through nginx (wrk, median of runs) vs the same bytes as a static file", "",
                "The FastCGI floor is bench/fcgi_floor.c — libfcgi sending the same bytes and doing nothing else — behind "
                "an nginx with the site's configuration: the most any FastCGI application can reach here.", "",
                "| page | bytes | app req/s | static req/s | FastCGI floor req/s | app/static (goal ≥ 0.3 for the game page) | floor/static |",
                "|---|---|---|---|---|---|---|"]
        out += [f"| {r['page']} | {r['bytes']} | {r['app_rps']} | {r['static_rps']} | {fmt(r.get('fastcgi_floor_rps'))} | "
                f"{r['ratio']} | {fmt(r.get('floor_ratio'), 3)} |" for r in pages]
        out.append("")
    peer_pages = [r for r in rows if r.get("scenario") == "peer_page"]
    if peer_pages:
        ours = next((r for r in pages if r.get("page") == "game"), {})
        out += ["The peer's game page (BENCH_PEER=1): the same wrk against its nginx, next to its nginx serving the page's bytes.", "",
                "| page | bytes | peer req/s | peer's static req/s | peer/static | ours/peer req/s |", "|---|---|---|---|---|---|"]
        out += [f"| {r['page']} | {r['bytes']} | {r['app_rps']} | {r['static_rps']} | {r['ratio']} | "
                f"{fmt(ours['app_rps'] / r['app_rps'], 1) if ours.get('app_rps') and r['app_rps'] else '–'} |" for r in peer_pages]
        out.append("")
    for r in (r for r in rows if r.get("scenario") == "cgi_cold"):
        out += ["## CGI, cold process (goal ≤ 15 ms)", "", "| path | median ms | p90 ms | min ms |", "|---|---|---|---|"]
        out += [f"| {p['path']} | {p['median_ms']} | {p['p90_ms']} | {p['min_ms']} |" for p in r["pages"]]
        out.append("")
    for r in (r for r in rows if r.get("scenario") == "engine"):
        out += ["## Engine (release)", "", "| position | result | nodes | ms | nodes/s |", "|---|---|---|---|---|"]
        out += [f"| {p['name']} | {p['outcome']} {p['attacker_moves'] or ''} {p['first_move']} | {p['nodes']} | {p['ms']:.3f} | {p['nodes_per_s']} |"
                for p in r["positions"]]
        out += ["", "| puzzle kind | found | ms |", "|---|---|---|"]
        out += [f"| {g['kind']} ({g['ruleset']}) | {g['found']} | {g['ms']:.1f} |" for g in r["generation"]]
        out.append("")
    out += bridge_tables(rows)
    open(args.markdown, "w").write("\n".join(out))


if __name__ == "__main__":
    main()
