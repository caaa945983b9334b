"""Organizations and memberships: creation, update, deletion, the default organization, adding
and removing members.

Role assignment on memberships lives in `accounts.services.roles`; group membership in
`accounts.services.groups`.
"""
from __future__ import annotations

import re

from django.contrib.auth.models import Group as AuthGroup
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError

from accounts import rbac
from accounts.models import Group, Organization, OrganizationMember, User
from accounts.services import audit
from accounts.services.audit import Actor
from accounts.services.errors import Conflict, ValidationFailed
from accounts.services.fields import descriptive_field_errors

DEFAULT_ORGANIZATION_NAME = "coder"
# Clients may address the default organization by this alias (codersdk.DefaultOrganization).
DEFAULT_ORGANIZATION_ALIAS = "default"
ORG_FIELDS = ("name", "display_name", "description", "icon")
NAME_RE = re.compile(r"^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$")
NAME_MAX = 32
DISPLAY_NAME_MAX = 64
DESCRIPTION_MAX = 2048
ICON_MAX = 512


def _create_everyone_group(org: Organization) -> Group:
    auth_group = AuthGroup.objects.create(name=f"org:{org.id}:Everyone")
    return Group.objects.create(id=org.id, organization=org, name=Group.EVERYONE, display_name="",
                                auth_group=auth_group)


def _create(name: str, display_name: str = "", description: str = "", icon: str = "",
            is_default: bool = False) -> Organization:
    if Organization.objects.filter(name__iexact=name).exists():
        raise Conflict("Organization already exists with that name.",
                       validations={"name": f"Organization {name!r} already exists."})
    try:
        with transaction.atomic():
            org = Organization.objects.create(name=name, display_name=display_name or name,
                                              description=description, icon=icon, is_default=is_default)
            _create_everyone_group(org)
    except IntegrityError:
        raise Conflict("Organization already exists with that name.") from None
    return org


def default_organization() -> Organization:
    """The default organization, created on first use."""
    org = Organization.objects.filter(is_default=True).first()
    if org is None:
        try:
            org = _create(DEFAULT_ORGANIZATION_NAME, "Coder", is_default=True)
        except Conflict:
            org = Organization.objects.get(is_default=True)
    return org


# --- validation ---------------------------------------------------------------------------

def organization_name_error(name) -> str | None:
    """Coder's organization_name rule: like usernames (1–32 letters, digits, single hyphens)."""
    if not isinstance(name, str) or not name:
        return "Name is required."
    if len(name) > NAME_MAX:
        return f"Name must be at most {NAME_MAX} characters."
    if not NAME_RE.match(name):
        return "Name must be alphanumeric with hyphens, and must not start or end with a hyphen."
    if name.lower() == DEFAULT_ORGANIZATION_ALIAS:
        return f"Name {name!r} is reserved."
    return None


def _validate_fields(fields: dict) -> None:
    errors: dict[str, str] = {}
    if "name" in fields and (message := organization_name_error(fields["name"])):
        errors["name"] = message
    descriptive_field_errors(fields, errors, display_name_max=DISPLAY_NAME_MAX, description_max=DESCRIPTION_MAX,
                             icon_max=ICON_MAX)
    if errors:
        raise ValidationFailed("Validation failed.", errors)


# --- organizations ------------------------------------------------------------------------

def create_organization(*, actor: Actor, name: str, display_name: str = "", description: str = "",
                        icon: str = "") -> Organization:
    # The list of organizations is visible to everyone, so a refused create is a 403, not a 404.
    if not rbac.can(actor.subject, "create", rbac.RbacObject(type="organization")):
        raise rbac.Forbidden("Not allowed to create organizations.")
    _validate_fields({"name": name, "display_name": display_name, "description": description, "icon": icon})
    with transaction.atomic():
        org = _create(name, display_name, description, icon)
        audit.record(actor, "create", "organization", resource_id=org.id, target=org.name, organization=org,
                     changes=audit.diff({}, audit.snapshot(org, ORG_FIELDS)), status_code=201)
        # The creator administers what they create, as in Coder.
        if actor.user is not None:
            _add_member(org, actor.user, roles=["organization-admin"])
    return org


def update_organization(org: Organization, *, actor: Actor, **changes) -> Organization:
    """Patch name, display_name, description or icon; `None` values are left unchanged."""
    rbac.authorize(actor.subject, "update", org)
    changes = {k: v for k, v in changes.items() if k in ORG_FIELDS and v is not None}
    _validate_fields(changes)
    if "name" in changes and changes["name"].lower() != org.name.lower() and \
            Organization.objects.filter(name__iexact=changes["name"]).exists():
        raise Conflict("Organization already exists with that name.",
                       validations={"name": f"Organization {changes['name']!r} already exists."})
    before = audit.snapshot(org, ORG_FIELDS)
    with transaction.atomic():
        for field, value in changes.items():
            setattr(org, field, value)
        try:
            with transaction.atomic():
                org.save()
        except IntegrityError:
            raise Conflict("Organization already exists with that name.") from None
        audit.record(actor, "write", "organization", resource_id=org.id, target=org.name, organization=org,
                     changes=audit.diff(before, audit.snapshot(org, ORG_FIELDS)))
    return org


def delete_organization(org: Organization, *, actor: Actor) -> None:
    """Delete a non-default organization with its memberships, groups and custom roles.

    Objects of other apps that protect their organization (templates, workspaces) make this
    a 400: they must be removed first, as in Coder.
    """
    rbac.authorize(actor.subject, "delete", org)
    if org.is_default:
        raise ValidationFailed("Default organization cannot be deleted.")
    before = audit.snapshot(org, ORG_FIELDS)
    org_id, org_name = org.id, org.name
    auth_group_ids = list(Group.objects.filter(organization=org).values_list("auth_group_id", flat=True))
    try:
        with transaction.atomic():
            org.delete()
            # Group -> auth group is PROTECT on the auth side; drop the now-orphaned auth groups.
            AuthGroup.objects.filter(id__in=auth_group_ids).delete()
            audit.record(actor, "delete", "organization", resource_id=org_id, target=org_name,
                         changes=audit.diff(before, {}))
    except (ProtectedError, RestrictedError) as exc:
        kinds = sorted({str(type(o)._meta.verbose_name_plural) for o in
                        (getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ()))})
        raise ValidationFailed("Organization still owns resources that must be deleted first.",
                               detail=", ".join(kinds)) from None


# --- members --------------------------------------------------------------------------------

def _add_member(org: Organization, user: User, roles=()) -> OrganizationMember:
    from accounts.models import Role

    membership, _ = OrganizationMember.objects.get_or_create(organization=org, user=user)
    if roles:
        membership.roles.add(*Role.objects.filter(name__in=roles, organization=None, is_org_role=True))
    return membership


def add_member(org: Organization, user: User, *, actor: Actor, roles=()) -> OrganizationMember:
    rbac.authorize(actor.subject, "read", org)
    rbac.authorize(actor.subject, "create", rbac.RbacObject(type="organization_member", org_id=org.id,
                                                            owner_id=user.id))
    if OrganizationMember.objects.filter(organization=org, user=user).exists():
        raise Conflict("User is already an organization member.")
    with transaction.atomic():
        membership = _add_member(org, user, roles)
        audit.record(actor, "create", "organization_member", resource_id=user.id, target=user.username,
                     organization=org, changes=audit.diff({}, {"user_id": str(user.id),
                                                              "organization_id": str(org.id),
                                                              "roles": sorted(roles)}))
    return membership


def remove_member(membership: OrganizationMember, *, actor: Actor) -> None:
    """Remove a user from an organization and from the organization's groups.

    As in Coder, nobody removes themselves (ask another admin), which also keeps the last
    administrator from locking everyone out by accident.
    """
    rbac.authorize(actor.subject, "delete", membership)
    if actor.user is not None and membership.user_id == actor.user.pk:
        raise ValidationFailed("You cannot remove yourself from an organization.")
    org, user = membership.organization, membership.user
    before = {"user_id": str(user.id), "organization_id": str(org.id),
              "roles": sorted(membership.roles.values_list("name", flat=True))}
    with transaction.atomic():
        user.groups.remove(*AuthGroup.objects.filter(portal_group__organization=org))
        membership.delete()
        audit.record(actor, "delete", "organization_member", resource_id=user.id, target=user.username,
                     organization=org, changes=audit.diff(before, {}))


def join_default_organization(user: User) -> OrganizationMember:
    """Every new user joins the default organization (Coder's behaviour)."""
    return _add_member(default_organization(), user)
