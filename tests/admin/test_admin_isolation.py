"""Cross-tenant walk of the admin: members and admins of organization A see nothing of B."""
from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests.admin.conftest import B_MARKERS


def changelist_urls():
    return [reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist") for m in admin.site._registry]


def leaked(html: str) -> list[str]:
    text = html.lower()
    return [marker for marker in B_MARKERS if marker in text]


@pytest.mark.parametrize("actor", ["member", "org_admin"])
def test_changelists_show_nothing_of_the_other_organization(world, browser_for, request, actor):
    client = browser_for(request.getfixturevalue(actor))
    assert client.get("/admin/").status_code == 200
    opened = 0
    for url in changelist_urls():
        response = client.get(url)
        assert response.status_code in (200, 403), url
        if response.status_code == 200:
            opened += 1
            assert leaked(response.content.decode()) == [], url
            # Search and filter pages must not widen the rows either.
            searched = client.get(url, {"q": "b"})
            assert searched.status_code == 200 and leaked(searched.content.decode()) == [], url
    assert opened >= 4


def test_owner_sees_the_other_organization(world, browser_for, owner):
    """The markers do render when visible: the walk above can fail."""
    client = browser_for(owner)
    seen = set()
    for url in changelist_urls():
        response = client.get(url)
        assert response.status_code == 200, url
        seen |= set(leaked(response.content.decode()))
    assert seen == set(B_MARKERS)


def test_anonymous_is_sent_to_login():
    client = Client()
    for url in ["/admin/", *changelist_urls()]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url


@pytest.mark.parametrize("actor", ["member", "org_admin"])
def test_objects_of_the_other_organization_are_not_found(world, browser_for, request, actor, other_org, outsider):
    client = browser_for(request.getfixturevalue(actor))
    objects = [other_org, outsider, world["b_group"], world["b_everyone"], world["b_role"], world["b_key"],
               world["b_audit"], world["b_membership"]]
    for obj in objects:
        meta = obj._meta
        for view in ("change", "delete", "history"):
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[obj.pk])
            response = client.get(url)
            assert response.status_code in (403, 404), (url, response.status_code)
            if meta.model_name != "auditlog":  # the audit log is closed to members altogether (403)
                assert response.status_code == 404, url


def test_org_admin_sees_only_their_organizations(world, browser_for, org_admin, org):
    client = browser_for(org_admin)
    response = client.get(reverse("admin:accounts_organization_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert list(response.context["cl"].result_list) == [org]
    groups = client.get(reverse("admin:accounts_group_changelist")).context["cl"].result_list
    assert {g.organization_id for g in groups} == {org.id}
