"""`/organizations` and `/organizations/{organization}`: list, create, read, update, delete.

`{organization}` is an id, a name, or `default` (codersdk.DefaultOrganization). An
organization the requester may not read is a 404, exactly like one that does not exist.
"""
from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts import rbac
from accounts.api.serializers.organizations import (
    CreateOrganizationRequest,
    UpdateOrganizationRequest,
    organization_json,
)
from accounts.models import Organization
from accounts.services import organizations as org_services
from coderportal.api.views import PortalAPIView


def find_organization(value: str) -> Organization | None:
    try:
        return Organization.objects.filter(id=uuid.UUID(value)).first()
    except ValueError:
        pass
    if value.lower() == org_services.DEFAULT_ORGANIZATION_ALIAS:
        return Organization.objects.filter(is_default=True).first()
    return Organization.objects.filter(name__iexact=value).first()


def get_organization(subject, value: str) -> Organization:
    """The organization named by a path parameter, if the subject may read it (404 otherwise)."""
    org = find_organization(value)
    if org is None:
        raise rbac.NotFound()
    rbac.authorize(subject, "read", org)
    return org


class OrganizationsView(PortalAPIView):
    def get(self, request):
        orgs = rbac.filter_queryset(self.subject, "read", Organization.objects.all()).order_by("name")
        return Response([organization_json(o) for o in orgs])

    @extend_schema(request=CreateOrganizationRequest, summary="Create organization")
    def post(self, request):
        body = self.parse(CreateOrganizationRequest)
        org = org_services.create_organization(actor=self.actor, **body)
        return Response(organization_json(org), status=201)


class OrganizationView(PortalAPIView):
    def get(self, request, organization):
        return Response(organization_json(get_organization(self.subject, organization)))

    @extend_schema(request=UpdateOrganizationRequest, summary="Update organization")
    def patch(self, request, organization):
        org = get_organization(self.subject, organization)
        body = self.parse(UpdateOrganizationRequest)
        org = org_services.update_organization(org, actor=self.actor, **body)
        return Response(organization_json(org))

    def delete(self, request, organization):
        org = get_organization(self.subject, organization)
        org_services.delete_organization(org, actor=self.actor)
        return Response({"message": "Organization has been deleted."})
