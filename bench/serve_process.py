"""The `serve` process tree the benchmarks measure: start on a free loopback port, wait until
healthy, read the web processes' memory and CPU, stop cleanly."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-42"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One `serve` process tree on loopback (embedded default, or a private PostgreSQL database
    and Redis index when CODER_PG_CONNECTION_URL / CODER_REDIS_URL are set), stopped with SIGTERM
    as an operator would."""

    def __init__(self, daemons: int = 0, web_workers: int = 1, redis_db: int = 13):
        self.redis_db = redis_db
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.tmp = tempfile.TemporaryDirectory(prefix="coderportal-bench-")
        self.cleanups = []
        flags = ["--data-dir", self.tmp.name, "--http-address", f"127.0.0.1:{self.port}",
                 "--provisioner-daemons", str(daemons), "--scheduler", "false", "--web-workers", str(web_workers),
                 "--access-url", self.base]
        flags += self._database()
        env = {**os.environ, "CODER_API_RATE_LIMIT": "0", "CODER_LOG_LEVEL": "WARNING"}
        for name in ("CODER_PG_CONNECTION_URL", "CODER_REDIS_URL", "CELERY_BROKER_URL", "CODER_SQLITE_PATH"):
            env.pop(name, None)
        self.log = open(Path(self.tmp.name) / "serve.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, "manage.py", "serve", *flags], cwd=ROOT, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def _database(self) -> list[str]:
        flags = []
        if os.environ.get("CODER_REDIS_URL"):
            # Redis as broker: workers are woken at once instead of polling a folder.
            redis = urlsplit(os.environ["CODER_REDIS_URL"])._replace(path=f"/{self.redis_db}")
            flags += ["--redis-url", urlunsplit(redis)]
        if not os.environ.get("CODER_PG_CONNECTION_URL"):
            return flags
        import psycopg

        url = urlsplit(os.environ["CODER_PG_CONNECTION_URL"])
        name = f"coderportal_bench_{uuid.uuid4().hex[:8]}"
        admin = urlunsplit(url._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.cleanups.append(lambda: psycopg.connect(admin, autocommit=True).execute(
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        return flags + ["--postgres-url", urlunsplit(url._replace(path=f"/{name}"))]

    def wait_healthy(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"serve exited early:\n{Path(self.log.name).read_text()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise SystemExit("serve did not become healthy")

    def web_processes(self) -> list[psutil.Process]:
        found = []
        for child in psutil.Process(self.proc.pid).children():
            if "uvicorn" in " ".join(child.cmdline()):
                found += [child, *child.children(recursive=True)]
        return found

    def web_rss_mib(self) -> float:
        total = 0
        for process in self.web_processes():
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total / 2**20

    def web_cpu_seconds(self) -> float:
        """user+system CPU time of the web processes: per-request cost that other load can't distort."""
        total = 0.0
        for process in self.web_processes():
            try:
                times = process.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    def tail(self, lines: int = 40) -> str:
        self.log.flush()
        return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if sys.exc_info()[0] is not None:  # stopping because something failed: show why
            print(f"--- serve log (last lines) ---\n{self.tail()}", file=sys.stderr)
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        self.log.close()
        for cleanup in self.cleanups:
            cleanup()
        self.tmp.cleanup()
