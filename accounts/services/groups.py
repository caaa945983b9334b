"""Groups of an organization: create, update, delete, membership changes, and IdP group sync.

Membership is the linked Django auth group's `user_set` (so guardian group grants apply).
The "Everyone" group (id == organization id) holds every member implicitly: it cannot be
renamed, deleted, or have members added or removed.

IdP sync (`sync_user_groups`) — the rule SSO relies on:
  * the user is added to every group named by the IdP (creating missing ones as `oidc` groups
    when `create_missing`), whatever the group's source;
  * the user is removed only from groups whose source is the sync's source (`oidc`) and that
    the IdP no longer names. Memberships of `user` groups made by hand are never removed by
    sync, so an administrator's manual grant survives the next login.
"""
from __future__ import annotations

import uuid

from django.contrib.auth.models import Group as AuthGroup
from django.db import IntegrityError, transaction

from accounts import rbac
from accounts.models import Group, Organization, OrganizationMember, User
from accounts.models.organizations import GroupSource
from accounts.services import audit
from accounts.services.audit import Actor
from accounts.services.errors import Conflict, ValidationFailed
from accounts.services.organizations import NAME_RE

GROUP_FIELDS = ("name", "display_name", "avatar_url", "quota_allowance")
GROUP_NAME_MAX = 36
DISPLAY_NAME_MAX = 64


def group_name_error(name) -> str | None:
    if not isinstance(name, str) or not name:
        return "Name is required."
    if len(name) > GROUP_NAME_MAX or not NAME_RE.match(name):
        return (f"Name must be 1-{GROUP_NAME_MAX} letters, digits and single hyphens, "
                "not starting or ending with a hyphen.")
    if name.lower() == Group.EVERYONE.lower():
        return f"{Group.EVERYONE!r} is a reserved group name."
    return None


def _validate_fields(fields: dict) -> None:
    errors: dict[str, str] = {}
    if "name" in fields and (message := group_name_error(fields["name"])):
        errors["name"] = message
    if len(fields.get("display_name") or "") > DISPLAY_NAME_MAX:
        errors["display_name"] = f"Display name must be at most {DISPLAY_NAME_MAX} characters."
    if len(fields.get("avatar_url") or "") > 512:
        errors["avatar_url"] = "Avatar URL must be at most 512 characters."
    quota = fields.get("quota_allowance")
    if quota is not None and (isinstance(quota, bool) or not isinstance(quota, int) or quota < 0):
        errors["quota_allowance"] = "Quota allowance must be a non-negative integer."
    if errors:
        raise ValidationFailed("Validation failed.", errors)


def group_users(group: Group):
    """The users in a group (for "Everyone": every member of the organization)."""
    if group.is_everyone:
        return User.objects.filter(memberships__organization_id=group.organization_id, deleted=False)
    return group.auth_group.user_set.filter(deleted=False)


def _member_ids(group: Group) -> list[str]:
    return sorted(str(pk) for pk in group_users(group).values_list("id", flat=True))


def _snapshot(group: Group) -> dict:
    return {**audit.snapshot(group, GROUP_FIELDS), "members": _member_ids(group)}


def _create(org: Organization, name: str, *, display_name="", avatar_url="", quota_allowance=0,
            source=GroupSource.USER) -> Group:
    if Group.objects.filter(organization=org, name__iexact=name).exists():
        raise Conflict("Group already exists.", validations={"name": f"Group {name!r} already exists."})
    try:
        with transaction.atomic():
            auth_group = AuthGroup.objects.create(name=f"org:{org.id}:{uuid.uuid4()}")
            return Group.objects.create(organization=org, name=name, display_name=display_name,
                                        avatar_url=avatar_url, quota_allowance=quota_allowance,
                                        source=source, auth_group=auth_group)
    except IntegrityError:
        raise Conflict("Group already exists.") from None


def create_group(org: Organization, *, actor: Actor, name: str, display_name: str = "", avatar_url: str = "",
                 quota_allowance: int = 0) -> Group:
    rbac.authorize(actor.subject, "read", org)
    # Inside an organization the requester can see, a refused create is a 403.
    if not rbac.can(actor.subject, "create", rbac.RbacObject(type="group", org_id=org.id)):
        raise rbac.Forbidden("Not allowed to create groups in this organization.")
    _validate_fields({"name": name, "display_name": display_name, "avatar_url": avatar_url,
                      "quota_allowance": quota_allowance})
    with transaction.atomic():
        group = _create(org, name, display_name=display_name, avatar_url=avatar_url,
                        quota_allowance=quota_allowance)
        audit.record(actor, "create", "group", resource_id=group.id, target=group.name, organization=org,
                     changes=audit.diff({}, _snapshot(group)), status_code=201)
    return group


def _users_for(group: Group, ids, field: str) -> list[User]:
    """Users by id who are members of the group's organization; anything else is a 400."""
    ids = list(ids or ())
    parsed, bad = set(), []
    for raw in ids:
        try:
            parsed.add(uuid.UUID(str(raw)))
        except ValueError:
            bad.append(str(raw))
    users = list(User.objects.filter(id__in=parsed, deleted=False,
                                      memberships__organization_id=group.organization_id))
    bad += sorted(str(u) for u in parsed - {u.id for u in users})
    if bad:
        raise ValidationFailed("Validation failed.", {
            field: f"Not members of organization {group.organization.name!r}: {', '.join(bad)}."})
    return users


def update_group(group: Group, *, actor: Actor, name=None, display_name=None, avatar_url=None,
                 quota_allowance=None, add_users=(), remove_users=()) -> Group:
    rbac.authorize(actor.subject, "update", group)
    fields = {k: v for k, v in {"name": name, "display_name": display_name, "avatar_url": avatar_url,
                                "quota_allowance": quota_allowance}.items() if v is not None}
    if group.is_everyone:
        if "name" in fields and fields["name"] != group.name:
            raise ValidationFailed("The Everyone group cannot be renamed.", {"name": "Cannot rename Everyone."})
        if add_users or remove_users:
            field = "add_users" if add_users else "remove_users"
            raise ValidationFailed("Members of the Everyone group are the organization's members.",
                                   {field: "Cannot add or remove members of the Everyone group."})
        fields.pop("name", None)
    _validate_fields(fields)
    to_add = _users_for(group, add_users, "add_users")
    to_remove = _users_for(group, remove_users, "remove_users")
    if "name" in fields and fields["name"].lower() != group.name.lower() and \
            Group.objects.filter(organization_id=group.organization_id, name__iexact=fields["name"]).exists():
        raise Conflict("Group already exists.", validations={"name": f"Group {fields['name']!r} already exists."})
    before = _snapshot(group)
    with transaction.atomic():
        for field, value in fields.items():
            setattr(group, field, value)
        try:
            with transaction.atomic():
                group.save()
        except IntegrityError:
            raise Conflict("Group already exists.") from None
        if to_add:
            group.auth_group.user_set.add(*to_add)
        if to_remove:
            group.auth_group.user_set.remove(*to_remove)
        audit.record(actor, "write", "group", resource_id=group.id, target=group.name,
                     organization=group.organization, changes=audit.diff(before, _snapshot(group)))
    return group


def delete_group(group: Group, *, actor: Actor) -> None:
    rbac.authorize(actor.subject, "delete", group)
    if group.is_everyone:
        raise ValidationFailed("The Everyone group cannot be deleted.")
    before, group_id, org = _snapshot(group), group.id, group.organization
    with transaction.atomic():
        auth_group = group.auth_group
        group.delete()
        auth_group.delete()
        audit.record(actor, "delete", "group", resource_id=group_id, target=before["name"], organization=org,
                     changes=audit.diff(before, {}))


# --- membership changes (service API for admin and SSO) -------------------------------------

def _change_members(group: Group, *, actor: Actor, add=(), remove=(), authorize: bool = True) -> Group:
    if authorize:
        rbac.authorize(actor.subject, "update", group)
    if group.is_everyone:
        raise ValidationFailed("Members of the Everyone group are the organization's members.")
    to_add = _users_for(group, [u.pk for u in add], "add_users")
    to_remove = _users_for(group, [u.pk for u in remove], "remove_users")
    before = _snapshot(group)
    with transaction.atomic():
        group.auth_group.user_set.add(*to_add)
        group.auth_group.user_set.remove(*to_remove)
        after = _snapshot(group)
        if after != before:
            audit.record(actor, "write", "group", resource_id=group.id, target=group.name,
                         organization=group.organization, changes=audit.diff(before, after))
    return group


def add_users(group: Group, users, *, actor: Actor) -> Group:
    return _change_members(group, actor=actor, add=list(users))


def remove_users(group: Group, users, *, actor: Actor) -> Group:
    return _change_members(group, actor=actor, remove=list(users))


def set_group_members(group: Group, users, *, actor: Actor) -> Group:
    """Make the group's members exactly `users`."""
    users = list(users)
    current = list(group_users(group)) if not group.is_everyone else []
    wanted = {u.pk for u in users}
    return _change_members(group, actor=actor, add=[u for u in users if u.pk not in {c.pk for c in current}],
                           remove=[u for u in current if u.pk not in wanted])


def sync_user_groups(user: User, organization: Organization, group_names, *, source: str = GroupSource.OIDC,
                     create_missing: bool = True, actor: Actor | None = None) -> dict:
    """Reconcile `user`'s groups in `organization` with the names an identity provider sent.

    See the module docstring for which memberships sync adds and removes. Returns
    `{"added": [...], "removed": [...], "created": [...]}` (group names).
    """
    actor = actor or Actor.system()
    if not OrganizationMember.objects.filter(organization=organization, user=user).exists():
        raise ValidationFailed("User is not a member of the organization.")
    names = {n.strip() for n in group_names or () if isinstance(n, str) and n.strip()}
    names = {n[:64] for n in names if n.lower() != Group.EVERYONE.lower()}
    result = {"added": [], "removed": [], "created": []}
    with transaction.atomic():
        groups = {g.name.lower(): g for g in Group.objects.filter(organization=organization)
                  .exclude(id=organization.id).select_related("auth_group", "organization")}
        for name in sorted(names):
            if name.lower() not in groups and create_missing:
                group = _create(organization, name, source=source)
                audit.record(actor, "create", "group", resource_id=group.id, target=group.name,
                             organization=organization, changes=audit.diff({}, _snapshot(group)),
                             description=f"created by {source} group sync")
                groups[name.lower()] = group
                result["created"].append(group.name)
        wanted = {n.lower() for n in names}
        mine = set(Group.objects.filter(organization=organization, auth_group__user=user).values_list("id", flat=True))
        for key, group in sorted(groups.items()):
            if key in wanted and group.id not in mine:
                _change_members(group, actor=actor, add=[user], authorize=False)
                result["added"].append(group.name)
            elif key not in wanted and group.id in mine and group.source == source:
                _change_members(group, actor=actor, remove=[user], authorize=False)
                result["removed"].append(group.name)
    return result
