"""Usage extraction per provider: Coder's token arithmetic, metadata keys, prompt and tool rules."""
from __future__ import annotations

import pytest

from aibridge import usage
from tests.aibridge import fixtures


def test_anthropic_full_usage_keeps_input_and_puts_cache_fields_in_metadata():
    tokens = usage.anthropic_tokens({**fixtures.anthropic_usage(), "server_tool_use": {"web_search_requests": 2}})
    assert (tokens.input, tokens.output) == (10, 8)  # cached tokens are not subtracted for Anthropic
    assert tokens.metadata == {"cache_creation_input": 53194, "cache_ephemeral_1h_input": 0,
                               "cache_ephemeral_5m_input": 53194, "cache_read_input": 0, "web_search_requests": 2}


def test_anthropic_delta_usage_is_output_only():
    tokens = usage.anthropic_delta_tokens({"output_tokens": 130, "input_tokens": 999})
    assert (tokens.input, tokens.output, tokens.metadata) == (0, 130, {})


def test_openai_chat_subtracts_cached_input():
    tokens = usage.openai_chat_tokens(fixtures.chat_usage())
    assert (tokens.input, tokens.output) == (45, 15)
    assert tokens.metadata == {"prompt_audio": 0, "prompt_cached": 15, "completion_accepted_prediction": 0,
                               "completion_rejected_prediction": 0, "completion_audio": 0, "completion_reasoning": 0}


def test_openai_responses_subtracts_cached_input():
    tokens = usage.openai_responses_tokens(fixtures.responses_usage())
    assert (tokens.input, tokens.output) == (60, 20)
    assert tokens.metadata == {"input_cached": 40, "output_reasoning": 5, "total_tokens": 120}


@pytest.mark.parametrize("raw", [None, {}, {"input_tokens": "many", "output_tokens": True}, []])
def test_missing_or_malformed_usage_counts_zero(raw):
    for extract in (usage.anthropic_tokens, usage.openai_chat_tokens, usage.openai_responses_tokens):
        tokens = extract(raw)
        assert (tokens.input, tokens.output) == (0, 0)


@pytest.mark.parametrize("messages, prompt", [
    ([{"role": "user", "content": "hello"}], "hello"),
    ([{"role": "user", "content": "a"}, {"role": "user", "content": [{"type": "text", "text": "b"},
                                                                       {"type": "text", "text": "c"}]}], "c"),
    ([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}], None),
    ([{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "x"}]}], None),
    ([], None),
    ("not a list", None),
    ([{"role": "user", "content": "do it"}, {"role": "system", "content": "# Environment"}], "do it"),
])
def test_prompt_is_the_last_user_text(messages, prompt):
    assert usage.messages_prompt({"messages": messages}) == prompt


@pytest.mark.parametrize("given, prompt", [
    ("just text", "just text"),
    ([{"role": "user", "content": [{"type": "input_text", "text": "x"}, {"type": "input_text", "text": "y"}]}], "y"),
    ([{"type": "function_call_output", "call_id": "c", "output": "{}"}], None),
])
def test_responses_prompt(given, prompt):
    assert usage.responses_prompt({"input": given}) == prompt


@pytest.mark.parametrize("arguments, stored", [
    ('{"file_path": "foo"}', '{"file_path":"foo"}'), ({"a": 1}, '{"a":1}'), ("", "{}"), ("not json", "not json")])
def test_tool_input_is_compact_json(arguments, stored):
    assert usage.tool_input(arguments) == stored
