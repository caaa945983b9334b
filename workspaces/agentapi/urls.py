"""Agent API routes under /api/v2 (agent-side `me/...` and client-side `{id}/...`)."""
from django.urls import path

from workspaces.agentapi import agent_views, client_views

urlpatterns = [
    path("workspaceagents/me/manifest", agent_views.ManifestView.as_view()),
    path("workspaceagents/me/report-lifecycle", agent_views.LifecycleView.as_view()),
    path("workspaceagents/me/lifecycle", agent_views.LifecycleView.as_view()),
    path("workspaceagents/me/logs", agent_views.LogsView.as_view()),
    path("workspaceagents/me/metadata", agent_views.MetadataView.as_view()),
    path("workspaceagents/me/report-stats", agent_views.StatsView.as_view()),
    path("workspaceagents/me/disconnect", agent_views.DisconnectView.as_view()),
    path("workspaceagents/me/startup", agent_views.StartupView.as_view()),
    path("workspaceagents/me/app-health", agent_views.AppHealthView.as_view()),
    path("workspaceagents/<uuid:agent_id>/logs", client_views.AgentLogsView.as_view()),
    path("workspaceagents/<uuid:agent_id>/listening-ports", client_views.ListeningPortsView.as_view()),
    path("workspaceagents/<uuid:agent_id>/watch-metadata", client_views.WatchMetadataView.as_view()),
]
