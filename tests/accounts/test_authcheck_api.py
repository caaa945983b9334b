"""`POST /authcheck`: answers agree with the engine; bad checks are 400 with validations."""
from __future__ import annotations

import pytest


def check(resource_type, action, **obj):
    return {"object": {"resource_type": resource_type, **obj}, "action": action}


def ask(client, **checks):
    return client.post("/api/v2/authcheck", {"checks": checks}, format="json")


@pytest.fixture
def users(owner, org_admin, member, outsider):
    return {"owner": owner, "org_admin": org_admin, "member": member, "outsider": outsider}


@pytest.mark.parametrize("who, expected", [
    ("owner", {"create_org": True, "update_org_a": True, "read_org_b": True, "ws_mine": True, "users": True}),
    ("org_admin", {"create_org": False, "update_org_a": True, "read_org_b": False, "ws_mine": True, "users": False}),
    ("member", {"create_org": False, "update_org_a": False, "read_org_b": False, "ws_mine": True, "users": False}),
    ("outsider", {"create_org": False, "update_org_a": False, "read_org_b": True, "ws_mine": False, "users": False}),
])
def test_permission_table(client_for, users, org, other_org, who, expected):
    response = ask(client_for(users[who]),
                   create_org=check("organization", "create"),
                   update_org_a=check("organization", "update", organization_id=str(org.id)),
                   read_org_b=check("organization", "read", organization_id=str(other_org.id)),
                   ws_mine=check("workspace", "create", owner_id="me", organization_id=str(org.id)),
                   users=check("user", "update"))
    assert response.status_code == 200, response.content
    assert response.json() == expected


def test_any_org(client_for, org_admin, member):
    question = {"tmpl": check("template", "create", any_org=True)}
    assert ask(client_for(org_admin), **question).json() == {"tmpl": True}
    assert ask(client_for(member), **question).json() == {"tmpl": False}


def test_owner_id_of_someone_else(client_for, member, org_admin, org):
    response = ask(client_for(member),
                   theirs=check("workspace", "delete", owner_id=str(org_admin.id), organization_id=str(org.id)),
                   mine=check("workspace", "delete", owner_id=str(member.id), organization_id=str(org.id)))
    assert response.json() == {"theirs": False, "mine": True}


@pytest.mark.parametrize("checks, field", [
    ({"a": check("spaceship", "read")}, "checks.a.object.resource_type"),
    ({"a": check("workspace", "fly")}, "checks.a.action"),
    ({"a": check("workspace", "read", owner_id="not-a-uuid")}, "checks.a.object.owner_id"),
    ({"a": check("workspace", "read", organization_id="nope")}, "checks.a.object.organization_id"),
    ({"a": check("workspace", "read", organization_id="00000000-0000-0000-0000-000000000001", any_org=True)},
     "checks.a.object.any_org"),
    ({"a": {"action": "read"}}, "checks.a.object"),
    ({"a": check("workspace", 3)}, "checks.a.action"),
    ("everything", "checks"),
])
def test_bad_checks(client_for, member, checks, field):
    response = client_for(member).post("/api/v2/authcheck", {"checks": checks}, format="json")
    assert response.status_code == 400, response.content
    assert field in {v["field"] for v in response.json()["validations"]}


def test_requires_login(api_client):
    assert api_client.post("/api/v2/authcheck", {"checks": {}}, format="json").status_code == 401
