"""End to end: `manage.py serve` with a 5-second executor poll stops a real (Terraform-built,
agent process running) workspace at its deadline and starts it again at its autostart
schedule — through the HTTP API, the beat scheduler, a real worker and real Terraform."""
from __future__ import annotations

import os
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.templates_app.archive_helpers import tar_of_dir
from tests.test_serve import Served, _wait, backing_services  # noqa: F401
from tests.workspaces.helpers import alive

pytestmark = pytest.mark.real
TEMPLATES = Path(__file__).parent.parent / "workspaces" / "templates"


@pytest.fixture
def served(tmp_path, backing_services):  # noqa: F811
    server = Served(tmp_path, [*backing_services, "--autobuild-poll-interval", "5s"], daemons=1)
    yield server
    if server.proc.poll() is None:
        for process in server.tree()[::-1]:
            process.kill()
        server.proc.wait()


def _kill_agent(pid_file: Path) -> None:
    """Whatever happened, no agent process of this test outlives it."""
    if pid_file.exists():
        try:
            os.killpg(int(pid_file.read_text()), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def test_serve_autostops_at_deadline_and_autostarts_on_schedule(served, tmp_path):
    served.wait_healthy()
    root = tmp_path / "workspaces"
    http = httpx.Client(base_url=served.base, timeout=30)
    assert http.post("/api/v2/users/first", json={"username": "admin", "email": "admin@example.com",
                                                   "password": "correct-horse-42"}).status_code == 201
    token = http.post("/api/v2/users/login", json={"email": "admin@example.com",
                                                    "password": "correct-horse-42"}).json()["session_token"]
    http.headers["Coder-Session-Token"] = token
    org = http.get("/api/v2/users/me/organizations").json()[0]["name"]
    file_hash = http.post("/api/v2/files", content=tar_of_dir(TEMPLATES / "local"),
                          headers={"Content-Type": "application/x-tar"}).json()["hash"]
    version = http.post(f"/api/v2/organizations/{org}/templateversions", json={
        "file_id": file_hash, "user_variable_values": [{"name": "workdir_root", "value": str(root)}]}).json()
    _wait(lambda: http.get(f"/api/v2/templateversions/{version['id']}").json()["job"]["status"] == "succeeded",
          180, "the template import")
    template = http.post(f"/api/v2/organizations/{org}/templates",
                         json={"name": "local", "template_version_id": version["id"]}).json()
    created = http.post("/api/v2/users/me/workspaces", json={
        "template_id": template["id"], "name": "dev", "ttl_ms": 60_000,
        "rich_parameter_values": [{"name": "greeting", "value": "hi"}]})
    assert created.status_code == 201, created.text
    workspace_id = created.json()["id"]
    pid_file = root / workspace_id / "agent.pid"

    def latest():
        return http.get(f"/api/v2/workspaces/{workspace_id}").json()["latest_build"]

    try:
        running = _wait(lambda: (b := latest())["status"] == "running" and b, 180, "the first start")
        assert running["deadline"] and running["reason"] == "initiator"
        pid = int(pid_file.read_text())
        assert alive(pid)

        stopped = _wait(lambda: (b := latest())["status"] == "stopped" and b, 240, "the autostop")
        assert (stopped["transition"], stopped["reason"]) == ("stop", "autostop")
        assert stopped["deadline"] is None
        assert not alive(pid)

        # Autostart at the next minute that is at least 40 s away.
        at = datetime.now(UTC) + timedelta(seconds=100)
        schedule = f"CRON_TZ=UTC {at.minute} {at.hour} * * *"
        assert http.put(f"/api/v2/workspaces/{workspace_id}/autostart",
                        json={"schedule": schedule}).status_code == 204
        assert http.get(f"/api/v2/workspaces/{workspace_id}").json()["next_start_at"]
        started = _wait(lambda: (b := latest())["status"] == "running" and b["build_number"] == 3 and b,
                        300, "the autostart")
        assert (started["transition"], started["reason"]) == ("start", "autostart")
        assert alive(int(pid_file.read_text()))
    finally:
        _kill_agent(pid_file)
        http.close()
        served.stop()
