"""The decision: may `subject` do `action` to `obj`?

Coder's algorithm: site level, then organization level (only for members of the object's
organization), then user level (objects the subject owns), then object ACLs. At each level
a negative permission beats a positive one; a level with neither abstains.
"""
from __future__ import annotations

from .objects import RbacObject, to_object
from .policy import RESOURCES, WILDCARD
from .subject import Perm, Subject


class Forbidden(Exception):
    """Readable object, forbidden action: HTTP 403."""


class NotFound(Exception):
    """Unreadable (or missing) object: HTTP 404, so existence does not leak."""


def decide(perms: tuple[Perm, ...], resource_type: str, action: str) -> bool | None:
    allowed = False
    for p_type, p_action, negate in perms:
        if p_type in (resource_type, WILDCARD) and p_action in (action, WILDCARD):
            if negate:
                return False
            allowed = True
    return True if allowed else None


def user_level_perms(subject: Subject, org_id) -> tuple[Perm, ...] | None:
    """Permissions over owned objects: site roles' for objects outside organizations, the
    organization's roles' for objects inside one (none if the subject is not a member)."""
    if org_id is None:
        return subject.site_user_perms
    return subject.org_user_perms.get(org_id)


def acl_allows(subject: Subject, obj: RbacObject, action: str) -> bool:
    def grants(actions) -> bool:
        return action in actions or WILDCARD in actions

    if subject.user_id in obj.acl_users and grants(obj.acl_users[subject.user_id]):
        return True
    return any(g in subject.group_ids and grants(acts) for g, acts in obj.acl_groups.items())


# What a token's scope lets it do at most (intersected with the user's roles, as in Coder).
SCOPE_ALLOWS: dict[str, frozenset[tuple[str, str]]] = {
    "application_connect": frozenset({("workspace", "application_connect")}),
}


def scope_permits(subject: Subject, resource_type: str, action: str) -> bool:
    if subject.scope in ("all", "", None):
        return True
    return (resource_type, action) in SCOPE_ALLOWS.get(subject.scope, frozenset())


def can(subject: Subject, action: str, obj) -> bool:
    if subject.is_system:
        return True
    if subject.user_id is None:
        return False
    obj = to_object(obj)
    action = str(action)
    if not scope_permits(subject, obj.type, action):
        return False
    decision = decide(subject.site_perms, obj.type, action)
    if decision is not None:
        return decision
    if obj.org_id is not None and obj.org_id in subject.org_perms:
        decision = decide(subject.org_perms[obj.org_id], obj.type, action)
        if decision is not None:
            return decision
    if obj.owner_id is not None and obj.owner_id == subject.user_id:
        perms = user_level_perms(subject, obj.org_id)
        if perms is not None:
            decision = decide(perms, obj.type, action)
            if decision is not None:
                return decision
    if acl_allows(subject, obj, action):
        return True
    if obj.type == "user" and action == "read":
        return any(decide(subject.org_perms[o], "organization_member", "read")
                   for o in obj.member_orgs() if o in subject.org_perms)
    return False


def authorize(subject: Subject, action: str, obj) -> None:
    """Raise NotFound when the object is unreadable, Forbidden when only the action is."""
    if can(subject, action, obj):
        return
    obj = to_object(obj)
    if obj.id is None:
        # A check on something not yet created (e.g. `create` in an organization): nothing can
        # leak, the caller already resolved the container it may read.
        raise Forbidden(f"Not allowed to {action} a {obj.type}.")
    if str(action) != "read" and can(subject, "read", obj):
        raise Forbidden(f"Not allowed to {action} this {to_object(obj).type}.")
    raise NotFound()


def capabilities(subject: Subject, obj) -> dict[str, bool]:
    obj = to_object(obj)
    return {action: can(subject, action, obj) for action in RESOURCES.get(obj.type, ())}
