"""Registers the template models with the RBAC engine."""
from accounts import rbac
from templates_app.models import File


def register_all() -> None:
    rbac.register(File, rbac.Descriptor("file", owner_field="created_by_id"))
