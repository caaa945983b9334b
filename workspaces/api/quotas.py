"""Workspace quota of a user in an organization (`codersdk.WorkspaceQuota`).

Who may read it: whoever may read the user (as Coder, whose routes authorize a read of the
user); an unreadable organization or user, or a user who is not a member, is a 404.
`GET /workspace-quota/{user}` is Coder's deprecated form, for the default organization.
"""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts import rbac
from accounts.api.members import find_user
from accounts.api.organizations import get_organization
from coderportal.api.views import PortalAPIView
from workspaces.services import quotas


def _quota(view, organization, user) -> Response:
    org = get_organization(view.subject, organization)
    target = find_user(view.request, user)
    if target is None:
        raise rbac.NotFound()
    return Response(quotas.read_quota(org, target, actor=view.actor).to_json())


class MemberWorkspaceQuotaView(PortalAPIView):
    @extend_schema(summary="Get workspace quota by user")
    def get(self, request, organization, user):
        return _quota(self, organization, user)


class WorkspaceQuotaView(PortalAPIView):
    @extend_schema(summary="Get workspace quota by user deprecated", deprecated=True)
    def get(self, request, user):
        return _quota(self, "default", user)
