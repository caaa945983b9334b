"""Django's `has_perm` protocol answered by the engine, for the admin site and guardian callers.

Django permission codenames map onto engine actions: view→read, add→create,
change→update, delete→delete.
"""
from __future__ import annotations

from django.apps import apps

from .objects import descriptor_for, is_registered

DJANGO_TO_ACTION = {"view": "read", "add": "create", "change": "update", "delete": "delete"}


def _subject(user):
    from . import subject_of

    return subject_of(user)


def user_has_django_perm(user, perm: str, obj=None) -> bool:
    from . import can, can_any

    if not user.is_active:
        return False
    try:
        app_label, codename = perm.split(".", 1)
        verb, model_name = codename.split("_", 1)
        model = apps.get_model(app_label, model_name)
    except (ValueError, LookupError):
        return False
    if verb not in DJANGO_TO_ACTION or not is_registered(model):
        return False
    action = DJANGO_TO_ACTION[verb]
    if obj is not None:
        return can(_subject(user), action, obj)
    return can_any(_subject(user), action, descriptor_for(model).type)


def user_has_module_perms(user, app_label: str) -> bool:
    from . import can_any

    if not user.is_active:
        return False
    try:
        models = apps.get_app_config(app_label).get_models()
    except LookupError:
        return False
    subject = _subject(user)
    return any(is_registered(m) and can_any(subject, "read", descriptor_for(m).type) for m in models)
