"""The coder provider's data sources other than coder_parameter.

Owns: coder_workspace, coder_workspace_owner, coder_provisioner, coder_external_auth (and
its deprecated alias coder_git_auth), coder_workspace_tags, coder_workspace_preset. Each
one reports per-build facts that the portal passes in through the environment
(see envvars.py); none of them talks to the network.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import uuid
from urllib.parse import urlsplit

from tf.types import Bool, List, Number, String

from . import envvars as ev
from .schema_kit import (
    Block,
    CoderDataSource,
    Object,
    Schema,
    SetBlock,
    boolean,
    computed,
    number,
    string,
    string_map,
)


def _env(name: str, default: str = "") -> str:
    # Coder treats an empty variable like an absent one.
    return os.environ.get(name) or default


def _json_env(name: str, default):
    raw = os.environ.get(name)
    if not raw:
        return default, None
    try:
        return json.loads(raw), None
    except ValueError as exc:
        return default, f"{name} is not valid JSON: {exc}"


def _port_of(url: str) -> int:
    parts = urlsplit(url)
    if parts.port:
        return parts.port
    return 443 if parts.scheme == "https" else 80


class WorkspaceDataSource(CoderDataSource):
    name = "workspace"
    schema = Schema(version=1, attributes=[
        computed("id", description="UUID of the workspace."),
        computed("name", description="Name of the workspace."),
        computed("access_url", description="The access URL of the deployment."),
        computed("access_port", Number(), "The access port of the deployment."),
        computed("start_count", Number(), "1 when the transition is start, else 0."),
        computed("transition", description="Either start, stop or delete."),
        computed("prebuild_count", Number(), "1 if the workspace is an unclaimed prebuild."),
        computed("is_prebuild", Bool(), "Whether the workspace is an unclaimed prebuild."),
        computed("template_id"), computed("template_name"), computed("template_version"),
        # Deprecated in Coder v2 in favour of coder_workspace_owner; kept so older
        # templates still plan.
        computed("owner"), computed("owner_id"), computed("owner_name"),
        computed("owner_email"),
        computed("owner_session_token", sensitive=True),
        computed("owner_oidc_access_token", sensitive=True),
        computed("owner_groups", List(String())),
    ])

    def compute(self, ctx, config):
        transition = _env(ev.WORKSPACE_TRANSITION, "start")
        prebuild = _env(ev.WORKSPACE_IS_PREBUILD) == "true"
        access_url = self.provider.access_url
        groups, error = _json_env(ev.WORKSPACE_OWNER_GROUPS, [])
        if error:
            ctx.diagnostics.add_error(error)
        return {
            "id": _env(ev.WORKSPACE_ID) or str(uuid.uuid4()),
            "name": _env(ev.WORKSPACE_NAME, "default"),
            "access_url": access_url,
            "access_port": _port_of(access_url),
            "transition": transition,
            "start_count": 1 if transition == "start" else 0,
            "prebuild_count": 1 if prebuild else 0,
            "is_prebuild": prebuild,
            "template_id": _env(ev.WORKSPACE_TEMPLATE_ID),
            "template_name": _env(ev.WORKSPACE_TEMPLATE_NAME),
            "template_version": _env(ev.WORKSPACE_TEMPLATE_VERSION),
            "owner": _env(ev.WORKSPACE_OWNER, "default"),
            "owner_id": _env(ev.WORKSPACE_OWNER_ID),
            "owner_name": _env(ev.WORKSPACE_OWNER_NAME, "default"),
            "owner_email": _env(ev.WORKSPACE_OWNER_EMAIL, "default@example.com"),
            "owner_session_token": _env(ev.WORKSPACE_OWNER_SESSION_TOKEN),
            "owner_oidc_access_token": _env(ev.WORKSPACE_OWNER_OIDC_ACCESS_TOKEN),
            "owner_groups": groups,
        }


class WorkspaceOwnerDataSource(CoderDataSource):
    name = "workspace_owner"
    schema = Schema(attributes=[
        computed("id", description="The UUID of the workspace owner."),
        computed("name", description="The username of the user."),
        computed("full_name"), computed("email"),
        computed("ssh_public_key"), computed("ssh_private_key", sensitive=True),
        computed("groups", List(String())),
        computed("session_token", sensitive=True),
        computed("oidc_access_token", sensitive=True),
        computed("oidc_id_token", sensitive=True),
        computed("login_type"),
        computed("rbac_roles", List(Object({"name": String(), "org_id": String()}))),
    ])

    def compute(self, ctx, config):
        groups, error = _json_env(ev.WORKSPACE_OWNER_GROUPS, [])
        roles, roles_error = _json_env(ev.WORKSPACE_OWNER_RBAC_ROLES, [])
        for problem in (error, roles_error):
            if problem:
                ctx.diagnostics.add_error(problem)
        return {
            "id": _env(ev.WORKSPACE_OWNER_ID) or str(uuid.uuid4()),
            "name": _env(ev.WORKSPACE_OWNER, "default"),
            "full_name": _env(ev.WORKSPACE_OWNER_NAME, "default"),
            "email": _env(ev.WORKSPACE_OWNER_EMAIL, "default@example.com"),
            "ssh_public_key": _env(ev.WORKSPACE_OWNER_SSH_PUBLIC_KEY),
            "ssh_private_key": _env(ev.WORKSPACE_OWNER_SSH_PRIVATE_KEY),
            "groups": [str(g) for g in groups],
            "session_token": _env(ev.WORKSPACE_OWNER_SESSION_TOKEN),
            "oidc_access_token": _env(ev.WORKSPACE_OWNER_OIDC_ACCESS_TOKEN),
            "oidc_id_token": _env(ev.WORKSPACE_OWNER_OIDC_ID_TOKEN),
            "login_type": _env(ev.WORKSPACE_OWNER_LOGIN_TYPE) or None,
            "rbac_roles": [{"name": str(r.get("name", "")), "org_id": str(r.get("org_id", ""))}
                           for r in roles if isinstance(r, dict)],
        }


def host_os_arch() -> tuple[str, str]:
    """The provisioner host's os/arch in Go's spelling (what Coder reports)."""
    os_name = {"win32": "windows", "cygwin": "windows"}.get(sys.platform, sys.platform)
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64",
            "armv7l": "arm", "i386": "386", "i686": "386"}.get(machine, machine)
    return os_name, arch


class ProvisionerDataSource(CoderDataSource):
    name = "provisioner"
    schema = Schema(attributes=[computed("id"), computed("os"), computed("arch")])

    def compute(self, ctx, config):
        os_name, arch = host_os_arch()
        return {"id": str(uuid.uuid4()), "os": os_name, "arch": arch}


class ExternalAuthDataSource(CoderDataSource):
    name = "external_auth"
    env_var = staticmethod(ev.external_auth_env_var)
    schema = Schema(attributes=[
        string("id", "The ID of a configured external auth provider.", required=True),
        boolean("optional", "Whether authenticating with this provider may be skipped."),
        computed("access_token", description="The owner's access token.", sensitive=True),
    ])

    def compute(self, ctx, config):
        config["access_token"] = _env(self.env_var(config["id"]))
        return config


class GitAuthDataSource(ExternalAuthDataSource):
    """Deprecated predecessor of coder_external_auth (still found in older templates)."""

    name = "git_auth"
    env_var = staticmethod(lambda provider_id: "CODER_GIT_AUTH_ACCESS_TOKEN_" + provider_id)
    schema = Schema(attributes=[
        string("id", "The ID of a configured git auth provider.", required=True),
        computed("access_token", sensitive=True),
    ])


class WorkspaceTagsDataSource(CoderDataSource):
    name = "workspace_tags"
    schema = Schema(attributes=[
        computed("id"),
        string_map("tags", "Key-value provisioner tags used to route workspace builds."),
    ])

    def compute(self, ctx, config):
        config["id"] = str(uuid.uuid4())
        config["tags"] = config.get("tags") or {}
        return config


_PREBUILDS = SetBlock("prebuilds", Block(
    attributes=[number("instances", "Workspaces to keep in reserve.", required=True)],
    block_types=[SetBlock("expiration_policy", Block(attributes=[
        number("ttl", "Seconds after which an unclaimed prebuild expires.", required=True),
    ]), max_items=1)],
), max_items=1)


class WorkspacePresetDataSource(CoderDataSource):
    name = "workspace_preset"
    schema = Schema(attributes=[
        computed("id"),
        string("name", "The name of the workspace preset.", required=True),
        string("description", "Describes the preset."),
        string("icon", "Icon URL shown next to the preset."),
        boolean("default", "Whether this preset is selected by default."),
        string_map("parameters", "Parameter values set by the preset."),
    ], block_types=[_PREBUILDS])

    def compute(self, ctx, config):
        config["id"] = str(uuid.uuid4())
        config["parameters"] = config.get("parameters") or {}
        return config
