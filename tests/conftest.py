"""Shared fixtures: actors (owner, org_admin, member, outsider) and API clients.

Two organizations: `org` (A) holds the actors; `other_org` (B) holds `outsider`. Tests
that check tenant isolation act as A's members and expect nothing of B.
"""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services.tokens import issue_token_for_tests
from tests.factories import OrganizationFactory, UserFactory, add_member


@pytest.fixture(autouse=True)
def _isolated_data_dir(settings, tmp_path):
    # PBKDF2's production work factor costs ~0.5 s per hash: far too slow for hundreds of tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": str(tmp_path)}}


@pytest.fixture
def org(db):
    return OrganizationFactory(name="org-a", is_default=True)


@pytest.fixture
def other_org(db):
    return OrganizationFactory(name="org-b")


@pytest.fixture
def owner(org):
    user = UserFactory(username="owner", roles=["owner"])
    add_member(user, org)
    return user


@pytest.fixture
def org_admin(org):
    user = UserFactory(username="org-admin")
    add_member(user, org, roles=["organization-admin"])
    return user


@pytest.fixture
def member(org):
    user = UserFactory(username="member")
    add_member(user, org)
    return user


@pytest.fixture
def outsider(other_org):
    user = UserFactory(username="outsider")
    add_member(user, other_org)
    return user


@pytest.fixture
def actors(owner, org_admin, member, outsider):
    from accounts import rbac

    return {name: rbac.subject_for(user) for name, user in
            {"owner": owner, "org_admin": org_admin, "member": member, "outsider": outsider}.items()}


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def client_for():
    """`client_for(user)` -> an APIClient authenticated with a fresh API token of `user`."""

    def make(user):
        client = APIClient()
        client.credentials(HTTP_CODER_SESSION_TOKEN=issue_token_for_tests(user))
        return client

    return make
