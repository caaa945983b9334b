"""Quota API: `GET .../members/{user}/workspace-quota` and the deprecated `GET /workspace-quota/{user}`
(who may read whose quota, 404 for what is not readable), and the up-front 409 of a create or
start whose known cost exceeds the budget (beyond Coder)."""
from __future__ import annotations

import pytest

from accounts.services.audit import Actor
from tests.workspaces.quota_helpers import echo_cost_template, group_with, set_everyone_allowance
from workspaces.models import Workspace, WorkspaceBuild
from workspaces.services import workspaces as workspace_services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def echo(settings, monkeypatch):
    monkeypatch.setenv("CODER_ENABLE_ECHO_PROVISIONER", "true")
    settings.CELERY_TASK_ALWAYS_EAGER = True


def quota_url(org, user) -> str:
    return f"/api/v2/organizations/{org}/members/{user}/workspace-quota"


def test_member_reads_own_quota_in_both_forms(client_for, owner, org, member):
    set_everyone_allowance(org, 4)
    group_with(owner, org, "devs", 6, members=[member])
    workspace_services.create_workspace(actor=Actor.for_user(member), organization=org, owner=member, name="dev",
                                        template_id=echo_cost_template(owner, org, 3).pk)
    client = client_for(member)
    expected = {"credits_consumed": 3, "budget": 10}
    for url in (quota_url(org.id, "me"), quota_url(org.name, member.username), quota_url("default", member.id),
                "/api/v2/workspace-quota/me", f"/api/v2/workspace-quota/{member.username}/"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.content)
        assert response.json() == expected, url


def test_budget_is_minus_one_while_quotas_are_off(client_for, org, member):
    assert client_for(member).get(quota_url(org.id, "me")).json() == {"credits_consumed": 0, "budget": -1}


@pytest.mark.parametrize("reader, target, status", [
    ("owner", "member", 200),
    ("org_admin", "member", 200),
    ("member", "member", 200),
    ("member", "org_admin", 200),       # Coder: reading a quota is reading the user
    ("outsider", "member", 404),        # organization A is not readable
    ("outsider", "outsider", 404),      # nor with their own name in it
    ("owner", "outsider", 404),         # readable, but not a member of organization A
    ("member", "nobody", 404),
])
def test_who_reads_whose_quota(client_for, owner, org_admin, member, outsider, org, reader, target, status):
    users = {"owner": owner, "org_admin": org_admin, "member": member, "outsider": outsider}
    name = users[target].username if target in users else "nobody"
    response = client_for(users[reader]).get(quota_url(org.id, name))
    assert response.status_code == status, response.content
    if status == 404:
        assert set(response.json()) == {"message"}
        assert "budget" not in response.content.decode()


def test_deprecated_route_uses_the_default_organization(client_for, org, other_org, outsider):
    # The outsider is not in the default organization: nothing to show.
    assert client_for(outsider).get("/api/v2/workspace-quota/me").status_code == 404
    assert client_for(outsider).get(quota_url(other_org.id, "me")).json() == {"credits_consumed": 0, "budget": -1}


def test_anonymous_is_401(api_client, org):
    assert api_client.get(quota_url(org.id, "me")).status_code == 401
    assert api_client.get("/api/v2/workspace-quota/me").status_code == 401


# -- up-front refusal ---------------------------------------------------------------------------
def test_create_over_known_budget_is_409_at_once(client_for, owner, org, member):
    set_everyone_allowance(org, 2)
    template = echo_cost_template(owner, org, 3)
    response = client_for(member).post(f"/api/v2/organizations/{org.id}/members/me/workspaces",
                                       {"name": "dev", "template_id": str(template.id)}, format="json")
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["message"] == "Insufficient quota."
    assert body["detail"] == "This build would exceed your quota: it costs 3 a day, 0 of your budget of 2 is in use."
    assert not Workspace.objects.filter(owner=member).exists()


def test_start_over_known_budget_is_409_but_stop_is_not(client_for, owner, org, member):
    set_everyone_allowance(org, 5)
    template = echo_cost_template(owner, org, 3, stop_cost=1)
    client = client_for(member)
    created = [client.post(f"/api/v2/organizations/{org.id}/members/me/workspaces",
                           {"name": name, "template_id": str(template.id)}, format="json") for name in ("a", "b")]
    assert [r.status_code for r in created] == [201, 409]
    workspace_id = created[0].json()["id"]
    builds_url = f"/api/v2/workspaces/{workspace_id}/builds"
    assert client.post(builds_url, {"transition": "stop"}, format="json").status_code == 201
    # Stopped, it keeps 1; another workspace of cost 3 now fits (1 + 3 <= 5) ...
    other = client.post(f"/api/v2/organizations/{org.id}/members/me/workspaces",
                        {"name": "c", "template_id": str(template.id)}, format="json")
    assert other.status_code == 201
    # ... and the first one cannot start again (3 + 3 > 5), refused before any build is queued.
    builds = WorkspaceBuild.objects.filter(workspace_id=workspace_id).count()
    response = client.post(builds_url, {"transition": "start"}, format="json")
    assert response.status_code == 409 and response.json()["message"] == "Insufficient quota."
    assert WorkspaceBuild.objects.filter(workspace_id=workspace_id).count() == builds
    assert client.get(quota_url(org.id, "me")).json() == {"credits_consumed": 4, "budget": 5}
