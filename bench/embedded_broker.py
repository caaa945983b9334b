"""The embedded broker candidates, measured as `serve` uses them: task round trip and idle CPU.

For each candidate a real `celery worker` runs like serve's `system` worker (threads pool,
4 threads, the default queue) in a fresh data directory; this process then
- sends `coderportal.ping` tasks one after another and times each until the task's file exists
  (send -> worker picks up -> task runs: the round trip a user's build start waits for);
- measures the CPU time the idle worker (and its children) burns over IDLE seconds.

Candidates: the atomic filesystem transport (coderportal/broker.py, the default, baseline) and
kombu's SQLAlchemy transport on a SQLite file of its own.

    .venv/bin/python bench/embedded_broker.py            # BENCH_PINGS=50 BENCH_IDLE_SECONDS=60
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
PINGS = int(os.environ.get("BENCH_PINGS", "50"))
IDLE_SECONDS = float(os.environ.get("BENCH_IDLE_SECONDS", "60"))


def _env(data_dir: str, broker_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"CODER_PG_CONNECTION_URL", "CODER_REDIS_URL", "CELERY_BROKER_URL", "CODER_SQLITE_PATH"}}
    env.update({"CODER_DATA_DIR": data_dir, "DJANGO_SETTINGS_MODULE": "coderportal.settings",
                "CODER_PROVISIONER_DAEMON": "0", "CODER_LOG_LEVEL": "WARNING"})
    if broker_url:
        env["CELERY_BROKER_URL"] = broker_url
    return env


def _send(env: dict[str, str]) -> subprocess.Popen:
    """A long-lived sender: reads tokens on stdin, sends one ping per line (no interpreter start per task)."""
    code = ("import django, sys; django.setup()\n"
            "from coderportal.tasks import ping\n"
            "for line in sys.stdin:\n"
            "    ping.delay(line.strip()); print('sent', flush=True)\n")
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)


def _tree_cpu(proc: psutil.Process) -> float:
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            times = p.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def measure(label: str, broker_url_for) -> dict:
    with tempfile.TemporaryDirectory(prefix="coderportal-broker-bench-") as data_dir:
        env = _env(data_dir, broker_url_for(data_dir))
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "coderportal", "worker", "-n", f"bench-{uuid.uuid4().hex[:6]}@%h",
             "-Q", "scheduler", "--pool", "threads", "--concurrency", "4", "--loglevel", "WARNING",
             "--without-mingle", "--without-gossip", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        sender = _send(env)
        try:
            pings = Path(data_dir) / "pings"
            latencies = []
            for i in range(PINGS + 1):
                token = uuid.uuid4().hex
                started = time.perf_counter()
                sender.stdin.write(token + "\n")
                sender.stdin.flush()
                sender.stdout.readline()
                deadline = time.monotonic() + 120
                while not (pings / f"{token}.json").exists():
                    if time.monotonic() > deadline or worker.poll() is not None:
                        raise RuntimeError(f"{label}: ping {i} never ran")
                    time.sleep(0.002)
                if i:  # the first one includes the worker's start-up
                    latencies.append(time.perf_counter() - started)
            process = psutil.Process(worker.pid)
            time.sleep(2)  # let the last task's work settle
            before = _tree_cpu(process)
            time.sleep(IDLE_SECONDS)
            idle_cpu = (_tree_cpu(process) - before) / IDLE_SECONDS
            assert worker.poll() is None, f"{label}: worker died"
        finally:
            sender.stdin.close()
            sender.wait(timeout=30)
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, 9)
                worker.wait()
    latencies.sort()
    return {"label": label, "p50": statistics.median(latencies), "p95": latencies[int(len(latencies) * 0.95) - 1],
            "idle_cpu": idle_cpu}


def main() -> None:
    results = [
        measure("filesystem, atomic (default)", lambda d: None),
        measure("sqlalchemy on SQLite", lambda d: f"sqla+sqlite:///{d}/broker.sqlite3"),
    ]
    base = results[0]
    print(f"{PINGS} ping round trips each, idle CPU over {IDLE_SECONDS:g}s")
    print(f"{'transport':32} {'p50 ms':>8} {'p95 ms':>8} {'idle CPU %':>11} {'p50 ratio':>10} {'CPU ratio':>10}")
    for r in results:
        print(f"{r['label']:32} {r['p50'] * 1000:8.1f} {r['p95'] * 1000:8.1f} {r['idle_cpu'] * 100:11.2f} "
              f"{r['p50'] / base['p50']:10.2f} {r['idle_cpu'] / max(base['idle_cpu'], 1e-9):10.2f}")


if __name__ == "__main__":
    main()
