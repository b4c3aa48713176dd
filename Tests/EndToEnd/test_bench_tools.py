"""The bench's report and history scripts on results written the way `make bench` writes them (the bench
itself is never part of `make test`)."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ROWS = [
    {"scenario": "page", "page": "game", "bytes": 22335, "app_rps": 2215.98, "static_rps": 23197.03,
     "fastcgi_floor_rps": 8999.59, "ratio": 0.096, "floor_ratio": 0.388},
    {"label": "gomoku", "games": 50, "moves_per_s": 716.7, "server_cpu_ms_per_move": 1.6,
     "http_ms": {"p50": 48.2, "p99": 85.2}, "push_ms": {"p50": 46.8, "p99": 83.5}},
    {"label": "peer", "games": 50, "moves_per_s": 33.1, "server_cpu_ms_per_move": 32.0,
     "http_ms": {"p50": 205.9, "p99": 348.0}, "push_ms": {"p50": 1491.9, "p99": 1679.8}},
    {"scenario": "pace", "client": "python", "interval_s": 0.2, "push_ms": {"p50": 4.82, "p99": 12.48}},
    {"scenario": "pace", "client": "c", "interval_s": 0.2, "push_ms": {"p50": 2.09, "p99": 5.21}},
    {"scenario": "commit_to_frame", "client": "quiet", "connections": 500, "messages": 200, "server_frames": 100000,
     "server_p50_ms_at_most": 4.0, "server_p50_ms_estimate": 3.65, "server_p99_ms_at_most": 10.0, "server_p99_ms_estimate": 8.06},
    {"scenario": "fanout", "client": "quiet", "connections": 10000, "rounds": 5, "server_frames": 50000,
     "server_p50_ms_at_most": 75.0, "server_p99_ms_at_most": 150.0, "bridge_cpu_ms_per_publish": 306.0},
    {"scenario": "fanout_floor", "connections": 9900, "rounds": 5, "reader": "noread", "writers": 2, "frame_bytes": 64,
     "last_write_p50_ms": 99.2, "last_write_max_ms": 103.1, "write_us_per_connection": 10.02, "frame_p50_ms": 42.38, "frame_p99_ms": 99.06},
    {"scenario": "idle_rss", "connections": 10000, "rss_before_kib": 26768, "rss_after_kib": 91220, "bytes_per_connection": 6600},
    {"scenario": "cgi_cold", "runs": 40, "pages": [{"path": "/healthz", "median_ms": 13.0, "p90_ms": 13.6, "min_ms": 11.0}]},
    {"scenario": "engine", "generation": [], "positions": [
        {"name": "freestyle VCF in 5 (White)", "outcome": "win", "attacker_moves": 5, "first_move": "e6", "nodes": 42, "ms": 0.16, "nodes_per_s": 264387},
        {"name": "standard VCF in 6 (Black)", "outcome": "win", "attacker_moves": 6, "first_move": "f10", "nodes": 123, "ms": 0.34, "nodes_per_s": 365473},
        {"name": "freestyle VCT (White, threes allowed)", "outcome": "noWin", "attacker_moves": 0, "first_move": "", "nodes": 1135, "ms": 15.13, "nodes_per_s": 75014}]},
]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=60)


def test_history_follows_each_figure_over_runs(tmp_path):
    (tmp_path / "20261201T000000Z.json").write_text(json.dumps({"timestamp": "20261201T000000Z", "results": ROWS}))
    (tmp_path / "20261202T000000Z.json").write_text(json.dumps({"timestamp": "20261202T000000Z", "results": [ROWS[6]]}))
    (tmp_path / "20261203T000000Z.json").write_text("{not json")
    result = run(str(ROOT / "bench/history.py"), "--results", str(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4, result.stdout  # header, rule, one row per readable run
    full, partial = lines[2].split(" | "), lines[3].split(" | ")
    assert full[0] == "| 20261201T000000Z" and full[1] == "23197"
    assert full[2] == "0.096 (0.388)"
    assert full[3] == "1.60 (32.0, 0.050)", "CPU per move at 50 games next to the peer's and their ratio"
    assert full[4] == "2.09 / 5.21 (c)", "the C client's pace run is the one followed"
    assert full[5] == "3.65 / 8.06", "estimates within the bucket when the run has them"
    assert full[6] == "≤ 150.0 (99.2)", "else the bucket's bound; the floor beside it"
    assert full[9] == "314930" and full[10] == "15.13 |"
    assert partial[6] == "≤ 150.0 (–)" and partial[1] == "–"
    assert "skipping" in result.stderr and "20261203T000000Z" in result.stderr
    only_full = run(str(ROOT / "bench/history.py"), "--results", str(tmp_path), "--full-runs")
    assert only_full.stdout.count("| 2026") == 1


def test_history_without_results_says_so(tmp_path):
    result = run(str(ROOT / "bench/history.py"), "--results", str(tmp_path))
    assert result.returncode != 0 and "no bench results" in result.stderr


def test_report_puts_the_bridge_next_to_the_kernel_floor(tmp_path):
    bridge = [r for r in ROWS if r.get("scenario") in ("commit_to_frame", "fanout", "fanout_floor", "idle_rss")]
    rows = tmp_path / "rows.jsonl"
    rows.write_text("\n".join(json.dumps(r) for r in bridge) + "\n")
    result = run(str(ROOT / "bench/report.py"), "--results", str(rows), "--stamp", "X", "--cores", "2",
                 "--json", str(tmp_path / "out.json"), "--markdown", str(tmp_path / "out.md"))
    assert result.returncode == 0, result.stderr
    markdown = (tmp_path / "out.md").read_text()
    assert "| commit → frame | 500 | quiet | 3.65 (≤ 4.0) / 8.06 (≤ 10.0) | – | – | p50 ≤ 2, p99 ≤ 10 |" in markdown
    assert "| one publish | 10000 | quiet | ≤ 75.0 / ≤ 150.0 | – | 306.0 | p99 ≤ 50 |" in markdown
    assert "| 9900 | 64 | noread | 42.38 / 99.06 | 99.2 / 103.1 | 10.02 |" in markdown
    assert "| 10000 | 6600 |" in markdown
    assert json.loads((tmp_path / "out.json").read_text())["results"] == bridge


def test_report_puts_the_peer_next_to_ours(tmp_path):
    ours = [r for r in ROWS if r.get("scenario") in ("page", "idle_rss")]
    peer = [{"scenario": "peer_page", "page": "game", "bytes": 5120, "app_rps": 312.5, "static_rps": 25000.0, "ratio": 0.013},
            {"scenario": "peer_idle", "connections": 2000, "failed": 0, "app_bytes_per_connection": 52000,
             "nginx_bytes_per_connection": 18000}]
    rows = tmp_path / "rows.jsonl"
    rows.write_text("\n".join(json.dumps(r) for r in ours + peer) + "\n")
    result = run(str(ROOT / "bench/report.py"), "--results", str(rows), "--stamp", "X", "--cores", "2",
                 "--json", str(tmp_path / "out.json"), "--markdown", str(tmp_path / "out.md"))
    assert result.returncode == 0, result.stderr
    markdown = (tmp_path / "out.md").read_text()
    assert "| game | 5120 | 312.5 | 25000.0 | 0.013 | 7.1 |" in markdown, "ours (2215.98 req/s) over the peer's"
    assert ("2000 idle WebSockets on its game pages (0 failed): daphne 52000 bytes and nginx 18000 bytes per connection; "
            "the bridge uses 0.127× daphne's.") in markdown


def test_report_puts_the_peers_moves_next_to_ours(tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text("\n".join(json.dumps(r) for r in ROWS if "games" in r and "moves_per_s" in r) + "\n")
    result = run(str(ROOT / "bench/report.py"), "--results", str(rows), "--stamp", "X", "--cores", "2",
                 "--json", str(tmp_path / "out.json"), "--markdown", str(tmp_path / "out.md"))
    assert result.returncode == 0, result.stderr
    assert "| 50 | 716.7 | 1.60 | 48.2/85.2 | 46.8/83.5 | ≤–/≤– | 33.1 | 32.00 | 0.050 | 1491.9/1679.8 |" in (tmp_path / "out.md").read_text()
