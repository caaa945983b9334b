"""Organization members: list, paginated list, add, read, remove, and role assignment.

`{user}` is an id, a username or `me`. A membership the requester may not read is a 404.
"""
from __future__ import annotations

import uuid

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts import rbac
from accounts.api.organizations import get_organization
from accounts.api.serializers.organizations import UpdateRolesRequest, member_json, member_with_user_json
from accounts.models import OrganizationMember, Role, User
from accounts.services import organizations as org_services
from accounts.services import roles as role_services
from coderportal.api.views import PortalAPIView, paginate, pagination


def find_user(request, value: str) -> User | None:
    """The live user named by `value` (id, username or `me`), without any permission check."""
    if value == "me":
        return request.user if request.user.is_authenticated else None
    users = User.objects.filter(deleted=False)
    try:
        return users.filter(id=uuid.UUID(value)).first()
    except ValueError:
        return users.filter(username__iexact=value).first()


def members_queryset(subject, org):
    """Readable memberships of `org` with everything the JSON needs, in a constant number of queries."""
    qs = OrganizationMember.objects.filter(organization=org, user__deleted=False)
    return (rbac.filter_queryset(subject, "read", qs)
            .select_related("user", "organization")
            .prefetch_related(Prefetch("roles", queryset=Role.objects.order_by("name")),
                              Prefetch("user__site_roles", queryset=Role.objects.order_by("name")))
            .order_by("user__username"))


def get_membership(request, subject, org, user_value: str) -> OrganizationMember:
    user = find_user(request, user_value)
    membership = members_queryset(subject, org).filter(user=user).first() if user else None
    if membership is None:
        raise rbac.NotFound()
    return membership


class MembersView(PortalAPIView):
    def get(self, request, organization):
        org = get_organization(self.subject, organization)
        return Response([member_with_user_json(m) for m in members_queryset(self.subject, org)])


class PaginatedMembersView(PortalAPIView):
    def get(self, request, organization):
        org = get_organization(self.subject, organization)
        limit, offset = pagination(request)
        qs = members_queryset(self.subject, org)
        return Response({"members": [member_with_user_json(m) for m in paginate(qs, limit, offset)],
                         "count": qs.count()})


class MemberView(PortalAPIView):
    def get(self, request, organization, user):
        org = get_organization(self.subject, organization)
        return Response(member_with_user_json(get_membership(request, self.subject, org, user)))

    def post(self, request, organization, user):
        org = get_organization(self.subject, organization)
        # Only someone who may add members learns whether a user exists: authorize first.
        rbac.authorize(self.subject, "create", rbac.RbacObject(type="organization_member", org_id=org.id))
        target = find_user(request, user)
        if target is None:
            raise rbac.NotFound()
        membership = org_services.add_member(org, target, actor=self.actor)
        return Response(member_json(membership))

    def delete(self, request, organization, user):
        org = get_organization(self.subject, organization)
        membership = get_membership(request, self.subject, org, user)
        org_services.remove_member(membership, actor=self.actor)
        return Response(status=204)


class MemberRolesView(PortalAPIView):
    @extend_schema(request=UpdateRolesRequest, summary="Assign role to organization member")
    def put(self, request, organization, user):
        org = get_organization(self.subject, organization)
        membership = get_membership(request, self.subject, org, user)
        body = self.parse(UpdateRolesRequest)
        membership = role_services.update_member_roles(membership, actor=self.actor, roles=body["roles"])
        membership = get_membership(request, self.subject, org, user)  # fresh roles for the response
        return Response(member_json(membership))
