"""The coder provider's resources: coder_agent, coder_agent_instance, coder_app,
coder_metadata, coder_script and coder_env.

They create nothing outside Terraform state: they record configuration that the portal
reads back from state after a build (see provisioner/state.py). coder_agent additionally
computes the agent's `token` and `init_script`.

Defaults that live inside nested blocks (display_apps, metadata `is_null`) cannot be
filled in by a protocol-v6 provider at plan time, so they stay null here and the state
reader applies Coder's defaults.
"""

from __future__ import annotations

import os
import re
import uuid

from tf.types import Bool

from .envvars import agent_token_env_var
from .init_script import render_init_script
from .schema_kit import (
    Block,
    CoderResource,
    ListBlock,
    Schema,
    SetBlock,
    boolean,
    computed,
    known,
    number,
    string,
    string_map,
)

AGENT_OS = ("linux", "darwin", "windows")
AGENT_ARCH = ("amd64", "arm64", "armv7", "386", "arm")
AGENT_AUTH = ("token", "google-instance-identity", "aws-instance-identity",
              "azure-instance-identity")
SLUG_RE = re.compile(r"^[a-z0-9](-?[a-z0-9])*$")
ENV_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def _one_of(diags, config, field, allowed):
    value = config.get(field)
    if known(value) and value not in allowed:
        diags.add_error(f"{field} must be one of: {', '.join(allowed)}; got {value!r}",
                        path=[field])


_METADATA = ListBlock("metadata", Block(attributes=[
    string("key", "The key of this metadata item.", required=True),
    string("display_name", "The user-facing name of this value."),
    string("script", "The script that retrieves the value.", required=True),
    number("interval", "Seconds between refreshes.", required=True),
    number("timeout", "Maximum seconds the script may run."),
    number("order", "Position in the UI; lowest first."),
]))

_DISPLAY_APPS = SetBlock("display_apps", Block(attributes=[
    boolean("vscode", "Show VS Code Desktop (default true)."),
    boolean("vscode_insiders", "Show VS Code Insiders (default false)."),
    boolean("web_terminal", "Show the web terminal (default true)."),
    boolean("ssh_helper", "Show the SSH helper (default true)."),
    boolean("port_forwarding_helper", "Show the port-forwarding helper (default true)."),
]), max_items=1)

_MONITORING = SetBlock("resources_monitoring", Block(block_types=[
    SetBlock("memory", Block(attributes=[
        boolean("enabled", required=True), number("threshold", required=True)]), max_items=1),
    SetBlock("volume", Block(attributes=[
        string("path", required=True), boolean("enabled", required=True),
        number("threshold", required=True)])),
]), max_items=1)


class AgentResource(CoderResource):
    name = "agent"
    schema = Schema(version=1, attributes=[
        computed("id"),
        computed("token", description="Set CODER_AGENT_TOKEN to this to authenticate the "
                                       "agent.", sensitive=True),
        computed("init_script", description="Run this on the instance to start the agent."),
        string("os", "linux, darwin or windows.", required=True),
        string("arch", "amd64, arm64 or armv7.", required=True),
        string("auth", "How the agent authenticates.", default="token"),
        string("dir", "Starting directory of shell sessions."),
        string_map("env", "Environment variables set inside the workspace."),
        string("startup_script", "Script run after the agent starts."),
        string("startup_script_behavior", "blocking or non-blocking.", default="non-blocking"),
        string("shutdown_script", "Script run before the agent stops."),
        number("connection_timeout", "Seconds until the agent is marked timed out.",
               default=120),
        string("troubleshooting_url", "Help page for agent problems."),
        string("motd_file", "File shown on SSH login."),
        number("order", "Position in the UI; lowest first."),
        string("api_key_scope", "all or no_user_data.", default="all"),
    ], block_types=[_METADATA, _DISPLAY_APPS, _MONITORING])

    def check(self, diags, config):
        _one_of(diags, config, "os", AGENT_OS)
        _one_of(diags, config, "arch", AGENT_ARCH)
        _one_of(diags, config, "auth", AGENT_AUTH)
        _one_of(diags, config, "startup_script_behavior", ("blocking", "non-blocking"))
        _one_of(diags, config, "api_key_scope", ("all", "no_user_data"))
        metadata = config.get("metadata")
        if known(metadata):
            keys = [m.get("key") for m in metadata if known(m) and known(m.get("key"))]
            duplicates = sorted({k for k in keys if keys.count(k) > 1})
            if duplicates:
                diags.add_error(f"duplicate agent metadata key {duplicates[0]!r}",
                                path=["metadata"])

    def fill(self, state, creating):
        # Like Coder, the token is minted again on every refresh so each build hands the
        # new agent a fresh credential; the portal may pin one per agent id instead.
        state["token"] = (os.environ.get(agent_token_env_var(state["id"]))
                          or str(uuid.uuid4()))
        state["init_script"] = render_init_script(
            self.provider.access_url, state["os"], state["arch"], state.get("auth") or "token")


class AgentInstanceResource(CoderResource):
    name = "agent_instance"
    schema = Schema(attributes=[
        computed("id"),
        string("agent_id", "The id of a coder_agent.", required=True),
        string("instance_id", "The instance identifier of a provisioned resource.",
               required=True),
    ])


_HEALTHCHECK = SetBlock("healthcheck", Block(attributes=[
    string("url", "HTTP address probed for readiness.", required=True),
    number("interval", "Seconds between probes.", required=True),
    number("threshold", "Failures before the app is unhealthy.", required=True),
]), max_items=1)


class AppResource(CoderResource):
    name = "app"
    schema = Schema(version=1, attributes=[
        computed("id"),
        string("agent_id", "The id of the coder_agent serving the app.", required=True),
        string("slug", "URL-safe unique name of the app within its agent.", required=True),
        string("display_name", "Name shown in the dashboard."),
        string("name", "Deprecated alias of display_name."),
        string("url", "URL proxied to inside the workspace."),
        string("command", "Command run in a terminal for this app."),
        string("icon", "Icon URL."),
        boolean("subdomain", "Serve the app on its own subdomain.", default=False),
        string("share", "owner, authenticated, organization or public.", default="owner"),
        boolean("external", "Open url directly in the browser.", default=False),
        boolean("hidden", "Hide the app from the dashboard.", default=False),
        string("open_in", "slim-window or tab.", default="slim-window"),
        number("order", "Position in the UI; lowest first."),
        string("group", "Group the app is shown in."),
        string("tooltip", "Markdown tooltip."),
        boolean("relative_path", "Deprecated; use subdomain."),
    ], block_types=[_HEALTHCHECK])

    def check(self, diags, config):
        slug = config.get("slug")
        if known(slug) and not SLUG_RE.match(slug):
            diags.add_error(f"invalid coder_app slug {slug!r}: use lowercase letters, digits "
                            "and single hyphens, starting and ending with a letter or digit",
                            path=["slug"])
        _one_of(diags, config, "share", ("owner", "authenticated", "organization", "public"))
        _one_of(diags, config, "open_in", ("slim-window", "tab"))
        if known(config.get("url")) and known(config.get("command")):
            diags.add_error('"url" and "command" cannot both be set on a coder_app',
                            path=["command"])
        if config.get("external") is True:
            if config.get("url") is None:
                diags.add_error("an external coder_app needs a url", path=["url"])
            if config.get("subdomain") is True or known(config.get("command")):
                diags.add_error("an external coder_app cannot set subdomain or command",
                                path=["external"])


class MetadataResource(CoderResource):
    name = "metadata"
    schema = Schema(version=1, attributes=[
        computed("id"),
        string("resource_id", "The id of the resource to describe.", required=True),
        boolean("hide", "Hide the resource from the UI."),
        string("icon", "Icon URL."),
        number("daily_cost", "Quota cost of the resource per day."),
    ], block_types=[ListBlock("item", Block(attributes=[
        string("key", "The key of this item.", required=True),
        string("value", "The value of this item."),
        boolean("sensitive", "Hide the value by default."),
        computed("is_null", Bool(), "Left null; readers treat a null value as null."),
    ]))])


class ScriptResource(CoderResource):
    name = "script"
    schema = Schema(version=1, attributes=[
        computed("id"),
        string("agent_id", "The id of the coder_agent that runs the script.", required=True),
        string("display_name", "Name shown next to the script's logs.", required=True),
        string("script", "The script to run.", required=True),
        string("icon", "Icon URL."),
        string("cron", "6-field cron schedule (with seconds)."),
        string("log_path", "File the script's logs are written to."),
        boolean("run_on_start", "Run when the agent starts.", default=False),
        boolean("run_on_stop", "Run when the agent stops.", default=False),
        boolean("start_blocks_login", "Users wait for the script before logging in.",
                default=False),
        number("timeout", "Seconds the script may run; 0 means no limit.", default=0),
    ])

    def check(self, diags, config):
        flags = [config.get(k) for k in ("run_on_start", "run_on_stop", "cron")]
        if all(f in (None, False, "") for f in flags):
            diags.add_error("at least one of run_on_start, run_on_stop or cron must be set",
                            path=["run_on_start"])
        cron = config.get("cron")
        if known(cron) and cron and len(cron.split()) not in (5, 6):
            diags.add_error(f"cron {cron!r} must have 6 fields (seconds first)", path=["cron"])


class EnvResource(CoderResource):
    name = "env"
    schema = Schema(version=1, attributes=[
        computed("id"),
        string("agent_id", "The id of the coder_agent to set the variable on.", required=True),
        string("name", "The variable's name.", required=True),
        string("value", "The variable's value."),
    ])

    def check(self, diags, config):
        name = config.get("name")
        if known(name) and not ENV_NAME_RE.match(name):
            diags.add_error(f"invalid environment variable name {name!r}", path=["name"])
