"""The browser login form shares the per-IP login rate limit with the API."""
from __future__ import annotations

from django.test import Client


def test_login_form_is_rate_limited(member, monkeypatch):
    monkeypatch.setenv("CODER_LOGIN_RATE_LIMIT", "3")
    client = Client()
    statuses = [client.post("/login", {"username": member.username, "password": "wrong"}).status_code
                for _ in range(5)]
    assert statuses[:3] == [401, 401, 401]
    assert statuses[3:] == [429, 429]
