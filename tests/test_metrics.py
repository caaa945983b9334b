"""Prometheus metrics of a real `serve`: after builds run by its provisioner children, /metrics
on CODER_PROMETHEUS_ADDRESS shows the API, job and build metrics with bounded labels, and a
provisioner child killed and restarted by serve loses none of the counts it made."""
from __future__ import annotations

import os
import re
import signal

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.templates_app.archive_helpers import echo_template
from tests.test_serve import Served, _child, _events, _free_port, _wait, backing_services  # noqa: F401
from tests.test_soak import ECHO, Client

pytestmark = [pytest.mark.real, pytest.mark.timeout(600)]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")


def scrape(address: str) -> dict[tuple[str, frozenset], float]:
    response = httpx.get(f"http://{address}/metrics", timeout=30)
    assert response.status_code == 200, response.text
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    """Sum of the samples of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, lbls), v in samples.items() if n == name and wanted <= lbls)


def test_metrics_after_builds_aggregate_every_process_and_survive_a_child_restart(tmp_path, monkeypatch,
                                                                                  backing_services):  # noqa: F811
    monkeypatch.setenv("CODER_ENABLE_ECHO_PROVISIONER", "true")
    address = f"127.0.0.1:{_free_port()}"
    served = Served(tmp_path, [*backing_services, "--prometheus-enable", "true", "--prometheus-address", address],
                    daemons=1)
    try:
        served.wait_healthy()
        assert (served.data_dir / "metrics").is_dir()
        client = Client(served.base)
        template_id = client.template("echo", echo_template(ECHO), "echo")
        workspace = client.call("POST", "/api/v2/users/me/workspaces", json={"name": "m1", "template_id": template_id})
        first = client.call("GET", f"/api/v2/workspaces/{workspace['id']}")["latest_build"]
        client.follow_logs(first["id"])
        _wait(lambda: client.call("GET", f"/api/v2/workspacebuilds/{first['id']}")["job"]["status"] == "succeeded",
              120, "the first build")
        client.call("GET", f"/api/v2/workspaces/{workspace['id']}")
        # Follow the finished build's logs over a websocket, as Coder's CLI does; the server closes it.
        ws_url = f"ws://127.0.0.1:{served.port}/api/v2/workspacebuilds/{first['id']}/logs?follow=true"
        with connect(ws_url, additional_headers={"Coder-Session-Token": client.http.headers["Coder-Session-Token"]},
                     open_timeout=30) as ws:
            with pytest.raises(ConnectionClosed):
                while True:
                    ws.recv(timeout=60)

        samples = scrape(address)
        assert value(samples, "coderd_api_websocket_durations_seconds_count",
                     path="/api/v2/workspacebuilds/{build_id}/logs") == 1
        assert value(samples, "coderd_api_concurrent_websockets") == 0
        # Counted in the provisioner's pool process, read by the exporter in serve itself.
        assert value(samples, "coderd_workspace_builds_total", template_name="echo", workspace_transition="start",
                     status="succeeded") == 1
        assert value(samples, "coderd_provisionerd_job_timings_seconds_count", provisioner="echo",
                     status="succeeded") == 2  # the template import and the build
        assert value(samples, "coderportal_provisioner_job_wait_seconds_count", provisioner="echo",
                     queue="provisioner") == 2
        assert value(samples, "coderd_provisionerd_jobs_current", provisioner="echo") == 0
        # Counted in the web process, labelled by route pattern.
        assert value(samples, "coderd_api_requests_processed_total", code="200", method="GET",
                     path="/api/v2/workspaces/{workspace_id}") >= 1
        assert value(samples, "coderd_api_request_latencies_seconds_count", method="GET") >= 1
        assert value(samples, "coderd_api_requests_processed_total", code="201", method="POST") >= 3
        # Read from the database and the broker at scrape time.
        assert value(samples, "coderd_workspace_latest_build_status", status="succeeded", template_name="echo",
                     workspace_transition="start") == 1
        assert ("coderportal_celery_queue_depth", frozenset({("queue", "provisioner")})) in samples
        # Bounded labels: route patterns, never ids.
        paths = {dict(lbls).get("path") for (n, lbls) in samples if n == "coderd_api_requests_processed_total"}
        assert paths and not any(UUID.search(p or "") for p in paths), paths
        assert all(not UUID.search(v) for (_, lbls) in samples for _, v in lbls)

        # Kill the provisioner daemon (main process and pool child); serve restarts it.
        worker = _child(served, "provisioner-1@")
        os.killpg(worker.pid, signal.SIGKILL)
        _wait(lambda: any(e["event"] == "child_restarted" and e["child"] == "provisioner-1" for e in _events(served)),
              60, "the restart")
        _wait(lambda: getattr(_child(served, "provisioner-1@"), "pid", worker.pid) != worker.pid, 60, "a new daemon")
        samples = scrape(address)
        assert value(samples, "coderd_provisionerd_job_timings_seconds_count", provisioner="echo",
                     status="succeeded") == 2  # the dead process's counts are kept

        stop = client.build(workspace["id"], "stop")
        assert stop["job"]["status"] == "succeeded", stop["job"]
        samples = scrape(address)
        assert value(samples, "coderd_provisionerd_job_timings_seconds_count", provisioner="echo",
                     status="succeeded") == 3
        assert value(samples, "coderd_workspace_builds_total", template_name="echo", workspace_transition="stop",
                     status="succeeded") == 1
        assert value(samples, "coderd_workspace_latest_build_status", status="succeeded", template_name="echo",
                     workspace_transition="stop") == 1
        assert served.stop() == 0, served.output()
    finally:
        if served.proc.poll() is None:
            for process in served.tree()[::-1]:
                process.kill()
            served.proc.wait()


def test_route_labels_are_patterns_never_concrete_paths():
    from coderportal.metrics.middleware import route_label

    assert route_label("api/v2/workspaces/<uuid:workspace_id>/builds") == "/api/v2/workspaces/{workspace_id}/builds"
    assert route_label("api/v2/users/<user>") == "/api/v2/users/{user}"
    assert route_label(None) == "unmatched"


@pytest.mark.django_db
def test_in_process_api_metrics_and_the_autobuild_hook(client_for, owner):
    """Without serve (no multiprocess directory) the same metrics count in the process itself."""
    from prometheus_client import REGISTRY

    from coderportal.metrics import definitions

    labels = {"code": "200", "method": "GET", "path": "/api/v2/users/{user}"}
    before = REGISTRY.get_sample_value("coderd_api_requests_processed_total", labels) or 0
    assert client_for(owner).get("/api/v2/users/me").status_code == 200
    assert REGISTRY.get_sample_value("coderd_api_requests_processed_total", labels) == before + 1
    assert REGISTRY.get_sample_value("coderd_api_concurrent_requests") == 0

    runs = REGISTRY.get_sample_value("coderd_lifecycle_autobuild_execution_duration_seconds_count") or 0
    with definitions.autobuild_execution():
        pass
    assert REGISTRY.get_sample_value("coderd_lifecycle_autobuild_execution_duration_seconds_count") == runs + 1
