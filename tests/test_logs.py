"""Structured logs of a real `serve`: with --log-json every line written by every process (the
supervisor, the web server, Celery workers and their pool children) is one JSON object with
Coder's fields at the top level, and a request's id, user and trace reach the provisioner job it
started."""
from __future__ import annotations

import json
import re

import pytest

from tests.templates_app.archive_helpers import echo_template
from tests.test_serve import Served, _wait, backing_services  # noqa: F401
from tests.test_soak import ECHO, Client

pytestmark = [pytest.mark.real, pytest.mark.timeout(600)]
RFC3339_NS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")


def test_json_logs_of_every_process_parse_line_by_line_with_context_fields(tmp_path, monkeypatch,
                                                                           backing_services):  # noqa: F811
    monkeypatch.setenv("CODER_ENABLE_ECHO_PROVISIONER", "true")
    json_log = tmp_path / "server.json"
    served = Served(tmp_path, [*backing_services, "--log-json", str(json_log), "--verbose", "true"], daemons=1)
    try:
        served.wait_healthy()
        client = Client(served.base)
        me = client.call("GET", "/api/v2/users/me")
        template_id = client.template("echo", echo_template(ECHO), "echo")
        created = client.http.post("/api/v2/users/me/workspaces", json={"name": "l1", "template_id": template_id},
                                   headers={"X-Request-Id": "create-workspace-1",
                                            "traceparent": f"00-{'ab' * 16}-{'cd' * 8}-01"})
        assert created.status_code == 201, created.text
        assert created.headers["X-Request-Id"] == "create-workspace-1"
        build = client.call("GET", f"/api/v2/workspaces/{created.json()['id']}")["latest_build"]
        client.follow_logs(build["id"])
        _wait(lambda: "provisioner job ended" in json_log.read_text() and
              json_log.read_text().count("provisioner job ended") >= 2, 60, "the build's log lines")
        assert served.stop() == 0, served.output()
    finally:
        if served.proc.poll() is None:
            for process in served.tree()[::-1]:
                process.kill()
            served.proc.wait()

    lines = [json.loads(line) for line in json_log.read_text().splitlines()]  # every line parses
    assert len(lines) > 10
    for line in lines:
        assert RFC3339_NS.match(line["ts"]), line
        assert line["level"] in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") and line["logger"] and "msg" in line
    loggers = {line["logger"] for line in lines}
    assert "coderportal.serve" in loggers  # the supervisor
    assert any(name.startswith("celery") for name in loggers)  # Celery's own lines, same format
    assert len({line["pid"] for line in lines}) >= 3  # supervisor, web, workers

    # Request lines (--verbose) carry the request id, the user and the route pattern at top level.
    requests = [line for line in lines if line["logger"] == "coderportal.http"]
    mine = next(line for line in requests if line.get("request_id") == "create-workspace-1")
    assert mine["user_id"] == me["id"] and mine["trace_id"] == "ab" * 16 and len(mine["span_id"]) == 16
    assert mine["method"] == "POST" and mine["path"] == "/api/v2/users/{user}/workspaces" and mine["status_code"] == 201
    # The build job the request started logs in the provisioner's pool process with the same ids.
    job_lines = [line for line in lines if line["msg"].startswith("provisioner job")
                 and line.get("request_id") == "create-workspace-1"]
    assert {line["msg"] for line in job_lines} == {"provisioner job started", "provisioner job ended"}
    for line in job_lines:
        assert line["trace_id"] == "ab" * 16 and line["user_id"] == me["id"] and line["job_type"] == "workspace_build"
        assert line["pid"] != mine["pid"]
    assert next(line for line in job_lines if line["msg"] == "provisioner job ended")["status"] == "succeeded"


def test_formatters_put_extra_fields_at_the_top_level_and_keep_their_own_fields():
    import logging

    from coderportal.logs import context
    from coderportal.logs.formatters import HumanFormatter, JsonFormatter, StackdriverFormatter

    record = logging.LogRecord("aibridge.proxy", logging.WARNING, __file__, 7, "upstream %s slow", ("x",), None)
    record.model, record.tokens, record.msg_id = "gpt-x", 12, "m1"
    record.level = "overridden?"  # an extra named like a fixed field does not replace it
    tokens = context.bind(request_id_value="rid-1", trace="ab" * 16, span="cd" * 8)
    try:
        context.ContextFilter().filter(record)
    finally:
        context.unbind(tokens)
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "WARNING" and line["logger"] == "aibridge.proxy" and line["msg"] == "upstream x slow"
    assert (line["model"], line["tokens"], line["msg_id"]) == ("gpt-x", 12, "m1")
    assert line["request_id"] == "rid-1" and line["trace_id"] == "ab" * 16 and RFC3339_NS.match(line["ts"])
    gcp = json.loads(StackdriverFormatter().format(record))
    assert gcp["severity"] == "WARNING" and gcp["message"] == "upstream x slow" and gcp["model"] == "gpt-x"
    assert gcp["logging.googleapis.com/trace"] == "ab" * 16 and RFC3339_NS.match(gcp["timestamp"])
    human = HumanFormatter().format(record)
    assert "[warn] aibridge.proxy: upstream x slow" in human and "request_id=rid-1" in human and "model=gpt-x" in human
    # Context does not leak past its request.
    assert context.request_id.get() == "" and context.trace_id.get() == ""
