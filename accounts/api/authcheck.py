"""`POST /authcheck`: batch "may I?" questions answered by the engine, as Coder's UI asks them.

Each check describes a set of objects (type, optional owner, organization and id); the
answer is `rbac.can` on that description. `owner_id: "me"` means the requester, and
`any_org: true` asks whether any organization the requester belongs to would allow it.
"""
from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts import rbac
from accounts.api.serializers.organizations import AuthorizationRequest
from accounts.rbac.policy import RESOURCES, WILDCARD
from accounts.services.errors import ValidationFailed
from coderportal.api.views import PortalAPIView


def _uuid(value: str, field: str, errors: dict):
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        errors[field] = "Must be a UUID."
        return None


def _objects_for(subject, key: str, check: dict, errors: dict) -> list[rbac.RbacObject]:
    obj, prefix = check["object"], f"checks.{key}"
    resource_type, action = obj["resource_type"], check["action"]
    if resource_type not in RESOURCES and resource_type != WILDCARD:
        errors[f"{prefix}.object.resource_type"] = f"Unknown resource type {resource_type!r}."
    elif action != WILDCARD and action not in RESOURCES.get(resource_type, ()) and resource_type != WILDCARD:
        errors[f"{prefix}.action"] = f"Action {action!r} is not valid for {resource_type!r}."
    owner = subject.user_id if obj["owner_id"] == "me" else _uuid(obj["owner_id"], f"{prefix}.object.owner_id",
                                                                   errors)
    org = _uuid(obj["organization_id"], f"{prefix}.object.organization_id", errors)
    if obj["any_org"] and org is not None:
        errors[f"{prefix}.object.any_org"] = "Cannot be set together with organization_id."
    base = {"type": resource_type, "id": obj["resource_id"] or None, "owner_id": owner}
    if obj["any_org"]:
        return [rbac.RbacObject(org_id=o, **base) for o in sorted(subject.org_ids, key=str)] or \
            [rbac.RbacObject(**base)]
    return [rbac.RbacObject(org_id=org, **base)]


class AuthCheckView(PortalAPIView):
    @extend_schema(request=AuthorizationRequest, summary="Check authorization")
    def post(self, request):
        body = self.parse(AuthorizationRequest)
        subject, errors, questions = self.subject, {}, {}
        for key, check in body["checks"].items():
            questions[key] = (_objects_for(subject, key, check, errors), check["action"])
        if errors:
            raise ValidationFailed("Invalid authorization checks.", errors)
        return Response({key: any(rbac.can(subject, action, o) for o in objs)
                         for key, (objs, action) in questions.items()})
