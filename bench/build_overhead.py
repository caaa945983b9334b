#!/usr/bin/env python
"""Build overhead: a workspace start through the API (real worker, real Terraform) against
a raw Terraform apply of the same template with the same provider.

Starts `manage.py serve` on a free loopback port with `--provisioner-daemons 1` (embedded
default; PostgreSQL when CODER_PG_CONNECTION_URL is set — a database of its own is created
and dropped — and Redis as broker when CODER_REDIS_URL is set), imports a local-like
template (coder_agent, coder_app, coder_metadata, a rich parameter, a `terraform_data` with
a local-exec provisioner; no containers, no network),
creates a workspace, then times stop/start cycles: POST /workspaces/{id}/builds → polling
GET /workspacebuilds/{id} until the job succeeded.

The "raw" figure calls `provisioner.provision()` in this process — the same function the
worker calls — on a fresh copy of the template with the previous state, as each build does:
Terraform init + apply with the bundled coder provider, and nothing of the portal (no
queue, no database, no log rows, no resource persistence).

    .venv/bin/python bench/build_overhead.py --runs 5
"""
from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import tarfile
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import httpx
from serve_process import PASSWORD, ROOT, Server  # noqa: E402,F401  (concurrency.py imports Server from here)

sys.path.insert(0, str(ROOT))

MAIN_TF = r'''
terraform {
  required_providers {
    coder = { source = "coder/coder" }
  }
}

variable "root" {
  type = string
}

data "coder_provisioner" "me" {}
data "coder_workspace" "me" {}
data "coder_workspace_owner" "me" {}

data "coder_parameter" "greeting" {
  name    = "greeting"
  type    = "string"
  default = "hello"
  mutable = true
}

locals {
  dir = "${var.root}/${data.coder_workspace.me.id}"
}

resource "coder_agent" "main" {
  os   = "linux"
  arch = data.coder_provisioner.me.arch
  dir  = local.dir
  metadata {
    display_name = "Load"
    key          = "load"
    script       = "cut -d' ' -f1 /proc/loadavg"
    interval     = 10
  }
}

resource "terraform_data" "home" {
  count = data.coder_workspace.me.start_count
  input = { dir = local.dir }
  provisioner "local-exec" {
    command     = "mkdir -p \"$DIR\" && echo \"$GREETING\" > \"$DIR/greeting\""
    environment = { DIR = self.input.dir, GREETING = data.coder_parameter.greeting.value }
  }
}

resource "coder_app" "files" {
  agent_id     = coder_agent.main.id
  slug         = "files"
  display_name = "Files"
  url          = "http://localhost:8000"
}

resource "coder_metadata" "home" {
  count       = data.coder_workspace.me.start_count
  resource_id = terraform_data.home[0].id
  item {
    key   = "dir"
    value = local.dir
  }
}
'''


def template_archive() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        data = MAIN_TF.encode()
        info = tarfile.TarInfo("main.tf")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class Portal:
    """The API calls the benchmarks need, with an API token."""

    def __init__(self, base: str):
        self.http = httpx.Client(base_url=base, timeout=60)
        first = self.http.post("/api/v2/users/first", json={"username": "bench", "email": "bench@example.com",
                                                            "password": PASSWORD, "name": "Bench"})
        first.raise_for_status()
        login = self.http.post("/api/v2/users/login", json={"email": "bench@example.com", "password": PASSWORD})
        login.raise_for_status()
        self.http.headers["Coder-Session-Token"] = login.json()["session_token"]
        self.org = self.http.get("/api/v2/users/me/organizations").json()[0]["name"]

    def call(self, method: str, path: str, **kwargs) -> dict:
        response = self.http.request(method, path, **kwargs)
        if response.status_code >= 300:
            raise SystemExit(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else {}

    def template(self, root: str) -> str:
        file_id = self.call("POST", "/api/v2/files", content=template_archive(),
                            headers={"Content-Type": "application/x-tar"})["hash"]
        version = self.call("POST", f"/api/v2/organizations/{self.org}/templateversions",
                            json={"file_id": file_id, "storage_method": "file", "provisioner": "terraform",
                                  "user_variable_values": [{"name": "root", "value": root}]})
        while version["job"]["status"] in ("pending", "running"):
            time.sleep(0.2)
            version = self.call("GET", f"/api/v2/templateversions/{version['id']}")
        if version["job"]["status"] != "succeeded":
            raise SystemExit(f"template import {version['job']['status']}: {version['job']['error']}")
        template = self.call("POST", f"/api/v2/organizations/{self.org}/templates",
                             json={"name": "local", "template_version_id": version["id"]})
        return template["id"]

    def create_workspace(self, template_id: str, name: str) -> dict:
        return self.call("POST", "/api/v2/users/me/workspaces", json={"name": name, "template_id": template_id})

    def build(self, workspace_id: str, transition: str) -> dict:
        return self.call("POST", f"/api/v2/workspaces/{workspace_id}/builds", json={"transition": transition})

    def wait(self, build_id: str, poll: float = 0.05) -> dict:
        while True:
            build = self.call("GET", f"/api/v2/workspacebuilds/{build_id}")
            if build["job"]["status"] not in ("pending", "running", "canceling"):
                if build["job"]["status"] != "succeeded":
                    raise SystemExit(f"build {build['build_number']} {build['job']['status']}: {build['job']['error']}")
                return build
            time.sleep(poll)


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def job_phases(build: dict) -> tuple[float, float]:
    """(queue wait, run time) in seconds, from the job's own timestamps."""
    job = build["job"]
    return _ts(job["started_at"]) - _ts(job["created_at"]), _ts(job["completed_at"]) - _ts(job["started_at"])


class RawTerraform:
    """`provisioner.provision()` in this process on fresh copies of the template, carrying state."""

    def __init__(self, root: str):
        import provisioner

        self.provisioner = provisioner
        self.root = root
        self.data_dir = tempfile.mkdtemp(prefix="coderportal-raw-")
        self.options = provisioner.RunnerOptions(data_dir=self.data_dir)

    def run(self, transition: str, state: bytes, workspace_id: str) -> tuple[float, bytes]:
        workdir = tempfile.mkdtemp(prefix="coderportal-raw-job-")
        try:
            (Path(workdir) / "main.tf").write_text(MAIN_TF)
            env = self.provisioner.coder_env(workspace_id=workspace_id, workspace_name="raw",
                                             owner_id=str(uuid.uuid4()), owner_name="bench",
                                             owner_email="bench@example.com", access_url="http://127.0.0.1:1")
            request = self.provisioner.ProvisionRequest(
                working_dir=workdir, transition=transition, state=state, variable_values={"root": self.root},
                parameter_values={"greeting": "hello"}, provider_env=env)
            started = time.perf_counter()
            result = self.provisioner.provision(request, options=self.options)
            elapsed = time.perf_counter() - started
            if result.status != "succeeded":
                raise SystemExit(f"raw {transition} {result.status}: {result.error}")
            return elapsed, result.state
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)


def stats(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f}s, min {min(values):.2f}s, max {max(values):.2f}s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="stop/start cycles after the first build")
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="coderportal-bench-ws-")
    server = Server(daemons=1)
    raw = None
    try:
        server.wait_healthy()
        portal = Portal(server.base)
        template_id = portal.template(root)
        started = time.perf_counter()
        first = portal.create_workspace(template_id, "bench")
        portal.wait(first["latest_build"]["id"])
        first_api = time.perf_counter() - started
        api, queue, run = [], [], []
        for _ in range(args.runs):
            portal.wait(portal.build(first["id"], "stop")["id"])
            started = time.perf_counter()
            build = portal.build(first["id"], "start")
            done = portal.wait(build["id"])
            api.append(time.perf_counter() - started)
            wait, ran = job_phases(done)
            queue.append(wait)
            run.append(ran)

        raw = RawTerraform(root)
        workspace_id = str(uuid.uuid4())
        first_raw, state = raw.run("start", b"", workspace_id)
        raw_times = []
        for _ in range(args.runs):
            _, state = raw.run("stop", state, workspace_id)
            elapsed, state = raw.run("start", state, workspace_id)
            raw_times.append(elapsed)
        raw.run("delete", state, workspace_id)

        print(f"database: {'postgresql' if os.environ.get('CODER_PG_CONNECTION_URL') else 'embedded default'}; "
              f"broker: {'redis' if os.environ.get('CODER_REDIS_URL') else 'embedded (filesystem)'}")
        print(f"first build (create workspace → succeeded): API {first_api:.2f}s; raw provision() {first_raw:.2f}s")
        print(f"start through the API, POST → succeeded ({args.runs} runs): {stats(api)}")
        print(f"  of which queue wait (job created → claimed): {stats(queue)}")
        print(f"  of which job run (claimed → finished):       {stats(run)}")
        print(f"raw provision() start ({args.runs} runs):               {stats(raw_times)}")
        overhead = statistics.median(api) - statistics.median(raw_times)
        ratio = statistics.median(api) / statistics.median(raw_times)
        print(f"overhead (median API − median raw): {overhead:.2f}s, ratio {ratio:.2f}×")
    finally:
        server.stop()
        if raw is not None:
            raw.close()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
