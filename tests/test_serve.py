"""`manage.py serve` as a user runs it: one process tree that serves, runs tasks and stops cleanly.

These tests start the real command in a subprocess (embedded default, or PostgreSQL + Redis
when CODER_PG_CONNECTION_URL / CODER_REDIS_URL are set, as in CI) on a free loopback port with
a fresh data directory and database.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVE_REDIS_DB = 13  # a Redis database of its own, so stale messages of other runs never mix in


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def backing_services():
    """Flags selecting a fresh database and broker: PostgreSQL/Redis when configured, else embedded."""
    flags: list[str] = []
    cleanups = []
    pg_url = os.environ.get("CODER_PG_CONNECTION_URL")
    if pg_url:
        import psycopg

        name = f"coderportal_serve_{uuid.uuid4().hex[:10]}"
        admin_url = urlunsplit(urlsplit(pg_url)._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

        def drop():
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        cleanups.append(drop)
        flags += ["--postgres-url", urlunsplit(urlsplit(pg_url)._replace(path=f"/{name}"))]
    redis_url = os.environ.get("CODER_REDIS_URL")
    if redis_url:
        import redis

        url = urlunsplit(urlsplit(redis_url)._replace(path=f"/{SERVE_REDIS_DB}"))
        redis.Redis.from_url(url).flushdb()
        cleanups.append(lambda: redis.Redis.from_url(url).flushdb())
        flags += ["--redis-url", url]
    yield flags
    for cleanup in cleanups:
        cleanup()


class Served:
    def __init__(self, tmp_path: Path, extra_flags: list[str], daemons: int):
        self.port = _free_port()
        self.data_dir = tmp_path / "data"
        self.base = f"http://127.0.0.1:{self.port}"
        own = {"CODER_PG_CONNECTION_URL", "CODER_REDIS_URL", "CELERY_BROKER_URL", "CODER_SQLITE_PATH"}
        self.env = {k: v for k, v in os.environ.items() if k not in own}
        self.env.setdefault("DJANGO_SETTINGS_MODULE", "coderportal.settings")
        self.flags = ["--data-dir", str(self.data_dir), "--http-address", f"127.0.0.1:{self.port}",
                      "--provisioner-daemons", str(daemons), "--shutdown-grace-period", "20s", *extra_flags]
        self.log = (tmp_path / "serve.log").open("wb")
        self.proc = subprocess.Popen([sys.executable, "manage.py", "serve", *self.flags], cwd=ROOT, env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def tree(self) -> list[psutil.Process]:
        parent = psutil.Process(self.proc.pid)
        return [parent, *parent.children(recursive=True)]

    def wait_healthy(self) -> None:
        def healthy():
            assert self.proc.poll() is None, f"serve exited early:\n{self.output()}"
            try:
                return httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        _wait(healthy, 120, "/healthz")

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        """Another portal process with the same configuration as the server (flags via env)."""
        env = dict(self.env)
        for i in range(0, len(self.flags), 2):
            flag, value = self.flags[i], self.flags[i + 1]
            env[{"--data-dir": "CODER_DATA_DIR", "--postgres-url": "CODER_PG_CONNECTION_URL",
                 "--redis-url": "CODER_REDIS_URL"}.get(flag, "_IGNORED")] = value
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=90)
        finally:
            self.log.close()


@pytest.fixture
def serve(tmp_path, backing_services):
    started = []

    def start(daemons: int = 1) -> Served:
        served = Served(tmp_path, backing_services, daemons)
        started.append(served)
        return served

    yield start
    for served in started:
        if served.proc.poll() is None:
            for process in served.tree()[::-1]:
                process.kill()
            served.proc.wait()


def _survivors(processes: list[psutil.Process]) -> list[str]:
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(f"{process.pid} {' '.join(process.cmdline())}")
        except psutil.NoSuchProcess:
            continue
    return alive


def test_serve_bootstraps_serves_runs_tasks_and_stops_cleanly(serve):
    served = serve(daemons=1)
    served.wait_healthy()
    assert "/api/v2/users/first" in served.output()  # tells the operator how to bootstrap

    with httpx.Client(base_url=served.base, timeout=30) as http:
        first = http.post("/api/v2/users/first", json={"username": "admin", "email": "admin@example.com",
                                                        "password": "correct-horse-42", "name": "Admin"})
        assert first.status_code == 201, first.text
        login = http.post("/api/v2/users/login", json={"email": "admin@example.com",
                                                        "password": "correct-horse-42"})
        assert login.status_code == 201, login.text
        token = login.json()["session_token"]
        me = http.get("/api/v2/users/me", headers={"Coder-Session-Token": token})
        assert me.status_code == 200, me.text
        assert me.json()["username"] == "admin"

    # A task sent by another portal process runs in one of serve's workers.
    token = uuid.uuid4().hex
    sent = served.manage("shell", "-c", f"from coderportal.tasks import ping; ping.delay({token!r})")
    assert sent.returncode == 0, sent.stderr
    ping_file = served.data_dir / "pings" / f"{token}.json"
    _wait(ping_file.exists, 60, "the ping task to run")
    tree = served.tree()
    assert json.loads(ping_file.read_text())["pid"] in {p.pid for p in tree}

    names = " ".join(" ".join(p.cmdline()) for p in tree)
    assert "uvicorn" in names and "provisioner-1@" in names and "system@" in names and " beat " in names

    assert served.stop() == 0, served.output()
    _wait(lambda: not _survivors(tree), 10, "every child to exit")
    assert "all processes stopped" in served.output()


def _child(served, marker: str) -> psutil.Process | None:
    return next((p for p in psutil.Process(served.proc.pid).children() if marker in " ".join(p.cmdline())), None)


def _events(served) -> list[dict]:
    path = served.data_dir / "server-events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_worker_child_that_dies_is_restarted_and_the_server_keeps_serving(serve):
    served = serve(daemons=1)
    served.wait_healthy()
    worker = _child(served, "system@")
    worker.kill()

    _wait(lambda: any(e["event"] == "child_restarted" and e["child"] == "system" for e in _events(served)),
          60, "the restart to be recorded")
    _wait(lambda: getattr(_child(served, "system@"), "pid", worker.pid) != worker.pid, 60, "a new system worker")
    assert served.proc.poll() is None, served.output()
    assert "system (pid" in served.output() and "restarting it in 1s" in served.output()
    assert httpx.get(f"{served.base}/healthz", timeout=10).status_code == 200

    # The new worker runs tasks.
    token = uuid.uuid4().hex
    sent = served.manage("shell", "-c", f"from coderportal.tasks import ping; ping.delay({token!r})")
    assert sent.returncode == 0, sent.stderr
    _wait((served.data_dir / "pings" / f"{token}.json").exists, 60, "the ping task to run")
    assert served.stop() == 0, served.output()


def test_a_crash_loop_stops_the_server_non_zero_without_orphans(serve):
    from coderportal.serve.supervisor import CRASH_LOOP_LIMIT

    served = serve(daemons=1)
    served.wait_healthy()
    tree = served.tree()
    killed: set[int] = set()

    def kill_the_provisioner():  # each new provisioner-1 as soon as it appears
        if served.proc.poll() is not None:
            return True
        try:
            worker = _child(served, "provisioner-1@")
        except psutil.NoSuchProcess:
            return False
        if worker is not None and worker.pid not in killed:
            killed.add(worker.pid)
            tree.extend(psutil.Process(served.proc.pid).children(recursive=True))
            worker.kill()
        return False

    _wait(kill_the_provisioner, 120, "serve to stop")
    assert served.proc.wait(timeout=90) != 0
    assert len(killed) == CRASH_LOOP_LIMIT
    assert "crash loop, stopping the server" in served.output()
    assert [e["event"] for e in _events(served)] == ["child_restarted"] * (CRASH_LOOP_LIMIT - 1) + ["crash_loop"]
    _wait(lambda: not _survivors(tree), 10, "every child to exit")


def test_the_web_server_dying_still_stops_the_server(serve):
    served = serve(daemons=0)
    served.wait_healthy()
    tree = served.tree()
    _child(served, "uvicorn").kill()
    assert served.proc.wait(timeout=90) != 0
    assert "web (pid" in served.output() and "stopping the server" in served.output()
    _wait(lambda: not _survivors(tree), 10, "every child to exit")


def test_serve_without_provisioners_and_the_create_first_user_command(tmp_path, serve):
    served = serve(daemons=0)
    served.wait_healthy()
    names = " ".join(" ".join(p.cmdline()) for p in served.tree())
    assert "-n provisioner-" not in names and "-n system@" in names

    password_file = tmp_path / "password"
    password_file.write_text("correct-horse-42\n")
    created = served.manage("create_first_user", "--username", "boot", "--email", "boot@example.com",
                            "--password-file", str(password_file))
    assert created.returncode == 0, created.stderr
    again = served.manage("create_first_user", "--username", "boot2", "--email", "b2@example.com",
                          "--password-file", str(password_file))
    assert again.returncode != 0 and "already" in again.stderr
    with httpx.Client(base_url=served.base, timeout=30) as http:
        login = http.post("/api/v2/users/login", json={"email": "boot@example.com", "password": "correct-horse-42"})
        assert login.status_code == 201, login.text
    assert served.stop() == 0


def test_supervisor_kills_children_that_ignore_sigterm_and_their_grandchildren(tmp_path):
    """The escalation path: SIGTERM is ignored, so after the grace period the whole group dies."""
    import threading

    from coderportal.serve.children import ChildSpec
    from coderportal.serve.supervisor import Supervisor

    stubborn = ChildSpec("stubborn", ["bash", "-c", "trap '' TERM; sleep 300 & sleep 300 & wait"])
    polite = ChildSpec("polite", ["sleep", "300"])
    lines: list[str] = []
    supervisor = Supervisor([stubborn, polite], env=dict(os.environ), cwd=str(tmp_path), grace_seconds=1,
                            log=lines.append)
    seen: list[psutil.Process] = []

    def terminate_when_up():  # an operator's `kill -TERM <serve pid>`
        try:
            seen.extend(_wait(lambda: len(supervisor._descendants()) >= 4 and supervisor._descendants(), 10, "tree"))
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=terminate_when_up, daemon=True).start()
    assert supervisor.run() == 0  # installs its handlers, so SIGTERM stops the children, not pytest
    assert any("did not stop within 1s" in line for line in lines)
    assert len(seen) >= 4 and not _survivors(seen)
