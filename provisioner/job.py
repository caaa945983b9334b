"""One provisioner job's plumbing, shared by `parse()` and `provision()`.

Owns: runner options (where the mirror lives, reattach or not, cancel grace), building
the environment the coder provider reads for a build, and `Job`: a started Terraform
session plus the helpers every step needs (run a command at a stage with its events
turned into log lines, show a plan as JSON, the dependency graph).
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import threading
from dataclasses import dataclass, field
from typing import Callable, Optional

from .coder_provider import envvars
from .logs import EventLog
from .mirror import DEFAULT_VERSION, Mirror, write_mirror
from .session import CommandOutcome, TerraformSession, job_environment
from .state import parse_graph
from .types import LogLine

ShouldCancel = Callable[[], bool]


def _default_data_dir() -> str:
    return os.environ.get("CODERPORTAL_TERRAFORM_DIR") or os.path.join(
        tempfile.gettempdir(), "coderportal-terraform")


@dataclass
class RunnerOptions:
    """How the real provisioner runs Terraform (one set per worker process)."""

    data_dir: str = field(default_factory=_default_data_dir)  # mirror, plugin cache
    reattach: bool = True  # serve coder/coder per job instead of installing it
    cancel_grace: float = 60.0  # seconds Terraform gets to stop after a cancel
    provider_version: str = DEFAULT_VERSION


_mirrors: dict[tuple[str, str], Mirror] = {}
_mirrors_lock = threading.Lock()


def mirror_for(options: RunnerOptions) -> Mirror:
    key = (options.data_dir, options.provider_version)
    with _mirrors_lock:
        if key not in _mirrors:
            _mirrors[key] = write_mirror(options.data_dir, options.provider_version)
        return _mirrors[key]


def coder_env(*, access_url: Optional[str] = None, workspace_id: str = "",
              workspace_name: str = "", owner_id: str = "", owner_name: str = "",
              owner_email: str = "", owner_full_name: str = "",
              owner_groups: Optional[list[str]] = None, owner_session_token: str = "",
              owner_ssh_public_key: str = "", owner_ssh_private_key: str = "",
              owner_oidc_access_token: str = "", owner_login_type: str = "",
              template_id: str = "", template_name: str = "", template_version: str = "",
              is_prebuild: bool = False, agent_tokens: Optional[dict[str, str]] = None,
              external_auth_tokens: Optional[dict[str, str]] = None) -> dict[str, str]:
    """The coder provider's per-build environment, from typed values.

    `agent_tokens` maps an agent id (from the previous build's state) to the token it
    must keep; agents not listed get a fresh random token on every build.
    """
    pairs = {
        envvars.AGENT_URL: access_url or "",
        envvars.WORKSPACE_ID: workspace_id, envvars.WORKSPACE_NAME: workspace_name,
        envvars.WORKSPACE_OWNER_ID: owner_id, envvars.WORKSPACE_OWNER: owner_name,
        envvars.WORKSPACE_OWNER_EMAIL: owner_email,
        envvars.WORKSPACE_OWNER_NAME: owner_full_name,
        envvars.WORKSPACE_OWNER_SESSION_TOKEN: owner_session_token,
        envvars.WORKSPACE_OWNER_SSH_PUBLIC_KEY: owner_ssh_public_key,
        envvars.WORKSPACE_OWNER_SSH_PRIVATE_KEY: owner_ssh_private_key,
        envvars.WORKSPACE_OWNER_OIDC_ACCESS_TOKEN: owner_oidc_access_token,
        envvars.WORKSPACE_OWNER_LOGIN_TYPE: owner_login_type,
        envvars.WORKSPACE_TEMPLATE_ID: template_id,
        envvars.WORKSPACE_TEMPLATE_NAME: template_name,
        envvars.WORKSPACE_TEMPLATE_VERSION: template_version,
        envvars.WORKSPACE_IS_PREBUILD: "true" if is_prebuild else "",
    }
    if owner_groups is not None:
        pairs[envvars.WORKSPACE_OWNER_GROUPS] = json.dumps(list(owner_groups))
    for agent_id, token in (agent_tokens or {}).items():
        pairs[envvars.agent_token_env_var(agent_id)] = token
    for provider_id, token in (external_auth_tokens or {}).items():
        pairs[envvars.external_auth_env_var(provider_id)] = token
    return {k: v for k, v in pairs.items() if v}


def build_env(provider_env: dict[str, str], transition: str,
              parameter_values: dict[str, str]) -> dict[str, str]:
    env = dict(provider_env)
    env[envvars.WORKSPACE_TRANSITION] = transition
    for name, value in parameter_values.items():
        env[envvars.parameter_env_var(name)] = str(value)
    return env


class Job:
    """A Terraform session in `working_dir`, with logging and cancellation wired in."""

    def __init__(self, working_dir: str, env: dict[str, str], emit: Callable[[LogLine], None],
                 should_cancel: ShouldCancel, options: RunnerOptions, debug: bool = False):
        self.working_dir = os.path.abspath(working_dir)
        self.emit = emit
        self.should_cancel = should_cancel
        self.options = options
        self.mirror = mirror_for(options)
        self.stage = ""
        log_stderr = self._stderr_logger() if debug else None
        self.session = TerraformSession(job_environment(env, self.mirror), options.reattach,
                                        options.cancel_grace, on_stderr=log_stderr)

    def _stderr_logger(self):
        def log(line: str) -> None:
            self.emit(LogLine(stage=self.stage, output=line, level="debug",
                              source="provisioner_daemon"))
        return log

    def __enter__(self) -> "Job":
        self.session.start()
        return self

    def __exit__(self, *exc) -> None:
        self.session.close()

    @property
    def canceled(self) -> bool:
        return self.session.canceled

    def run(self, stage: str, cmd: str, args: list[str]) -> tuple[CommandOutcome, EventLog]:
        """Run `terraform <cmd> -json <args>`, logging at `stage`."""
        self.stage = stage
        log = EventLog(self.emit, stage)
        outcome = self.session.run(cmd, ["-json", *args], self.working_dir, log,
                                   self.should_cancel)
        return outcome, log

    def init(self, stage: str) -> tuple[CommandOutcome, EventLog]:
        """`terraform init`, one job at a time per data directory: Terraform's plugin
        cache is not safe for concurrent installs."""
        with open(self.mirror.root / "init.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                return self.run(stage, "init", ["-input=false", "-no-color"])
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def show_json(self, path: str) -> dict:
        """`terraform show -json <path>` as a dict (a saved plan, or a state file)."""
        documents: list[dict] = []
        outcome = self.session.run("show", ["-json", "-no-color", path], self.working_dir,
                                   documents.append, self.should_cancel)
        # show -json prints a single JSON document, which the worker relays as one event.
        if outcome.retcode != 0 or len(documents) != 1 or documents[0].get("type") == "line":
            raise RuntimeError(f"terraform show failed: {outcome.stderr.strip()}")
        return documents[0]

    def graph(self) -> dict[str, set[str]]:
        """Resource-level dependency edges of the configuration (`terraform graph`)."""
        lines: list[str] = []
        outcome = self.session.run("graph", [], self.working_dir,
                                   lambda event: lines.append(event.get("@message", "")),
                                   self.should_cancel)
        return parse_graph(lines) if outcome.retcode == 0 else {}

    def daemon_log(self, stage: str, output: str, level: str = "info") -> None:
        self.stage = stage
        EventLog(self.emit, stage).daemon(output, level)
