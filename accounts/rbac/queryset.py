"""`filter_queryset`: the engine's rules compiled to a database query.

It must agree with `can()` object by object (a test checks this). The query costs no more
than the subject already loaded: organization and ownership decisions are made in Python,
then expressed as `organization_id IN (...)` / `owner_id = me` / ACL conditions.
"""
from __future__ import annotations

from django.db.models import Q

from .engine import decide, scope_permits, user_level_perms
from .objects import descriptor_for
from .subject import Subject

NOTHING = Q(pk__in=[])


def filter_queryset(subject: Subject, action: str, queryset):
    if subject.is_system:
        return queryset
    if subject.user_id is None:
        return queryset.none()
    action = str(action)
    d = descriptor_for(queryset.model)
    if not scope_permits(subject, d.type, action):
        return queryset.none()
    site = decide(subject.site_perms, d.type, action)
    if site is True:
        return queryset
    if site is False:
        return queryset.none()

    allow = NOTHING
    deny = NOTHING  # objects a lower level must not grant (a negative decided them)
    if d.org_field:
        allowed_orgs, denied_orgs = [], []
        for org_id, perms in subject.org_perms.items():
            decision = decide(perms, d.type, action)
            if decision is True:
                allowed_orgs.append(org_id)
            elif decision is False:
                denied_orgs.append(org_id)
            elif d.owner_field:
                owned = Q(**{d.org_field: org_id, d.owner_field: subject.user_id})
                user_decision = decide(user_level_perms(subject, org_id) or (), d.type, action)
                if user_decision is True:
                    allow |= owned
                elif user_decision is False:
                    deny |= owned
        if allowed_orgs:
            allow |= Q(**{f"{d.org_field}__in": allowed_orgs})
        if denied_orgs:
            deny |= Q(**{f"{d.org_field}__in": denied_orgs})
    if d.owner_field and (not d.org_field):
        owned = Q(**{d.owner_field: subject.user_id})
        user_decision = decide(subject.site_user_perms, d.type, action)
        if user_decision is True:
            allow |= owned
        elif user_decision is False:
            deny |= owned

    extra = NOTHING
    if d.acl_q is not None:
        extra |= d.acl_q(subject, action)
    if d.type == "user" and action == "read" and d.member_orgs_q is not None:
        orgs = frozenset(o for o, perms in subject.org_perms.items()
                         if decide(perms, "organization_member", "read"))
        if orgs:
            extra |= d.member_orgs_q(orgs)
    condition = allow | (extra & ~deny)
    # ORs over joins (ACL tables, memberships) can repeat rows; filter by primary key instead.
    if d.acl_q is not None or d.member_orgs_q is not None:
        return queryset.filter(pk__in=queryset.model._default_manager.filter(condition).values("pk"))
    return queryset.filter(condition)
