"""Groups API and the groups service (membership changes, IdP sync)."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import Group as AuthGroup
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditLog, Group
from accounts.services import groups as group_services
from accounts.services.audit import Actor
from accounts.services.errors import ValidationFailed
from tests.factories import GroupFactory, UserFactory, add_member

GROUP_KEYS = {"id", "name", "display_name", "avatar_url", "organization_id", "organization_name",
              "organization_display_name", "members", "total_member_count", "quota_allowance", "source"}
REDUCED_USER_KEYS = {"id", "username", "name", "email", "avatar_url", "created_at", "updated_at", "last_seen_at",
                     "status", "login_type", "theme_preference"}


@pytest.fixture
def users(owner, org_admin, member, outsider):
    return {"owner": owner, "org_admin": org_admin, "member": member, "outsider": outsider}


@pytest.fixture
def devs(org, member):
    group = GroupFactory(organization=org, name="devs", display_name="Developers")
    group.auth_group.user_set.add(member)
    return group


@pytest.fixture
def ops(other_org, outsider):
    group = GroupFactory(organization=other_org, name="ops")
    group.auth_group.user_set.add(outsider)
    return group


# --- create ----------------------------------------------------------------------------------

@pytest.mark.parametrize("who, status", [("owner", 201), ("org_admin", 201), ("member", 403), ("outsider", 404)])
def test_create_permissions(client_for, users, org, who, status):
    response = client_for(users[who]).post(f"/api/v2/organizations/{org.id}/groups", {"name": "qa"}, format="json")
    assert response.status_code == status, response.content


def test_create_shape_and_audit(client_for, org_admin, org):
    response = client_for(org_admin).post(f"/api/v2/organizations/{org.name}/groups",
                                          {"name": "qa", "display_name": "QA", "avatar_url": "/qa.png",
                                           "quota_allowance": 5}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == GROUP_KEYS
    assert body["organization_name"] == "org-a" and body["source"] == "user" and body["members"] == []
    assert body["quota_allowance"] == 5 and body["total_member_count"] == 0
    assert AuditLog.objects.get(resource_type="group", action="create").resource_target == "qa"


@pytest.mark.parametrize("body, field", [
    ({}, "name"), ({"name": ""}, "name"), ({"name": "bad name"}, "name"), ({"name": "Everyone"}, "name"),
    ({"name": 7}, "name"), ({"name": "ok", "quota_allowance": "lots"}, "quota_allowance"),
    ({"name": "ok", "quota_allowance": -1}, "quota_allowance"), ({"name": "ok", "display_name": "x" * 65},
                                                                "display_name"),
])
def test_create_bad_input(client_for, org_admin, org, body, field):
    response = client_for(org_admin).post(f"/api/v2/organizations/{org.id}/groups", body, format="json")
    assert response.status_code == 400, response.content
    assert field in {v["field"] for v in response.json()["validations"]}


def test_create_duplicate_is_409(client_for, org_admin, org, devs):
    response = client_for(org_admin).post(f"/api/v2/organizations/{org.id}/groups", {"name": "DEVS"}, format="json")
    assert response.status_code == 409


# --- read ------------------------------------------------------------------------------------

def test_everyone_group_lists_all_org_members(client_for, org, owner, org_admin, member):
    response = client_for(member).get(f"/api/v2/groups/{org.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Everyone" and body["total_member_count"] == 3
    assert {m["username"] for m in body["members"]} == {"owner", "org-admin", "member"}
    assert set(body["members"][0]) == REDUCED_USER_KEYS


def test_org_group_by_name(client_for, org, member, devs):
    response = client_for(member).get(f"/api/v2/organizations/{org.id}/groups/devs")
    assert response.status_code == 200 and response.json()["id"] == str(devs.id)
    assert [m["username"] for m in response.json()["members"]] == ["member"]
    assert client_for(member).get(f"/api/v2/organizations/{org.id}/groups/nope").status_code == 404


def test_lists_are_rbac_filtered(client_for, users, org, other_org, devs, ops):
    def names(who, url):
        response = client_for(users[who]).get(url)
        assert response.status_code == 200
        return {g["name"] for g in response.json()}

    assert names("owner", "/api/v2/groups") == {"Everyone", "devs", "ops"} and \
        len(client_for(users["owner"]).get("/api/v2/groups").json()) == 4
    assert names("org_admin", "/api/v2/groups") == {"Everyone", "devs"}
    assert names("outsider", "/api/v2/groups") == {"Everyone", "ops"}
    assert names("org_admin", f"/api/v2/organizations/{org.id}/groups") == {"Everyone", "devs"}
    assert names("owner", f"/api/v2/groups?organization={other_org.name}") == {"Everyone", "ops"}
    assert names("owner", "/api/v2/groups?has_member=member") == {"Everyone", "devs"}
    assert client_for(users["member"]).get(f"/api/v2/organizations/{other_org.id}/groups").status_code == 404


@pytest.mark.parametrize("who, status", [("owner", 200), ("org_admin", 200), ("member", 404), ("outsider", 404)])
def test_read_group_not_in(client_for, users, org, who, status):
    qa = GroupFactory(organization=org, name="qa")
    assert client_for(users[who]).get(f"/api/v2/groups/{qa.id}").status_code == status


def test_bad_group_id_is_404(client_for, owner):
    assert client_for(owner).get("/api/v2/groups/not-a-uuid").status_code == 404


def _list_queries(client, org) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/api/v2/organizations/{org.id}/groups").status_code == 200
    return len(ctx.captured_queries)


def test_group_list_query_count_is_constant(client_for, org, org_admin):
    client = client_for(org_admin)
    for i in range(2):
        group = GroupFactory(organization=org)
        user = UserFactory()
        add_member(user, org)
        group.auth_group.user_set.add(user)
    _list_queries(client, org)  # the first request also records token use
    small = _list_queries(client, org)
    for i in range(12):
        group = GroupFactory(organization=org)
        for j in range(2):
            user = UserFactory()
            add_member(user, org)
            group.auth_group.user_set.add(user)
    assert _list_queries(client, org) == small


# --- update / delete ---------------------------------------------------------------------------

@pytest.mark.parametrize("who, status", [("owner", 200), ("org_admin", 200), ("member", 403), ("outsider", 404)])
def test_patch_permissions(client_for, users, devs, who, status):
    response = client_for(users[who]).patch(f"/api/v2/groups/{devs.id}", {"display_name": "D"}, format="json")
    assert response.status_code == status


def test_patch_members_and_fields(client_for, org, org_admin, member, devs):
    newbie = UserFactory(username="newbie")
    add_member(newbie, org)
    response = client_for(org_admin).patch(f"/api/v2/groups/{devs.id}", {
        "name": "developers", "quota_allowance": 3, "add_users": [str(newbie.id)], "remove_users": [str(member.id)],
    }, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "developers" and body["quota_allowance"] == 3
    assert [m["username"] for m in body["members"]] == ["newbie"]
    row = AuditLog.objects.get(resource_type="group", action="write")
    assert row.diff["members"]["new"] == [str(newbie.id)] and row.diff["name"]["new"] == "developers"


def test_patch_rejects_non_members(client_for, org_admin, outsider, devs):
    client = client_for(org_admin)
    for body in ({"add_users": [str(outsider.id)]}, {"add_users": ["not-a-uuid"]}, {"add_users": "x"},
                 {"remove_users": [str(outsider.id)]}):
        response = client.patch(f"/api/v2/groups/{devs.id}", body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert response.json()["validations"][0]["field"].split("[")[0] in ("add_users", "remove_users")
    assert not devs.auth_group.user_set.filter(pk=outsider.pk).exists()


def test_everyone_group_is_fixed(client_for, org, org_admin, member):
    client = client_for(org_admin)
    url = f"/api/v2/groups/{org.id}"
    assert client.patch(url, {"name": "All"}, format="json").status_code == 400
    assert client.patch(url, {"add_users": [str(member.id)]}, format="json").status_code == 400
    assert client.patch(url, {"remove_users": [str(member.id)]}, format="json").status_code == 400
    assert client.delete(url).status_code == 400
    assert client.patch(url, {"quota_allowance": 2}, format="json").status_code == 200


@pytest.mark.parametrize("who, status", [("owner", 200), ("org_admin", 200), ("member", 403), ("outsider", 404)])
def test_delete_permissions(client_for, users, devs, who, status):
    auth_id = devs.auth_group_id
    assert client_for(users[who]).delete(f"/api/v2/groups/{devs.id}").status_code == status
    assert Group.objects.filter(id=devs.id).exists() is (status != 200)
    assert AuthGroup.objects.filter(id=auth_id).exists() is (status != 200)
    assert AuditLog.objects.filter(resource_type="group", action="delete").count() == (status == 200)


# --- service: membership helpers and IdP sync --------------------------------------------------

def test_service_membership_helpers(org, org_admin, member, devs):
    actor = Actor.for_user(org_admin)
    other = UserFactory()
    add_member(other, org)
    group_services.add_users(devs, [other], actor=actor)
    assert set(group_services.group_users(devs)) == {member, other}
    group_services.remove_users(devs, [member], actor=actor)
    assert list(group_services.group_users(devs)) == [other]
    group_services.set_group_members(devs, [member], actor=actor)
    assert list(group_services.group_users(devs)) == [member]
    with pytest.raises(ValidationFailed):
        group_services.add_users(devs, [UserFactory()], actor=actor)  # not an org member


def test_sync_adds_creates_and_removes_only_oidc_groups(org, member, devs):
    manual = GroupFactory(organization=org, name="manual")  # a "user" group joined by hand
    manual.auth_group.user_set.add(member)
    result = group_services.sync_user_groups(member, org, ["devs", "idp-team", "Everyone"])
    assert result == {"added": ["idp-team"], "removed": [], "created": ["idp-team"]}
    idp_team = Group.objects.get(organization=org, name="idp-team")
    assert idp_team.source == "oidc"
    # Next login: the IdP no longer names idp-team, devs or manual.
    result = group_services.sync_user_groups(member, org, [])
    assert result["removed"] == ["idp-team"]
    assert set(Group.objects.filter(auth_group__user=member).values_list("name", flat=True)) == {"devs", "manual"}
    assert AuditLog.objects.filter(resource_type="group", action="write").count() == 2


def test_sync_without_create_missing_ignores_unknown(org, member):
    result = group_services.sync_user_groups(member, org, ["ghost"], create_missing=False)
    assert result == {"added": [], "removed": [], "created": []}
    assert not Group.objects.filter(name="ghost").exists()


def test_sync_requires_membership(org, outsider):
    with pytest.raises(ValidationFailed):
        group_services.sync_user_groups(outsider, org, ["devs"])
