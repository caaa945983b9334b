"""Fixtures of the templates tests: a template of org A (with an org template-admin), an
imported version waiting to become a template, and a client per actor."""
from __future__ import annotations

import pytest

from tests.factories import UserFactory, add_member
from tests.templates_app.factories import TemplateFactory, TemplateVersionFactory


@pytest.fixture
def template_admin(org):
    user = UserFactory(username="tpl-admin")
    add_member(user, org, roles=["organization-template-admin"])
    return user


@pytest.fixture
def template(org, owner):
    return TemplateFactory(organization=org, name="python", created_by=owner)


@pytest.fixture
def imported_version(org, owner):
    """A version whose import succeeded, not yet part of a template."""
    return TemplateVersionFactory(organization=org, file__created_by=owner)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Factories set passwords for every user; the production hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
