"""GET /api/v2/aibridge/interceptions: RBAC, filters, pagination and Coder's errors."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aibridge.models import Interception, TokenUsage, ToolUsage, UserPrompt
from tests.factories import UserFactory

URL = "/api/v2/aibridge/interceptions"
T0 = datetime(2026, 1, 13, 15, 0, tzinfo=timezone.utc)


def make(user, *, minutes=0, provider="anthropic", model="claude", ended=True, same_time=False):
    started = T0 + timedelta(minutes=0 if same_time else minutes)
    item = Interception.objects.create(initiator_id=user.id, api_key_id="key1", provider=provider, model=model,
                                       started_at=started, ended_at=started + timedelta(seconds=5) if ended else None)
    TokenUsage.objects.create(interception_id=item.id, provider_response_id="msg_1", input_tokens=10,
                              output_tokens=8, metadata={"cache_read_input": 0}, created_at=started)
    UserPrompt.objects.create(interception_id=item.id, provider_response_id="msg_1", prompt="hi", created_at=started)
    ToolUsage.objects.create(interception_id=item.id, provider_response_id="msg_1", tool="Read", input="{}",
                             created_at=started)
    return item


@pytest.fixture
def auditor(db):
    return UserFactory(username="auditor", roles=["auditor"])


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["id"] for r in response.json()["results"]]


def test_members_see_their_own_and_auditors_and_owners_see_all(client_for, member, owner, auditor, outsider):
    mine = make(member, minutes=1)
    theirs = make(outsider, minutes=2)
    assert ids(client_for(member).get(URL)) == [str(mine.id)]
    assert ids(client_for(outsider).get(URL)) == [str(theirs.id)]
    for viewer in (owner, auditor):
        assert ids(client_for(viewer).get(URL)) == [str(theirs.id), str(mine.id)]


def test_response_shape_and_in_flight_excluded(client_for, member):
    done = make(member, minutes=1)
    make(member, minutes=2, ended=False)
    body = client_for(member).get(URL).json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["id"] == str(done.id) and item["api_key_id"] == "key1"
    assert item["initiator"] == {"id": str(member.id), "username": "member", "name": member.name,
                                 "avatar_url": member.avatar_url}
    assert (item["provider"], item["model"], item["metadata"]) == ("anthropic", "claude", {})
    assert item["started_at"] == "2026-01-13T15:01:00.000000Z" and item["ended_at"] == "2026-01-13T15:01:05.000000Z"
    assert item["token_usages"][0]["input_tokens"] == 10 and item["token_usages"][0]["metadata"] == {
        "cache_read_input": 0}
    assert item["user_prompts"][0]["prompt"] == "hi"
    tool = item["tool_usages"][0]
    assert (tool["tool"], tool["server_url"], tool["invocation_error"], tool["injected"]) == ("Read", "", "", False)


def test_filters(client_for, owner, member):
    a = make(member, minutes=1, provider="openai", model="gpt-4.1")
    b = make(member, minutes=2)
    c = make(owner, minutes=3)
    client = client_for(owner)
    assert ids(client.get(URL, {"q": "initiator:me"})) == [str(c.id)]
    assert ids(client.get(URL, {"q": "initiator:member"})) == [str(b.id), str(a.id)]
    assert ids(client.get(URL, {"q": f"initiator:{member.id}"})) == [str(b.id), str(a.id)]
    assert ids(client.get(URL, {"q": "member"})) == [str(b.id), str(a.id)]  # a bare term is the initiator
    assert ids(client.get(URL, {"q": "provider:openai"})) == [str(a.id)]
    assert ids(client.get(URL, {"q": "model:claude provider:anthropic"})) == [str(c.id), str(b.id)]
    window = 'started_after:"2026-01-13T15:02:00Z" started_before:"2026-01-13T15:02:30Z"'
    assert ids(client.get(URL, {"q": window})) == [str(b.id)]


@pytest.mark.parametrize("q, field", [
    ("initiator:nobody", "initiator"),
    ("colour:blue", "colour"),
    ("started_after:yesterday", "started_after"),
    ('started_after:"2026-01-13T15:02:00Z" started_before:"2026-01-13T15:00:00Z"', "started_before"),
    ("provider:a:b", "provider"),
])
def test_bad_queries_are_400_with_validations(client_for, member, q, field):
    response = client_for(member).get(URL, {"q": q})
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Invalid workspace search query."
    assert [v["field"] for v in body["validations"]] == [field]


def test_pagination(client_for, owner, member):
    items = [make(member, same_time=True) for _ in range(5)]  # equal started_at: ties broken by id
    expected = [str(i.id) for i in sorted(items, key=lambda i: i.id, reverse=True)]
    client = client_for(owner)
    assert ids(client.get(URL, {"limit": 2})) == expected[:2]
    assert ids(client.get(URL, {"limit": 2, "offset": 2})) == expected[2:4]
    assert ids(client.get(URL, {"limit": 2, "after_id": expected[1]})) == expected[2:4]
    assert ids(client.get(URL, {"after_id": expected[3]})) == expected[4:]
    assert client.get(URL, {"limit": 2}).json()["count"] == 5
    too_many = client.get(URL, {"limit": 1001})
    assert (too_many.status_code, too_many.json()["message"], too_many.json()["detail"]) == (
        400, "Invalid pagination limit value.", "Pagination limit must be in range (0, 1000]")
    both = client.get(URL, {"after_id": expected[0], "offset": 1})
    assert (both.status_code, both.json()["detail"]) == (
        400, "Cannot use both after_id and offset pagination in the same request.")
    for bad in ({"limit": "x"}, {"after_id": "nope"}, {"after_id": str(uuid.uuid4())}, {"limit": -1}):
        assert client.get(URL, bad).status_code == 400


def test_a_page_costs_a_constant_number_of_queries(client_for, owner, member):
    client = client_for(owner)
    make(member, minutes=1)
    client.get(URL)  # the token's first use writes last_used once
    with CaptureQueriesContext(connection) as one:
        assert client.get(URL).status_code == 200
    for i in range(20):
        make(member if i % 2 else owner, minutes=i + 2)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(URL).json()["results"]) == 21
    assert len(many) == len(one)


def test_anonymous_is_401(api_client, db):
    assert api_client.get(URL).status_code == 401
