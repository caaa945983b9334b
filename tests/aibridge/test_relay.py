"""The relay in process, against the real fake upstream on loopback: keep-alive pings during
silence, and the interception refused when its start cannot be recorded."""
from __future__ import annotations

import uuid
from unittest import mock

import httpx
import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from accounts.services.tokens import issue_token_for_tests
from aibridge import relay
from aibridge.conf import ProviderConfig
from aibridge.interceptors import MessagesInterceptor
from aibridge.models import Interception
from aibridge.recorder import Recorder
from tests.factories import UserFactory

PING = b'event: ping\ndata: {"type": "ping"}\n\n'


@pytest.mark.django_db(transaction=True)
def test_keep_alive_pings_fill_the_silences_and_every_event_is_relayed(upstream, monkeypatch):
    monkeypatch.setattr(relay, "PING_INTERVAL", 0.01)  # the upstream waits 50 ms between lines

    async def stream():
        recorder = Recorder(initiator_id=uuid.uuid4(), api_key_id="k", provider="anthropic", model="slow")
        await recorder.start()
        body = {"model": "slow", "stream": True, "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
        provider = ProviderConfig("anthropic", upstream.url, "k")
        response = await relay.Stream(MessagesInterceptor(body, recorder), provider,
                                      {"Content-Type": "application/json"}).respond()
        return [chunk async for chunk in response.streaming_content]

    chunks = async_to_sync(stream)()
    events = [c for c in chunks if c != PING]
    assert len(chunks) - len(events) > 1  # the fixture's own ping, and ours
    assert [c.split(b"\n", 1)[0] for c in events][:2] == [b"event: message_start", b"event: content_block_start"]
    assert events[-1].startswith(b"event: message_stop")
    assert Interception.objects.get().ended_at is not None


@pytest.mark.django_db(transaction=True)
def test_no_upstream_call_when_the_interception_cannot_be_recorded(upstream, monkeypatch):
    monkeypatch.setenv("CODER_AIBRIDGE_ENABLED", "true")
    monkeypatch.setenv("CODER_AIBRIDGE_ANTHROPIC_BASE_URL", upstream.url)
    token = issue_token_for_tests(UserFactory(username="dev"))
    client = AsyncClient()
    failing = mock.Mock(side_effect=RuntimeError("database is down"))

    async def call():
        with mock.patch("aibridge.models.Interception.objects.create", failing):
            return await client.post("/api/v2/aibridge/anthropic/v1/messages", content_type="application/json",
                                     data={"model": "m", "max_tokens": 5, "messages": []}, headers={"X-Api-Key": token})

    response = async_to_sync(call)()
    assert (response.status_code, response.content) == (500, b"failed to record interception\n")
    assert upstream.requests == []
    assert httpx.get(f"{upstream.url}/v1/models").status_code == 200  # the upstream was up all along
