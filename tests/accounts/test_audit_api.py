"""GET /api/v2/audit: Coder's JSON, RBAC-filtered visibility, search terms, constant queries."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditLog
from accounts.services import audit
from tests.factories import UserFactory, add_member

ENTRY_KEYS = {"id", "request_id", "time", "ip", "user_agent", "resource_type", "resource_id", "resource_target",
              "resource_icon", "action", "diff", "status_code", "additional_fields", "description",
              "resource_link", "is_deleted", "organization_id", "organization", "user"}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def entries(org, other_org, owner, member, outsider):
    a = AuditLog.objects.create(user=member, organization=org, resource_type="user", action="write",
                                resource_id=str(member.pk), resource_target=member.username, ip="10.0.0.1",
                                diff=audit.diff({"password": "x", "name": "a"}, {"password": "y", "name": "b"}))
    b = AuditLog.objects.create(user=outsider, organization=other_org, resource_type="group", action="create",
                                resource_target="ops-b")
    site = AuditLog.objects.create(user=None, resource_type="organization", action="create",
                                   resource_target="org-c", status_code=201)
    build = AuditLog.objects.create(user=owner, organization=org, resource_type="workspace_build", action="start",
                                    resource_target="ws", additional_fields={"build_reason": "autostart"})
    return {"a": a, "b": b, "site": site, "build": build}


def ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {e["id"] for e in response.json()["audit_logs"]}


def test_owner_reads_everything_in_coder_shape(entries, client_for, owner, member, org):
    response = client_for(owner).get("/api/v2/audit", {"limit": 10})
    body = response.json()
    assert set(body) == {"audit_logs", "count", "count_cap"}
    assert body["count"] == 4 and ids(response) == {str(e.pk) for e in entries.values()}
    by_target = {e["resource_target"]: e for e in body["audit_logs"]}
    entry = by_target[member.username]
    assert set(entry) == ENTRY_KEYS
    assert entry["organization"] == {"id": str(org.id), "name": org.name, "display_name": org.display_name,
                                     "icon": org.icon}
    assert entry["organization_id"] == str(org.id)
    assert entry["user"]["username"] == member.username and entry["user"]["organization_ids"] == []
    assert entry["ip"] == "10.0.0.1"
    assert entry["diff"]["password"] == {"old": "", "new": "", "secret": True}
    assert entry["diff"]["name"] == {"old": "a", "new": "b", "secret": False}
    assert entry["description"] == "{user} updated user {target}"
    assert entry["is_deleted"] is False and entry["resource_link"].endswith(f"/user/{member.pk}/change/")
    site = by_target["org-c"]
    assert site["user"] is None and "organization" not in site  # Go: omitempty
    assert site["organization_id"] == "00000000-0000-0000-0000-000000000000"
    assert site["is_deleted"] is True  # no such organization


def test_auditor_reads_everything(entries, client_for):
    auditor = UserFactory(username="auditor", roles=["auditor"])
    assert len(ids(client_for(auditor).get("/api/v2/audit"))) == 4


def test_organization_auditor_reads_only_their_organization(entries, client_for, org):
    org_auditor = UserFactory(username="org-auditor")
    add_member(org_auditor, org, roles=["organization-auditor"])
    assert ids(client_for(org_auditor).get("/api/v2/audit")) == {str(entries["a"].pk), str(entries["build"].pk)}


@pytest.mark.parametrize("actor", ["member", "org_admin", "outsider"])
def test_others_get_an_empty_list(entries, client_for, request, actor):
    response = client_for(request.getfixturevalue(actor)).get("/api/v2/audit")
    if actor == "org_admin":  # organization admins hold audit_log read in their organization
        assert ids(response) == {str(entries["a"].pk), str(entries["build"].pk)}
    else:
        assert response.json() == {"audit_logs": [], "count": 0, "count_cap": 0}


def test_anonymous_is_401(entries, api_client):
    assert api_client.get("/api/v2/audit").status_code == 401


@pytest.mark.parametrize("q, expected", [
    ("group", {"b"}),
    ("resource_type:user", {"a"}),
    ("action:start", {"build"}),
    ("action:create resource_type:organization", {"site"}),
    ("username:member", {"a"}),
    ("username:me", {"build"}),
    ("email:OUTSIDER@example.com", {"b"}),
    ("resource_target:ops-b", {"b"}),
    ("build_reason:autostart", {"build"}),
    ("organization:org-b", {"b"}),
])
def test_search_terms(entries, client_for, owner, q, expected):
    assert ids(client_for(owner).get("/api/v2/audit", {"q": q})) == {str(entries[k].pk) for k in expected}


def test_date_range_is_inclusive(entries, client_for, owner):
    old = entries["b"]
    AuditLog.objects.filter(pk=old.pk).update(time=timezone.now() - timedelta(days=10))
    today = timezone.now().date().isoformat()
    client = client_for(owner)
    assert str(old.pk) not in ids(client.get("/api/v2/audit", {"q": f"date_from:{today}"}))
    past = (timezone.now() - timedelta(days=10)).date().isoformat()
    assert ids(client.get("/api/v2/audit", {"q": f"date_from:{past} date_to:{past}"})) == {str(old.pk)}
    assert len(ids(client.get("/api/v2/audit", {"q": f"date_to:{today}"}))) == 4


@pytest.mark.parametrize("params", [{"q": "date_from:yesterday"}, {"q": "colour:red"}, {"limit": "-1"},
                                    {"offset": "x"}])
def test_bad_queries_are_400(entries, client_for, owner, params):
    response = client_for(owner).get("/api/v2/audit", params)
    assert response.status_code == 400
    assert response.json()["validations"]


def test_pagination(entries, client_for, owner):
    client = client_for(owner)
    first = client.get("/api/v2/audit", {"limit": 3}).json()
    second = client.get("/api/v2/audit", {"limit": 3, "offset": 3}).json()
    assert first["count"] == second["count"] == 4
    assert len(first["audit_logs"]) == 3 and len(second["audit_logs"]) == 1
    assert not {e["id"] for e in first["audit_logs"]} & {e["id"] for e in second["audit_logs"]}
    times = [e["time"] for e in first["audit_logs"] + second["audit_logs"]]
    assert times == sorted(times, reverse=True)


def test_deleted_user_is_marked(entries, client_for, owner, member):
    member.deleted = True
    member.save(update_fields=["deleted"])
    entry = next(e for e in client_for(owner).get("/api/v2/audit", {"q": "resource_type:user"}).json()["audit_logs"])
    assert entry["is_deleted"] is True and entry["resource_link"] == ""


def test_query_count_does_not_grow_with_the_page(entries, client_for, owner, org):
    client = client_for(owner)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v2/audit", {"limit": 100}).status_code == 200
        return len(captured)

    queries()  # warm-up: the first use of a token records last_used
    small = queries()
    for n in range(30):
        user = UserFactory(username=f"u{n}", roles=["auditor"])
        AuditLog.objects.create(user=user, organization=org, resource_type="user", action="write",
                                resource_id=str(user.pk), resource_target=user.username)
    assert queries() == small
