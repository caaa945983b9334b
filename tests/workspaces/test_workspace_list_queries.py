"""`GET /workspaces` costs a constant number of SQL queries whatever the number of
workspaces on the page, for the deployment owner and for a member (RBAC-filtered), and the
q= filters select the right rows."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import UserFactory, add_member
from tests.templates_app.factories import TemplateFactory, TemplateVersionFactory
from tests.workspaces.seed import running_workspace


@pytest.fixture
def template(org, owner):
    return TemplateFactory(organization=org, created_by=owner, name="dev")


def seed(org, template, member, count: int, start: int = 0):
    """`count` workspaces: every other one the member's, the rest spread over other members."""
    for i in range(start, start + count):
        if i % 2:
            owner = member
        else:
            owner = UserFactory(username=f"user{i}")
            add_member(owner, org)
        running_workspace(owner, template, f"ws{i}")


def queries_for(client, url="/api/v2/workspaces?limit=25") -> tuple[int, dict]:
    client.get(url)  # warm-up: first-request work (token last-used, subject caches)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()


@pytest.mark.parametrize("who", ["owner", "member"])
def test_list_query_count_does_not_grow(client_for, owner, member, org, template, who):
    client = client_for(owner if who == "owner" else member)
    seed(org, template, member, 3)
    small, body_small = queries_for(client)
    seed(org, template, member, 57, start=3)
    large, body_large = queries_for(client)
    expected = 60 if who == "owner" else 30
    assert body_large["count"] == expected and len(body_large["workspaces"]) == 25
    assert len(body_small["workspaces"]) == (3 if who == "owner" else 1)
    assert large == small, (small, large)
    assert large <= 20
    if who == "member":
        assert {w["owner_name"] for w in body_large["workspaces"]} == {"member"}


def test_q_filters(client_for, owner, member, org, template):
    other_template = TemplateFactory(organization=org, created_by=owner, name="other")
    alpha = running_workspace(member, template, "alpha")
    running_workspace(member, other_template, "beta")
    stopped = running_workspace(owner, template, "gamma")
    stopped.latest_build.transition = "stop"
    stopped.latest_build.save()
    running_workspace(owner, template, "delta", job_status="pending")
    client = client_for(owner)

    def names(q):
        response = client.get("/api/v2/workspaces", {"q": q})
        assert response.status_code == 200, response.content
        return sorted(w["name"] for w in response.json()["workspaces"])

    assert names("owner:me") == ["delta", "gamma"]
    assert names("owner:member") == ["alpha", "beta"]
    assert names("template:other") == ["beta"]
    assert names("status:running") == ["alpha", "beta"]
    assert names("status:stopped") == ["gamma"]
    assert names("status:pending") == ["delta"]
    assert names("name:ta") == ["beta", "delta"]
    assert names("ta") == ["beta", "delta"]
    assert names("owner:member name:alp") == ["alpha"]
    assert names("outdated:true") == []
    new_version = TemplateVersionFactory(organization=org, template=template)
    template.active_version = new_version
    template.save()
    assert names("outdated:true") == ["alpha", "delta", "gamma"]
    assert names("outdated:false") == ["beta"]
    assert names("has-agent:connecting") == ["alpha", "beta", "delta", "gamma"]
    from workspaces.models import WorkspaceAgent

    WorkspaceAgent.objects.filter(resource__build=alpha.latest_build).update(
        first_connected_at=timezone.now(), last_connected_at=timezone.now())
    assert names("has-agent:connected") == ["alpha"]
    alpha.deleted = True
    alpha.save()
    assert "alpha" not in names("")
    assert names("deleted:true") == ["alpha"]
    page = client.get("/api/v2/workspaces", {"limit": 2, "offset": 1}).json()
    assert page["count"] == 3 and len(page["workspaces"]) == 2


def test_coder_order_favorites_then_running_then_names(client_for, owner, member, org, template):
    running_workspace(owner, template, "b-running")
    stopped = running_workspace(owner, template, "a-stopped")
    stopped.latest_build.transition = "stop"
    stopped.latest_build.save()
    favorite = running_workspace(owner, template, "z-stopped-favorite")
    favorite.latest_build.transition = "stop"
    favorite.latest_build.save()
    running_workspace(member, template, "c-running")
    client = client_for(owner)
    assert client.put(f"/api/v2/workspaces/{favorite.id}/favorite").status_code == 204
    names = [w["name"] for w in client.get("/api/v2/workspaces").json()["workspaces"]]
    assert names == ["z-stopped-favorite", "c-running", "b-running", "a-stopped"]
    # Someone else's favorite does not float up for the member.
    names = [w["name"] for w in client_for(member).get("/api/v2/workspaces").json()["workspaces"]]
    assert names == ["c-running"]
