"""Records and their structured log lines, in process: exact fields, the switch, DB failures,
the human key=value rendering, and the retention purge."""
from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from aibridge import tasks
from aibridge.models import Interception, TokenUsage, ToolUsage, UserPrompt
from aibridge.recorder import Recorder
from aibridge.usage import Tokens
from coderportal.logfmt import KeyValueFormatter
from tests.aibridge import logparse

INITIATOR = uuid.UUID("360c6167-a93a-4442-9c3e-f87a6d1cfb66")


def run_all(recorder: Recorder, fail_start: bool = False):
    async def go():
        try:
            await recorder.start()
        except Exception:
            if not fail_start:
                raise
        recorder.tokens("msg_1", Tokens(10, 8, {"cache_read_input": 0}))
        recorder.prompt("msg_1", "list the jmia share price")
        recorder.tool("msg_1", "mcp__stonks__getStockPriceSnapshot", '{"ticker":"JMIA"}')
        await recorder.close()

    async_to_sync(go)()


def logged(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "coderd.aibridgedserver"]


@pytest.fixture
def structured(monkeypatch):
    monkeypatch.setenv("CODER_AIBRIDGE_STRUCTURED_LOGGING", "true")


def new_recorder() -> Recorder:
    return Recorder(initiator_id=INITIATOR, api_key_id="vg1sbUv97d", provider="anthropic", model="claude-opus-4-5")


@pytest.mark.django_db(transaction=True)
def test_one_line_per_record_with_exactly_coders_fields(structured, caplog):
    caplog.set_level(logging.INFO, logger="coderd.aibridgedserver")
    recorder = new_recorder()
    run_all(recorder)
    lines = logged(caplog)
    assert [r.getMessage() for r in lines] == ["interception started", "token usage recorded",
                                               "prompt usage recorded", "tool usage recorded", "interception ended"]
    for record in lines:
        fields = {k: v for k, v in vars(record).items() if k in ("trace", "span", "record_type")
                  or k in logparse.FIELDS[record.record_type]}
        assert set(fields) == {"trace", "span", "record_type", *logparse.FIELDS[record.record_type]}
        assert record.levelno == logging.INFO
    start = lines[0]
    assert (start.interception_id, start.initiator_id, start.api_key_id, start.provider, start.model,
            start.metadata) == (str(recorder.id), str(INITIATOR), "vg1sbUv97d", "anthropic", "claude-opus-4-5", {})
    assert Interception.objects.get().ended_at is not None
    assert (TokenUsage.objects.count(), UserPrompt.objects.count(), ToolUsage.objects.count()) == (1, 1, 1)


@pytest.mark.django_db(transaction=True)
def test_no_lines_when_the_switch_is_off(monkeypatch, caplog):
    monkeypatch.setenv("CODER_AIBRIDGE_STRUCTURED_LOGGING", "false")
    caplog.set_level(logging.INFO, logger="coderd.aibridgedserver")
    run_all(new_recorder())
    assert logged(caplog) == []
    assert TokenUsage.objects.count() == 1  # records are written all the same


@pytest.mark.django_db(transaction=True)
def test_lines_are_emitted_even_when_the_database_insert_fails(structured, caplog):
    caplog.set_level(logging.INFO)
    boom = mock.Mock(side_effect=RuntimeError("database is down"))
    with mock.patch("aibridge.models.Interception.objects.create", boom), \
            mock.patch("django.db.models.Model.save", boom):
        run_all(new_recorder(), fail_start=True)
    assert [r.record_type for r in logged(caplog)] == ["interception_start", "token_usage", "prompt_usage",
                                                       "tool_usage", "interception_end"]
    failures = [r for r in caplog.records if r.getMessage() == "failed to record usage"]
    assert sorted(r.type for r in failures) == ["prompt", "token", "tool"]
    assert not Interception.objects.exists()


def test_human_format_matches_coders_sample():
    record = logging.LogRecord("coderd.aibridgedserver", logging.INFO, __file__, 1, "tool usage recorded", (), None)
    fields = {"trace": "8bb5a1d8eb10526cc46ad90f191bb468", "span": "b54af90afc604d29", "record_type": "tool_usage",
              "interception_id": "97461880-4a6c-47c1-8292-3588dd715312", "msg_id": "msg_01VJH1rYKspfun8BW29CrYEu",
              "tool": "mcp__stonks__getStockPriceSnapshot", "input": '{"ticker":"JMIA"}', "server_url": "",
              "injected": False, "invocation_error": "", "created_at": "2026-01-13T15:50:26.255164Z",
              "metadata": {"web_search_requests": 0, "cache_read_input": 0}}
    record.__dict__.update(fields)
    line = KeyValueFormatter("%(name)s: %(message)s").format(record)
    assert line == (
        'coderd.aibridgedserver: tool usage recorded  trace=8bb5a1d8eb10526cc46ad90f191bb468  span=b54af90afc604d29'
        '  record_type=tool_usage  interception_id=97461880-4a6c-47c1-8292-3588dd715312'
        '  msg_id=msg_01VJH1rYKspfun8BW29CrYEu  tool=mcp__stonks__getStockPriceSnapshot'
        '  input="{\\"ticker\\":\\"JMIA\\"}"  server_url=""  injected=false  invocation_error=""'
        '  created_at="2026-01-13T15:50:26.255164Z"  metadata={"cache_read_input":0,"web_search_requests":0}')


@pytest.mark.django_db
def test_retention_deletes_old_records_in_batches(monkeypatch):
    monkeypatch.setenv("CODER_AIBRIDGE_RETENTION", "60d")
    now = timezone.now()
    old = [Interception.objects.create(initiator_id=INITIATOR, provider="openai", model="m",
                                       started_at=now - timedelta(days=61, minutes=i), ended_at=now) for i in range(5)]
    fresh = Interception.objects.create(initiator_id=INITIATOR, provider="openai", model="m",
                                        started_at=now - timedelta(days=59), ended_at=now)
    for parent in [*old, fresh]:
        TokenUsage.objects.create(interception_id=parent.id, provider_response_id="r", created_at=now)
        UserPrompt.objects.create(interception_id=parent.id, provider_response_id="r", prompt="p", created_at=now)
        ToolUsage.objects.create(interception_id=parent.id, provider_response_id="r", tool="t", input="{}",
                                 created_at=now)
    assert tasks.purge_old_records(batch=2) == 5
    assert list(Interception.objects.all()) == [fresh]
    for child in (TokenUsage, UserPrompt, ToolUsage):
        assert list(child.objects.values_list("interception_id", flat=True)) == [fresh.id]
    monkeypatch.setenv("CODER_AIBRIDGE_RETENTION", "0")
    Interception.objects.filter(pk=fresh.pk).update(started_at=now - timedelta(days=1000))
    assert tasks.purge() == 0 and Interception.objects.count() == 1  # 0 keeps everything
