"""Mutations the admin needs that no other service offers yet: user status and profile, site
and organization role assignment, membership removal, organization update/delete, API key
revocation, groups and their members, custom roles, and a generic audited save/delete for
models without a dedicated service.

Each follows the service order: authorize -> validate -> mutate in a transaction -> audit.
"""
from __future__ import annotations

import uuid

from django.contrib.auth.models import Group as AuthGroup
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q

from accounts import rbac
from accounts.models import APIKey, Group, Organization, OrganizationMember, Role, User
from accounts.models.users import UserStatus
from accounts.rbac import builtin_roles
from accounts.rbac.objects import descriptor_for, is_registered
from accounts.rbac.policy import is_valid_permission
from accounts.services import audit, users
from accounts.services.audit import Actor
from accounts.services.errors import Conflict, ValidationFailed

ORG_FIELDS = ("name", "display_name", "description", "icon")
USER_EDITABLE = ("username", "email", "name", "avatar_url", "login_type")


# --- users --------------------------------------------------------------------------------
def set_user_status(user: User, status: str, *, actor: Actor) -> User:
    """Suspend or activate a user (Coder's PUT /users/{user}/status/{suspend|activate})."""
    rbac.authorize(actor.subject, "update", user)
    if status not in (UserStatus.ACTIVE, UserStatus.SUSPENDED):
        raise ValidationFailed("Validation failed.", {"status": "Must be active or suspended."})
    if status == UserStatus.SUSPENDED and actor.user is not None and actor.user.pk == user.pk:
        raise ValidationFailed("You cannot suspend yourself.", {"status": "You cannot suspend yourself."})
    if user.status == status:
        return user
    with transaction.atomic():
        old = user.status
        user.status = status
        user.save(update_fields=["status", "updated_at"])
        audit.record(actor, "write", "user", resource_id=user.id, target=user.username,
                     changes=audit.diff({"status": old}, {"status": status}))
    return user


def delete_user(user: User, *, actor: Actor) -> None:
    """Soft-delete (Coder): the row stays for history, the name is freed, access ends."""
    rbac.authorize(actor.subject, "delete", user)
    if actor.user is not None and actor.user.pk == user.pk:
        raise ValidationFailed("You cannot delete yourself.")
    with transaction.atomic():
        for group in AuthGroup.objects.filter(user=user):
            group.user_set.remove(user)
        APIKey.objects.filter(user=user).delete()
        OrganizationMember.objects.filter(user=user).delete()
        user.deleted = True
        user.save(update_fields=["deleted", "updated_at"])
        audit.record(actor, "delete", "user", resource_id=user.id, target=user.username)


def validate_user_profile(user: User, changes: dict) -> None:
    """Coder's rules for username/email plus case-insensitive uniqueness (400 / 409)."""
    errors = {}
    if "username" in changes and (message := users.username_error(changes["username"])):
        errors["username"] = message
    if "email" in changes:
        try:
            validate_email(changes["email"] or "")
        except DjangoValidationError:
            errors["email"] = "Must be a valid email address."
    if errors:
        raise ValidationFailed("Validation failed.", errors)
    others = User.objects.filter(deleted=False).exclude(pk=user.pk)
    if "username" in changes and others.filter(username__iexact=changes["username"]).exists():
        raise Conflict("User already exists.", validations={"username": "This username is already in use."})
    if "email" in changes and others.filter(email__iexact=changes["email"]).exists():
        raise Conflict("User already exists.", validations={"email": "This email is already in use."})


def update_user(user: User, *, actor: Actor, changes: dict) -> User:
    rbac.authorize(actor.subject, "update", user)
    changes = {k: v for k, v in changes.items() if k in USER_EDITABLE}
    validate_user_profile(user, changes)
    current = User.objects.get(pk=user.pk)
    old = audit.snapshot(current, changes)
    with transaction.atomic():
        for name, value in changes.items():
            setattr(user, name, value)
        user.save(update_fields=[*changes, "updated_at"])
        audit.record(actor, "write", "user", resource_id=user.id, target=user.username,
                     changes=audit.diff(old, audit.snapshot(user, changes)))
    return user


def _check_assignable(actor: Actor, user: User, added, removed, organization_id=None) -> None:
    if actor.user is not None and actor.user.pk == user.pk and (added or removed):
        raise rbac.Forbidden("You cannot change your own roles.")
    for role in [*added, *removed]:
        if not rbac.can_assign(actor.subject, role.name, organization_id, custom=not role.builtin):
            raise rbac.Forbidden(f"Not allowed to assign or revoke the role {role.name!r}.")


def set_site_roles(user: User, roles, *, actor: Actor) -> User:
    """Replace a user's explicit site roles; every added or removed role must be assignable."""
    rbac.authorize(actor.subject, "read", user)
    roles = [r for r in roles if r.name != builtin_roles.MEMBER]  # implicit for everyone
    if any(r.is_org_role or r.organization_id for r in roles):
        raise ValidationFailed("Validation failed.", {"roles": "Only site roles can be assigned here."})
    current = set(user.site_roles.all())
    added, removed = set(roles) - current, current - set(roles)
    _check_assignable(actor, user, added, removed)
    if not added and not removed:
        return user
    with transaction.atomic():
        user.site_roles.set(roles)
        audit.record(actor, "write", "user", resource_id=user.id, target=user.username,
                     changes=audit.diff({"roles": sorted(r.name for r in current)},
                                        {"roles": sorted(r.name for r in roles)}))
    return user


# --- organization members ----------------------------------------------------------------
def assignable_org_roles(organization_id):
    """Roles that may be held inside an organization: built-in org roles and its custom roles."""
    return Role.objects.filter(Q(organization=None, builtin=True, is_org_role=True)
                               | Q(organization_id=organization_id)).exclude(name=builtin_roles.ORG_MEMBER)


def set_member_roles(membership: OrganizationMember, roles, *, actor: Actor) -> OrganizationMember:
    rbac.authorize(actor.subject, "read", membership)
    org_id = membership.organization_id
    allowed = set(assignable_org_roles(org_id))
    roles = [r for r in roles if r.name != builtin_roles.ORG_MEMBER]
    if any(r not in allowed for r in roles):
        raise ValidationFailed("Validation failed.", {"roles": "Not a role of this organization."})
    current = set(membership.roles.all())
    added, removed = set(roles) - current, current - set(roles)
    _check_assignable(actor, membership.user, added, removed, org_id)
    if not added and not removed:
        return membership
    with transaction.atomic():
        membership.roles.set(roles)
        audit.record(actor, "write", "organization_member", resource_id=membership.user_id,
                     target=membership.user.username, organization=membership.organization,
                     changes=audit.diff({"roles": sorted(r.name for r in current)},
                                        {"roles": sorted(r.name for r in roles)}))
    return membership


def remove_member(membership: OrganizationMember, *, actor: Actor) -> None:
    """Remove a user from an organization, and from that organization's groups."""
    rbac.authorize(actor.subject, "delete", membership)
    org, user = membership.organization, membership.user
    with transaction.atomic():
        for group in Group.objects.filter(organization=org).select_related("auth_group"):
            group.auth_group.user_set.remove(user)
        membership.delete()
        audit.record(actor, "delete", "organization_member", resource_id=user.id, target=user.username,
                     organization=org)


# --- organizations ------------------------------------------------------------------------
def update_organization(org: Organization, *, actor: Actor, changes: dict) -> Organization:
    rbac.authorize(actor.subject, "update", org)
    changes = {k: v for k, v in changes.items() if k in ORG_FIELDS}
    if "name" in changes:
        if (message := users.username_error(changes["name"])) is not None:
            raise ValidationFailed("Validation failed.", {"name": message.replace("Username", "Name")})
        if Organization.objects.filter(name__iexact=changes["name"]).exclude(pk=org.pk).exists():
            raise Conflict("Organization already exists with that name.",
                           validations={"name": f"Organization {changes['name']!r} already exists."})
    old = audit.snapshot(Organization.objects.get(pk=org.pk), changes)
    with transaction.atomic():
        for name, value in changes.items():
            setattr(org, name, value)
        org.save(update_fields=[*changes, "updated_at"])
        audit.record(actor, "write", "organization", resource_id=org.id, target=org.name, organization=org,
                     changes=audit.diff(old, audit.snapshot(org, changes)))
    return org


def delete_organization(org: Organization, *, actor: Actor) -> None:
    rbac.authorize(actor.subject, "delete", org)
    if org.is_default:
        raise ValidationFailed("Default organization cannot be deleted.")
    with transaction.atomic():
        auth_group_ids = list(Group.objects.filter(organization=org).values_list("auth_group_id", flat=True))
        org_id, name = org.id, org.name
        org.delete()
        # Groups went with the organization; their Django auth groups are PROTECTed, not cascaded.
        AuthGroup.objects.filter(id__in=auth_group_ids).delete()
        audit.record(actor, "delete", "organization", resource_id=org_id, target=name)


# --- groups -------------------------------------------------------------------------------
GROUP_FIELDS = ("name", "display_name", "avatar_url", "quota_allowance")


def _validate_group(org_id, changes: dict, group: Group | None = None) -> None:
    if "name" in changes:
        name = changes["name"]
        if (message := users.username_error(name)) is not None:
            raise ValidationFailed("Validation failed.", {"name": message.replace("Username", "Name")})
        if name.lower() == Group.EVERYONE.lower():
            raise ValidationFailed("Validation failed.", {"name": f"{Group.EVERYONE!r} is a reserved group name."})
        clash = Group.objects.filter(organization_id=org_id, name__iexact=name)
        if group is not None:
            clash = clash.exclude(pk=group.pk)
        if clash.exists():
            raise Conflict("Group already exists.", validations={"name": f"Group {name!r} already exists."})
    if int(changes.get("quota_allowance", 0) or 0) < 0:
        raise ValidationFailed("Validation failed.", {"quota_allowance": "Must not be negative."})


def _validate_members(org_id, members) -> list:
    members = list(members)
    in_org = set(OrganizationMember.objects.filter(organization_id=org_id, user__in=members)
                 .values_list("user_id", flat=True))
    strangers = [u.username for u in members if u.pk not in in_org]
    if strangers:
        raise ValidationFailed("Validation failed.",
                               {"members": f"Not members of the organization: {', '.join(strangers)}."})
    return members


def create_group(org: Organization, *, actor: Actor, name: str, display_name: str = "", avatar_url: str = "",
                 quota_allowance: int = 0, members=()) -> Group:
    rbac.authorize(actor.subject, "read", org)
    rbac.authorize(actor.subject, "create", rbac.RbacObject(type="group", org_id=org.id))
    fields = {"name": name, "display_name": display_name, "avatar_url": avatar_url,
              "quota_allowance": quota_allowance}
    _validate_group(org.id, fields)
    members = _validate_members(org.id, members)
    with transaction.atomic():
        group_id = uuid.uuid4()
        # Named by id, not name, so renaming the group never collides with another auth group.
        auth_group = AuthGroup.objects.create(name=f"org:{org.id}:{group_id}")
        group = Group.objects.create(id=group_id, organization=org, auth_group=auth_group, **fields)
        auth_group.user_set.set(members)
        audit.record(actor, "create", "group", resource_id=group.id, target=group.name, organization=org,
                     changes=audit.diff({}, {**fields, "members": sorted(u.username for u in members)}))
    return group


def update_group(group: Group, *, actor: Actor, changes: dict, members=None) -> Group:
    rbac.authorize(actor.subject, "update", group)
    changes = {k: v for k, v in changes.items() if k in GROUP_FIELDS}
    if group.is_everyone and ("name" in changes or members is not None):
        raise ValidationFailed("The Everyone group cannot be renamed and has implicit members.")
    _validate_group(group.organization_id, changes, group)
    old = audit.snapshot(Group.objects.get(pk=group.pk), changes)
    new = dict(changes)
    if members is not None:
        members = _validate_members(group.organization_id, members)
        old["members"] = sorted(group.auth_group.user_set.values_list("username", flat=True))
        new["members"] = sorted(u.username for u in members)
    with transaction.atomic():
        for name, value in changes.items():
            setattr(group, name, value)
        group.save(update_fields=[*changes, "updated_at"])
        if members is not None:
            group.auth_group.user_set.set(members)
        audit.record(actor, "write", "group", resource_id=group.id, target=group.name,
                     organization=group.organization, changes=audit.diff(old, new))
    return group


def delete_group(group: Group, *, actor: Actor) -> None:
    rbac.authorize(actor.subject, "delete", group)
    if group.is_everyone:
        raise ValidationFailed("The Everyone group cannot be deleted.")
    with transaction.atomic():
        auth_group, org, gid, name = group.auth_group, group.organization, group.id, group.name
        group.delete()
        auth_group.delete()
        audit.record(actor, "delete", "group", resource_id=gid, target=name, organization=org)


# --- custom roles ---------------------------------------------------------------------------
ROLE_FIELDS = ("name", "display_name", "organization_permissions", "user_permissions")


def _validate_role(org_id, fields: dict, role: Role | None = None) -> None:
    errors = {}
    if "name" in fields:
        if (message := users.username_error(fields["name"])) is not None:
            errors["name"] = message.replace("Username", "Name")
        elif Role.objects.filter(organization=None, name__iexact=fields["name"]).exists():
            errors["name"] = "Name is reserved by a built-in role."
    for key in ("organization_permissions", "user_permissions"):
        perms = fields.get(key, [])
        if not isinstance(perms, list) or not all(
                isinstance(p, dict) and is_valid_permission(p.get("resource_type"), p.get("action")) for p in perms):
            errors[key] = 'A list of {"resource_type", "action", "negate"} with known types and actions.'
    if errors:
        raise ValidationFailed("Validation failed.", errors)
    clash = Role.objects.filter(organization_id=org_id, name__iexact=fields.get("name", ""))
    if role is not None:
        clash = clash.exclude(pk=role.pk)
    if "name" in fields and clash.exists():
        raise Conflict("Role already exists.", validations={"name": "A role with this name already exists."})


def save_custom_role(role: Role | None, *, actor: Actor, organization: Organization, fields: dict) -> Role:
    """Create or update an organization's custom role (built-in roles are read-only)."""
    fields = {k: v for k, v in fields.items() if k in ROLE_FIELDS}
    target = role or rbac.RbacObject(type="assign_org_role", org_id=organization.id)
    rbac.authorize(actor.subject, "read", organization)
    rbac.authorize(actor.subject, "update" if role else "create", target)
    if role is not None and (role.builtin or role.organization_id != organization.id):
        raise ValidationFailed("Built-in roles cannot be edited.")
    if not rbac.can_assign(actor.subject, fields.get("name") or getattr(role, "name", ""), organization.id,
                           custom=True):
        raise rbac.Forbidden("Not allowed to manage custom roles in this organization.")
    _validate_role(organization.id, fields, role)
    old = audit.snapshot(Role.objects.get(pk=role.pk), fields) if role else {}
    with transaction.atomic():
        if role is None:
            role = Role.objects.create(organization=organization, is_org_role=True, builtin=False, **fields)
        else:
            for name, value in fields.items():
                setattr(role, name, value)
            role.save(update_fields=[*fields, "updated_at"])
        audit.record(actor, "write" if old else "create", "custom_role", resource_id=role.id, target=role.name,
                     organization=organization, changes=audit.diff(old, audit.snapshot(role, fields)))
    return role


def delete_custom_role(role: Role, *, actor: Actor) -> None:
    rbac.authorize(actor.subject, "delete", role)
    if role.builtin or role.organization_id is None:
        raise ValidationFailed("Built-in roles cannot be deleted.")
    with transaction.atomic():
        org, rid, name = role.organization, role.id, role.name
        role.delete()
        audit.record(actor, "delete", "custom_role", resource_id=rid, target=name, organization=org)


# --- API keys -----------------------------------------------------------------------------
def revoke_api_key(key: APIKey, *, actor: Actor) -> None:
    rbac.authorize(actor.subject, "delete", key)
    with transaction.atomic():
        key_id, target = key.id, key.token_name or key.id
        owner = key.user
        key.delete()
        audit.record(actor, "delete", "api_key", resource_id=key_id, target=target,
                     additional={"owner": owner.username})


# --- any other model ----------------------------------------------------------------------
def _rbac_target(obj, site_resource: str):
    """Objects the engine knows are judged as themselves; others by a site-level resource."""
    return obj if is_registered(type(obj)) else rbac.RbacObject(type=site_resource)


def _resource_type(obj) -> str:
    return descriptor_for(type(obj)).type if is_registered(type(obj)) else obj._meta.model_name


def _organization_of(obj):
    org_id = rbac.to_object(obj).org_id if is_registered(type(obj)) else None
    return Organization.objects.filter(pk=org_id).first() if org_id else None


def _field_values(obj, names) -> dict:
    return {n: getattr(obj, n, None) for n in names if hasattr(obj, n)}


def save_object(obj, *, actor: Actor, created: bool, changed_fields=(), site_resource: str = "system"):
    """Generic audited save for models without a dedicated service."""
    if not created and is_registered(type(obj)):
        # The stored row must be updatable too (an edit may move the object elsewhere).
        rbac.authorize(actor.subject, "update", type(obj)._default_manager.get(pk=obj.pk))
    rbac.authorize(actor.subject, "create" if created else "update", _rbac_target(obj, site_resource))
    names = [f.attname for f in obj._meta.concrete_fields if f.name in changed_fields or f.attname in changed_fields]
    old = {} if created else _field_values(type(obj)._default_manager.get(pk=obj.pk), names)
    with transaction.atomic():
        obj.save()
        audit.record(actor, "create" if created else "write", _resource_type(obj), resource_id=obj.pk,
                     target=str(obj)[:256], organization=_organization_of(obj),
                     changes=audit.diff(old, _field_values(obj, names)))
    return obj


def delete_object(obj, *, actor: Actor, site_resource: str = "system") -> None:
    rbac.authorize(actor.subject, "delete", _rbac_target(obj, site_resource))
    with transaction.atomic():
        resource_type, pk, target, org = _resource_type(obj), obj.pk, str(obj)[:256], _organization_of(obj)
        obj.delete()
        audit.record(actor, "delete", resource_type, resource_id=pk, target=target, organization=org)
