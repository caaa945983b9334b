"""Lifecycle in the admin: durations in hours/minutes, the schedule preview, the deadline
column and lifecycle filter, and the extend / dormant bulk actions (services + RBAC)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from templates_app.models import Template
from tests.templates_app.factories import TemplateFactory
from tests.workspaces.seed import running_workspace
from workspaces.models import Workspace, WorkspaceBuild

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/workspaces/workspace/"


def browser(user) -> Client:
    client = Client()
    client.force_login(user, backend="accounts.backends.PortalModelBackend")
    return client


@pytest.fixture
def admin_template(org, owner):
    return TemplateFactory(organization=org, created_by=owner, name="dev")


@pytest.fixture
def soon(member, admin_template):
    workspace = running_workspace(member, admin_template, "soon")
    WorkspaceBuild.objects.filter(pk=workspace.latest_build_id).update(
        deadline=timezone.now() + timedelta(minutes=40), max_deadline=timezone.now() + timedelta(hours=10))
    return workspace


@pytest.fixture
def later(owner, admin_template):
    workspace = running_workspace(owner, admin_template, "later")
    WorkspaceBuild.objects.filter(pk=workspace.latest_build_id).update(deadline=timezone.now() + timedelta(hours=5))
    return workspace


def _act(client, action, *workspaces) -> str:
    """Run an admin action; returns the messages shown afterwards."""
    response = client.post(CHANGELIST, {"action": action, "_selected_action": [str(w.pk) for w in workspaces]},
                           follow=True)
    return " | ".join(m.message for m in response.context["messages"])


def test_deadline_column_and_lifecycle_filter(owner, soon, later):
    page = browser(owner).get(CHANGELIST).content.decode()
    assert "stops at" in page.lower()
    within = browser(owner).get(CHANGELIST, {"lifecycle": "stops_within_1h"}).content.decode()
    assert ">soon<" in within and ">later<" not in within
    Workspace.objects.filter(pk=later.pk).update(dormant_at=timezone.now())
    dormant = browser(owner).get(CHANGELIST, {"lifecycle": "dormant"}).content.decode()
    assert ">later<" in dormant and ">soon<" not in dormant


def test_bulk_extend_and_dormancy_go_through_services_and_rbac(owner, member, soon, later):
    before = WorkspaceBuild.objects.get(pk=soon.latest_build_id).deadline
    assert "soon: now stops at" in _act(browser(member), "extend_one_hour", soon)
    assert WorkspaceBuild.objects.get(pk=soon.latest_build_id).deadline == before + timedelta(hours=1)
    # A member's selection never reaches another user's workspace (the changelist is RBAC-filtered).
    _act(browser(member), "mark_dormant", soon, later)
    assert Workspace.objects.get(pk=soon.pk).dormant_at is not None
    assert Workspace.objects.get(pk=later.pk).dormant_at is None
    text = _act(browser(owner), "mark_active", soon, later)
    assert "soon: marked active" in text and "later: was not dormant" in text
    assert Workspace.objects.get(pk=soon.pk).dormant_at is None
    # Extending past the template's max deadline is refused with Coder's text.
    WorkspaceBuild.objects.filter(pk=soon.latest_build_id).update(max_deadline=timezone.now() + timedelta(hours=1))
    assert "Cannot extend workspace beyond max deadline." in _act(browser(owner), "extend_one_hour", soon)


def test_ttl_in_hours_and_minutes_with_a_schedule_preview(owner, member, soon):
    Workspace.objects.filter(pk=soon.pk).update(ttl_ms=30_600_000, autostart_schedule="0 9 * * 1-5")
    url = f"{CHANGELIST}{soon.pk}/change/"
    page = browser(member).get(url).content.decode()
    assert 'value="8h30m"' in page
    assert "Next autostart:" in page and "Running: stops at" in page and "Autostop 8h30m after each start" in page
    form = {"name": "soon", "autostart_schedule": "0 9 * * 1-5", "ttl_ms": "1h30m", "automatic_updates": "never"}
    response = browser(member).post(url, form)
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert Workspace.objects.get(pk=soon.pk).ttl_ms == 5_400_000
    bad = browser(member).post(url, {**form, "ttl_ms": "soonish"})
    assert bad.status_code == 200 and "Use hours and minutes" in bad.content.decode()
    hourly = browser(member).post(url, {**form, "autostart_schedule": "0 * * * *"})
    assert "at most once a day" in hourly.content.decode()


def test_template_durations_in_hours_and_minutes(owner, admin_template):
    Template.objects.filter(pk=admin_template.pk).update(default_ttl_ms=28_800_000)
    url = f"/admin/templates_app/template/{admin_template.pk}/change/"
    page = browser(owner).get(url).content.decode()
    assert 'value="8h"' in page and "Default autostop" in page
