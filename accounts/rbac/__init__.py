"""accounts.rbac — THE authorization engine. Admin, API, services and websockets only call it.

    subject = subject_for(user, token)
    subject = request_subject(request_or_websocket_scope)  # what views and consumers use
    can(subject, Action.READ, obj) -> bool
    authorize(subject, Action.UPDATE, obj)         # raises NotFound (404) or Forbidden (403)
    filter_queryset(subject, Action.READ, qs)      # the same rules as a query
    capabilities(subject, obj) -> {action: bool}
    can_any(subject, action, resource_type)        # may the subject do it to *some* object?
"""
from .apps import AppDecision, app_access
from .assign import assignable_roles, can_assign
from .credentials import request_subject
from .engine import Forbidden, NotFound, authorize, can, capabilities, decide, scope_permits
from .objects import Descriptor, RbacObject, register, to_object
from .policy import RESOURCES, Action
from .queryset import filter_queryset
from .subject import ANONYMOUS, SYSTEM, Subject, subject_for


def can_any(subject: Subject, action: str, resource_type: str) -> bool:
    """True when some object of `resource_type` could be allowed (used for menus and
    model-level admin checks; object-level decisions still go through `can`)."""
    if subject.is_system:
        return True
    if subject.user_id is None:
        return False
    action = str(action)
    if not scope_permits(subject, resource_type, action):
        return False
    site = decide(subject.site_perms, resource_type, action)
    if site is not None:
        return site
    levels = list(subject.org_perms.values()) + list(subject.org_user_perms.values()) + [subject.site_user_perms]
    return any(decide(perms, resource_type, action) for perms in levels)


def subject_of(user) -> Subject:
    """The subject of a user object, memoised on the instance for the life of the request."""
    cached = getattr(user, "_rbac_subject", None)
    if cached is None:
        cached = subject_for(user)
        if getattr(user, "is_authenticated", False):
            user._rbac_subject = cached
    return cached


__all__ = [
    "ANONYMOUS", "Action", "AppDecision", "Descriptor", "Forbidden", "NotFound", "RESOURCES", "RbacObject",
    "SYSTEM", "Subject",
    "app_access", "assignable_roles", "authorize", "can", "can_any", "can_assign", "capabilities", "filter_queryset",
    "register", "request_subject", "subject_for", "subject_of", "to_object",
]
