"""The per-build values the coder provider reads (owner, workspace, template, access URL, and
the tokens of agents that already exist, so an agent keeps its token across builds)."""
from __future__ import annotations

from django.conf import settings

from workspaces.models import WorkspaceBuild

AGENT_TYPE = "coder_agent"


def previous_agent_tokens(state: bytes) -> dict[str, str]:
    from provisioner.state import nodes_from_state

    return {node.values["id"]: node.values["token"] for node in nodes_from_state(state)
            if node.type == AGENT_TYPE and node.values.get("id") and node.values.get("token")}


def provider_env(build: WorkspaceBuild, state: bytes) -> dict[str, str]:
    from provisioner import coder_env

    workspace = build.workspace
    owner = workspace.owner
    template = workspace.template
    groups = list(owner.groups.filter(portal_group__organization_id=workspace.organization_id)
                  .values_list("portal_group__name", flat=True))
    return coder_env(
        access_url=settings.ACCESS_URL, workspace_id=str(workspace.pk), workspace_name=workspace.name,
        owner_id=str(owner.pk), owner_name=owner.username, owner_email=owner.email, owner_full_name=owner.name,
        owner_groups=groups, owner_login_type=owner.login_type, template_id=str(template.pk),
        template_name=template.name, template_version=build.template_version.name,
        agent_tokens=previous_agent_tokens(state))
