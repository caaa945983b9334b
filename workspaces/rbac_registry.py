"""Registers the workspace models with the RBAC engine: builds, resources and agents are
authorized as the workspace they belong to."""
from accounts import rbac
from workspaces.models import Workspace, WorkspaceAgent, WorkspaceBuild, WorkspaceResource


def register_all() -> None:
    rbac.register(Workspace, rbac.Descriptor("workspace", org_field="organization_id", owner_field="owner_id"))
    rbac.register(WorkspaceBuild, rbac.Descriptor("workspace", org_field="workspace__organization_id",
                                                  owner_field="workspace__owner_id"))
    rbac.register(WorkspaceResource, rbac.Descriptor("workspace", org_field="build__workspace__organization_id",
                                                     owner_field="build__workspace__owner_id"))
    rbac.register(WorkspaceAgent, rbac.Descriptor("workspace",
                                                  org_field="resource__build__workspace__organization_id",
                                                  owner_field="resource__build__workspace__owner_id"))
