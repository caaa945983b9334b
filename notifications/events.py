"""Who is told what, for the events that exist: each function is called inside the event's
transaction by the service that owns the event (or by an accounts signal).

Lifecycle events (autobuild failed, dormant, marked for deletion, autostop reminder, deleted
by auto-delete) are `workspace_autobuild_failed`, `workspace_dormant`, ... below: the lifecycle
executor calls them in its transaction.
"""
from __future__ import annotations

from accounts import signals
from coderportal import config
from notifications import template_ids as ids
from notifications.services.enqueue import (
    enqueue,
    recipients_owners_and_user_admins,
    recipients_template_admins,
)


def _initiator(actor) -> str:
    user = getattr(actor, "user", None)
    return user.username if user is not None else "system"


def _access_url() -> str:
    return config.get("CODER_ACCESS_URL").rstrip("/")


# --- Accounts (through accounts.signals) ---------------------------------------------------

def _account_event(template_id, own_template_id, label: str, user, actor):
    initiator = _initiator(actor)
    for recipient in recipients_owners_and_user_admins(exclude=[user]):
        enqueue(template_id, recipient, labels={label: user.username, f"{label.rsplit('_', 1)[0]}_user_name":
                                                user.name or user.username, "initiator": initiator},
                targets=[user.id], created_by="accounts")
    if own_template_id:
        enqueue(own_template_id, user, labels={"initiator": initiator, "account_username": user.username},
                targets=[user.id], created_by="accounts")


def on_user_created(sender, user, actor, **kwargs):
    _account_event(ids.USER_ACCOUNT_CREATED, None, "created_account_name", user, actor)


def on_user_deleted(sender, user, actor, **kwargs):
    _account_event(ids.USER_ACCOUNT_DELETED, None, "deleted_account_name", user, actor)


def on_user_suspended(sender, user, actor, **kwargs):
    _account_event(ids.USER_ACCOUNT_SUSPENDED, ids.YOUR_ACCOUNT_SUSPENDED, "suspended_account_name", user, actor)


def on_user_activated(sender, user, actor, **kwargs):
    _account_event(ids.USER_ACCOUNT_ACTIVATED, ids.YOUR_ACCOUNT_ACTIVATED, "activated_account_name", user, actor)


def connect_account_signals() -> None:
    signals.user_created.connect(on_user_created, dispatch_uid="notifications.user_created")
    signals.user_deleted.connect(on_user_deleted, dispatch_uid="notifications.user_deleted")
    signals.user_suspended.connect(on_user_suspended, dispatch_uid="notifications.user_suspended")
    signals.user_activated.connect(on_user_activated, dispatch_uid="notifications.user_activated")


# --- Templates ---------------------------------------------------------------------------

def template_deleted(template, *, actor) -> None:
    for recipient in recipients_template_admins(template.organization_id):
        enqueue(ids.TEMPLATE_DELETED, recipient, labels={"name": template.name, "initiator": _initiator(actor)},
                targets=[template.id, template.organization_id], created_by="templates")


def template_deprecated(template, *, actor, message: str, users) -> None:
    """`users`: the template's admins and everyone with a workspace of it (Coder's recipients)."""
    for recipient in users:
        enqueue(ids.TEMPLATE_DEPRECATED, recipient,
                labels={"template": template.name, "message": message,
                        "organization": getattr(template.organization, "name", "")},
                targets=[template.id, template.organization_id], created_by="templates")


# --- Workspaces --------------------------------------------------------------------------

def workspace_deleted(workspace, *, initiator: str, reason: str) -> None:
    """Sent to the owner when someone else (or auto-delete, initiator "autobuild") deleted it."""
    enqueue(ids.WORKSPACE_DELETED, workspace.owner, labels={"name": workspace.name, "reason": reason,
                                                            "initiator": initiator},
            targets=[workspace.id, workspace.owner_id, workspace.template_id, workspace.organization_id],
            created_by="provisionerd")


def workspace_manually_updated(workspace, *, initiator: str, template_name: str, version_name: str) -> None:
    enqueue(ids.WORKSPACE_MANUALLY_UPDATED, workspace.owner,
            labels={"workspace": workspace.name, "template": template_name, "version": version_name,
                    "initiator": initiator, "organization": getattr(workspace.organization, "name", "")},
            targets=[workspace.id, workspace.owner_id, workspace.template_id, workspace.organization_id],
            created_by="coderd")


def workspace_manual_build_failed(workspace, *, initiator: str, template_name: str, version_name: str,
                                  build_number: int) -> None:
    """A build someone started failed: the template admins are told (Coder's recipients)."""
    for recipient in recipients_template_admins(workspace.organization_id):
        enqueue(ids.WORKSPACE_MANUAL_BUILD_FAILED, recipient,
                labels={"name": workspace.name, "template_name": template_name,
                        "template_version_name": version_name, "initiator": initiator,
                        "workspace_owner_username": workspace.owner.username,
                        "workspace_build_number": str(build_number)},
                targets=[workspace.id, workspace.owner_id, workspace.template_id, workspace.organization_id],
                created_by="provisionerd")


def workspace_autobuild_failed(workspace, *, reason: str) -> None:
    """For the lifecycle executor: a build it started failed (any reason but `initiator`)."""
    enqueue(ids.WORKSPACE_AUTOBUILD_FAILED, workspace.owner, labels={"name": workspace.name, "reason": reason},
            targets=[workspace.id, workspace.owner_id, workspace.template_id, workspace.organization_id],
            created_by="lifecycle_executor")


def workspace_dormant(workspace, *, reason: str, time_til_delete: str = "") -> None:
    """For the lifecycle executor (reason "inactivity exceeded the dormancy threshold") and a
    non-owner's manual dormancy (reason "a <username> request")."""
    labels = {"name": workspace.name, "reason": reason}
    if time_til_delete:
        labels["timeTilDelete"] = time_til_delete
    enqueue(ids.WORKSPACE_DORMANT, workspace.owner, labels=labels,
            targets=[workspace.id, workspace.owner_id, workspace.template_id, workspace.organization_id],
            created_by="lifecycle_executor")


def workspace_marked_for_deletion(workspace, *, time_til_dormant: str,
                                  reason: str = "an update to the template's dormancy") -> None:
    enqueue(ids.WORKSPACE_MARKED_FOR_DELETION, workspace.owner,
            labels={"name": workspace.name, "reason": reason, "timeTilDormant": time_til_dormant},
            targets=[workspace.id, workspace.owner_id, workspace.template_id, workspace.organization_id],
            created_by="lifecycle_executor")


def workspace_autostop_reminder(workspace, *, time_til_shutdown: str) -> None:
    enqueue(ids.WORKSPACE_AUTOSTOP_REMINDER, workspace.owner,
            labels={"workspace": workspace.name, "timeTilShutdown": time_til_shutdown},
            targets=[workspace.id, workspace.owner_id, workspace.template_id, workspace.organization_id],
            created_by="lifecycle_executor")


def test_notification(user) -> None:
    enqueue(ids.TEST_NOTIFICATION, user, labels={}, data={"requested_at": _now_iso()}, created_by="test")


def _now_iso() -> str:
    from django.utils import timezone

    return timezone.now().isoformat()
