"""Organization roles: listing what may be assigned, assigning roles to members, and custom
organization roles (create, update, delete).

Custom roles are rows of the Role table; the engine loads a subject's roles from that table
on every request, so editing a custom role changes what its holders may do on their next
request.
"""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts import rbac
from accounts.models import Organization, OrganizationMember, Role
from accounts.rbac import builtin_roles
from accounts.rbac.policy import RESOURCES, WILDCARD, is_valid_permission
from accounts.services import audit
from accounts.services.audit import Actor
from accounts.services.errors import Conflict, ValidationFailed
from accounts.services.organizations import NAME_RE

ROLE_FIELDS = ("name", "display_name", "site_permissions", "organization_permissions", "user_permissions")
ROLE_NAME_MAX = 32
PERMISSION_LISTS = ("site_permissions", "organization_permissions", "user_permissions")


def organization_roles(org: Organization):
    """Built-in organization roles, then the organization's custom roles."""
    return Role.objects.filter(Q(organization=None, is_org_role=True) | Q(organization=org)).order_by(
        "-builtin", "name")


def assignable_roles(subject, org: Organization) -> list[tuple[Role, bool]]:
    rbac.authorize(subject, "read", org)
    rbac.authorize(subject, "read", rbac.RbacObject(type="assign_org_role", org_id=org.id))
    return [(role, rbac.can_assign(subject, role.name, org.id, custom=not role.builtin))
            for role in organization_roles(org)]


# --- assigning roles to members ----------------------------------------------------------------

def _resolve_roles(org: Organization, names) -> list[Role]:
    """The Role rows for `names` (built-in org roles or this organization's custom roles)."""
    # Older clients scope names as `name:<org id>`; the organization in the URL decides anyway.
    names = {n[:-len(f":{org.id}")] if n.endswith(f":{org.id}") else n for n in names}
    wanted = {n for n in names if n != builtin_roles.IMPLICIT_ORG_ROLE}  # implicit for every member
    found = {r.name: r for r in organization_roles(org).filter(name__in=wanted)}
    unknown = sorted(wanted - set(found))
    if unknown:
        raise ValidationFailed("Invalid roles.", {"roles": f"Unknown organization role(s): {', '.join(unknown)}."})
    return list(found.values())


def update_member_roles(membership: OrganizationMember, *, actor: Actor, roles) -> OrganizationMember:
    """Replace a member's explicit organization roles (`organization-member` stays implicit)."""
    org = membership.organization
    rbac.authorize(actor.subject, "read", membership)
    if actor.user is not None and membership.user_id == actor.user.pk:
        raise ValidationFailed("You cannot change your own organization roles.")
    new_roles = _resolve_roles(org, roles)
    current = {r.name: r for r in membership.roles.all()}
    added = sorted({r.name for r in new_roles} - set(current))
    removed = sorted(set(current) - {r.name for r in new_roles})
    by_name = {**current, **{r.name: r for r in new_roles}}
    target = rbac.RbacObject(type="assign_org_role", org_id=org.id)
    if added:
        rbac.authorize(actor.subject, "assign", target)
    if removed:
        rbac.authorize(actor.subject, "unassign", target)
    for name in added + removed:
        if not rbac.can_assign(actor.subject, name, org.id, custom=not by_name[name].builtin):
            raise rbac.Forbidden(f"Not allowed to assign the role {name!r}.")
    with transaction.atomic():
        membership.roles.set(new_roles)
        membership.save(update_fields=["updated_at"])
        audit.record(actor, "write", "organization_member", resource_id=membership.user_id,
                     target=membership.user.username, organization=org,
                     changes=audit.diff({"roles": sorted(current)}, {"roles": sorted(r.name for r in new_roles)}))
    return membership


# --- custom roles ---------------------------------------------------------------------------

def _permission_errors(field: str, entries) -> dict[str, str]:
    errors: dict[str, str] = {}
    if entries is None:
        return errors
    if not isinstance(entries, list):
        return {field: "Must be a list of permissions."}
    for i, entry in enumerate(entries):
        where = f"{field}[{i}]"
        if not isinstance(entry, dict):
            errors[where] = "Must be an object with resource_type, action and negate."
            continue
        resource_type, action, negate = entry.get("resource_type"), entry.get("action"), entry.get("negate", False)
        if not isinstance(resource_type, str) or (resource_type != WILDCARD and resource_type not in RESOURCES):
            errors[f"{where}.resource_type"] = f"Unknown resource type {resource_type!r}."
        elif not isinstance(action, str) or not is_valid_permission(resource_type, action):
            errors[f"{where}.action"] = f"Action {action!r} is not valid for resource type {resource_type!r}."
        if not isinstance(negate, bool):
            errors[f"{where}.negate"] = "Must be a boolean."
    return errors


def _normalise(entries) -> list[dict]:
    return [{"resource_type": e["resource_type"], "action": e["action"], "negate": bool(e.get("negate", False))}
            for e in entries or ()]


def _validate_role(body: dict) -> None:
    errors: dict[str, str] = {}
    name = body.get("name")
    if not isinstance(name, str) or not name:
        errors["name"] = "Name is required."
    elif len(name) > ROLE_NAME_MAX or not NAME_RE.match(name):
        errors["name"] = (f"Name must be 1-{ROLE_NAME_MAX} letters, digits and single hyphens, "
                          "not starting or ending with a hyphen.")
    elif Role.objects.filter(organization=None, name__iexact=name).exists():
        errors["name"] = f"{name!r} is a built-in role name."
    display_name = body.get("display_name", "")
    if not isinstance(display_name, str) or len(display_name) > 64:
        errors["display_name"] = "Display name must be a string of at most 64 characters."
    for field in PERMISSION_LISTS:
        errors.update(_permission_errors(field, body.get(field)))
    if body.get("site_permissions"):
        errors["site_permissions"] = "Organization roles cannot carry site-wide permissions."
    if errors:
        raise ValidationFailed("Invalid role.", errors)


def _expand(entry: dict) -> list[tuple[str, str]]:
    types = list(RESOURCES) if entry["resource_type"] == WILDCARD else [entry["resource_type"]]
    return [(t, a) for t in types
            for a in (RESOURCES[t] if entry["action"] == WILDCARD else (entry["action"],))
            if a in RESOURCES[t]]


def _check_no_escalation(subject, org: Organization, body: dict) -> None:
    """Nobody writes a role granting what they could not do themselves (Coder's escalation check)."""
    for field, owner in (("organization_permissions", None), ("user_permissions", subject.user_id)):
        for entry in _normalise(body.get(field)):
            if entry["negate"]:
                continue
            for resource_type, action in _expand(entry):
                obj = rbac.RbacObject(type=resource_type, org_id=org.id, owner_id=owner)
                if not rbac.can(subject, action, obj):
                    raise rbac.Forbidden(f"Cannot grant {resource_type}:{action}, which you do not have.")


def _authorize_role_write(actor: Actor, action: str, org: Organization, body: dict | None = None) -> None:
    rbac.authorize(actor.subject, "read", org)
    rbac.authorize(actor.subject, action, rbac.RbacObject(type="assign_org_role", org_id=org.id))
    if body is not None:
        _validate_role(body)
        _check_no_escalation(actor.subject, org, body)


def _snapshot(role: Role) -> dict:
    return audit.snapshot(role, ROLE_FIELDS)


def create_custom_role(org: Organization, *, actor: Actor, body: dict) -> Role:
    _authorize_role_write(actor, "create", org, body)
    if Role.objects.filter(organization=org, name__iexact=body["name"]).exists():
        raise Conflict("Role already exists.", validations={"name": f"Role {body['name']!r} already exists."})
    try:
        with transaction.atomic():
            role = Role.objects.create(
                organization=org, name=body["name"], display_name=body.get("display_name") or "",
                is_org_role=True, builtin=False, site_permissions=[],
                organization_permissions=_normalise(body.get("organization_permissions")),
                user_permissions=_normalise(body.get("user_permissions")))
            audit.record(actor, "create", "custom_role", resource_id=role.id, target=role.name, organization=org,
                         changes=audit.diff({}, _snapshot(role)))
    except IntegrityError:
        raise Conflict("Role already exists.") from None
    return role


def custom_role(org: Organization, name: str) -> Role:
    role = Role.objects.filter(organization=org, name=name).first()
    if role is None:
        raise rbac.NotFound()
    return role


def update_custom_role(org: Organization, *, actor: Actor, body: dict) -> Role:
    """Replace a custom role's display name and permission lists (its name identifies it)."""
    name = body.get("name") if isinstance(body.get("name"), str) else ""
    if Role.objects.filter(organization=None, name__iexact=name).exists():
        rbac.authorize(actor.subject, "read", org)
        raise ValidationFailed("Built-in roles cannot be edited.", {"name": f"{name!r} is a built-in role."})
    _authorize_role_write(actor, "update", org, body)
    role = custom_role(org, name)
    before = _snapshot(role)
    with transaction.atomic():
        role.display_name = body.get("display_name") or ""
        role.organization_permissions = _normalise(body.get("organization_permissions"))
        role.user_permissions = _normalise(body.get("user_permissions"))
        role.save()
        audit.record(actor, "write", "custom_role", resource_id=role.id, target=role.name, organization=org,
                     changes=audit.diff(before, _snapshot(role)))
    return role


def delete_custom_role(org: Organization, name: str, *, actor: Actor) -> Role:
    rbac.authorize(actor.subject, "read", org)
    if Role.objects.filter(organization=None, name__iexact=name).exists():
        raise ValidationFailed("Built-in roles cannot be deleted.", {"name": f"{name!r} is a built-in role."})
    _authorize_role_write(actor, "delete", org)
    role = custom_role(org, name)
    before, role_id = _snapshot(role), role.id
    with transaction.atomic():
        role.delete()  # assignments go with it (membership M2M rows)
        audit.record(actor, "delete", "custom_role", resource_id=role_id, target=name, organization=org,
                     changes=audit.diff(before, {}))
    return role
