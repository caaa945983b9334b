"""Template ACLs: GET/PATCH /templates/{id}/acl, /acl/available; grants take effect at once."""
from __future__ import annotations

import uuid

import pytest

from accounts.models import AuditLog
from tests.factories import GroupFactory, UserFactory, add_member
from tests.templates_app.factories import TemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_template(org, owner):
    return TemplateFactory(organization=org, name="private", created_by=owner, everyone=False)


@pytest.fixture
def devs(org, member):
    group = GroupFactory(organization=org, name="devs")
    group.auth_group.user_set.add(member)
    return group


def acl_url(template) -> str:
    return f"/api/v2/templates/{template.id}/acl"


def fields_of(response) -> dict:
    return {v["field"]: v["detail"] for v in response.json().get("validations", [])}


def test_acl_shape_lists_everyone_group(client_for, owner, org, member, template):
    body = client_for(owner).get(acl_url(template)).json()
    assert body["users"] == []
    [everyone] = body["group"]
    assert everyone["id"] == str(org.id) and everyone["name"] == "Everyone" and everyone["role"] == "use"
    assert {m["username"] for m in everyone["members"]} >= {"owner", "member"}
    assert everyone["total_member_count"] == len(everyone["members"])


def test_user_grant_takes_effect_and_is_listed(client_for, owner, member, private_template):
    as_member = client_for(member)
    assert as_member.get(f"/api/v2/templates/{private_template.id}").status_code == 404
    response = client_for(owner).patch(acl_url(private_template), {"user_perms": {str(member.id): "use"}},
                                       format="json")
    assert response.status_code == 200, response.json()
    assert as_member.get(f"/api/v2/templates/{private_template.id}").status_code == 200
    # "use" does not allow changes
    assert as_member.patch(f"/api/v2/templates/{private_template.id}", {"description": "x"},
                           format="json").status_code == 403
    [entry] = client_for(owner).get(acl_url(private_template)).json()["users"]
    assert entry["id"] == str(member.id) and entry["role"] == "use" and "roles" in entry
    assert AuditLog.objects.filter(resource_type="template", resource_id=str(private_template.id),
                                   action="write").exists()


def test_admin_role_allows_update_and_acl_changes(client_for, owner, org, member, private_template):
    other = UserFactory(username="other")
    add_member(other, org)
    client_for(owner).patch(acl_url(private_template), {"user_perms": {str(member.id): "admin"}}, format="json")
    as_member = client_for(member)
    assert as_member.patch(f"/api/v2/templates/{private_template.id}", {"description": "x"},
                           format="json").status_code == 200
    assert as_member.patch(acl_url(private_template), {"user_perms": {str(other.id): "use"}},
                           format="json").status_code == 200
    assert client_for(other).get(f"/api/v2/templates/{private_template.id}").status_code == 200
    assert as_member.get(f"{acl_url(private_template)}/available").status_code == 200


def test_empty_role_removes_entry(client_for, owner, member, private_template):
    client = client_for(owner)
    client.patch(acl_url(private_template), {"user_perms": {str(member.id): "admin"}}, format="json")
    client.patch(acl_url(private_template), {"user_perms": {str(member.id): ""}}, format="json")
    assert client.get(acl_url(private_template)).json()["users"] == []
    assert client_for(member).get(f"/api/v2/templates/{private_template.id}").status_code == 404


def test_role_change_replaces_previous_role(client_for, owner, member, private_template):
    client = client_for(owner)
    client.patch(acl_url(private_template), {"user_perms": {str(member.id): "admin"}}, format="json")
    client.patch(acl_url(private_template), {"user_perms": {str(member.id): "use"}}, format="json")
    [entry] = client.get(acl_url(private_template)).json()["users"]
    assert entry["role"] == "use"
    assert client_for(member).patch(f"/api/v2/templates/{private_template.id}", {"description": "x"},
                                    format="json").status_code == 403


def test_group_grant_takes_effect(client_for, owner, member, devs, private_template):
    assert client_for(owner).patch(acl_url(private_template), {"group_perms": {str(devs.id): "use"}},
                                   format="json").status_code == 200
    assert client_for(member).get(f"/api/v2/templates/{private_template.id}").status_code == 200
    groups = client_for(owner).get(acl_url(private_template)).json()["group"]
    assert [(g["name"], g["role"], [m["username"] for m in g["members"]]) for g in groups] == \
        [("devs", "use", ["member"])]
    devs.auth_group.user_set.remove(member)
    assert client_for(member).get(f"/api/v2/templates/{private_template.id}").status_code == 404


def test_removing_everyone_group_hides_template(client_for, owner, member, org, template):
    client_for(owner).patch(acl_url(template), {"group_perms": {str(org.id): ""}}, format="json")
    assert client_for(member).get(f"/api/v2/templates/{template.id}").status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"user_perms": {"not-a-uuid": "use"}}, "user_perms"),
    ({"user_perms": {"{member}": "owner"}}, "user_perms"),
    ({"user_perms": {"{outsider}": "use"}}, "user_perms"),
    ({"user_perms": {str(uuid.UUID(int=7)): "use"}}, "user_perms"),
    ({"group_perms": {"{ops}": "use"}}, "group_perms"),
    ({"group_perms": {str(uuid.UUID(int=9)): "admin"}}, "group_perms"),
    ({"group_perms": {"x": "use"}}, "group_perms"),
    ({"user_perms": {"{member}": 1}}, "user_perms.{member}"),
    ({"user_perms": ["nope"]}, "user_perms"),
])
def test_bad_acl_input_is_400(client_for, owner, member, outsider, other_org, private_template, body, field):
    ops = GroupFactory(organization=other_org, name="ops")
    ids = {"member": str(member.id), "outsider": str(outsider.id), "ops": str(ops.id)}

    def fill(value):
        if isinstance(value, dict):
            return {k.format(**ids): v for k, v in value.items()}
        return value

    payload = {key: fill(value) for key, value in body.items()}
    response = client_for(owner).patch(acl_url(private_template), payload, format="json")
    assert response.status_code == 400, response.json()
    assert field.format(**ids) in fields_of(response), response.json()
    # nothing was applied
    assert client_for(owner).get(acl_url(private_template)).json() == {"users": [], "group": []}


@pytest.mark.parametrize("actor, get_status, patch_status", [
    ("owner", 200, 200), ("org_admin", 200, 200), ("template_admin", 200, 200),
    ("member", 200, 403), ("outsider", 404, 404)])
def test_acl_permissions(request, client_for, member, template, actor, get_status, patch_status):
    client = client_for(request.getfixturevalue(actor))
    assert client.get(acl_url(template)).status_code == get_status
    response = client.patch(acl_url(template), {"user_perms": {str(member.id): "use"}}, format="json")
    assert response.status_code == patch_status


def test_acl_available_lists_org_members_and_groups(client_for, owner, member, outsider, devs, template):
    response = client_for(owner).get(f"{acl_url(template)}/available")
    assert response.status_code == 200
    body = response.json()
    usernames = {u["username"] for u in body["users"]}
    assert {"owner", "member"} <= usernames and "outsider" not in usernames
    assert {g["name"] for g in body["groups"]} == {"Everyone", "devs"}
    assert client_for(member).get(f"{acl_url(template)}/available").status_code == 403
