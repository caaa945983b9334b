"""The backup and restore steps of docs/deployment.md, run as written: pg_dump of a serving
portal's database, pg_restore into a fresh database, and a new `serve` on the restored
database serves the same users, templates and workspaces (PostgreSQL lane)."""
from __future__ import annotations

import os
import subprocess
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.templates_app.archive_helpers import echo_template
from tests.test_serve import Served
from tests.test_soak import ECHO, PASSWORD, Client

PG_URL = os.environ.get("CODER_PG_CONNECTION_URL", "")
pytestmark = [pytest.mark.real, pytest.mark.timeout(600),
              pytest.mark.skipif(not PG_URL, reason="backups are of PostgreSQL: runs in the PostgreSQL lane")]


def _db_url(name: str) -> str:
    return urlunsplit(urlsplit(PG_URL)._replace(path=f"/{name}"))


def _stop(served: Served) -> None:
    if served.proc.poll() is None:
        assert served.stop() == 0, served.output()


def test_pg_dump_and_restore_into_a_fresh_database_serves_the_same_workspaces(tmp_path, monkeypatch):
    import psycopg

    monkeypatch.setenv("CODER_ENABLE_ECHO_PROVISIONER", "true")
    source, restored = (f"coderportal_backup_{uuid.uuid4().hex[:8]}", f"coderportal_restored_{uuid.uuid4().hex[:8]}")
    admin = _db_url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{source}"')
    served = None
    try:
        (tmp_path / "a").mkdir()
        served = Served(tmp_path / "a", ["--postgres-url", _db_url(source)], daemons=1)
        served.wait_healthy()
        client = Client(served.base)
        template_id = client.template("echo", echo_template(ECHO), "echo")
        workspace = client.call("POST", "/api/v2/users/me/workspaces",
                                json={"name": "kept", "template_id": template_id})
        client.follow_logs(client.call("GET", f"/api/v2/workspaces/{workspace['id']}")["latest_build"]["id"])
        before = client.call("GET", "/api/v2/workspaces")
        _stop(served)

        dump = tmp_path / "coder.dump"
        subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", _db_url(source)], check=True, timeout=120)
        subprocess.run(["createdb", "-h", urlsplit(PG_URL).hostname, "-p", str(urlsplit(PG_URL).port or 5432),
                        "-U", urlsplit(PG_URL).username or "postgres", restored], check=True, timeout=60)
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={_db_url(restored)}", str(dump)], check=True,
                       timeout=120)

        (tmp_path / "b").mkdir()
        served = Served(tmp_path / "b", ["--postgres-url", _db_url(restored)], daemons=0)
        served.wait_healthy()
        import httpx

        with httpx.Client(base_url=served.base, timeout=60) as http:
            login = http.post("/api/v2/users/login", json={"email": "soak@example.com", "password": PASSWORD})
            assert login.status_code == 201, login.text
            http.headers["Coder-Session-Token"] = login.json()["session_token"]
            after = http.get("/api/v2/workspaces").json()
        assert after["count"] == before["count"] == 1
        kept = after["workspaces"][0]
        assert kept["id"] == workspace["id"] and kept["name"] == "kept" and kept["template_id"] == template_id
        assert kept["latest_build"]["job"]["status"] == "succeeded"
        assert kept["latest_build"]["id"] == before["workspaces"][0]["latest_build"]["id"]
        _stop(served)
    finally:
        if served is not None and served.proc.poll() is None:
            for process in served.tree()[::-1]:
                process.kill()
            served.proc.wait()
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in (source, restored):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
