"""A scripted provisioner for fast tests (the counterpart of Coder's "echo" provisioner).

`EchoProvisioner` (and the module-level `parse` / `provision`) has the real runner's
signatures but runs no Terraform: it replays scripted responses. Responses come from the
constructor or from a `coderportal-echo.json` file in the template directory, so a test
can upload a template archive that says what its builds do:

    {"parse": {"parameters": [{"name": "region", "default_value": "eu"}]},
     "start": {"logs": ["creating"], "resources": [{"type": "null_resource", "name": "dev",
               "address": "null_resource.dev", "agents": [{"name": "main"}]}]},
     "stop": {"status": "failed", "error": "boom"}}

Keys: "parse" (TemplateSchema fields), "start" / "stop" / "delete" / "*" (EchoResponse
fields). Agents without an id or token get fresh ones on each build, like real builds.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import threading
import time
import typing
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Union

from . import quota
from .types import (
    CANCELED,
    FAILED,
    SUCCEEDED,
    Agent,
    LogLine,
    ProvisionRequest,
    ProvisionResult,
    Resource,
    TemplateParameter,
    TemplateSchema,
)

ECHO_FILE = "coderportal-echo.json"


@dataclass
class EchoResponse:
    logs: list[str | LogLine] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    parameters: list[TemplateParameter] = field(default_factory=list)
    status: str = SUCCEEDED
    error: str = ""
    error_code: str = ""
    state: Optional[str] = None  # None: an echo state recording the transition
    delay: float = 0.0  # seconds after each log line (to exercise streaming and cancel)


def _default_responses() -> dict[str, EchoResponse]:
    dev = Resource(type="null_resource", name="dev", address="null_resource.dev",
                   agents=[Agent(name="main")])
    return {"start": EchoResponse(logs=["Starting workspace (echo)"], resources=[dev]),
            "stop": EchoResponse(logs=["Stopping workspace (echo)"]),
            "delete": EchoResponse(logs=["Destroying workspace (echo)"])}


def from_dict(cls: Any, data: Any) -> Any:
    """Build dataclass `cls` (recursively) from plain JSON data."""
    if dataclasses.is_dataclass(cls) and isinstance(data, dict):
        hints = typing.get_type_hints(cls)
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: from_dict(hints[k], v) for k, v in data.items() if k in names})
    origin, args = typing.get_origin(cls), typing.get_args(cls)
    if origin is list and isinstance(data, list):
        return [from_dict(args[0], item) for item in data]
    if origin is Union and data is not None:
        for option in args:
            if dataclasses.is_dataclass(option) and isinstance(data, dict):
                return from_dict(option, data)
    return data


class EchoProvisioner:
    """Replays scripted responses; records every request in `calls`."""

    def __init__(self, responses: Optional[dict[str, EchoResponse]] = None,
                 schema: Optional[TemplateSchema] = None):
        self.responses = responses if responses is not None else _default_responses()
        self.schema = schema or TemplateSchema()
        self.calls: list[ProvisionRequest] = []
        self._lock = threading.Lock()

    def _scripted(self, directory: str) -> tuple[dict[str, EchoResponse], TemplateSchema]:
        path = Path(directory) / ECHO_FILE
        if not path.is_file():
            return self.responses, self.schema
        data = json.loads(path.read_text(encoding="utf-8"))
        responses = {k: from_dict(EchoResponse, v) for k, v in data.items() if k != "parse"}
        return responses, from_dict(TemplateSchema, data.get("parse", {}))

    def parse(self, directory: str, **_: Any) -> TemplateSchema:
        schema = copy.deepcopy(self._scripted(directory)[1])
        readme = Path(directory) / "README.md"
        if not schema.readme and readme.is_file():
            schema.readme = readme.read_text(encoding="utf-8")
        return schema

    def provision(self, request: ProvisionRequest,
                  emit: Callable[[LogLine], None] = lambda line: None,
                  should_cancel: Callable[[], bool] = lambda: False,
                  options: Any = None, commit_quota: Optional[quota.CommitQuota] = None) -> ProvisionResult:
        with self._lock:
            self.calls.append(request)
        responses = self._scripted(request.working_dir)[0]
        response = responses.get(request.transition) or responses.get("*") or EchoResponse()
        stage = {"start": "Starting workspace", "stop": "Stopping workspace",
                 "delete": "Destroying workspace"}.get(request.transition, "Provisioning")
        for line in response.logs:
            if should_cancel():
                return ProvisionResult(status=CANCELED, error="canceled", state=request.state)
            emit(line if isinstance(line, LogLine) else LogLine(stage=stage, output=line))
            _sleep(response.delay, should_cancel)
        if should_cancel():
            return ProvisionResult(status=CANCELED, error="canceled", state=request.state)
        if response.status == SUCCEEDED and request.transition in quota.COMMITTED_TRANSITIONS:
            # The scripted resources are the "plan": commit their cost before "applying".
            refused = quota.commit(quota.daily_cost(response.resources), commit_quota, emit)
            if refused:
                return ProvisionResult(status=FAILED, error=refused, state=request.state)
        return self._result(request, response)

    @staticmethod
    def _result(request: ProvisionRequest, response: EchoResponse) -> ProvisionResult:
        resources = copy.deepcopy(response.resources)
        for resource in resources:
            for agent in resource.agents:
                agent.id = agent.id or str(uuid.uuid4())
                agent.token = agent.token or str(uuid.uuid4())
                agent.resource_address = agent.resource_address or resource.address
        if response.state is not None:
            state = response.state.encode()
        elif response.status == SUCCEEDED:
            state = json.dumps({"version": 4, "echo": {"transition": request.transition,
                                                       "parameters": request.parameter_values}},
                               sort_keys=True).encode()
        else:
            state = request.state
        return ProvisionResult(status=response.status, error=response.error,
                               error_code=response.error_code, state=state,
                               resources=resources if response.status == SUCCEEDED else [],
                               parameters=copy.deepcopy(response.parameters))


def _sleep(seconds: float, should_cancel: Callable[[], bool]) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not should_cancel():
        time.sleep(min(0.02, max(0.0, end - time.monotonic())))


def parse(directory: str, **kwargs: Any) -> TemplateSchema:
    """Module-level `parse()` of a fresh EchoProvisioner (scripted by the directory)."""
    return EchoProvisioner().parse(directory, **kwargs)


def provision(request: ProvisionRequest, emit: Callable[[LogLine], None] = lambda line: None,
              should_cancel: Callable[[], bool] = lambda: False,
              options: Any = None, commit_quota: Optional[quota.CommitQuota] = None) -> ProvisionResult:
    """Module-level `provision()` of a fresh EchoProvisioner (scripted by the directory)."""
    return EchoProvisioner().provision(request, emit, should_cancel, options, commit_quota)
