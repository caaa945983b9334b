"""Workspaces through the API on the echo provisioner: the whole life cycle, JSON shape,
reads by id and by owner/name, invalid input, and who may do what."""
from __future__ import annotations

import pytest

from accounts.models import AuditLog
from tests.workspaces.api_helpers import build, create, echo, new_template, new_version  # noqa: F401
from workspaces.models import Workspace, WorkspaceBuild

# Builds run inline when the request's transaction commits, as a worker would see them:
# these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

WORKSPACE_FIELDS = {
    "id", "created_at", "updated_at", "owner_id", "owner_name", "owner_avatar_url", "organization_id",
    "organization_name", "template_id", "template_name", "template_display_name", "template_icon",
    "template_allow_user_cancel_workspace_jobs", "template_active_version_id", "template_require_active_version",
    "latest_build", "latest_app_status", "outdated", "name", "last_used_at",  # + omitempty autostart/ttl
    "deleting_at", "dormant_at", "health", "automatic_updates", "allow_renames", "favorite", "next_start_at",
}


@pytest.fixture
def template(owner, org, echo, django_capture_on_commit_callbacks):
    return new_template(owner, org, django_capture_on_commit_callbacks)[0]


def test_life_cycle(client_for, owner, member, org, template, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    client = client_for(member)
    response = create(client, capture, template_id=str(template.id),
                      rich_parameter_values=[{"name": "project", "value": "core"}, {"name": "cpu", "value": "4"}])
    assert response.status_code == 201, response.content
    created = response.json()
    assert WORKSPACE_FIELDS <= set(created)
    assert created["owner_name"] == "member" and created["organization_name"] == org.name
    assert created["latest_build"]["build_number"] == 1 and created["latest_build"]["transition"] == "start"
    ws_id = created["id"]

    got = client.get(f"/api/v2/workspaces/{ws_id}").json()
    latest = got["latest_build"]
    assert latest["status"] == "running" and latest["job"]["status"] == "succeeded"
    assert latest["job"]["metadata"]["workspace_name"] == "ws"
    assert latest["daily_cost"] == 3 and got["outdated"] is False
    resource = latest["resources"][0]
    assert {m["key"]: m["value"] for m in resource["metadata"]} == {"image": "ubuntu", "password": ""}
    agent = resource["agents"][0]
    assert agent["status"] == "connecting" and agent["lifecycle_state"] == "created"
    assert agent["environment_variables"] == {"EDITOR": "vim"}
    assert agent["apps"][0]["slug"] == "code" and agent["apps"][0]["subdomain_name"] == "code--main--ws--member"
    assert agent["scripts"][0]["display_name"] == "Startup"
    assert got["health"] == {"healthy": True, "failing_agents": []}
    assert client.get(f"/api/v2/workspaceagents/{agent['id']}").json()["name"] == "main"
    params = client.get(f"/api/v2/workspacebuilds/{latest['id']}/parameters").json()
    assert {p["name"]: p["value"] for p in params} == {"region": "eu", "cpu": "4", "gpu": "false", "disk": "10",
                                                       "project": "core"}

    stop = build(client, capture, ws_id, transition="stop")
    assert stop.status_code == 201, stop.content
    assert client.get(f"/api/v2/workspaces/{ws_id}").json()["latest_build"]["status"] == "stopped"
    assert build(client, capture, ws_id, transition="start").status_code == 201
    assert client.get(f"/api/v2/workspaces/{ws_id}").json()["latest_build"]["status"] == "running"

    # A new active version: the workspace becomes outdated; a start on it updates.
    v2 = new_version(owner, org, capture, template=template)
    template.active_version = v2
    template.save(update_fields=["active_version"])
    assert client.get(f"/api/v2/workspaces/{ws_id}").json()["outdated"] is True
    update = build(client, capture, ws_id, transition="start", template_version_id=str(v2.id))
    assert update.status_code == 201, update.content
    after = client.get(f"/api/v2/workspaces/{ws_id}").json()
    assert after["outdated"] is False and after["latest_build"]["template_version_id"] == str(v2.id)
    assert after["latest_build"]["build_number"] == 4

    history = client.get(f"/api/v2/workspaces/{ws_id}/builds").json()
    assert [b["build_number"] for b in history] == [4, 3, 2, 1]
    assert client.get("/api/v2/users/member/workspace/ws/builds/2").json()["transition"] == "stop"

    delete = build(client, capture, ws_id, transition="delete")
    assert delete.status_code == 201, delete.content
    assert client.get(f"/api/v2/workspaces/{ws_id}").status_code == 410
    deleted = client.get(f"/api/v2/workspaces/{ws_id}?include_deleted=true").json()
    assert deleted["latest_build"]["status"] == "deleted"
    assert client.get("/api/v2/users/me/workspace/ws").status_code == 404
    assert client.get("/api/v2/users/me/workspace/ws?include_deleted=true").status_code == 200
    assert client.get("/api/v2/workspaces").json()["count"] == 0
    assert client.get("/api/v2/workspaces?q=deleted:true").json()["count"] == 1
    actions = set(AuditLog.objects.filter(resource_type__in=["workspace", "workspace_build"])
                  .values_list("action", flat=True))
    assert {"create", "start", "stop", "delete"} <= actions


def test_create_through_organization_member_path(client_for, org_admin, member, org, template,
                                                 django_capture_on_commit_callbacks):
    client = client_for(org_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v2/organizations/{org.name}/members/member/workspaces",
                               {"name": "for-member", "template_id": str(template.id),
                                "rich_parameter_values": [{"name": "project", "value": "x"}]}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["owner_id"] == str(member.id)
    assert client_for(member).get("/api/v2/users/me/workspace/for-member").status_code == 200


def test_invalid_parameters_create_nothing(client_for, member, template, django_capture_on_commit_callbacks):
    client = client_for(member)
    response = create(client, django_capture_on_commit_callbacks, template_id=str(template.id),
                      rich_parameter_values=[{"name": "cpu", "value": "99"}, {"name": "region", "value": "mars"},
                                             {"name": "nope", "value": "1"}])
    assert response.status_code == 400, response.content
    fields = {v["field"] for v in response.json()["validations"]}
    assert fields == {"rich_parameter_values.cpu", "rich_parameter_values.region", "rich_parameter_values.nope",
                      "rich_parameter_values.project"}
    assert not Workspace.objects.exists() and not WorkspaceBuild.objects.exists()


@pytest.mark.parametrize("body, field", [
    ({"name": "bad name!"}, "name"),
    ({"name": "new"}, "name"),
    ({"name": "ok", "ttl_ms": 5}, "ttl_ms"),
    ({"name": "ok", "autostart_schedule": "nonsense"}, "autostart_schedule"),
    ({"name": "ok", "automatic_updates": "sometimes"}, "automatic_updates"),
    ({"name": "ok", "template_id": "not-a-uuid"}, "template_id"),
    ({"name": "ok", "template_id": "00000000-0000-0000-0000-000000000001"}, "template_id"),
    ({"name": "ok", "rich_parameter_values": "x"}, "rich_parameter_values"),
    ({"name": 7, "rich_parameter_values": [{"name": "project"}]}, "rich_parameter_values[0].value"),
])
def test_bad_create_bodies_are_400(client_for, member, template, body, field, django_capture_on_commit_callbacks):
    body = {"template_id": str(template.id), **body}
    response = create(client_for(member), django_capture_on_commit_callbacks, **body)
    assert response.status_code == 400, response.content
    assert field in {v["field"] for v in response.json().get("validations", [])}, response.json()
    assert not Workspace.objects.exists()


def test_bad_query_input_is_never_500(client_for, member, template, django_capture_on_commit_callbacks):
    client = client_for(member)
    create(client, django_capture_on_commit_callbacks, template_id=str(template.id))
    ws = Workspace.objects.get()
    for url in ["/api/v2/workspaces?limit=-1", "/api/v2/workspaces?offset=x", "/api/v2/workspaces?q=color:red",
                "/api/v2/workspaces?q=status:sleepy", "/api/v2/workspaces?q=outdated:maybe",
                "/api/v2/workspaces?q=has-agent:dancing", '/api/v2/workspaces?q="unclosed',
                "/api/v2/workspaces?q=id:zzz", f"/api/v2/workspaces/{ws.id}?include_deleted=perhaps",
                f"/api/v2/workspaces/{ws.id}/builds?since=yesterday",
                f"/api/v2/workspacebuilds/{ws.latest_build_id}/logs?after=-3"]:
        assert client.get(url).status_code == 400, url
    assert client.post("/api/v2/users/me/workspaces", "[]", content_type="application/json").status_code == 400
    assert client.post("/api/v2/users/me/workspaces", "{", content_type="application/json").status_code == 400
    assert client.get("/api/v2/workspaces/not-a-uuid").status_code == 404
    assert client.get("/api/v2/users/nobody/workspace/ws").status_code == 404


def test_duplicate_name_is_409(client_for, member, template, django_capture_on_commit_callbacks):
    client = client_for(member)
    assert create(client, django_capture_on_commit_callbacks, template_id=str(template.id)).status_code == 201
    again = create(client, django_capture_on_commit_callbacks, template_id=str(template.id), name="WS")
    assert again.status_code == 409
    assert Workspace.objects.count() == 1


@pytest.mark.parametrize("actor, own, read, create_status", [
    ("owner", False, 200, 201), ("org_admin", False, 200, 201), ("member", True, 200, 403),
    ("member", False, 404, 403), ("outsider", False, 404, 404),
])
def test_permission_table(client_for, actors, owner, member, org, template, actor, own, read, create_status,
                          django_capture_on_commit_callbacks):
    from accounts.models import User

    capture = django_capture_on_commit_callbacks
    user = User.objects.get(pk=actors[actor].user_id)
    # A workspace of someone else's (the owner's), or the actor's own.
    target_owner = user if own else owner
    response = create(client_for(target_owner), capture, template_id=str(template.id), name="target")
    assert response.status_code == 201, response.content
    ws_id = response.json()["id"]
    client = client_for(user)
    assert client.get(f"/api/v2/workspaces/{ws_id}").status_code == read
    visible = {w["id"] for w in client.get("/api/v2/workspaces").json()["workspaces"]}
    assert (ws_id in visible) is (read == 200)
    if read == 404:
        assert build(client, capture, ws_id, transition="stop").status_code == 404
        assert client.patch(f"/api/v2/workspaces/{ws_id}", {"name": "x"}, format="json").status_code == 404
    else:
        assert build(client, capture, ws_id, transition="stop").status_code == 201
    # Creating for another user (the member, or the owner when the actor is the member).
    other = "owner" if actor == "member" else "member"
    with capture(execute=True):
        made = client.post(f"/api/v2/organizations/{org.name}/members/{other}/workspaces",
                           {"name": "made", "template_id": str(template.id),
                            "rich_parameter_values": [{"name": "project", "value": "x"}]}, format="json")
    assert made.status_code == create_status, made.content


def test_unauthenticated_is_401(api_client, template):
    assert api_client.get("/api/v2/workspaces").status_code == 401
