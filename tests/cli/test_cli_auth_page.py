"""`/cli-auth`: anonymous visitors go to /login first; a signed-in user mints a fresh token
with a POST (CSRF-checked, audited), sees it once, and it works against the API."""
from __future__ import annotations

import re

from django.test import Client
from rest_framework.test import APIClient

from accounts.models import APIKey, AuditLog


def test_anonymous_is_sent_to_login(db):
    response = Client().get("/cli-auth")
    assert response.status_code == 302 and response["Location"] == "/login?next=%2Fcli-auth"


def test_signed_in_user_gets_a_working_token(member):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)
    page = browser.get("/cli-auth")
    assert page.status_code == 200 and b"create-token" in page.content
    assert APIKey.objects.filter(user=member).count() == 0  # a page load mints nothing
    assert browser.post("/cli-auth").status_code == 403  # no CSRF token
    csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    shown = browser.post("/cli-auth", {"csrfmiddlewaretoken": csrf})
    assert shown.status_code == 200 and shown["Cache-Control"].startswith("max-age=0")
    token = re.search(rb'id="session-token">([^<]+)<', shown.content).group(1).decode()
    key = APIKey.objects.get(user=member)
    assert key.hashed_secret not in shown.content.decode()
    api = APIClient()
    api.credentials(HTTP_CODER_SESSION_TOKEN=token)
    assert api.get("/api/v2/users/me").json()["username"] == member.username
    assert AuditLog.objects.filter(resource_type="api_key", action="create").exists()


def test_example_archive_endpoint(client_for, owner, org):
    """Readable by whoever may list the examples (GET /templates/examples), like that list."""
    import io
    import tarfile

    api = client_for(owner)
    answer = api.get("/api/v2/templates/examples/local/archive")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/x-tar"
    with tarfile.open(fileobj=io.BytesIO(answer.content)) as tar:
        assert "main.tf" in tar.getnames()
    missing = api.get("/api/v2/templates/examples/nope/archive")
    assert missing.status_code == 404 and missing.json()["message"]
    assert APIClient().get("/api/v2/templates/examples/local/archive").status_code == 401
