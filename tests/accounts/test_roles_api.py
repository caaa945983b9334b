"""Organization roles: assignable roles, custom role CRUD, validation against the policy, and
custom roles taking effect on the holders' next request."""
from __future__ import annotations

import pytest

from accounts.models import AuditLog, Role
from tests.factories import GroupFactory, UserFactory, add_member

ROLE_KEYS = {"name", "display_name", "organization_id", "site_permissions", "organization_permissions",
             "user_permissions"}


@pytest.fixture
def users(owner, org_admin, member, outsider):
    return {"owner": owner, "org_admin": org_admin, "member": member, "outsider": outsider}


def perm(resource_type, action, negate=False):
    return {"resource_type": resource_type, "action": action, "negate": negate}


def role_body(name="group-reader", **extra):
    return {"name": name, "display_name": "Group Reader", "site_permissions": [],
            "organization_permissions": [perm("group", "read")], "user_permissions": [], **extra}


def roles_url(org):
    return f"/api/v2/organizations/{org.id}/members/roles"


def test_list_assignable_roles(client_for, org, org_admin, member):
    Role.objects.create(organization=org, name="custom", is_org_role=True, organization_permissions=[])
    response = client_for(org_admin).get(roles_url(org))
    assert response.status_code == 200
    rows = {r["name"]: r for r in response.json()}
    assert set(rows["organization-admin"]) == ROLE_KEYS | {"assignable", "built_in"}
    assert rows["organization-admin"]["assignable"] is True and rows["organization-admin"]["built_in"] is True
    assert rows["custom"]["built_in"] is False and rows["custom"]["assignable"] is True
    assert rows["organization-auditor"]["organization_id"] == str(org.id)
    assert "owner" not in rows  # site roles are listed at /users/roles
    as_member = {r["name"]: r["assignable"] for r in client_for(member).get(roles_url(org)).json()}
    assert not any(as_member.values())


def test_roles_of_other_org_are_404(client_for, member, other_org):
    assert client_for(member).get(roles_url(other_org)).status_code == 404


@pytest.mark.parametrize("who, status", [("owner", 200), ("org_admin", 200), ("member", 403), ("outsider", 404)])
def test_create_permissions(client_for, users, org, who, status):
    response = client_for(users[who]).post(roles_url(org), role_body(), format="json")
    assert response.status_code == status, response.content
    if status == 200:
        body = response.json()
        assert set(body) == ROLE_KEYS and body["organization_id"] == str(org.id)
        assert body["organization_permissions"] == [perm("group", "read")]
        assert AuditLog.objects.get(resource_type="custom_role", action="create").resource_target == "group-reader"


@pytest.mark.parametrize("body, field", [
    (role_body(name=""), "name"),
    (role_body(name="Bad Name"), "name"),
    (role_body(name="organization-admin"), "name"),
    (role_body(name="owner"), "name"),
    (role_body(name=42), "name"),
    (role_body(organization_permissions=[perm("spaceship", "read")]),
     "organization_permissions[0].resource_type"),
    (role_body(organization_permissions=[perm("group", "launch")]), "organization_permissions[0].action"),
    (role_body(organization_permissions=[perm("group", "ssh")]), "organization_permissions[0].action"),
    (role_body(organization_permissions=[{"resource_type": "group", "action": "read", "negate": "yes"}]),
     "organization_permissions[0].negate"),
    (role_body(organization_permissions="all"), "organization_permissions"),
    (role_body(organization_permissions=["group:read"]), "organization_permissions[0]"),
    (role_body(site_permissions=[perm("group", "read")]), "site_permissions"),
    (role_body(user_permissions=[perm("workspace", "fly")]), "user_permissions[0].action"),
])
def test_create_bad_input(client_for, owner, org, body, field):
    response = client_for(owner).post(roles_url(org), body, format="json")
    assert response.status_code == 400, response.content
    fields = {v["field"] for v in response.json()["validations"]}
    assert field in fields, fields


def test_create_duplicate_is_409(client_for, owner, org):
    client = client_for(owner)
    assert client.post(roles_url(org), role_body(), format="json").status_code == 200
    assert client.post(roles_url(org), role_body(), format="json").status_code == 409


def test_cannot_grant_what_you_lack(client_for, org):
    org_user_admin = UserFactory(username="oua")
    add_member(org_user_admin, org, roles=["organization-admin"])
    # An org admin may not write a role reaching into other people's workspaces (ssh).
    body = role_body(organization_permissions=[perm("workspace", "ssh")])
    assert client_for(org_user_admin).post(roles_url(org), body, format="json").status_code == 403
    wildcard = role_body(name="everything", organization_permissions=[perm("*", "*")])
    assert client_for(org_user_admin).post(roles_url(org), wildcard, format="json").status_code == 403


def test_update_and_builtin_rules(client_for, owner, org):
    client = client_for(owner)
    assert client.put(roles_url(org), role_body(), format="json").status_code == 404  # no such custom role yet
    client.post(roles_url(org), role_body(), format="json")
    updated = client.put(roles_url(org), role_body(display_name="Readers", organization_permissions=[
        perm("group", "read"), perm("organization_member", "read")]), format="json")
    assert updated.status_code == 200 and updated.json()["display_name"] == "Readers"
    assert len(updated.json()["organization_permissions"]) == 2
    row = AuditLog.objects.get(resource_type="custom_role", action="write")
    assert row.diff["display_name"] == {"old": "Group Reader", "new": "Readers", "secret": False}
    builtin = client.put(roles_url(org), role_body(name="organization-admin"), format="json")
    assert builtin.status_code == 400
    assert client.delete(f"{roles_url(org)}/organization-admin").status_code == 400


@pytest.mark.parametrize("who, status", [("owner", 204), ("org_admin", 204), ("member", 403), ("outsider", 404)])
def test_delete_permissions(client_for, users, org, member, who, status):
    role = Role.objects.create(organization=org, name="temp", is_org_role=True)
    member.memberships.get(organization=org).roles.add(role)
    assert client_for(users[who]).delete(f"{roles_url(org)}/temp").status_code == status
    assert Role.objects.filter(id=role.id).exists() is (status != 204)
    if status == 204:
        assert not member.memberships.get(organization=org).roles.exists()
        assert AuditLog.objects.filter(resource_type="custom_role", action="delete").count() == 1


def test_delete_unknown_is_404(client_for, owner, org):
    assert client_for(owner).delete(f"{roles_url(org)}/nothing-here").status_code == 404


def test_custom_role_assignment_and_next_request_effect(client_for, owner, org_admin, member, org):
    """Assign a custom role, then change it: the holder's very next request sees the change."""
    secret = GroupFactory(organization=org, name="secret")
    admin = client_for(org_admin)
    assert admin.post(roles_url(org), role_body(organization_permissions=[]), format="json").status_code == 200
    assign = admin.put(f"/api/v2/organizations/{org.id}/members/{member.id}/roles", {"roles": ["group-reader"]},
                       format="json")
    assert assign.status_code == 200 and assign.json()["roles"] == [
        {"name": "group-reader", "display_name": "Group Reader", "organization_id": str(org.id)}]
    as_member = client_for(member)
    assert as_member.get(f"/api/v2/groups/{secret.id}").status_code == 404
    admin.put(roles_url(org), role_body(organization_permissions=[perm("group", "read")]), format="json")
    assert as_member.get(f"/api/v2/groups/{secret.id}").status_code == 200
    admin.put(roles_url(org), role_body(organization_permissions=[]), format="json")
    assert as_member.get(f"/api/v2/groups/{secret.id}").status_code == 404


def test_custom_role_of_other_org_cannot_be_assigned(client_for, owner, org, other_org, member):
    Role.objects.create(organization=other_org, name="b-only", is_org_role=True)
    response = client_for(owner).put(f"/api/v2/organizations/{org.id}/members/{member.id}/roles",
                                     {"roles": ["b-only"]}, format="json")
    assert response.status_code == 400
