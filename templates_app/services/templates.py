"""Templates: create from an imported version, update metadata and policy, delete, and the
read helpers the API and admin share.

Each mutation follows the service order: authorize -> validate -> mutate in a transaction
-> audit row. Access lists (ACLs) live in `services/acl.py`; the active version and
version archiving in `services/version_state.py`.

`template_in_use_checks` is how later apps (workspaces) stop a template in use from being
deleted without this app importing them: each check gets the template and returns True
when something still depends on it.
"""
from __future__ import annotations

import uuid
from typing import Callable

from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts import rbac
from accounts.models import Group, Organization, User
from accounts.services import audit
from accounts.services.audit import Actor
from accounts.services.errors import Conflict, ValidationFailed
from notifications import events
from notifications.services import recipients_template_admins
from templates_app.models import JobStatus, Template, TemplateVersion
from templates_app.services import acl, template_fields
from templates_app.services.template_fields import AUDITED_FIELDS, WEEKDAYS

template_in_use_checks: list[Callable[[Template], bool]] = []

# Values a template gets when the creation request leaves them out (Coder's defaults).
CREATE_DEFAULTS = {
    "display_name": "", "description": "", "icon": "",
    "default_ttl_ms": 0, "activity_bump_ms": 3_600_000,
    "autostop_requirement_days_of_week": [], "autostop_requirement_weeks": 1,
    "autostart_requirement_days_of_week": list(WEEKDAYS),
    "allow_user_autostart": True, "allow_user_autostop": True, "allow_user_cancel_workspace_jobs": True,
    "failure_ttl_ms": 0, "time_til_dormant_ms": 0, "time_til_dormant_autodelete_ms": 0,
    "require_active_version": False, "deprecation_message": "", "max_port_share_level": "owner",
}
NAME_TAKEN = "This value is already in use and should be unique."


# --- reads ----------------------------------------------------------------------------------
def templates_queryset():
    """Live templates with what their JSON needs (constant query count in lists)."""
    return Template.objects.filter(deleted=False).select_related("organization", "created_by")


def readable_templates(subject, queryset=None):
    return rbac.filter_queryset(subject, "read", queryset if queryset is not None else templates_queryset())


def _one(queryset):
    obj = queryset.first()
    if obj is None:
        raise rbac.NotFound()
    return obj


def get_template(template_id, *, subject) -> Template:
    """A readable live template by id; missing and unreadable are both NotFound."""
    return _one(readable_templates(subject).filter(pk=template_id))


def get_template_by_name(organization: Organization, name: str, *, subject) -> Template:
    return _one(readable_templates(subject).filter(organization=organization, name__iexact=name))


def get_organization(ident: str, *, subject) -> Organization:
    """`{organization}` path parameter: id or name, readable by the subject, else NotFound."""
    try:
        query = Q(pk=uuid.UUID(str(ident)))
    except ValueError:
        query = Q(name__iexact=ident)
    org = Organization.objects.filter(query).first()
    if org is None or not rbac.can(subject, "read", org):
        raise rbac.NotFound()
    return org


def versions_queryset():
    return TemplateVersion.objects.select_related("job", "created_by", "template", "organization")


def get_version(version_id, *, subject) -> TemplateVersion:
    """A readable version (of a live template, or not yet attached to one)."""
    queryset = versions_queryset().filter(pk=version_id).filter(Q(template__isnull=True) | Q(template__deleted=False))
    return _one(rbac.filter_queryset(subject, "read", queryset))


def get_version_by_name(template: Template, name: str, *, subject) -> TemplateVersion:
    queryset = versions_queryset().filter(template=template, name=name)
    return _one(rbac.filter_queryset(subject, "read", queryset))


# --- create ---------------------------------------------------------------------------------
def _importable_version(organization: Organization, version_id, subject) -> TemplateVersion:
    version = (TemplateVersion.objects.select_related("job").select_for_update()
               .filter(pk=version_id, organization=organization).first())
    if version is None or not rbac.can(subject, "read", version):
        raise ValidationFailed(f"Template version {version_id} does not exist.",
                               {"template_version_id": "Template version does not exist."})
    if version.template_id is not None:
        raise ValidationFailed(f"Template version {version_id} is already part of a template.",
                               {"template_version_id": "Template version is already part of a template."})
    if version.archived:
        raise ValidationFailed("The template version is archived.",
                               {"template_version_id": "Template version is archived."})
    if version.job.status != JobStatus.SUCCEEDED:
        detail = f"The template version's import job is {version.job.status}; it must have succeeded."
        raise ValidationFailed("Template version import job has not successfully completed.",
                               {"template_version_id": detail})
    return version


def _authorize_create(subject, organization: Organization) -> None:
    if not rbac.can(subject, "read", organization):
        raise rbac.NotFound()
    if not rbac.can(subject, "create", rbac.RbacObject(type="template", org_id=organization.id)):
        raise rbac.Forbidden("Not allowed to create templates in this organization.")


def create_template(organization: Organization, *, actor: Actor, name: str, template_version_id,
                    disable_everyone_group_access: bool = False, **fields) -> Template:
    """Create a template from a version whose import succeeded; the version joins it and
    becomes active. Unless disabled, the organization's Everyone group may use it."""
    _authorize_create(actor.subject, organization)
    unknown = set(fields) - set(CREATE_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown template fields: {sorted(unknown)}")
    values = {**CREATE_DEFAULTS, **{k: v for k, v in fields.items() if v is not None}, "name": name}
    errors = template_fields.validate(values)
    if errors:
        raise ValidationFailed("Invalid create template request.", errors)
    try:
        with transaction.atomic():
            version = _importable_version(organization, template_version_id, actor.subject)
            if Template.objects.filter(organization=organization, name__iexact=name, deleted=False).exists():
                raise Conflict(f"Template with name {name!r} already exists.", validations={"name": NAME_TAKEN})
            template = Template.objects.create(organization=organization, active_version=version,
                                               created_by=actor.user, provisioner="terraform", **values)
            version.template = template
            version.save(update_fields=["template", "updated_at"])
            if not disable_everyone_group_access:
                everyone = Group.objects.filter(pk=organization.id, organization=organization).first()
                if everyone is not None:
                    acl.grant_group(template, everyone, "use")
            audit.record(actor, "create", "template", resource_id=template.id, target=template.name,
                         organization=organization, status_code=201,
                         changes=audit.diff({}, audit.snapshot(template, AUDITED_FIELDS)))
            audit.record(actor, "write", "template_version", resource_id=version.id, target=version.name,
                         organization=organization, changes=audit.diff({"template_id": None},
                                                                       {"template_id": str(template.id)}))
    except IntegrityError:  # a concurrent creation took the name
        raise Conflict(f"Template with name {name!r} already exists.", validations={"name": NAME_TAKEN}) from None
    return template


# --- update ---------------------------------------------------------------------------------
def update_template(template: Template, *, actor: Actor, disable_everyone_group_access: bool = False,
                    update_workspace_last_used_at: bool = False, update_workspace_dormant_at: bool = False,
                    **changes) -> tuple[Template, bool]:
    """Apply the given field changes (absent fields stay as they are); returns
    (template, changed). A `deprecation_message` of "" clears the deprecation."""
    rbac.authorize(actor.subject, "update", template)
    unknown = set(changes) - set(template_fields.EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown template fields: {sorted(unknown)}")
    changes = {k: v for k, v in changes.items() if v is not None}
    if changes.get("name") == "":  # Coder: an empty name means "keep the current one"
        changes.pop("name")
    errors = template_fields.validate(changes)
    if errors:
        raise ValidationFailed("Invalid request to update template metadata!", errors)
    before = audit.snapshot(template, AUDITED_FIELDS)
    changed = {k: v for k, v in changes.items() if getattr(template, k) != v}
    everyone_removed = False
    try:
        with transaction.atomic():
            if disable_everyone_group_access:
                everyone_removed = acl.revoke_group_id(template, template.organization_id)
            if "name" in changed and Template.objects.filter(
                    organization_id=template.organization_id, name__iexact=changed["name"],
                    deleted=False).exclude(pk=template.pk).exists():
                raise Conflict(f"Template with name {changed['name']!r} already exists.",
                               validations={"name": NAME_TAKEN})
            if not changed and not everyone_removed:
                return template, False
            for field, value in changed.items():
                setattr(template, field, value)
            template.save(update_fields=[*changed, "updated_at"])
            additional = {k: True for k, v in (("update_workspace_last_used_at", update_workspace_last_used_at),
                                               ("update_workspace_dormant_at", update_workspace_dormant_at)) if v}
            if everyone_removed:
                additional["everyone_group_access"] = "removed"
            audit.record(actor, "write", "template", resource_id=template.id, target=template.name,
                         organization=template.organization, additional=additional,
                         changes=audit.diff(before, audit.snapshot(template, AUDITED_FIELDS)))
            if changed.get("deprecation_message"):
                _notify_deprecated(template, actor)
    except IntegrityError:
        raise Conflict("Template with that name already exists.", validations={"name": NAME_TAKEN}) from None
    return template, True


def _notify_deprecated(template: Template, actor: Actor) -> None:
    """Coder tells the template's admins and everyone with a workspace of it."""
    users = {u.pk: u for u in recipients_template_admins(template.organization_id)}
    users.update({u.pk: u for u in User.objects.filter(workspaces__template=template, workspaces__deleted=False,
                                                       deleted=False).distinct()})
    events.template_deprecated(template, actor=actor, message=template.deprecation_message, users=users.values())


# --- delete ---------------------------------------------------------------------------------
def in_use(template: Template) -> bool:
    return any(check(template) for check in template_in_use_checks)


def delete_template(template: Template, *, actor: Actor) -> None:
    """Soft-delete (Coder): refused while anything (workspaces) still uses the template."""
    rbac.authorize(actor.subject, "delete", template)
    if in_use(template):
        raise ValidationFailed("All workspaces must be deleted before a template can be removed.",
                               {"template": "The template has workspaces."})
    with transaction.atomic():
        template.deleted = True
        template.save(update_fields=["deleted", "updated_at"])
        audit.record(actor, "delete", "template", resource_id=template.id, target=template.name,
                     organization=template.organization, changes=audit.diff({"deleted": False}, {"deleted": True}))
        events.template_deleted(template, actor=actor)
