"""The headline figures of every `make bench` run kept in bench/results/, one row per run, oldest first:
how each figure moved over time (`make bench-history`). A run that skipped a scenario shows "–" there.

The machine's speed moves between runs (see docs/performance.md), so the first columns give its state:
nginx serving a static file, and the peer's CPU per move when BENCH_PEER=1 ran it. Compare the ratios.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import sys

from report import fmt


def pair(a, b, digits=2) -> str:
    return "–" if a is None and b is None else f"{fmt(a, digits)} / {fmt(b, digits)}"


def quantile(row: dict, label: str):
    """A bridge histogram quantile: the estimate within its bucket when the run has one, else '≤ bound'."""
    estimate = row.get(f"server_{label}_ms_estimate")
    if estimate is not None:
        return estimate
    bound = row.get(f"server_{label}_ms_at_most")
    return None if bound is None else f"≤ {fmt(bound)}"


def summarize(stamp: str, rows: list[dict]) -> dict:
    """The figures of one run that the history follows."""
    def find(**match):
        return next((r for r in rows if all(r.get(k) == v for k, v in match.items())), None)

    summary = {"stamp": stamp}
    game = find(scenario="page", page="game")
    if game:
        summary.update(static_rps=round(game["static_rps"]), page_ratio=game["ratio"], page_floor_ratio=game.get("floor_ratio"))
    movers = {r["games"]: r for r in rows if r.get("scenario") is None and r.get("label") == "gomoku" and "moves_per_s" in r}
    peers = {r["games"]: r for r in rows if r.get("scenario") is None and r.get("label") == "peer" and "moves_per_s" in r}
    if 50 in movers:
        summary["cpu_ms_per_move_50"] = movers[50].get("server_cpu_ms_per_move")
        if 50 in peers and peers[50].get("server_cpu_ms_per_move"):
            summary["peer_cpu_ms_per_move_50"] = peers[50]["server_cpu_ms_per_move"]
            summary["cpu_ratio_50"] = round(movers[50]["server_cpu_ms_per_move"] / peers[50]["server_cpu_ms_per_move"], 3)
    pace = find(scenario="pace", client="c", interval_s=0.2) or find(scenario="pace", interval_s=0.2)
    if pace:
        summary.update(pace_client=pace.get("client", "python"), push_p50=pace["push_ms"]["p50"], push_p99=pace["push_ms"]["p99"])
    latency = find(scenario="commit_to_frame", client="quiet", connections=500)
    if latency:
        summary.update(latency500_p50=quantile(latency, "p50"), latency500_p99=quantile(latency, "p99"))
    fanout = find(scenario="fanout", client="quiet", connections=10000)
    if fanout:
        summary["fanout_p99"] = quantile(fanout, "p99")
    floor = find(scenario="fanout_floor", reader="noread", connections=9900)
    if floor:
        summary["fanout_floor_ms"] = floor["last_write_p50_ms"]
    idle = find(scenario="idle_rss", connections=10000)
    if idle:
        summary["idle_bytes"] = idle["bytes_per_connection"]
    cgi = find(scenario="cgi_cold")
    if cgi:
        summary["cgi_ms"] = " / ".join(fmt(p["median_ms"]) for p in cgi["pages"])
    engine = find(scenario="engine")
    if engine:
        vcf = [p["nodes_per_s"] for p in engine["positions"] if " VCF in " in p["name"]]
        vct = next((p for p in engine["positions"] if " VCT " in p["name"]), None)
        summary.update(vcf_nodes_per_s=round(statistics.median(vcf)) if vcf else None, vct_ms=vct["ms"] if vct else None)
    return summary


COLUMNS = [
    ("run", lambda s: s["stamp"]),
    ("static req/s", lambda s: fmt(s.get("static_rps"))),
    ("game page / static (floor)", lambda s: "–" if s.get("page_ratio") is None
        else f"{fmt(s['page_ratio'], 3)} ({fmt(s.get('page_floor_ratio'), 3)})"),
    ("CPU ms/move, 50 games (peer, ratio)", lambda s: "–" if s.get("cpu_ms_per_move_50") is None
        else fmt(s["cpu_ms_per_move_50"], 2) + ("" if s.get("cpu_ratio_50") is None
                                                 else f" ({fmt(s['peer_cpu_ms_per_move_50'], 1)}, {fmt(s['cpu_ratio_50'], 3)})")),
    ("pace push p50 / p99 ms (client)", lambda s: "–" if s.get("push_p50") is None
        else f"{pair(s['push_p50'], s['push_p99'])} ({s['pace_client']})"),
    ("500 conn. p50 / p99 ms", lambda s: pair(s.get("latency500_p50"), s.get("latency500_p99"))),
    ("10k fan-out p99 ms (floor)", lambda s: "–" if s.get("fanout_p99") is None
        else f"{fmt(s['fanout_p99'])} ({fmt(s.get('fanout_floor_ms'))})"),
    ("idle B/conn.", lambda s: fmt(s.get("idle_bytes"))),
    ("cold CGI ms", lambda s: s.get("cgi_ms", "–")),
    ("VCF nodes/s", lambda s: fmt(s.get("vcf_nodes_per_s"))),
    ("VCT ms", lambda s: fmt(s.get("vct_ms"), 2)),
]


def table(summaries: list[dict]) -> str:
    lines = ["| " + " | ".join(name for name, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(s) for _, cell in COLUMNS) + " |" for s in summaries]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"),
                        help="the directory of <stamp>.json files (default: bench/results)")
    parser.add_argument("--full-runs", action="store_true", help="only runs that measured every scenario")
    args = parser.parse_args()
    summaries = []
    for path in sorted(glob.glob(os.path.join(args.results, "*.json"))):
        try:
            run = json.load(open(path))
            summary = summarize(run["timestamp"], run["results"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            print(f"history: skipping {path}: {error!r}", file=sys.stderr)
            continue
        if len(summary) == 1:
            continue  # a run of scenarios this history does not follow
        if args.full_runs and not all(k in summary for k in ("page_ratio", "push_p50", "latency500_p50", "cgi_ms", "vct_ms")):
            continue
        summaries.append(summary)
    if not summaries:
        raise SystemExit(f"history: no bench results in {args.results}; run make bench first")
    print(table(summaries), end="")


if __name__ == "__main__":
    main()
