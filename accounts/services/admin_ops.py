"""Admin mutations no other service offers: editing a user's email, avatar and login type,
and a generic audited save/delete for models without a dedicated service (so a model
registered in the admin is never written without authorization and an audit row).

Each follows the service order: authorize -> validate -> mutate in a transaction -> audit.
"""
from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction

from accounts import rbac
from accounts.models import Organization, User
from accounts.models.users import LoginType
from accounts.rbac.objects import descriptor_for, is_registered
from accounts.services import audit
from accounts.services.audit import Actor
from accounts.services.errors import Conflict, ValidationFailed

USER_EDITABLE = ("email", "avatar_url", "login_type")


# --- users --------------------------------------------------------------------------------
def _guard_privileged(actor: Actor, user: User) -> None:
    """Nobody edits a user holding a site role they could not grant (no owner takeover)."""
    for role in user.site_roles.all():
        if not rbac.can_assign(actor.subject, role.name, custom=not role.builtin):
            raise rbac.Forbidden(f"You cannot modify a user with the {role.name!r} role.")


def _validate_user_fields(user: User, changes: dict) -> None:
    errors = {}
    if "email" in changes:
        try:
            validate_email(changes["email"] or "")
        except DjangoValidationError:
            errors["email"] = "Must be a valid email address."
    if "login_type" in changes and changes["login_type"] not in LoginType.values:
        errors["login_type"] = f"Must be one of {', '.join(LoginType.values)}."
    if errors:
        raise ValidationFailed("Validation failed.", errors)
    if "email" in changes and User.objects.filter(deleted=False, email__iexact=changes["email"]).exclude(
            pk=user.pk).exists():
        raise Conflict("User already exists.", validations={"email": "This email is already in use."})


def update_user(user: User, *, actor: Actor, changes: dict) -> User:
    """Change a user's email, avatar URL or login type (administrators only)."""
    rbac.authorize(actor.subject, "update", user)
    if actor.user is None or actor.user.pk != user.pk:
        _guard_privileged(actor, user)
    changes = {k: v for k, v in changes.items() if k in USER_EDITABLE}
    if not changes:
        return user
    _validate_user_fields(user, changes)
    old = audit.snapshot(User.objects.get(pk=user.pk), changes)
    with transaction.atomic():
        for name, value in changes.items():
            setattr(user, name, value)
        if changes.get("login_type", LoginType.PASSWORD) != LoginType.PASSWORD:
            user.set_unusable_password()  # another login type: the old password must stop working
            changes = {**changes, "password": ""}
        user.save(update_fields=[*changes, "updated_at"])
        new = audit.snapshot(user, [k for k in changes if k != "password"])
        if "password" in changes:
            old["password"], new["password"] = "set", "unusable"
        audit.record(actor, "write", "user", resource_id=user.id, target=user.username,
                     changes=audit.diff(old, new))
    return user


# --- any other model ----------------------------------------------------------------------
def _rbac_target(obj, site_resource: str):
    """Objects the engine knows are judged as themselves; others by a site-level resource."""
    return obj if is_registered(type(obj)) else rbac.RbacObject(type=site_resource)


# RBAC object types whose audit rows Coder files under another resource type.
_AUDIT_TYPES = {"assign_org_role": "custom_role"}


def _resource_type(obj) -> str:
    kind = descriptor_for(type(obj)).type if is_registered(type(obj)) else obj._meta.model_name
    return _AUDIT_TYPES.get(kind, kind)


def _resource_id(obj, resource_type: str):
    # Audit rows name a UUID: Coder records API-key rows under the key owner's id (a key id
    # is not a UUID); objects with other keys (e.g. SSO provider settings) name none.
    if resource_type == "api_key":
        return obj.user_id
    return obj.pk if isinstance(obj.pk, uuid.UUID) else None


def _organization_of(obj):
    org_id = rbac.to_object(obj).org_id if is_registered(type(obj)) else None
    return Organization.objects.filter(pk=org_id).first() if org_id else None


def _field_values(obj, names) -> dict:
    return {n: getattr(obj, n, None) for n in names}


def save_object(obj, *, actor: Actor, created: bool, changed_fields=(), site_resource: str = "system"):
    """Generic audited save for models without a dedicated service."""
    model = type(obj)
    if not created and is_registered(model):
        # The stored row must be updatable too (an edit may move the object elsewhere).
        rbac.authorize(actor.subject, "update", model._default_manager.get(pk=obj.pk))
    rbac.authorize(actor.subject, "create" if created else "update", _rbac_target(obj, site_resource))
    names = [f.attname for f in obj._meta.concrete_fields if f.name in changed_fields or f.attname in changed_fields]
    old = {} if created else _field_values(model._default_manager.get(pk=obj.pk), names)
    with transaction.atomic():
        obj.save()
        resource_type = _resource_type(obj)
        audit.record(actor, "create" if created else "write", resource_type,
                     resource_id=_resource_id(obj, resource_type), target=str(obj)[:256],
                     organization=_organization_of(obj),
                     changes=audit.diff(old, _field_values(obj, names)))
    return obj


def delete_object(obj, *, actor: Actor, site_resource: str = "system") -> None:
    rbac.authorize(actor.subject, "delete", _rbac_target(obj, site_resource))
    with transaction.atomic():
        resource_type, target, org = _resource_type(obj), str(obj)[:256], _organization_of(obj)
        pk = _resource_id(obj, resource_type)
        obj.delete()
        audit.record(actor, "delete", resource_type, resource_id=pk, target=target, organization=org)
