"""`/organizations/{organization}/members/roles`: assignable roles, and custom organization
roles (POST creates, PUT updates, DELETE `/{roleName}` removes)."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts.api.organizations import get_organization
from accounts.api.serializers.organizations import RoleRequest, assignable_role_json, role_json
from accounts.services import roles as role_services
from coderportal.api.views import PortalAPIView


class OrganizationRolesView(PortalAPIView):
    def get(self, request, organization):
        org = get_organization(self.subject, organization)
        roles = role_services.assignable_roles(self.subject, org)
        return Response([assignable_role_json(role, assignable, org.id) for role, assignable in roles])

    @extend_schema(request=RoleRequest, summary="Insert a custom organization role")
    def post(self, request, organization):
        org = get_organization(self.subject, organization)
        body = self.parse(RoleRequest)
        role = role_services.create_custom_role(org, actor=self.actor, body=body)
        return Response(role_json(role, org.id))

    @extend_schema(request=RoleRequest, summary="Update a custom organization role")
    def put(self, request, organization):
        org = get_organization(self.subject, organization)
        body = self.parse(RoleRequest)
        role = role_services.update_custom_role(org, actor=self.actor, body=body)
        return Response(role_json(role, org.id))


class OrganizationRoleView(PortalAPIView):
    def delete(self, request, organization, roleName):  # noqa: N803 - Coder's path parameter name
        org = get_organization(self.subject, organization)
        role_services.delete_custom_role(org, roleName, actor=self.actor)
        return Response(status=204)  # codersdk.DeleteOrganizationRole expects 204
