"""The AI Bridge admin: list with filters, interception page, token totals and CSV, per role."""
from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from tests.aibridge.test_interceptions_api import make
from tests.factories import UserFactory

LIST = "/admin/aibridge/interception/"
TOTALS = "/admin/aibridge/interception/totals/"


@pytest.fixture
def browser_for(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def make_client(user):
        client = Client()
        client.force_login(user)
        return client

    return make_client


@pytest.fixture
def auditor(db):
    return UserFactory(username="auditor", roles=["auditor"])


@pytest.fixture
def rows(member, outsider):
    a = make(member, minutes=1, provider="openai", model="gpt-4.1")
    b = make(member, minutes=2)
    c = make(outsider, minutes=3)
    return a, b, c


def test_auditor_lists_everyone_and_filters(browser_for, auditor, rows):
    client = browser_for(auditor)
    page = client.get(LIST).content.decode()
    for item in rows:
        assert f"{item.id}/change/" in page
    assert "outsider" in page and "member" in page
    only_openai = client.get(LIST, {"provider": "openai"}).content.decode()
    assert f"{rows[0].id}/change/" in only_openai and f"{rows[1].id}/change/" not in only_openai
    by_user = client.get(LIST, {"initiator": str(rows[2].initiator_id)}).content.decode()
    assert f"{rows[2].id}/change/" in by_user and f"{rows[0].id}/change/" not in by_user
    by_day = client.get(LIST, {"started_at__year": 2026, "started_at__month": 1, "started_at__day": 13})
    assert by_day.status_code == 200 and f"{rows[0].id}/change/" in by_day.content.decode()


def test_interception_page_shows_prompts_tokens_and_tools(browser_for, owner, rows):
    page = browser_for(owner).get(f"{LIST}{rows[0].id}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "hi" in text and "Read" in text and "msg_1" in text


def test_members_see_only_their_own(browser_for, member, rows):
    client = browser_for(member)
    page = client.get(LIST).content.decode()
    assert f"{rows[0].id}/change/" in page and f"{rows[2].id}/change/" not in page
    assert client.get(f"{LIST}{rows[2].id}/change/").status_code == 404
    totals = client.get(TOTALS).content.decode()
    assert "outsider" not in totals


def test_totals_per_user_and_model_with_csv(browser_for, owner, rows):
    client = browser_for(owner)
    page = client.get(TOTALS, {"start": "2026-01-13", "end": "2026-01-13"})
    assert page.status_code == 200
    exported = client.get(TOTALS, {"start": "2026-01-13", "end": "2026-01-13", "format": "csv"})
    assert exported["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.content.decode())))
    assert table[0] == ["group", "name", "interceptions", "input_tokens", "output_tokens"]
    assert sorted(table[1:]) == sorted([
        ["user", "member", "2", "20", "16"], ["user", "outsider", "1", "10", "8"],
        ["model", "claude", "2", "20", "16"], ["model", "gpt-4.1", "1", "10", "8"]])
    empty = client.get(TOTALS, {"start": "2026-02-01", "format": "csv"})
    assert len(list(csv.reader(io.StringIO(empty.content.decode())))) == 1
