"""Workspace quota in the admin: the user page lists budget and consumption per organization,
the group page says whether quotas are on and lists its members' quota; the allowance (the
"Everyone" group's too) is edited on the group page by those who may update the group."""
from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Group
from accounts.services.audit import Actor
from tests.workspaces.quota_helpers import echo_cost_template, group_with, set_everyone_allowance
from workspaces.services import workspaces as workspace_services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def echo(settings, monkeypatch):
    monkeypatch.setenv("CODER_ENABLE_ECHO_PROVISIONER", "true")
    settings.CELERY_TASK_ALWAYS_EAGER = True


def change(model, pk):
    return reverse(f"admin:accounts_{model}_change", args=[pk])


def panel(response) -> str:
    html = response.content.decode()
    assert response.status_code == 200, html[:500]
    start = html.index("extension-panel")
    return html[start:html.index("</fieldset>", start)]


def test_user_page_shows_quota_per_organization(world, browser_for, owner, org, member):
    set_everyone_allowance(org, 4)
    group_with(owner, org, "devs", 6, members=[member])
    workspace_services.create_workspace(actor=Actor.for_user(member), organization=org, owner=member, name="dev",
                                        template_id=echo_cost_template(owner, org, 3).pk)
    html = panel(browser_for(owner).get(change("user", member.pk)))
    assert "Workspace quota" in html
    assert "<td>Org-A</td><td>3</td><td>10</td><td>on</td>" in html


def test_user_page_says_unlimited_while_quotas_are_off(world, browser_for, org_admin, member):
    html = panel(browser_for(org_admin).get(change("user", member.pk)))
    assert "<td>0</td><td>unlimited</td><td>off (unlimited)</td>" in html
    assert "org-b" not in html.lower()


def test_group_page_shows_mode_and_members_quota(world, browser_for, owner, org, member):
    devs = Group.objects.get(organization=org, name="devs-a")
    html = panel(browser_for(owner).get(change("group", devs.pk)))
    assert "Quotas are off in Org-A" in html and "unlimited" in html

    set_everyone_allowance(org, 2)
    Group.objects.filter(pk=devs.pk).update(quota_allowance=5)
    html = panel(browser_for(owner).get(change("group", devs.pk)))
    assert "Quotas are on in Org-A" in html
    assert "This group adds 5 to each member" in html, html
    assert "<td>member</td><td>0</td><td>7</td>" in html


def test_everyone_group_page_lists_only_readable_members_of_its_organization(world, browser_for, org, member):
    set_everyone_allowance(org, 1)
    html = panel(browser_for(member).get(change("group", org.pk)))
    assert "<td>member</td><td>0</td><td>1</td>" in html
    assert "outsider" not in html


def test_org_admin_sets_the_everyone_allowance_and_members_cannot(world, browser_for, org_admin, member, org):
    everyone = Group.objects.get(pk=org.pk)
    assert browser_for(member).post(change("group", everyone.pk), {"quota_allowance": 9}).status_code == 403
    everyone.refresh_from_db()
    assert everyone.quota_allowance == 0
    response = browser_for(org_admin).post(change("group", everyone.pk), {"quota_allowance": 9})
    assert response.status_code == 302, response.content.decode()[:2000]
    everyone.refresh_from_db()
    assert everyone.quota_allowance == 9
    html = panel(browser_for(org_admin).get(change("user", member.pk)))
    assert "<td>Org-A</td><td>0</td><td>9</td><td>on</td>" in html
