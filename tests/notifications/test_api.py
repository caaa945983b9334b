"""Coder's notification routes: who may do what, bad input, inbox filters and cursor."""
from __future__ import annotations

import pytest

from notifications import template_ids as ids
from notifications.models import InboxNotification, NotificationMessage, NotificationTemplate
from notifications.services import dispatcher, enqueue

pytestmark = pytest.mark.django_db


def test_settings_pause_is_for_deployment_admins(owner, member, client_for):
    assert client_for(owner).get("/api/v2/notifications/settings").json() == {"notifier_paused": False}
    response = client_for(owner).put("/api/v2/notifications/settings", {"notifier_paused": True}, format="json")
    assert response.status_code == 200 and response.json() == {"notifier_paused": True}
    again = client_for(owner).put("/api/v2/notifications/settings", {"notifier_paused": True}, format="json")
    assert again.status_code == 304
    assert client_for(member).put("/api/v2/notifications/settings", {"notifier_paused": False},
                                  format="json").status_code == 403
    bad = client_for(owner).put("/api/v2/notifications/settings", {"notifier_paused": "maybe"}, format="json")
    assert bad.status_code == 400 and bad.json()["validations"][0]["field"] == "notifier_paused"


def test_system_templates_and_method(owner, member, client_for):
    listed = client_for(member).get("/api/v2/notifications/templates/system")
    assert listed.status_code == 200
    names = {t["id"]: t["name"] for t in listed.json()}
    assert names[str(ids.USER_ACCOUNT_CREATED)] == "User account created"
    url = f"/api/v2/notifications/templates/{ids.WORKSPACE_DELETED}/method"
    assert client_for(member).put(url, {"method": "webhook"}, format="json").status_code == 403
    response = client_for(owner).put(url, {"method": "webhook"}, format="json")
    assert response.status_code == 200 and response.json()["method"] == "webhook"
    assert client_for(owner).put(url, {"method": "webhook"}, format="json").status_code == 304
    bad = client_for(owner).put(url, {"method": "inbox"}, format="json")
    assert bad.status_code == 400 and bad.json()["validations"][0]["field"] == "method"
    unknown = client_for(owner).put("/api/v2/notifications/templates/00000000-0000-0000-0000-000000000001/method",
                                    {"method": "smtp"}, format="json")
    assert unknown.status_code == 404
    assert NotificationTemplate.objects.get(pk=ids.WORKSPACE_DELETED).method == "webhook"


def test_dispatch_methods(member, client_for, monkeypatch):
    monkeypatch.setenv("CODER_NOTIFICATIONS_METHOD", "webhook")
    assert client_for(member).get("/api/v2/notifications/dispatch-methods").json() == {
        "available": ["smtp", "webhook"], "default": "webhook"}


def test_preferences_are_per_user(owner, member, client_for):
    url = "/api/v2/users/me/notifications/preferences"
    body = {"template_disabled_map": {str(ids.USER_ACCOUNT_CREATED): True}}
    response = client_for(member).put(url, body, format="json")
    assert response.status_code == 200
    assert [(p["id"], p["disabled"]) for p in response.json()] == [(str(ids.USER_ACCOUNT_CREATED), True)]
    assert client_for(member).get(url).json()[0]["disabled"] is True
    assert client_for(owner).get(url).json() == []
    # Someone else's preferences: the owner may read them; a member may not even see the user.
    assert client_for(owner).get(f"/api/v2/users/{member.username}/notifications/preferences").status_code == 200
    assert client_for(member).get(f"/api/v2/users/{owner.username}/notifications/preferences").status_code in (403,
                                                                                                                404)
    bad = client_for(member).put(url, {"template_disabled_map": {"not-a-uuid": True}}, format="json")
    assert bad.status_code == 400
    null = client_for(member).put(url, {"template_disabled_map": None}, format="json")
    assert null.status_code == 400


def test_post_test_notification(owner, member, client_for):
    assert client_for(member).post("/api/v2/notifications/test").status_code == 403
    assert client_for(owner).post("/api/v2/notifications/test").status_code == 200
    assert set(NotificationMessage.objects.filter(template_id=ids.TEST_NOTIFICATION)
               .values_list("user__username", "method")) == {("owner", "smtp"), ("owner", "inbox")}


def _inbox_for(user, count):
    for n in range(count):
        enqueue(ids.TEST_NOTIFICATION if n % 2 else ids.WORKSPACE_DELETED, user,
                labels={"n": str(n), "name": f"ws{n}", "reason": "r", "initiator": "x"},
                targets=[f"{n:08d}-0000-0000-0000-000000000000"])
    NotificationMessage.objects.exclude(method="inbox").delete()
    dispatcher.dispatch_until_empty()


def test_inbox_lists_filters_pages_and_marks_read(owner, member, client_for):
    _inbox_for(member, 30)
    _inbox_for(owner, 2)
    client = client_for(member)
    first = client.get("/api/v2/notifications/inbox").json()
    assert first["unread_count"] == 30 and len(first["notifications"]) == 25
    assert all(n["user_id"] == str(member.id) for n in first["notifications"])
    rest = client.get(f"/api/v2/notifications/inbox?starting_before={first['notifications'][-1]['id']}").json()
    assert len(rest["notifications"]) == 5
    assert not {n["id"] for n in first["notifications"]} & {n["id"] for n in rest["notifications"]}
    tests = client.get(f"/api/v2/notifications/inbox?templates={ids.TEST_NOTIFICATION}").json()
    assert len(tests["notifications"]) == 15
    target = client.get("/api/v2/notifications/inbox?targets=00000003-0000-0000-0000-000000000000").json()
    assert len(target["notifications"]) == 1

    item = first["notifications"][0]["id"]
    marked = client.put(f"/api/v2/notifications/inbox/{item}/read-status", {"is_read": True}, format="json")
    assert marked.status_code == 200 and marked.json()["unread_count"] == 29
    assert marked.json()["notification"]["read_at"] is not None
    assert len(client.get("/api/v2/notifications/inbox?read_status=read").json()["notifications"]) == 1
    # Someone else's notification is not found.
    others = InboxNotification.objects.filter(user=owner).first()
    assert client.put(f"/api/v2/notifications/inbox/{others.id}/read-status", {"is_read": True},
                      format="json").status_code == 404
    assert client.put("/api/v2/notifications/inbox/mark-all-as-read").status_code == 204
    assert client.get("/api/v2/notifications/inbox").json()["unread_count"] == 0
    assert client_for(owner).get("/api/v2/notifications/inbox").json()["unread_count"] == 2


@pytest.mark.parametrize("query", ["templates=nope", "targets=x", "read_status=maybe",
                                   "starting_before=00000000-0000-0000-0000-000000000000"])
def test_inbox_bad_filters_are_400(member, client_for, query):
    response = client_for(member).get(f"/api/v2/notifications/inbox?{query}")
    assert response.status_code == 400 and response.json()["validations"]


def test_unauthenticated_is_401(api_client):
    assert api_client.get("/api/v2/notifications/inbox").status_code == 401


def test_inbox_page_costs_the_same_queries_whatever_its_size(member, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(member)

    def queries() -> int:
        client.get("/api/v2/notifications/inbox")  # warm the token/session caches alike
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v2/notifications/inbox").status_code == 200
        return len(ctx.captured_queries)

    _inbox_for(member, 2)
    small = queries()
    _inbox_for(member, 30)
    assert queries() == small
