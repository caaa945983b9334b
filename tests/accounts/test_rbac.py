"""The RBAC engine: a truth table, and `filter_queryset` agreeing with `can` on every object."""
from __future__ import annotations

import pytest

from accounts import rbac
from accounts.models import APIKey, AuditLog, Group, Organization, OrganizationMember, User
from accounts.services import tokens
from tests.factories import GroupFactory, UserFactory, add_member


@pytest.fixture
def world(org, other_org, owner, org_admin, member, outsider):
    GroupFactory(organization=org, name="devs").auth_group.user_set.add(member)
    GroupFactory(organization=other_org, name="ops").auth_group.user_set.add(outsider)
    for user in (owner, org_admin, member, outsider):
        tokens.issue(user, login_type="password")
    AuditLog.objects.create(resource_type="user", action="create", organization=org)
    AuditLog.objects.create(resource_type="user", action="create", organization=other_org)
    AuditLog.objects.create(resource_type="user", action="create")
    auditor = UserFactory(username="auditor", roles=["auditor"])
    banned = UserFactory(username="banned")
    add_member(banned, org, roles=["organization-workspace-creation-ban"])
    return {"auditor": auditor, "banned": banned}


@pytest.mark.parametrize("actor, action, target, allowed", [
    ("owner", "delete", "other_org", True),
    ("org_admin", "update", "org", True),
    ("org_admin", "read", "other_org", False),
    ("member", "read", "org", True),
    ("member", "update", "org", False),
    ("outsider", "read", "org", False),
])
def test_organization_truth_table(actors, org, other_org, actor, action, target, allowed):
    obj = {"org": org, "other_org": other_org}[target]
    assert rbac.can(actors[actor], action, obj) is allowed


def test_authorize_hides_unreadable_and_forbids_readable(actors, org, other_org):
    with pytest.raises(rbac.NotFound):
        rbac.authorize(actors["member"], "update", other_org)
    with pytest.raises(rbac.Forbidden):
        rbac.authorize(actors["member"], "update", org)


def test_workspace_creation_ban_beats_membership(world, org):
    banned = rbac.subject_for(world["banned"])
    workspace = rbac.RbacObject(type="workspace", org_id=org.id, owner_id=banned.user_id)
    assert rbac.can(banned, "create", workspace) is False
    assert rbac.can(banned, "read", workspace) is True


def test_users_see_only_people_of_their_organizations(actors, member, outsider, owner):
    assert rbac.can(actors["member"], "read", owner) is True
    assert rbac.can(actors["member"], "read", outsider) is False
    assert rbac.can(actors["owner"], "read", outsider) is True


MODELS = [User, Organization, OrganizationMember, Group, APIKey, AuditLog]
ACTIONS = ["read", "update", "delete", "create"]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_filter_queryset_agrees_with_can(world, actors, model):
    subjects = dict(actors)
    subjects["auditor"] = rbac.subject_for(world["auditor"])
    subjects["banned"] = rbac.subject_for(world["banned"])
    objects = list(model.objects.all())
    assert objects, f"no {model.__name__} rows to check"
    for name, subject in subjects.items():
        for action in ACTIONS:
            filtered = set(rbac.filter_queryset(subject, action, model.objects.all()).values_list("pk", flat=True))
            expected = {o.pk for o in objects if rbac.can(subject, action, o)}
            assert filtered == expected, (name, action, model.__name__)
