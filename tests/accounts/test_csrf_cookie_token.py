"""Writes authenticated only by the `coder_session_token` cookie need a CSRF token; header
tokens don't (they can't be sent by a third-party page)."""
from __future__ import annotations

from rest_framework.test import APIClient

from accounts.services import tokens


def test_cookie_token_write_without_csrf_is_refused(member):
    _, token = tokens.issue(member, login_type="password")
    client = APIClient(enforce_csrf_checks=True)
    client.cookies["coder_session_token"] = token
    assert client.get("/api/v2/users/me").status_code == 200
    response = client.put(f"/api/v2/users/{member.username}/profile", {"username": member.username, "name": "X"},
                          format="json")
    assert response.status_code == 403


def test_cookie_token_write_with_csrf_is_allowed(member):
    _, token = tokens.issue(member, login_type="password")
    client = APIClient(enforce_csrf_checks=True)
    client.cookies["coder_session_token"] = token
    client.get("/login")  # sets the csrftoken cookie
    csrf = client.cookies["csrftoken"].value
    response = client.put(f"/api/v2/users/{member.username}/profile", {"username": member.username, "name": "X"},
                          format="json", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200, response.content


def test_header_token_write_needs_no_csrf(member):
    _, token = tokens.issue(member, login_type="password")
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_CODER_SESSION_TOKEN=token)
    response = client.put(f"/api/v2/users/{member.username}/profile", {"username": member.username, "name": "Y"},
                          format="json")
    assert response.status_code == 200, response.content
