"""The scripted echo provisioner used by fast tests elsewhere."""

from __future__ import annotations

import json
import threading

from provisioner import CANCELED, FAILED, SUCCEEDED, ProvisionRequest, fake
from provisioner.fake import ECHO_FILE, EchoProvisioner, EchoResponse


def test_default_script_builds_one_agent(tmp_path, logs):
    echo = EchoProvisioner()
    started = echo.provision(ProvisionRequest(str(tmp_path), "start"), logs)
    assert started.status == SUCCEEDED
    [agent] = started.agents
    assert agent.id and agent.token and agent.resource_address == "null_resource.dev"
    assert logs.outputs == ["Starting workspace (echo)"]
    assert json.loads(started.state)["echo"]["transition"] == "start"
    stopped = echo.provision(ProvisionRequest(str(tmp_path), "stop", state=started.state))
    assert stopped.status == SUCCEEDED and stopped.resources == []
    assert [call.transition for call in echo.calls] == ["start", "stop"]


def test_template_directory_scripts_the_fake(tmp_path, logs):
    (tmp_path / ECHO_FILE).write_text(json.dumps({
        "parse": {"parameters": [{"name": "region", "default_value": "eu", "options": [
            {"name": "EU", "value": "eu"}]}], "readme": "hi"},
        "start": {"logs": ["one", "two"], "resources": [{
            "type": "docker_container", "name": "ws", "address": "docker_container.ws[0]",
            "agents": [{"name": "main", "apps": [{"slug": "code", "healthcheck": {
                "url": "http://x", "interval": 1, "threshold": 2}}]}]}]},
        "stop": {"status": "failed", "error": "boom"}}))
    schema = fake.parse(str(tmp_path))
    assert schema.readme == "hi" and schema.parameters[0].options[0].value == "eu"
    started = fake.provision(ProvisionRequest(str(tmp_path), "start"), logs)
    assert logs.outputs == ["one", "two"]
    assert started.apps[0].healthcheck.threshold == 2
    stopped = fake.provision(ProvisionRequest(str(tmp_path), "stop", state=b"prior"))
    assert (stopped.status, stopped.error, stopped.state) == (FAILED, "boom", b"prior")


def test_cancel_between_log_lines(tmp_path, logs):
    echo = EchoProvisioner({"*": EchoResponse(logs=["a", "b", "c"], delay=0.5)})
    cancel = threading.Event()
    timer = threading.Timer(0.2, cancel.set)
    timer.start()
    result = echo.provision(ProvisionRequest(str(tmp_path), "start", state=b"s"), logs,
                            cancel.is_set)
    timer.join()
    assert (result.status, result.state) == (CANCELED, b"s")
    assert logs.outputs == ["a"]
