"""Admin fixtures: a world with rows in both organizations, and logged-in browser clients."""
from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import AuditLog, Role
from accounts.services import tokens
from tests.factories import GroupFactory

# Strings that only rows of organization B (and its member `outsider`) contain.
B_MARKERS = ("org-b", "outsider", "ops-b", "b-custom-role", "b-secret-target", "b-token")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(org, other_org, owner, org_admin, member, outsider):
    GroupFactory(organization=org, name="devs-a").auth_group.user_set.add(member)
    GroupFactory(organization=other_org, name="ops-b").auth_group.user_set.add(outsider)
    a_role = Role.objects.create(name="a-custom-role", organization=org, is_org_role=True)
    b_role = Role.objects.create(name="b-custom-role", organization=other_org, is_org_role=True)
    tokens.issue(member, login_type="token", token_name="a-token")
    b_key, _ = tokens.issue(outsider, login_type="token", token_name="b-token")
    AuditLog.objects.create(resource_type="user", action="create", organization=org, resource_target="a-target")
    b_audit = AuditLog.objects.create(resource_type="user", action="create", organization=other_org,
                                      resource_target="b-secret-target")
    b_group = other_org.groups.get(name="ops-b")
    return {"a_role": a_role, "b_role": b_role, "b_key": b_key, "b_audit": b_audit, "b_group": b_group,
            "b_membership": outsider.memberships.get(), "b_everyone": other_org.groups.get(id=other_org.id)}


@pytest.fixture
def browser_for():
    def make(user):
        client = Client()
        client.force_login(user, backend="accounts.backends.PortalModelBackend")
        return client

    return make
