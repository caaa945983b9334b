"""Registers the template models with the RBAC engine, including template ACLs."""
from __future__ import annotations

from django.db.models import Q

from accounts import rbac
from templates_app.models import (
    File,
    ProvisionerDaemon,
    ProvisionerJob,
    Template,
    TemplateGroupObjectPermission,
    TemplateUserObjectPermission,
    TemplateVersion,
)

# ACL role -> (guardian codename, engine actions it grants)
ACL_ROLES = {
    "use": ("use_template", frozenset({"read", "use"})),
    "admin": ("admin_template", frozenset({"read", "use", "update", "delete", "view_insights"})),
}
CODENAME_ACTIONS = {codename: actions for codename, actions in ACL_ROLES.values()}


def _codenames_granting(action: str) -> list[str]:
    return [codename for codename, actions in CODENAME_ACTIONS.items() if action in actions]


def template_acl(template_id) -> tuple[dict, dict]:
    users: dict = {}
    groups: dict = {}
    for user_id, codename in TemplateUserObjectPermission.objects.filter(
            content_object_id=template_id).values_list("user_id", "permission__codename"):
        users.setdefault(user_id, set()).update(CODENAME_ACTIONS.get(codename, ()))
    for group_id, codename in TemplateGroupObjectPermission.objects.filter(
            content_object_id=template_id, group__portal_group__isnull=False).values_list(
            "group__portal_group__id", "permission__codename"):
        groups.setdefault(group_id, set()).update(CODENAME_ACTIONS.get(codename, ()))
    return users, groups


def templates_granted_q(subject, action: str, field: str = "id") -> Q:
    codenames = _codenames_granting(action)
    if not codenames or subject.user_id is None:
        return Q(pk__in=[])
    by_user = TemplateUserObjectPermission.objects.filter(
        user_id=subject.user_id, permission__codename__in=codenames).values("content_object_id")
    by_group = TemplateGroupObjectPermission.objects.filter(
        group__portal_group__id__in=list(subject.group_ids),
        permission__codename__in=codenames).values("content_object_id")
    return Q(**{f"{field}__in": by_user}) | Q(**{f"{field}__in": by_group})


def register_all() -> None:
    rbac.register(File, rbac.Descriptor("file", owner_field="created_by_id"))
    rbac.register(Template, rbac.Descriptor(
        "template", org_field="organization_id",
        acl_for=lambda t: template_acl(t.pk),
        acl_q=lambda subject, action: templates_granted_q(subject, action)))
    # A version is authorized as its template (a version not yet attached: organization only).
    rbac.register(TemplateVersion, rbac.Descriptor(
        "template", org_field="organization_id",
        acl_for=lambda v: template_acl(v.template_id) if v.template_id else ({}, {}),
        acl_q=lambda subject, action: templates_granted_q(subject, action, field="template_id")))
    rbac.register(ProvisionerJob, rbac.Descriptor("provisioner_jobs", org_field="organization_id"))
    rbac.register(ProvisionerDaemon, rbac.Descriptor("provisioner_daemon", org_field="organization_id"))
