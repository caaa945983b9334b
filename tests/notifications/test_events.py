"""Events of templates and workspaces enqueue Coder's notifications to the right people
(echo provisioner builds; delivery itself is covered by test_delivery)."""
from __future__ import annotations

import pytest

from accounts.services.audit import Actor
from notifications import template_ids as ids
from notifications.models import NotificationMessage
from templates_app.services import templates as template_services
from tests.workspaces.api_helpers import build, create, echo, new_template, new_version, script  # noqa: F401

pytestmark = pytest.mark.django_db


def sent(template_id) -> set[str]:
    return set(NotificationMessage.objects.filter(template_id=template_id, method="inbox")
               .values_list("user__username", flat=True))


def test_workspace_deleted_by_someone_else_tells_the_owner(echo, owner, member, org, client_for,
                                                           django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    template, _ = new_template(owner, org, capture)
    mine = create(client_for(member), capture, name="mine", template_id=str(template.id)).json()
    theirs = create(client_for(member), capture, name="theirs", template_id=str(template.id)).json()
    assert build(client_for(member), capture, mine["id"], transition="delete").status_code == 201
    assert sent(ids.WORKSPACE_DELETED) == set()  # the owner deleted it themselves
    assert build(client_for(owner), capture, theirs["id"], transition="delete").status_code == 201
    assert sent(ids.WORKSPACE_DELETED) == {"member"}
    message = NotificationMessage.objects.get(template_id=ids.WORKSPACE_DELETED, method="inbox")
    assert message.payload["labels"] == {"name": "theirs", "reason": "initiated by user", "initiator": "owner"}
    assert theirs["id"] in message.targets


def test_manual_build_failure_tells_template_admins(echo, owner, member, org, client_for,
                                                    django_capture_on_commit_callbacks):
    from tests.factories import UserFactory, add_member

    capture = django_capture_on_commit_callbacks
    org_template_admin = UserFactory(username="tadmin")
    add_member(org_template_admin, org, roles=["organization-template-admin"])
    template, _ = new_template(owner, org, capture, data=script(start={"status": "failed", "error": "boom"}))
    assert create(client_for(member), capture, template_id=str(template.id)).status_code == 201
    assert sent(ids.WORKSPACE_MANUAL_BUILD_FAILED) == {"owner", "tadmin"}
    labels = NotificationMessage.objects.filter(
        template_id=ids.WORKSPACE_MANUAL_BUILD_FAILED).first().payload["labels"]
    assert labels["initiator"] == "member" and labels["workspace_owner_username"] == "member"


def test_workspace_manually_updated_by_someone_else(echo, owner, member, org, client_for,
                                                    django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    template, _ = new_template(owner, org, capture)
    workspace = create(client_for(member), capture, template_id=str(template.id)).json()
    v2 = new_version(owner, org, capture, template=template)
    assert build(client_for(member), capture, workspace["id"], transition="stop").status_code == 201
    response = build(client_for(owner), capture, workspace["id"], transition="start", template_version_id=str(v2.id))
    assert response.status_code == 201, response.content
    assert sent(ids.WORKSPACE_MANUALLY_UPDATED) == {"member"}


def test_template_deleted_and_deprecated(echo, owner, member, org, client_for, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    template, _ = new_template(owner, org, capture)
    assert create(client_for(member), capture, template_id=str(template.id)).status_code == 201
    template_services.update_template(template, actor=Actor.for_user(owner), deprecation_message="use v2")
    assert sent(ids.TEMPLATE_DEPRECATED) == {"owner", "member"}
    other, _ = new_template(owner, org, capture, name="other")
    template_services.delete_template(other, actor=Actor.for_user(owner))
    assert sent(ids.TEMPLATE_DELETED) == {"owner"}
