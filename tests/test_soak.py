"""Soak: `serve` on the embedded default for CODER_SOAK_SECONDS (default 20 minutes) under load.

The scheduler runs at its normal schedule; a client keeps a steady stream of builds going
(the scripted echo provisioner, and every tenth one a real Terraform build) and follows the
logs of each one to the end, as Coder's CLI does. At the end: no child exited, nothing logged
`Unrecoverable error`, every build finished successfully, and the server stops cleanly.

Not part of the default run (marker `soak`); CI runs it in its own lane: `./scripts/test -m soak`.
"""
from __future__ import annotations

import json
import os
import re
import time
import uuid

import httpx
import pytest

from tests.templates_app.archive_helpers import echo_template, tar_of
from tests.test_serve import Served, _survivors

SOAK_SECONDS = float(os.environ.get("CODER_SOAK_SECONDS", "1200"))
PASSWORD = "soak-password-42"
REAL_EVERY = 10  # one real-Terraform build in ten

pytestmark = [pytest.mark.soak, pytest.mark.real, pytest.mark.timeout(SOAK_SECONDS + 900)]

REAL_TF = """
terraform {
  required_providers {
    coder = { source = "coder/coder" }
  }
}
data "coder_workspace" "me" {}
resource "terraform_data" "home" {
  count = data.coder_workspace.me.start_count
  input = data.coder_workspace.me.name
}
"""
ECHO = {"start": {"logs": ["creating", "ready"],
                  "resources": [{"type": "null_resource", "name": "dev", "address": "null_resource.dev"}]},
        "stop": {"logs": ["stopping"]}, "delete": {"logs": ["destroying"]}}


class Client:
    def __init__(self, base: str):
        self.http = httpx.Client(base_url=base, timeout=120)
        self.http.post("/api/v2/users/first", json={"username": "soak", "email": "soak@example.com",
                                                    "password": PASSWORD, "name": "Soak"}).raise_for_status()
        login = self.http.post("/api/v2/users/login", json={"email": "soak@example.com", "password": PASSWORD})
        login.raise_for_status()
        self.http.headers["Coder-Session-Token"] = login.json()["session_token"]
        self.org = self.http.get("/api/v2/users/me/organizations").json()[0]["name"]

    def call(self, method: str, path: str, **kwargs) -> dict:
        response = self.http.request(method, path, **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text[:500]}"
        return response.json() if response.content else {}

    def template(self, name: str, archive: bytes, provisioner: str) -> str:
        file_id = self.call("POST", "/api/v2/files", content=archive,
                            headers={"Content-Type": "application/x-tar"})["hash"]
        version = self.call("POST", f"/api/v2/organizations/{self.org}/templateversions",
                            json={"file_id": file_id, "storage_method": "file", "provisioner": provisioner})
        deadline = time.monotonic() + 300
        while version["job"]["status"] in ("pending", "running") and time.monotonic() < deadline:
            time.sleep(0.2)
            version = self.call("GET", f"/api/v2/templateversions/{version['id']}")
        assert version["job"]["status"] == "succeeded", (provisioner, version["job"]["error"])
        return self.call("POST", f"/api/v2/organizations/{self.org}/templates",
                         json={"name": name, "template_version_id": version["id"]})["id"]

    def follow_logs(self, build_id: str) -> list[str]:
        """Server-sent events until the job ends (`event: complete`)."""
        lines, event = [], ""
        with self.http.stream("GET", f"/api/v2/workspacebuilds/{build_id}/logs", params={"follow": "true"}) as resp:
            assert resp.status_code == 200, resp.read()
            for line in resp.iter_lines():
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: ") and event == "data":
                    lines.append(json.loads(line.removeprefix("data: "))["output"])
                if event == "complete":
                    break
        return lines

    def build(self, workspace_id: str, transition: str) -> dict:
        build = self.call("POST", f"/api/v2/workspaces/{workspace_id}/builds", json={"transition": transition})
        self.follow_logs(build["id"])
        deadline = time.monotonic() + 300
        while build["job"]["status"] in ("pending", "running", "canceling") and time.monotonic() < deadline:
            time.sleep(0.2)
            build = self.call("GET", f"/api/v2/workspacebuilds/{build['id']}")
        return build


def test_serve_on_the_embedded_default_stays_up_under_a_steady_stream_of_builds(tmp_path, monkeypatch):
    monkeypatch.setenv("CODER_ENABLE_ECHO_PROVISIONER", "true")
    served = Served(tmp_path, [], daemons=2)
    try:
        served.wait_healthy()
        tree = served.tree()
        client = Client(served.base)
        echo_template_id = client.template("echo", echo_template(ECHO), "echo")
        real_template_id = client.template("real", tar_of({"main.tf": REAL_TF}), "terraform")
        workspaces = {
            kind: client.call("POST", "/api/v2/users/me/workspaces",
                              json={"name": f"{kind}-{uuid.uuid4().hex[:6]}", "template_id": template_id})
            for kind, template_id in (("echo", echo_template_id), ("real", real_template_id))}
        # The creation builds (start) must finish before the stream alternates stop/start.
        failed, counts = [], {"echo": 0, "real": 0}
        for kind, workspace in workspaces.items():
            first = client.call("GET", f"/api/v2/workspaces/{workspace['id']}")["latest_build"]
            client.follow_logs(first["id"])
        transition = {"echo": "stop", "real": "stop"}

        deadline = time.monotonic() + SOAK_SECONDS
        n = 0
        while time.monotonic() < deadline:
            n += 1
            kind = "real" if n % REAL_EVERY == 0 else "echo"
            build = client.build(workspaces[kind]["id"], transition[kind])
            counts[kind] += 1
            if build["job"]["status"] != "succeeded":
                failed.append((kind, build["build_number"], build["job"]["status"], build["job"]["error"]))
            transition[kind] = "start" if transition[kind] == "stop" else "stop"
            assert served.proc.poll() is None, served.output()[-5000:]
            time.sleep(0.5)

        output = served.output()
        assert served.proc.poll() is None, output[-5000:]
        assert not failed, failed
        assert "exited unexpectedly" not in output and "Unrecoverable error" not in output
        assert not (served.data_dir / "server-events.jsonl").exists()
        assert not list((served.data_dir / "broker").glob("quarantine/*"))  # no malformed message
        assert served.stop() == 0, served.output()[-5000:]
        tasks = len(re.findall(r"Task \S+ succeeded in", served.output()))
        errors = len(re.findall(r"(?m) ERROR ", served.output()))
        print(f"\nsoak: {SOAK_SECONDS:g}s, builds echo={counts['echo']} real={counts['real']}, "
              f"tasks processed={tasks}, errors={errors}")
        assert errors == 0, [line for line in served.output().splitlines() if " ERROR " in line][:20]
        assert not _survivors(tree)
    finally:
        if served.proc.poll() is None:
            for process in served.tree()[::-1]:
                process.kill()
            served.proc.wait()
