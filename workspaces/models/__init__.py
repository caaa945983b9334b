"""Workspaces, their builds (with Terraform state and parameters), and what builds create:
resources with metadata, agents (with scripts and metadata definitions) and apps."""
from .agents import WorkspaceAgent, WorkspaceAgentLog, WorkspaceAgentMetadata, WorkspaceAgentScript, WorkspaceApp
from .builds import BuildReason, Transition, WorkspaceBuild, WorkspaceBuildParameter
from .resources import WorkspaceResource, WorkspaceResourceMetadata
from .workspaces import Workspace

__all__ = [
    "BuildReason", "Transition", "Workspace", "WorkspaceAgent", "WorkspaceAgentLog", "WorkspaceAgentMetadata",
    "WorkspaceAgentScript", "WorkspaceApp", "WorkspaceBuild", "WorkspaceBuildParameter", "WorkspaceResource",
    "WorkspaceResourceMetadata",
]
