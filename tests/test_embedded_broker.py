"""The embedded broker (coderportal/broker.py) with a real Celery worker, as `serve` runs it.

A malformed message file (empty, as a torn write leaves; or not JSON) is set aside in the
`quarantine` folder and logged; the worker keeps running and every other message runs.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EMBEDDED_ONLY = {"CODER_PG_CONNECTION_URL", "CODER_REDIS_URL", "CELERY_BROKER_URL", "CODER_SQLITE_PATH"}


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def embedded(tmp_path):
    """A system-like worker on a fresh embedded data directory, and a way to send pings to it."""
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k not in EMBEDDED_ONLY}
    env.update({"CODER_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "coderportal.settings",
                "CODER_PROVISIONER_DAEMON": "0"})
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "coderportal", "worker", "-n", "system-test@%h", "-Q", "scheduler",
             "--pool", "threads", "--concurrency", "4", "--loglevel", "INFO",
             "--without-mingle", "--without-gossip", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def send(*tokens: str) -> None:
        code = "import django; django.setup()\nfrom coderportal.tasks import ping\n" + "".join(
            f"ping.delay({t!r})\n" for t in tokens)
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=120)

    yield data_dir, worker, send, log_path
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, 9)
            worker.wait()


def test_malformed_messages_are_set_aside_and_the_worker_runs_everything_else(embedded):
    data_dir, worker, send, log_path = embedded
    pings = data_dir / "pings"
    first = uuid.uuid4().hex
    send(first)
    _wait(lambda: (pings / f"{first}.json").exists(), 120, "the worker to run the first ping")

    # What a torn write or a full disk leaves behind, queued before good messages.
    out = data_dir / "broker" / "out"
    stamp = int(time.monotonic() * 1000)
    (out / f"{stamp}_{uuid.uuid4()}.scheduler.msg").write_bytes(b"")
    (out / f"{stamp + 1}_{uuid.uuid4()}.scheduler.msg").write_bytes(b'{"body": "trunc')
    (out / f"{stamp + 2}_{uuid.uuid4()}.scheduler.msg").write_bytes(b"\xff\xfe not utf-8")
    later = [uuid.uuid4().hex for _ in range(5)]
    send(*later)

    _wait(lambda: all((pings / f"{t}.json").exists() for t in later), 120, "every later ping to run")
    quarantine = data_dir / "broker" / "quarantine"
    _wait(lambda: quarantine.exists() and len(list(quarantine.iterdir())) == 3, 30, "three files set aside")
    assert worker.poll() is None, log_path.read_text(errors="replace")
    log = log_path.read_text(errors="replace")
    assert "Unrecoverable error" not in log
    assert log.count("malformed message") == 3, log
    assert not [p for p in out.iterdir() if p.name.endswith(".scheduler.msg")]  # nothing left behind

