"""What the engine knows about an object, and how each model maps to it.

Models register a descriptor naming their resource type and the fields holding the
organization and owner; the same descriptor drives `can()` on instances and
`filter_queryset()` on querysets, so both read the same facts.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class RbacObject:
    type: str
    id: Any = None
    org_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    acl_users: dict = field(default_factory=dict)   # user_id -> set of actions
    acl_groups: dict = field(default_factory=dict)  # group_id -> set of actions
    # Only for type "user": the orgs the user belongs to — a frozenset, or a callable that
    # fetches it, so the query runs only when the decision actually needs it.
    member_org_ids: frozenset | Callable[[], frozenset] = frozenset()

    def member_orgs(self) -> frozenset:
        return self.member_org_ids() if callable(self.member_org_ids) else self.member_org_ids


@dataclass(frozen=True)
class Descriptor:
    type: str
    org_field: str | None = None      # e.g. "organization_id"
    owner_field: str | None = None    # e.g. "owner_id"
    # ACL hooks, provided by apps whose objects carry ACLs (templates, shared workspaces):
    acl_for: Callable[[Any], tuple[dict, dict]] | None = None
    acl_q: Callable[[Any, str], Any] | None = None   # (subject, action) -> Q of objects granted
    member_orgs_for: Callable[[Any], frozenset] | None = None
    member_orgs_q: Callable[[frozenset], Any] | None = None  # org ids -> Q of objects in any of them
    type_for: Callable[[Any], str] | None = None     # per-instance type (e.g. dormant workspaces)


_REGISTRY: dict[type, Descriptor] = {}


def register(model, descriptor: Descriptor) -> None:
    _REGISTRY[model] = descriptor


def descriptor_for(model) -> Descriptor:
    for klass in model.__mro__:
        if klass in _REGISTRY:
            return _REGISTRY[klass]
    raise LookupError(f"{model.__name__} is not registered with accounts.rbac")


def is_registered(model) -> bool:
    try:
        descriptor_for(model)
    except LookupError:
        return False
    return True


def _value(instance, dotted: str | None):
    if dotted is None:
        return None
    value = instance
    for part in dotted.split("__"):
        value = getattr(value, part)
        if value is None:
            return None
    return value


def to_object(instance) -> RbacObject:
    if isinstance(instance, RbacObject):
        return instance
    d = descriptor_for(type(instance))
    acl_users, acl_groups = d.acl_for(instance) if d.acl_for else ({}, {})
    return RbacObject(
        type=d.type_for(instance) if d.type_for else d.type,
        id=instance.pk,
        org_id=_value(instance, d.org_field),
        owner_id=_value(instance, d.owner_field),
        acl_users=acl_users,
        acl_groups=acl_groups,
        member_org_ids=(lambda: d.member_orgs_for(instance)) if d.member_orgs_for else frozenset(),
    )
