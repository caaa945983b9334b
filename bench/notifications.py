"""Notification delivery throughput: N enqueued messages delivered by a real Celery worker to a
local webhook receiver.

    .venv/bin/python bench/notifications.py [--messages 10000] [--lease-counts 20 100]

For each lease count: a fresh database (embedded SQLite, or PostgreSQL when
CODER_PG_CONNECTION_URL is set: the script uses that database as is), one Celery worker
consuming the dispatcher's queue, and a loopback HTTP receiver that records when each
`X-Message-Id` arrives. Messages are enqueued in transactions of 100 (each also gets its inbox
copy, which the same dispatcher delivers). Prints webhook messages/s (first enqueue -> last
arrival), the end-to-end delay p50/p95/max (enqueue commit -> arrival), and, as the baseline
of the same run, the rate of plain sequential POSTs to the same receiver from one client.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class Receiver:
    def __init__(self):
        self.arrivals: dict[str, float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.arrivals.setdefault(self.headers.get("X-Message-Id", ""), time.time())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def baseline_posts_per_second(url: str, count: int = 2000) -> float:
    import httpx

    with httpx.Client() as client:
        start = time.perf_counter()
        for n in range(count):
            client.post(url, json={"n": n}, headers={"X-Message-Id": f"baseline-{n}"})
        return count / (time.perf_counter() - start)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(messages: int, lease_count: int, receiver: Receiver) -> dict:
    import django
    from django.core.management import call_command
    from django.db import transaction

    django.setup()
    call_command("migrate", verbosity=0)
    from notifications import template_ids as ids
    from notifications.models import InboxNotification, NotificationMessage
    from notifications.services import enqueue
    from notifications.tasks import dispatch_notifications
    from tests.factories import UserFactory

    NotificationMessage.objects.all().delete()
    InboxNotification.objects.all().delete()
    user = UserFactory(username=f"bench-{lease_count}")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "coderportal", "worker", "-n", f"bench-{lease_count}@localhost",
         "-Q", "scheduler", "--pool", "solo", "--loglevel", "WARNING", "--without-mingle", "--without-gossip",
         "--without-heartbeat"], cwd=ROOT, env={**os.environ, "CODER_PROVISIONER_DAEMON": "0"},
        start_new_session=True)
    try:
        enqueued_at: dict[str, float] = {}
        start = time.time()
        for first in range(0, messages, 100):
            with transaction.atomic():
                batch = [enqueue(ids.TEST_NOTIFICATION, user, labels={"n": str(n), "lease": str(lease_count)})
                         for n in range(first, min(messages, first + 100))]
            now = time.time()
            for rows in batch:
                enqueued_at.update({str(r.id): now for r in rows if r.method == "webhook"})
        enqueue_seconds = time.time() - start
        deadline = time.time() + 1800
        while len(receiver.arrivals.keys() & enqueued_at.keys()) < messages and time.time() < deadline:
            dispatch_notifications.delay()  # the scheduler's tick, sooner
            time.sleep(1)
        arrived = {k: receiver.arrivals[k] for k in enqueued_at if k in receiver.arrivals}
        delays = [arrived[k] - enqueued_at[k] for k in arrived]
        return {"lease_count": lease_count, "delivered": len(arrived), "enqueue_per_s": messages / enqueue_seconds,
                "per_s": len(arrived) / (max(arrived.values()) - start),
                "p50": statistics.median(delays), "p95": percentile(delays, 0.95), "max": max(delays)}
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--lease-counts", type=int, nargs="+", default=[20, 100])
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="bench-notifications-")
    receiver = Receiver()
    os.environ.update({"CODER_DATA_DIR": data_dir, "DJANGO_SETTINGS_MODULE": "coderportal.settings",
                       "CODER_NOTIFICATIONS_METHOD": "webhook", "CODER_NOTIFICATIONS_WEBHOOK_ENDPOINT": receiver.url,
                       "CODER_LOG_LEVEL": "WARNING"})
    try:
        baseline = baseline_posts_per_second(receiver.url)
        print(f"baseline: sequential POSTs from one client: {baseline:.0f}/s")
        print(f"{'lease':>6}{'delivered':>11}{'enqueue/s':>11}{'msgs/s':>9}{'vs base':>9}"
              f"{'p50 s':>8}{'p95 s':>8}{'max s':>8}")
        for lease_count in args.lease_counts:
            os.environ["CODER_NOTIFICATIONS_LEASE_COUNT"] = str(lease_count)
            r = run(args.messages, lease_count, receiver)
            print(f"{r['lease_count']:>6}{r['delivered']:>11}{r['enqueue_per_s']:>11.0f}{r['per_s']:>9.0f}"
                  f"{r['per_s'] / baseline:>9.2f}{r['p50']:>8.2f}{r['p95']:>8.2f}{r['max']:>8.2f}", flush=True)
    finally:
        receiver.close()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
