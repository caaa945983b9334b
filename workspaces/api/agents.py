"""Workspace agents as clients read them: `GET /workspaceagents/{id}`."""
from __future__ import annotations

from rest_framework.response import Response

from accounts import rbac
from coderportal.api.views import PortalAPIView
from workspaces.api.serializers.agents import agent_json
from workspaces.models import WorkspaceAgent


class WorkspaceAgentView(PortalAPIView):
    def get(self, request, agent_id):
        qs = (WorkspaceAgent.objects.select_related("resource__build__workspace__owner")
              .prefetch_related("apps", "scripts"))
        agent = rbac.filter_queryset(self.subject, "read", qs).filter(pk=agent_id).first()
        if agent is None:
            raise rbac.NotFound()
        return Response(agent_json(agent, agent.resource.build.workspace))
