"""The hot request path: query counts of authentication + RBAC subject, correctness without a
subject cache, /healthz before Django, sync views on the web thread pool."""
from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.testing import ApplicationCommunicator
from django.db import connection
from django.db.backends.signals import connection_created
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIRequestFactory

from accounts import rbac
from accounts.models import Role, User
from accounts.models.users import UserStatus
from accounts.services.tokens import issue_token_for_tests
from coderportal.api.authentication import TokenAuthentication
from tests.factories import UserFactory, add_member

API = "/api/v2"


def test_token_authentication_and_subject_in_two_queries(org, other_org):
    user = UserFactory(roles=["owner"])
    add_member(user, org)
    add_member(user, other_org)
    token = issue_token_for_tests(user)
    request = APIRequestFactory().get("/", HTTP_CODER_SESSION_TOKEN=token)
    TokenAuthentication().authenticate(request)  # warm: last_used is written at most once a minute
    with CaptureQueriesContext(connection) as captured:
        user, key = TokenAuthentication().authenticate(request)
        subject = rbac.subject_for(user, key)
    assert len(captured.captured_queries) <= 2
    assert "owner" in subject.site_roles and subject.org_ids == {org.id, other_org.id}


def test_users_me_in_four_queries(client_for, member):
    client = client_for(member)
    client.get(f"{API}/users/me")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{API}/users/me")
    assert response.status_code == 200 and response.json()["username"] == "member"
    assert len(captured.captured_queries) <= 4


def test_removed_role_and_suspension_take_effect_on_the_next_request(client_for, org):
    admin = UserFactory(roles=["owner"])
    add_member(admin, org)
    client = client_for(admin)
    assert client.get(f"{API}/deployment/config").status_code == 200
    admin.site_roles.remove(Role.objects.get(name="owner", organization=None))
    assert client.get(f"{API}/deployment/config").status_code in (403, 404)
    User.objects.filter(pk=admin.pk).update(status=UserStatus.SUSPENDED)
    assert client.get(f"{API}/users/me").status_code == 401


def _asgi_get(path: str, headers: list | None = None) -> tuple[dict, bytes]:
    from coderportal.asgi import application

    async def run():
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": [(b"host", b"testserver"), *(headers or [])], "client": ("127.0.0.1", 1),
                 "server": ("testserver", 80)}
        app = ApplicationCommunicator(application, scope)
        await app.send_input({"type": "http.request", "body": b"", "more_body": False})
        start = await app.receive_output(30)
        body = await app.receive_output(30)
        while body.get("more_body"):
            body = await app.receive_output(30)
        await app.wait(30)
        return start, body["body"]

    return asyncio.run(run())


def test_healthz_is_answered_before_djangos_middleware():
    start, body = _asgi_get("/healthz")
    headers = dict(start["headers"])
    assert start["status"] == 200 and body == b"OK"
    # XFrameOptionsMiddleware adds this to every response that goes through Django.
    assert b"x-frame-options" not in {name.lower() for name in headers}


@pytest.mark.django_db(transaction=True)
def test_sync_views_run_their_database_work_on_the_web_thread_pool(org):
    user = UserFactory()
    add_member(user, org)
    token = issue_token_for_tests(user)
    threads = []

    def record(**kwargs):
        threads.append(threading.current_thread().name)

    connection_created.connect(record)
    try:
        start, body = _asgi_get(f"{API}/users/me", [(b"coder-session-token", token.encode())])
    finally:
        connection_created.disconnect(record)
    assert start["status"] == 200, body
    assert threads and all(name.startswith("http") for name in threads), threads
