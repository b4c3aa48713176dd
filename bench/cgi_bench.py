"""CGI mode, cold: one request answered by a fresh `gomoku-fcgi` process, as a web server runs a CGI
program. Reports the wall time from exec to exit (median, p90, min over --runs runs) per page."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    results = []
    for path in ("/healthz", "/accounts/login/", "/games/"):
        env = {"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "GET", "REQUEST_URI": path, "SCRIPT_NAME": path,
               "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1",
               "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "GOMOKU_ROOT": args.root, "GOMOKU_DATA_DIR": args.data_dir,
               "GOMOKU_LOG_LEVEL": "warning", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            done = subprocess.run([args.bin], env=env, stdin=subprocess.DEVNULL, capture_output=True)
            times.append((time.perf_counter() - start) * 1000)
            if done.returncode != 0 or not done.stdout.startswith(b"Status: 200") and b"200" not in done.stdout[:40]:
                raise SystemExit(f"CGI {path} failed: {done.stdout[:200]!r} {done.stderr[:500]!r}")
        times.sort()
        results.append({"path": path, "median_ms": round(statistics.median(times), 2),
                        "p90_ms": round(times[int(0.9 * (len(times) - 1))], 2), "min_ms": round(times[0], 2)})
    print(json.dumps({"scenario": "cgi_cold", "runs": args.runs, "pages": results}, sort_keys=True))


if __name__ == "__main__":
    main()
