"""Groups: `/organizations/{organization}/groups[/{groupName}]`, `/groups` and `/groups/{group}`.

Lists are rendered in a constant number of queries: groups, their organizations and auth
groups in one, explicit members in one prefetch, and the members of every "Everyone" group
(the organization's members) in one more.
"""
from __future__ import annotations

import uuid
from collections import defaultdict

from django.db.models import Prefetch, Q
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts import rbac
from accounts.api.members import find_user
from accounts.api.organizations import find_organization, get_organization
from accounts.api.serializers.organizations import CreateGroupRequest, PatchGroupRequest, group_json
from accounts.models import Group, OrganizationMember, User
from accounts.services import groups as group_services
from coderportal.api.views import PortalAPIView


def _groups_queryset():
    live_users = User.objects.filter(deleted=False).order_by("username")
    return (Group.objects.select_related("organization", "auth_group")
            .prefetch_related(Prefetch("auth_group__user_set", queryset=live_users, to_attr="live_members"))
            .order_by("organization__name", "name"))


def render_groups(subject, groups) -> list[dict]:
    groups = list(groups)
    everyone_orgs = {g.organization_id for g in groups if g.is_everyone}
    org_members = defaultdict(list)
    if everyone_orgs:
        rows = (OrganizationMember.objects.filter(organization_id__in=everyone_orgs, user__deleted=False)
                .select_related("user").order_by("user__username"))
        for row in rows:
            org_members[row.organization_id].append(row.user)
    visible = {}  # may the subject see who is in the groups of an organization?
    out = []
    for group in groups:
        org_id = group.organization_id
        if org_id not in visible:
            visible[org_id] = any(rbac.can(subject, "read", rbac.RbacObject(type=t, org_id=org_id))
                                  for t in ("group_member", "organization_member"))
        members = org_members[org_id] if group.is_everyone else group.auth_group.live_members
        shown = members if visible[org_id] else [u for u in members if u.pk == subject.user_id]
        out.append(group_json(group, shown, len(members)))
    return out


def _render_one(subject, group_id) -> dict:
    return render_groups(subject, _groups_queryset().filter(id=group_id))[0]


def get_group(subject, value: str) -> Group:
    try:
        group = _groups_queryset().filter(id=uuid.UUID(value)).first()
    except ValueError:
        group = None
    if group is None:
        raise rbac.NotFound()
    rbac.authorize(subject, "read", group)
    return group


class OrganizationGroupsView(PortalAPIView):
    def get(self, request, organization):
        org = get_organization(self.subject, organization)
        groups = rbac.filter_queryset(self.subject, "read", _groups_queryset().filter(organization=org))
        return Response(render_groups(self.subject, groups))

    @extend_schema(request=CreateGroupRequest, summary="Create group for organization")
    def post(self, request, organization):
        org = get_organization(self.subject, organization)
        body = self.parse(CreateGroupRequest)
        group = group_services.create_group(org, actor=self.actor, **body)
        return Response(_render_one(self.subject, group.id), status=201)


class OrganizationGroupView(PortalAPIView):
    def get(self, request, organization, groupName):  # noqa: N803 - Coder's path parameter name
        org = get_organization(self.subject, organization)
        group = _groups_queryset().filter(organization=org, name__iexact=groupName).first()
        if group is None:
            raise rbac.NotFound()
        rbac.authorize(self.subject, "read", group)
        return Response(render_groups(self.subject, [group])[0])


class GroupsView(PortalAPIView):
    """All readable groups; `?organization=` (id or name) and `?has_member=` (id, username, me) filter."""

    def get(self, request):
        qs = _groups_queryset()
        if org_value := request.query_params.get("organization"):
            org = find_organization(org_value)
            qs = qs.filter(organization=org) if org else qs.none()
        if member_value := request.query_params.get("has_member"):
            user = find_user(request, member_value)
            if user is None:
                qs = qs.none()
            else:  # explicit groups, plus the "Everyone" group of each of the user's organizations
                ids = Group.objects.filter(Q(auth_group__user=user) | Q(
                    id__in=OrganizationMember.objects.filter(user=user).values("organization_id"))).values("id")
                qs = qs.filter(pk__in=ids)
        return Response(render_groups(self.subject, rbac.filter_queryset(self.subject, "read", qs)))


class GroupView(PortalAPIView):
    def get(self, request, group):
        return Response(render_groups(self.subject, [get_group(self.subject, group)])[0])

    @extend_schema(request=PatchGroupRequest, summary="Update group by name")
    def patch(self, request, group):
        target = get_group(self.subject, group)
        body = self.parse(PatchGroupRequest)
        group_services.update_group(target, actor=self.actor, **body)
        return Response(_render_one(self.subject, target.id))

    def delete(self, request, group):
        target = get_group(self.subject, group)
        group_services.delete_group(target, actor=self.actor)
        return Response({"message": "Successfully deleted group!"})
