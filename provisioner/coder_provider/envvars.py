"""Names of the environment variables through which a build talks to the coder provider.

The provider runs inside Terraform, so per-build facts (transition, owner, workspace,
parameter values, access URL, agent tokens) can only reach it through its environment.
The names are the ones Coder's own provider (coder/terraform-provider-coder) reads, so a
template behaves the same here as under Coder.
"""

from __future__ import annotations

import hashlib

# Provider configuration: default for `provider "coder" { url = ... }`.
AGENT_URL = "CODER_AGENT_URL"
DEFAULT_ACCESS_URL = "http://localhost:3000"

# data "coder_workspace"
WORKSPACE_TRANSITION = "CODER_WORKSPACE_TRANSITION"  # start | stop | delete (default start)
WORKSPACE_NAME = "CODER_WORKSPACE_NAME"
WORKSPACE_ID = "CODER_WORKSPACE_ID"
WORKSPACE_TEMPLATE_ID = "CODER_WORKSPACE_TEMPLATE_ID"
WORKSPACE_TEMPLATE_NAME = "CODER_WORKSPACE_TEMPLATE_NAME"
WORKSPACE_TEMPLATE_VERSION = "CODER_WORKSPACE_TEMPLATE_VERSION"
WORKSPACE_IS_PREBUILD = "CODER_WORKSPACE_IS_PREBUILD"
WORKSPACE_BUILD_ID = "CODER_WORKSPACE_BUILD_ID"

# data "coder_workspace_owner" (and the deprecated owner fields of coder_workspace)
WORKSPACE_OWNER = "CODER_WORKSPACE_OWNER"  # username
WORKSPACE_OWNER_ID = "CODER_WORKSPACE_OWNER_ID"
WORKSPACE_OWNER_NAME = "CODER_WORKSPACE_OWNER_NAME"  # full name
WORKSPACE_OWNER_EMAIL = "CODER_WORKSPACE_OWNER_EMAIL"
WORKSPACE_OWNER_GROUPS = "CODER_WORKSPACE_OWNER_GROUPS"  # JSON list of group names
WORKSPACE_OWNER_SESSION_TOKEN = "CODER_WORKSPACE_OWNER_SESSION_TOKEN"
WORKSPACE_OWNER_SSH_PUBLIC_KEY = "CODER_WORKSPACE_OWNER_SSH_PUBLIC_KEY"
WORKSPACE_OWNER_SSH_PRIVATE_KEY = "CODER_WORKSPACE_OWNER_SSH_PRIVATE_KEY"
WORKSPACE_OWNER_OIDC_ACCESS_TOKEN = "CODER_WORKSPACE_OWNER_OIDC_ACCESS_TOKEN"
WORKSPACE_OWNER_OIDC_ID_TOKEN = "CODER_WORKSPACE_OWNER_OIDC_ID_TOKEN"
WORKSPACE_OWNER_LOGIN_TYPE = "CODER_WORKSPACE_OWNER_LOGIN_TYPE"
WORKSPACE_OWNER_RBAC_ROLES = "CODER_WORKSPACE_OWNER_RBAC_ROLES"  # JSON [{name, org_id}]

# Agent bootstrap: Coder lets the server hand the provider a script per os/arch; when it
# is absent the provider falls back to the built-in script in init_script.py.
AGENT_SCRIPT_PREFIX = "CODER_AGENT_SCRIPT_"


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parameter_env_var(name: str) -> str:
    """Variable carrying the value of the rich parameter `name` (hashed: names may hold spaces)."""
    return "CODER_PARAMETER_" + _sha256_hex(name)


def agent_token_env_var(agent_id: str) -> str:
    """Variable carrying a token to reuse for the agent with this id (Coder's prebuild contract)."""
    return "CODER_RUNNING_WORKSPACE_AGENT_TOKEN_" + _sha256_hex(agent_id)


def external_auth_env_var(provider_id: str) -> str:
    """Variable carrying the owner's access token for an external auth provider."""
    return "CODER_EXTERNAL_AUTH_ACCESS_TOKEN_" + provider_id


def agent_script_env_var(os_name: str, arch: str) -> str:
    return f"{AGENT_SCRIPT_PREFIX}{os_name}_{arch}"
