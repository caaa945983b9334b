"""Routes of the workspaces API, mounted under /api/v2/."""
from django.urls import path

from workspaces.api import agents, builds, lifecycle, quotas
from workspaces.api import workspaces as w

urlpatterns = [
    path("organizations/<str:organization>/members/<str:user>/workspaces",
         w.OrganizationMemberWorkspacesView.as_view()),
    path("organizations/<str:organization>/members/<str:user>/workspace-quota",
         quotas.MemberWorkspaceQuotaView.as_view()),
    path("workspace-quota/<str:user>", quotas.WorkspaceQuotaView.as_view()),
    path("users/<str:user>/workspaces", w.UserWorkspacesView.as_view()),
    path("users/<str:user>/workspace/<str:name>", w.WorkspaceByOwnerAndNameView.as_view()),
    path("users/<str:user>/workspace/<str:name>/builds/<int:build_number>", builds.BuildByNumberView.as_view()),
    path("workspaces", w.WorkspacesView.as_view()),
    path("workspaces/<uuid:workspace_id>", w.WorkspaceView.as_view()),
    path("workspaces/<uuid:workspace_id>/autostart", w.AutostartView.as_view()),
    path("workspaces/<uuid:workspace_id>/ttl", w.TTLView.as_view()),
    path("workspaces/<uuid:workspace_id>/extend", w.ExtendView.as_view()),
    path("workspaces/<uuid:workspace_id>/autoupdates", w.AutoUpdatesView.as_view()),
    path("workspaces/<uuid:workspace_id>/favorite", w.FavoriteView.as_view()),
    path("workspaces/<uuid:workspace_id>/dormant", lifecycle.DormantView.as_view()),
    path("workspaces/<uuid:workspace_id>/resolve-autostart", lifecycle.ResolveAutostartView.as_view()),
    path("workspaces/<uuid:workspace_id>/watch", lifecycle.WatchView.as_view()),
    path("users/<str:user>/quiet-hours", lifecycle.QuietHoursView.as_view()),
    path("workspaces/<uuid:workspace_id>/builds", builds.WorkspaceBuildsView.as_view()),
    path("workspacebuilds/<uuid:build_id>", builds.BuildView.as_view()),
    path("workspacebuilds/<uuid:build_id>/logs", builds.BuildLogsView.as_view()),
    path("workspacebuilds/<uuid:build_id>/parameters", builds.BuildParametersView.as_view()),
    path("workspacebuilds/<uuid:build_id>/resources", builds.BuildResourcesView.as_view()),
    path("workspacebuilds/<uuid:build_id>/state", builds.BuildStateView.as_view()),
    path("workspacebuilds/<uuid:build_id>/cancel", builds.CancelBuildView.as_view()),
    path("workspaceagents/<uuid:agent_id>", agents.WorkspaceAgentView.as_view()),
]
