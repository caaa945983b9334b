"""The gateway end to end: the official OpenAI and Anthropic SDKs talk to a served portal,
which talks to the fake upstream; records, relayed ids and forwarded headers are checked."""
from __future__ import annotations

import json
from datetime import timedelta

import anthropic
import httpx
import openai
import pytest
from django.utils import timezone

from accounts.models import APIKey
from accounts.services.tokens import issue_token_for_tests
from aibridge.models import Interception, TokenUsage, ToolUsage, UserPrompt
from tests.aibridge import fixtures, logparse
from tests.aibridge.conftest import ANTHROPIC_UPSTREAM_KEY, OPENAI_UPSTREAM_KEY, wait_for
from tests.factories import UserFactory

pytestmark = pytest.mark.timeout(300)
TOOLS_ANTHROPIC = [{"name": "Read", "description": "Read a file",
                    "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"}}}}]
TOOLS_OPENAI = [{"type": "function", "function": {"name": "read_file", "parameters": {
    "type": "object", "properties": {"file_path": {"type": "string"}}}}}]


@pytest.fixture
def user(transactional_db):
    return UserFactory(username="alice")


@pytest.fixture
def token(user):
    return issue_token_for_tests(user)


def the_interception() -> Interception:
    return wait_for(lambda: Interception.objects.filter(ended_at__isnull=False).first(), what="interception end")


def assert_no_portal_credentials(upstream, token: str):
    for request in upstream.requests:
        for name, value in request["headers"].items():
            assert token not in value, name
            assert token.split("-")[1] not in value, name
        assert "coder-session-token" not in request["headers"]


def test_anthropic_streaming_through_the_sdk(serve_portal, upstream, user, token):
    portal = serve_portal()
    client = anthropic.Anthropic(base_url=f"{portal.url}/api/v2/aibridge/anthropic", api_key=token, max_retries=0)
    with client.messages.stream(model="claude-sonnet-4-5", max_tokens=1024, tools=TOOLS_ANTHROPIC,
                                messages=[{"role": "user", "content": "you are helpful"},
                                          {"role": "assistant", "content": "ok"},
                                          {"role": "user", "content": [{"type": "text", "text": "context"},
                                                                       {"type": "text", "text": "read the foo file"}]}],
                                ) as stream:
        events = [event.type for event in stream]
        final = stream.get_final_message()
    assert "message_start" in events and "message_stop" in events
    interception = the_interception()
    assert final.id == str(interception.id)  # the relayed message id is the interception id
    assert [b.type for b in final.content] == ["text", "tool_use"]
    assert final.content[1].input == fixtures.TOOL_ARGS
    assert (interception.initiator_id, interception.provider, interception.model) == (
        user.id, "anthropic", "claude-sonnet-4-5")
    assert interception.api_key_id == token.split("-")[0]
    tokens = list(TokenUsage.objects.filter(interception_id=interception.id).order_by("created_at"))
    assert [(t.input_tokens, t.output_tokens) for t in tokens] == [(10, 8), (0, 130)]
    assert tokens[0].metadata == {"cache_creation_input": 53194, "cache_ephemeral_1h_input": 0,
                                  "cache_ephemeral_5m_input": 53194, "cache_read_input": 0,
                                  "web_search_requests": 0}
    assert {t.provider_response_id for t in tokens} == {fixtures.ANTHROPIC_MSG_ID}
    assert list(UserPrompt.objects.values_list("prompt", flat=True)) == ["read the foo file"]
    tool = ToolUsage.objects.get()
    assert (tool.tool, json.loads(tool.input), tool.injected, tool.server_url) == (
        "Read", fixtures.TOOL_ARGS, False, None)
    sent = upstream.bridged()[0]
    assert sent["path"] == "/v1/messages" and sent["headers"]["x-api-key"] == ANTHROPIC_UPSTREAM_KEY
    assert "authorization" not in sent["headers"]
    assert_no_portal_credentials(upstream, token)

    # Structured logs: one line per record, Coder's message and exactly its fields.
    logged = logparse.records(portal.output())
    assert sorted(f["record_type"] for _, f in logged) == sorted(
        ["interception_start", "token_usage", "token_usage", "prompt_usage", "tool_usage", "interception_end"])
    for message, fields in logged:
        kind = fields["record_type"]
        assert message == logparse.MESSAGES[kind]
        assert list(fields) == ["trace", "span", "record_type", *logparse.FIELDS[kind]]
        assert fields["interception_id"] == str(interception.id)
    start = next(f for _, f in logged if f["record_type"] == "interception_start")
    assert (start["initiator_id"], start["api_key_id"], start["provider"], start["model"], start["metadata"]) == (
        str(user.id), interception.api_key_id, "anthropic", "claude-sonnet-4-5", "{}")
    tool_line = next(f for _, f in logged if f["record_type"] == "tool_usage")
    assert logparse.value(tool_line["input"]) == '{"file_path":"foo"}'
    assert (tool_line["server_url"], tool_line["injected"], tool_line["invocation_error"]) == ('""', "false", '""')
    assert len({f["trace"] for _, f in logged}) == 1 and len({f["span"] for _, f in logged}) == len(logged)
    assert token.split("-")[1] not in portal.output()


def test_anthropic_blocking_keeps_unknown_fields_and_records_one_token_row(serve_portal, upstream, token):
    portal = serve_portal()
    client = anthropic.Anthropic(base_url=f"{portal.url}/api/v2/aibridge/anthropic", api_key=token, max_retries=0)
    message = client.messages.create(model="claude-haiku-4-5", max_tokens=100, tools=TOOLS_ANTHROPIC,
                                     messages=[{"role": "user", "content": "read the foo file"}])
    interception = the_interception()
    assert message.id == str(interception.id)
    raw = httpx.post(f"{portal.url}/api/v2/aibridge/anthropic/v1/messages", headers={"X-Api-Key": token},
                     json={"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}],
                           "some_new_option": {"kept": True}})
    assert raw.json()["future_field"] == [1, 2]  # unknown response fields reach the client
    assert upstream.bridged()[-1]["json"]["some_new_option"] == {"kept": True}  # and request fields upstream
    assert TokenUsage.objects.filter(interception_id=interception.id).count() == 1
    assert ToolUsage.objects.filter(interception_id=interception.id).get().tool == "Read"


def test_openai_chat_streaming_forces_usage_and_rewrites_ids(serve_portal, upstream, token):
    portal = serve_portal()
    client = openai.OpenAI(base_url=f"{portal.url}/api/v2/aibridge/openai/v1", api_key=token, max_retries=0)
    chunks = list(client.chat.completions.create(model="gpt-4.1", stream=True, tools=TOOLS_OPENAI, n=3,
                                                 messages=[{"role": "user", "content": "read the foo file"}]))
    interception = the_interception()
    assert {c.id for c in chunks} == {str(interception.id)}
    assert chunks[-1].usage.prompt_tokens == 60  # the usage chunk reached the client
    sent = upstream.bridged()[0]["json"]
    assert sent["stream_options"] == {"include_usage": True} and sent["n"] == 1
    assert upstream.bridged()[0]["headers"]["authorization"] == f"Bearer {OPENAI_UPSTREAM_KEY}"
    tokens = TokenUsage.objects.get(interception_id=interception.id)
    assert (tokens.input_tokens, tokens.output_tokens, tokens.metadata["prompt_cached"]) == (45, 15, 15)
    assert tokens.provider_response_id == fixtures.CHAT_ID
    tool = ToolUsage.objects.get()
    assert (tool.tool, json.loads(tool.input)) == ("read_file", fixtures.TOOL_ARGS)
    assert UserPrompt.objects.get().prompt == "read the foo file"
    assert_no_portal_credentials(upstream, token)


def test_openai_chat_blocking_and_done_terminator(serve_portal, upstream, token):
    portal = serve_portal()
    client = openai.OpenAI(base_url=f"{portal.url}/api/v2/aibridge/openai/v1", api_key=token, max_retries=0)
    completion = client.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}])
    interception = the_interception()
    assert completion.id == str(interception.id)
    assert completion.choices[0].message.tool_calls[0].function.name == "read_file"
    tokens = TokenUsage.objects.get()
    assert (tokens.input_tokens, tokens.output_tokens) == (45, 15)
    with httpx.stream("POST", f"{portal.url}/api/v2/aibridge/openai/v1/chat/completions",
                      headers={"Authorization": f"Bearer {token}"},
                      json={"model": "gpt-4.1", "stream": True, "messages": []}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        text = response.read().decode()
    assert text.endswith("data: [DONE]\n\n")


def test_openai_responses_streaming_and_blocking(serve_portal, upstream, token):
    portal = serve_portal()
    client = openai.OpenAI(base_url=f"{portal.url}/api/v2/aibridge/openai/v1", api_key=token, max_retries=0)
    events = list(client.responses.create(model="gpt-5", input="read the foo file", stream=True))
    assert events[-1].type == "response.completed"
    assert events[-1].response.id == fixtures.RESPONSE_ID  # Responses ids are relayed unchanged
    response = client.responses.create(model="gpt-5", input=[{"role": "user", "content": "again"}])
    assert response.usage.input_tokens == 100
    wait_for(lambda: Interception.objects.filter(ended_at__isnull=False).count() == 2)
    rows = TokenUsage.objects.values_list("input_tokens", "output_tokens", "metadata")
    assert {(i, o, m["input_cached"]) for i, o, m in rows} == {(60, 20, 40)}
    assert TokenUsage.objects.count() == 2
    assert sorted(UserPrompt.objects.values_list("prompt", flat=True)) == ["again", "read the foo file"]
    assert ToolUsage.objects.filter(tool="read_file").count() == 2
    background = httpx.post(f"{portal.url}/api/v2/aibridge/openai/v1/responses",
                            headers={"Authorization": f"Bearer {token}"},
                            json={"model": "gpt-5", "input": "x", "background": True})
    assert background.status_code == 501
    assert "background requests are currently not supported" in background.json()["error"]["message"]


def test_upstream_error_before_the_stream_is_returned_as_is(serve_portal, upstream, token):
    portal = serve_portal()
    client = anthropic.Anthropic(base_url=f"{portal.url}/api/v2/aibridge/anthropic", api_key=token, max_retries=0)
    with pytest.raises(anthropic.BadRequestError) as raised:
        with client.messages.stream(model="error-400", max_tokens=5,
                                    messages=[{"role": "user", "content": "x"}]) as stream:
            list(stream)
    assert raised.value.status_code == 400
    assert raised.value.body == fixtures.error_body("messages")
    oai = openai.OpenAI(base_url=f"{portal.url}/api/v2/aibridge/openai/v1", api_key=token, max_retries=0)
    with pytest.raises(openai.BadRequestError) as raised_oai:
        oai.chat.completions.create(model="error-400", messages=[{"role": "user", "content": "x"}])
    assert raised_oai.value.body == fixtures.error_body("chat")["error"]
    wait_for(lambda: Interception.objects.filter(ended_at__isnull=False).count() == 2)


def test_error_mid_stream_becomes_a_final_error_event(serve_portal, upstream, token):
    portal = serve_portal()
    for path, headers, body in [
        ("anthropic/v1/messages", {"X-Api-Key": token}, {"model": "break-mid-stream", "max_tokens": 5,
                                                         "stream": True, "messages": []}),
        ("openai/v1/chat/completions", {"Authorization": f"Bearer {token}"},
         {"model": "break-mid-stream", "stream": True, "messages": []}),
    ]:
        with httpx.stream("POST", f"{portal.url}/api/v2/aibridge/{path}", headers=headers, json=body,
                          timeout=30) as response:
            assert response.status_code == 200
            text = response.read().decode()
        last = text.strip().split("\n\n")[-1]
        if path.startswith("anthropic"):
            assert last.startswith("event: error\ndata: ")
            assert json.loads(last.split("data: ", 1)[1])["error"]["type"] == "api_error"
        else:
            assert json.loads(last.removeprefix("data: "))["error"]["type"] == "server_error"
    wait_for(lambda: Interception.objects.filter(ended_at__isnull=False).count() == 2)


def test_client_disconnect_still_closes_the_records(serve_portal, upstream, token):
    portal = serve_portal()
    with httpx.stream("POST", f"{portal.url}/api/v2/aibridge/anthropic/v1/messages", headers={"X-Api-Key": token},
                      json={"model": "slow", "max_tokens": 5, "stream": True,
                            "messages": [{"role": "user", "content": "x"}]}, timeout=30) as response:
        first = next(response.iter_lines())
        assert first == "event: message_start"
    # The client is gone long before the upstream finishes: the interception still ends.
    interception = the_interception()
    assert interception.model == "slow"
    assert TokenUsage.objects.filter(interception_id=interception.id).exists()


def test_authentication_rules(serve_portal, upstream, user, token):
    portal = serve_portal()
    url = f"{portal.url}/api/v2/aibridge/openai/v1/chat/completions"
    body = {"model": "gpt-4.1", "messages": []}
    missing = httpx.post(url, json=body)
    assert (missing.status_code, missing.text) == (400, "no authentication key provided\n")
    for bad in ("nonsense", "abc-def", token[:-1] + ("x" if token[-1] != "x" else "y")):
        refused = httpx.post(url, json=body, headers={"Authorization": f"Bearer {bad}"})
        assert (refused.status_code, refused.text) == (403, "unauthorized\n")
    key = APIKey.objects.get(user=user)
    before = (key.last_used, key.expires_at)
    assert httpx.post(url, json=body, headers={"X-Api-Key": token}).status_code == 200
    key.refresh_from_db()
    assert (key.last_used, key.expires_at) == before  # validated without a bump
    APIKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert httpx.post(url, json=body, headers={"X-Api-Key": token}).status_code == 403
    suspended = UserFactory(username="suspended", status="suspended")
    assert httpx.post(url, json=body, headers={"X-Api-Key": issue_token_for_tests(suspended)}).status_code == 403
    deleted = UserFactory(username="gone")
    gone_token = issue_token_for_tests(deleted)
    type(deleted).objects.filter(pk=deleted.pk).update(deleted=True)
    assert httpx.post(url, json=body, headers={"X-Api-Key": gone_token}).status_code == 403
    assert len(upstream.bridged()) == 1


def test_routes_passthrough_and_switch(serve_portal, upstream, token):
    portal = serve_portal()
    base = f"{portal.url}/api/v2/aibridge"
    auth = {"Authorization": f"Bearer {token}"}
    unknown = httpx.get(f"{base}/openai/v1/files", headers=auth)
    assert (unknown.status_code, unknown.text) == (404, "route not supported: GET /openai/v1/files\n")
    models = httpx.get(f"{base}/openai/v1/models", headers=auth)
    assert models.status_code == 200 and models.json()["data"][0]["id"] == "gpt-4.1"
    count = httpx.post(f"{base}/anthropic/v1/messages/count_tokens", headers={"X-Api-Key": token},
                       json={"model": "m", "messages": []})
    assert count.json() == {"input_tokens": 42}
    assert [r["path"] for r in upstream.requests] == ["/v1/models", "/v1/messages/count_tokens"]
    assert upstream.requests[0]["headers"]["authorization"] == f"Bearer {OPENAI_UPSTREAM_KEY}"
    assert upstream.requests[1]["headers"]["x-api-key"] == ANTHROPIC_UPSTREAM_KEY
    assert "127.0.0.1" in upstream.requests[0]["headers"]["x-forwarded-for"]
    assert not Interception.objects.exists()  # passthrough is not recorded
    assert_no_portal_credentials(upstream, token)
    portal.stop()
    disabled = serve_portal(CODER_AIBRIDGE_ENABLED="false")
    off = httpx.get(f"{disabled.url}/api/v2/aibridge/openai/v1/models", headers=auth)
    assert (off.status_code, off.json()) == (404, {"message": "aibridged handler not mounted"})


def test_bad_bodies_are_400_in_the_provider_shape(serve_portal, upstream, token):
    portal = serve_portal()
    bad = httpx.post(f"{portal.url}/api/v2/aibridge/anthropic/v1/messages", headers={"X-Api-Key": token},
                     content=b"{not json")
    assert bad.status_code == 400 and bad.json()["type"] == "error"
    assert not Interception.objects.exists() and not upstream.requests


def test_concurrency_and_rate_limits(serve_portal, upstream, token):
    portal = serve_portal(CODER_AIBRIDGE_MAX_CONCURRENCY="1", CODER_AIBRIDGE_RATE_LIMIT="3")
    url = f"{portal.url}/api/v2/aibridge/anthropic/v1/messages"
    auth = {"X-Api-Key": token}
    blocking = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    slow = {**blocking, "model": "slow", "stream": True}
    with httpx.stream("POST", url, headers=auth, timeout=30, json=slow) as held:
        lines = held.iter_lines()  # kept: a dropped line iterator closes the response
        assert next(lines) == "event: message_start"
        busy = httpx.post(url, headers=auth, json=blocking)  # the only slot is taken by the open stream
        assert busy.status_code == 503
        assert busy.json()["message"] == "AI Bridge is at its concurrency limit."
    wait_for(lambda: httpx.post(url, headers=auth, json=blocking).status_code == 200, what="the slot to be freed")
    statuses = [httpx.post(url, headers=auth, json=blocking).status_code for _ in range(3)]
    assert statuses[-1] == 429 and 200 in statuses  # 3 per minute per token
    other = issue_token_for_tests(UserFactory(username="bob"))
    assert httpx.post(url, headers={"X-Api-Key": other}, json=blocking).status_code == 200

