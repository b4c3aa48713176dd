"""Background jobs run in the FastCGI workers' job threads and by `gomoku-fcgi work`; a job whose
worker is killed is taken over when its lease runs out; a worker stops cleanly with a job running."""

from __future__ import annotations

import os
import re
import signal
import subprocess

import e2e_support as support
from e2e_support import app_env, db_query, run_cli, wait_until


def job_row(data_dir, job_id: int) -> tuple:
    return db_query(data_dir, "SELECT state, attempts, lease_owner, result, error FROM jobs WHERE id = ?", (job_id,))[0]


def enqueue(data_dir, kind: str, payload: str, *extra: str) -> int:
    return int(run_cli(data_dir, "jobs", "enqueue", kind, payload, *extra).stdout.strip())


def test_a_job_runs_in_a_worker_and_is_listed(start_server, data_dir):
    start_server(workers=2, threads=2)
    job = enqueue(data_dir, "diagnostic-sleep", '{"seconds": 0}')
    wait_until(lambda: job_row(data_dir, job)[0] == "done", 10, message="the job to finish")
    state, attempts, owner, result, error = job_row(data_dir, job)
    assert attempts == 1 and owner is None and error is None and re.match(r"slept 0(\.0)? s in process \d+ on attempt 1", result)
    listing = run_cli(data_dir, "jobs", "list").stdout
    assert re.search(rf"^{job}\tdiagnostic-sleep\tdone\tattempts=1/5\tslept", listing, re.M), listing
    # The recurring maintenance job was scheduled by the workers, once.
    assert db_query(data_dir, "SELECT count(*) FROM jobs WHERE kind = 'maintenance' AND state IN ('queued', 'running')")[0][0] == 1


def test_a_killed_workers_job_is_taken_over_after_its_lease(start_server, data_dir):
    server = start_server(workers=2, threads=1, env=app_env(data_dir, GOMOKU_JOB_LEASE="2"))
    job = enqueue(data_dir, "diagnostic-sleep", '{"seconds": 4}')
    wait_until(lambda: job_row(data_dir, job)[0] == "running", 10, message="a worker to claim the job")
    owner = job_row(data_dir, job)[2]
    victim = int(owner.split(":")[1])
    assert victim in server.worker_pids()
    os.kill(victim, signal.SIGKILL)
    # The heartbeat stops with the worker; 2 s later another worker (or its replacement) takes the job.
    wait_until(lambda: job_row(data_dir, job)[1] == 2, 15, message="the job to be claimed again")
    wait_until(lambda: job_row(data_dir, job)[0] == "done", 20, message="the second attempt to finish")
    state, attempts, owner, result, error = job_row(data_dir, job)
    assert attempts == 2 and f"in process {victim} " not in result and result.endswith("on attempt 2"), result


def test_a_long_job_keeps_its_lease_by_heartbeat(start_server, data_dir):
    start_server(workers=1, threads=1, env=app_env(data_dir, GOMOKU_JOB_LEASE="1"))
    job = enqueue(data_dir, "diagnostic-sleep", '{"seconds": 3}')
    wait_until(lambda: job_row(data_dir, job)[0] == "done", 15, message="the job to finish")
    assert job_row(data_dir, job)[1] == 1, "a job whose worker is alive is never run twice"


def test_bad_jobs_fail_with_a_message_and_the_worker_survives(start_server, data_dir):
    server = start_server(workers=1, threads=1)
    bad = enqueue(data_dir, "diagnostic-sleep", '{"seconds": "soon"}')
    wait_until(lambda: job_row(data_dir, bad)[0] == "failed", 10, message="the bad job to fail")
    assert job_row(data_dir, bad)[1] == 1 and "payload" in job_row(data_dir, bad)[4]
    assert server.get("/healthz").status == 200
    refused = run_cli(data_dir, "jobs", "enqueue", "no-such-kind", check=False)
    assert refused.returncode != 0 and "unknown job kind" in refused.stderr
    refused = run_cli(data_dir, "jobs", "enqueue", "diagnostic-sleep", "[1]", check=False)
    assert refused.returncode != 0 and "JSON object" in refused.stderr


def test_work_runs_jobs_for_cgi_installs_and_stops_on_sigterm(data_dir):
    run_cli(data_dir, "migrate")
    job = enqueue(data_dir, "diagnostic-sleep", '{"seconds": 0.2}')
    worker = subprocess.Popen([str(support.BIN), "work"], env=app_env(data_dir), stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until(lambda: job_row(data_dir, job)[0] == "done", 15, message="`work` to run the job")
        assert f"in process {worker.pid} " in job_row(data_dir, job)[3]
    finally:
        assert support.stop_process(worker) == 0
