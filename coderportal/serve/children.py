"""Command lines of the processes `serve` runs: web (uvicorn), provisioner workers, system worker, scheduler.

Each child is a fresh interpreter started with the environment `serve` computed, so it reads the
same settings. Workers and beat talk only through the broker and the database.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from templates_app.jobs import queues


@dataclass(frozen=True)
class ChildSpec:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)  # on top of serve's own environment
    # Restarted in place when it dies (workers, scheduler); the web server's death stops the server.
    restartable: bool = True


def _celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "coderportal", *args]


def web(host: str, port: int, workers: int, log_level: str) -> ChildSpec:
    argv = [sys.executable, "-m", "uvicorn", "coderportal.asgi:application", "--host", host, "--port", str(port),
            # Django's ASGI handler has no lifespan support; probing for it only logs noise.
            "--lifespan", "off", "--log-level", log_level.lower(), "--timeout-graceful-shutdown", "10",
            # Forwarded headers are trusted only per CODER_PROXY_TRUSTED_ORIGINS/HEADERS, in the
            # portal's own middleware (coderportal.proxy_headers); uvicorn would trust loopback.
            "--no-proxy-headers"]
    if workers > 1:
        argv += ["--workers", str(workers)]
    if log_level.upper() != "DEBUG":
        argv.append("--no-access-log")  # per-request lines cost throughput; DEBUG turns them on
    return ChildSpec("web", argv, restartable=False)


def worker_args(name: str, queue_names: list[str], log_level: str, *, pool: str = "prefork",
                concurrency: int = 1) -> list[str]:
    # mingle/gossip/heartbeat are cluster chatter over fanout exchanges; job liveness is
    # tracked in the database, so the workers stay quiet and start fast.
    return ["worker", "-n", name, "-Q", ",".join(queue_names), "--pool", pool, "--concurrency", str(concurrency),
            "--loglevel", log_level.upper(), "--without-mingle", "--without-gossip", "--without-heartbeat"]


def provisioner_env(tags: dict[str, str]) -> dict[str, str]:
    """What makes a worker register as a provisioner daemon (`templates_app.tasks`)."""
    return {"CODER_PROVISIONER_DAEMON": "1",
            "CODER_PROVISIONER_TAGS": ",".join(f"{k}={v}" for k, v in queues.normalize_tags(tags).items())}


def provisioner(index: int, log_level: str) -> ChildSpec:
    """A built-in provisioner daemon: untagged like Coder's, one job at a time (Coder's daemon model).

    prefork with one child keeps the job in its own process, so a job that resets signal
    handlers (Terraform's library does) cannot break the worker's graceful shutdown.
    """
    name = f"provisioner-{index}"
    return ChildSpec(name, _celery(*worker_args(f"{name}@%h", queues.queues_for_daemon({}), log_level)),
                     env=provisioner_env({}))


def system_worker(queue: str, log_level: str) -> ChildSpec:
    """Runs the default queue (scheduled and housekeeping tasks), whether or not provisioner
    daemons run here (they may be 0)."""
    return ChildSpec("system", _celery(*worker_args("system@%h", [queue], log_level,
                                                    pool="threads", concurrency=4)),
                     env={"CODER_PROVISIONER_DAEMON": "0"})


def scheduler(data_dir: Path, log_level: str) -> ChildSpec:
    return ChildSpec("scheduler", _celery("beat", "--schedule", str(data_dir / "celerybeat-schedule"),
                                          "--loglevel", log_level.upper()))
