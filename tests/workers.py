"""Real Celery provisioner workers for integration tests, bound to the test database.

`start_worker()` runs `celery worker` in its own process group with the environment the
test process uses (broker, data directory) but pointed at the *test* database, waits until
it registered as a provisioner daemon, and returns a handle that can stop or SIGKILL it.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def test_database_env() -> dict[str, str]:
    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        base = urlsplit(os.environ["CODER_PG_CONNECTION_URL"])
        return {"CODER_PG_CONNECTION_URL": urlunsplit(base._replace(path="/" + settings_dict["NAME"]))}
    return {"CODER_SQLITE_PATH": str(settings_dict["NAME"])}


@dataclass
class WorkerHandle:
    name: str
    process: subprocess.Popen
    log_path: Path

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and its pool child), as a crash would."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=60)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_worker(tmp_path: Path, *, tags: dict | None = None, extra_env: dict | None = None,
                 timeout: float = 90, queues_: list[str] | None = None) -> WorkerHandle:
    """`queues_`: consume these queues instead of the provisioner queues of `tags`."""
    from templates_app.jobs import queues
    from templates_app.models import ProvisionerDaemon

    name = f"test-provisioner-{uuid.uuid4().hex[:8]}@localhost"
    env = {**os.environ, **test_database_env(), "CODER_PROVISIONER_DAEMON": "1",
           "CODER_PROVISIONER_TAGS": ",".join(f"{k}={v}" for k, v in (tags or {}).items()),
           "CODER_PROVISIONER_HEARTBEAT_SECONDS": "1", **(extra_env or {})}
    log_path = tmp_path / f"{name}.log"
    argv = [sys.executable, "-m", "celery", "-A", "coderportal", "worker", "-n", name,
            "-Q", ",".join(queues_ or queues.queues_for_daemon(tags)), "--pool", "prefork", "--concurrency", "1",
            "--loglevel", "INFO", "--without-mingle", "--without-gossip", "--without-heartbeat"]
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    handle = WorkerHandle(name=name, process=process, log_path=log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"worker exited early:\n{handle.log()}")
        if ProvisionerDaemon.objects.filter(name=name).exists():
            return handle
        time.sleep(0.2)
    handle.stop()
    raise RuntimeError(f"worker did not register within {timeout}s:\n{handle.log()}")


def wait_for(predicate, timeout: float = 60, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
