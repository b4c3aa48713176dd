"""One run of the peers' move/push load generator (../shared/peers/loadgen/movepush.py) against a running
stack, with the server side of push latency read from the bridge's own histograms (/metrics), so the
figure is commit → frame written, without the closed-loop queueing the client sees under load.

Prints one JSON object: movepush's own figures, server CPU per move, and the bridge's commit → dispatch
and commit → flush p50/p99 (the upper bound of the histogram bucket holding that quantile).
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import urllib.request

BUCKET = re.compile(r'^gomoku_bridge_(commit_to_\w+)_ms_bucket\{le="([^"]+)"\} (\d+)$', re.M)


def histograms(metrics_url: str) -> dict[str, list[tuple[float, int]]]:
    text = urllib.request.urlopen(metrics_url, timeout=10).read().decode()
    found: dict[str, list[tuple[float, int]]] = {}
    for name, bound, count in BUCKET.findall(text):
        found.setdefault(name, []).append((float("inf") if bound == "+Inf" else float(bound), int(count)))
    return found


def quantiles(before: list[tuple[float, int]], after: list[tuple[float, int]]) -> dict:
    delta = [(bound, a - b) for (bound, a), (_, b) in zip(after, before)]
    total = delta[-1][1] if delta else 0
    result = {"count": total}
    for name, q in (("p50", 0.5), ("p99", 0.99)):
        result[name + "_le_ms"] = next((bound for bound, cumulative in delta if total and cumulative >= q * total), None)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loadgen-python", required=True)
    parser.add_argument("--movepush", required=True)
    parser.add_argument("--base", required=True)
    parser.add_argument("--metrics", help="the bridge's /metrics URL (omit for the peer)")
    parser.add_argument("--seed", required=True)
    parser.add_argument("--games", type=int, required=True)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--pids", required=True)
    parser.add_argument("--label", default="gomoku")
    args = parser.parse_args()
    before = histograms(args.metrics) if args.metrics else {}
    run = subprocess.run([args.loadgen_python, args.movepush, "--base", args.base, "--seed", args.seed, "--games", str(args.games),
                          "--duration", str(args.duration), "--warmup", "2", "--pids", args.pids],
                         capture_output=True, text=True, timeout=600)
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    if run.returncode != 0 or not lines:
        raise SystemExit(f"movepush failed ({run.returncode}): {run.stdout[-2000:]} {run.stderr[-2000:]}")
    result = json.loads(lines[-1])
    result["label"] = args.label
    if result.get("slots_out_of_games"):
        # A slot with no game left stops playing: the run had fewer games than asked for at its end.
        print(f"move_bench: {result['slots_out_of_games']} of {args.games} slots ran out of seeded games; "
              "moves/s is low — seed more games", file=sys.stderr)
    if result.get("moves") and result.get("server_cpu_s") is not None:
        result["server_cpu_ms_per_move"] = round(1000 * result["server_cpu_s"] / result["moves"], 3)
    if args.metrics:
        after = histograms(args.metrics)
        result["bridge"] = {name: quantiles(before.get(name, []), series) for name, series in after.items()}
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
