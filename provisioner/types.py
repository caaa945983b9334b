"""The data that crosses the provisioner boundary: requests, results, log lines and the
parsed shape of a template. Plain dataclasses (no Django), field names following Coder's
API objects where one exists so the apps can map them one to one."""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass, field
from typing import Any, Optional

SUCCEEDED, FAILED, CANCELED = "succeeded", "failed", "canceled"
TRANSITIONS = ("start", "stop", "delete")

# ProvisionerJob.error_code values (Coder's).
REQUIRED_TEMPLATE_VARIABLES = "REQUIRED_TEMPLATE_VARIABLES"

# LogLine.source / LogLine.level values (Coder's).
SOURCE_DAEMON, SOURCE_PROVISIONER = "provisioner_daemon", "provisioner"
LEVELS = ("trace", "debug", "info", "warn", "error")


class _Dict:
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


@dataclass
class LogLine(_Dict):
    stage: str
    output: str
    level: str = "info"
    source: str = SOURCE_PROVISIONER
    created_at: datetime.datetime = field(default_factory=_now)


# -- template schema ---------------------------------------------------------------------
@dataclass
class TemplateVariable(_Dict):
    """A Terraform `variable` of the template (Coder's TemplateVersionVariable)."""

    name: str
    type: str = "string"  # string | number | bool, or Terraform's spelling of other types
    description: str = ""
    default_value: Optional[str] = None  # None: no default; others as Coder renders them
    required: bool = False
    sensitive: bool = False
    value: Optional[str] = None  # the value supplied for this parse, if any


@dataclass
class ParameterOption(_Dict):
    name: str
    value: str
    description: str = ""
    icon: str = ""


@dataclass
class TemplateParameter(_Dict):
    """A `coder_parameter` (Coder's TemplateVersionParameter, plus the value it took)."""

    name: str
    display_name: str = ""
    description: str = ""
    type: str = "string"
    form_type: str = ""
    styling: str = "{}"
    mutable: bool = False
    ephemeral: bool = False
    default_value: str = ""
    icon: str = ""
    options: list[ParameterOption] = field(default_factory=list)
    validation_error: str = ""
    validation_regex: str = ""
    validation_min: Optional[int] = None
    validation_max: Optional[int] = None
    validation_monotonic: str = ""
    required: bool = False
    order: Optional[int] = None
    value: str = ""


@dataclass
class Preset(_Dict):
    name: str
    parameters: dict[str, str] = field(default_factory=dict)
    description: str = ""
    icon: str = ""
    default: bool = False
    prebuild_instances: Optional[int] = None
    prebuild_expiration_ttl: Optional[int] = None


@dataclass
class ExternalAuthRequirement(_Dict):
    id: str
    optional: bool = False


# -- resources ---------------------------------------------------------------------------
@dataclass
class Healthcheck(_Dict):
    url: str
    interval: int
    threshold: int


@dataclass
class App(_Dict):
    slug: str
    id: Optional[str] = None
    display_name: str = ""
    url: str = ""
    command: str = ""
    icon: str = ""
    subdomain: bool = False
    share: str = "owner"
    external: bool = False
    hidden: bool = False
    open_in: str = "slim-window"
    order: Optional[int] = None
    group: str = ""
    tooltip: str = ""
    healthcheck: Optional[Healthcheck] = None


@dataclass
class Script(_Dict):
    display_name: str
    script: str
    icon: str = ""
    cron: str = ""
    run_on_start: bool = False
    run_on_stop: bool = False
    start_blocks_login: bool = False
    timeout: int = 0
    log_path: str = ""


@dataclass
class AgentMetadata(_Dict):
    key: str
    script: str
    interval: int
    display_name: str = ""
    timeout: int = 0
    order: Optional[int] = None


@dataclass
class DisplayApps(_Dict):
    vscode: bool = True
    vscode_insiders: bool = False
    web_terminal: bool = True
    ssh_helper: bool = True
    port_forwarding_helper: bool = True


@dataclass
class Agent(_Dict):
    name: str
    id: Optional[str] = None  # None in a plan (known after apply)
    token: Optional[str] = None
    auth: str = "token"
    os: str = "linux"
    arch: str = "amd64"
    dir: str = ""
    env: dict[str, str] = field(default_factory=dict)
    connection_timeout: int = 120
    troubleshooting_url: str = ""
    motd_file: str = ""
    order: Optional[int] = None
    startup_script_behavior: str = "non-blocking"
    api_key_scope: str = "all"
    instance_id: str = ""
    metadata: list[AgentMetadata] = field(default_factory=list)
    display_apps: DisplayApps = field(default_factory=DisplayApps)
    apps: list[App] = field(default_factory=list)
    scripts: list[Script] = field(default_factory=list)
    resource_address: Optional[str] = None  # the resource the agent runs in


@dataclass
class MetadataItem(_Dict):
    key: str
    value: Optional[str] = None
    sensitive: bool = False
    is_null: bool = False


@dataclass
class Resource(_Dict):
    """A managed Terraform resource other than the coder_* bookkeeping ones."""

    type: str
    name: str
    address: str
    mode: str = "managed"
    hide: bool = False
    icon: str = ""
    daily_cost: int = 0
    metadata: list[MetadataItem] = field(default_factory=list)
    agents: list[Agent] = field(default_factory=list)


@dataclass
class TemplateSchema(_Dict):
    """What `parse()` learns about a template directory."""

    status: str = SUCCEEDED
    error: str = ""
    error_code: str = ""
    variables: list[TemplateVariable] = field(default_factory=list)
    parameters: list[TemplateParameter] = field(default_factory=list)
    readme: str = ""
    workspace_tags: dict[str, str] = field(default_factory=dict)
    presets: list[Preset] = field(default_factory=list)
    external_auth: list[ExternalAuthRequirement] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)  # planned for start
    stop_resources: list[Resource] = field(default_factory=list)  # planned for stop


# -- provisioning ------------------------------------------------------------------------
@dataclass
class ProvisionRequest(_Dict):
    """One workspace build (or dry run) of the template unpacked in `working_dir`.

    `provider_env` carries the per-build values for the coder provider (see
    `provisioner.coder_env()` for a typed way to build it); the transition and the
    parameter values are added from the fields below.
    """

    working_dir: str
    transition: str = "start"
    state: bytes = b""
    variable_values: dict[str, str] = field(default_factory=dict)
    parameter_values: dict[str, str] = field(default_factory=dict)
    provider_env: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False  # plan only; resources come from the plan
    log_level: str = "info"  # "debug": also Terraform's own log (TF_LOG) at level debug


@dataclass
class ProvisionResult(_Dict):
    status: str
    error: str = ""
    error_code: str = ""
    state: bytes = b""  # always set, failures included: persist it
    resources: list[Resource] = field(default_factory=list)
    parameters: list[TemplateParameter] = field(default_factory=list)

    @property
    def agents(self) -> list[Agent]:
        return [agent for resource in self.resources for agent in resource.agents]

    @property
    def apps(self) -> list[App]:
        return [app for agent in self.agents for app in agent.apps]
