"""AI Bridge fixtures: the fake upstream, and the portal served for real by uvicorn in a
subprocess (its own interpreter and event loop, as in production) on the test database."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.aibridge.fake_upstream import FakeUpstream

ROOT = Path(__file__).resolve().parents[2]
OPENAI_UPSTREAM_KEY = "sk-upstream-openai-0123456789"
ANTHROPIC_UPSTREAM_KEY = "sk-ant-upstream-0123456789"


@pytest.fixture(scope="session", autouse=True)
def _close_bridge_connections(django_db_setup, django_db_blocker):
    """The gateway's database threads keep connections open; close them before the test
    database is dropped."""
    yield
    from aibridge import db

    with django_db_blocker.unblock():
        db.close_all()


@pytest.fixture
def upstream():
    fake = FakeUpstream().start()
    yield fake
    fake.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Portal:
    def __init__(self, tmp_path: Path, env: dict):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / "portal.log"
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "coderportal.asgi:application", "--host", "127.0.0.1", "--port",
             str(self.port), "--lifespan", "off", "--no-access-log", "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, f"portal exited:\n{self.output()}"
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "portal did not start"
            time.sleep(0.1)

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def portal_env(tmp_path: Path, upstream_url: str, **overrides: str) -> dict:
    """The server's environment: the test database, the fake upstream, the given options."""
    from django.db import connection

    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CODER_") and k not in ("CELERY_BROKER_URL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY")}
    env.update(DJANGO_SETTINGS_MODULE="coderportal.settings", CODER_DATA_DIR=str(tmp_path / "portal-data"))
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        base = os.environ["CODER_PG_CONNECTION_URL"]
        env["CODER_PG_CONNECTION_URL"] = urlunsplit(urlsplit(base)._replace(path=f"/{db['NAME']}"))
    else:
        env["CODER_SQLITE_PATH"] = str(db["NAME"])
    env.update(CODER_AIBRIDGE_ENABLED="true", CODER_AIBRIDGE_OPENAI_BASE_URL=f"{upstream_url}/v1",
               CODER_AIBRIDGE_ANTHROPIC_BASE_URL=upstream_url, CODER_AIBRIDGE_OPENAI_KEY=OPENAI_UPSTREAM_KEY,
               CODER_AIBRIDGE_ANTHROPIC_KEY=ANTHROPIC_UPSTREAM_KEY, CODER_AIBRIDGE_STRUCTURED_LOGGING="true",
               CODER_LOG_LEVEL="INFO")
    env.update(overrides)
    return env


@pytest.fixture
def serve_portal(transactional_db, tmp_path, upstream):
    """`serve_portal(**options)` -> a running Portal whose bridge talks to `upstream`."""
    started: list[Portal] = []

    def start(**overrides: str) -> Portal:
        portal = Portal(tmp_path, portal_env(tmp_path, upstream.url, **overrides))
        started.append(portal)
        return portal

    yield start
    for portal in started:
        portal.stop()


def wait_for(predicate, timeout: float = 30, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
