"""What each provider's payloads say about usage: tokens, the user's prompt, tool calls.

Pure functions over parsed JSON, with Coder's rules and metadata key names (cost reports
sum `cache_read_input` + `prompt_cached` as cached reads, `cache_creation_input` as writes).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass
class Tokens:
    input: int
    output: int
    metadata: dict = field(default_factory=dict)


def _int(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


# --- Anthropic -----------------------------------------------------------------------------
def anthropic_tokens(usage) -> Tokens:
    """A full usage object (`message_start` or a blocking response): input, output and cache fields."""
    usage = _dict(usage)
    cache_creation = _dict(usage.get("cache_creation"))
    metadata = {
        "cache_creation_input": _int(usage.get("cache_creation_input_tokens")),
        "cache_ephemeral_1h_input": _int(cache_creation.get("ephemeral_1h_input_tokens")),
        "cache_ephemeral_5m_input": _int(cache_creation.get("ephemeral_5m_input_tokens")),
        "cache_read_input": _int(usage.get("cache_read_input_tokens")),
        "web_search_requests": _int(_dict(usage.get("server_tool_use")).get("web_search_requests")),
    }
    # Anthropic reports cached tokens apart from input_tokens: nothing to subtract.
    return Tokens(_int(usage.get("input_tokens")), _int(usage.get("output_tokens")), metadata)


def anthropic_delta_tokens(usage) -> Tokens:
    """`message_delta` usage: the output tokens of the message so far."""
    return Tokens(0, _int(_dict(usage).get("output_tokens")))


# --- OpenAI chat completions -----------------------------------------------------------------
def openai_chat_tokens(usage) -> Tokens:
    usage = _dict(usage)
    prompt = _dict(usage.get("prompt_tokens_details"))
    completion = _dict(usage.get("completion_tokens_details"))
    cached = _int(prompt.get("cached_tokens"))
    metadata = {
        "prompt_audio": _int(prompt.get("audio_tokens")),
        "prompt_cached": cached,
        "completion_accepted_prediction": _int(completion.get("accepted_prediction_tokens")),
        "completion_rejected_prediction": _int(completion.get("rejected_prediction_tokens")),
        "completion_audio": _int(completion.get("audio_tokens")),
        "completion_reasoning": _int(completion.get("reasoning_tokens")),
    }
    return Tokens(_int(usage.get("prompt_tokens")) - cached, _int(usage.get("completion_tokens")), metadata)


# --- OpenAI responses ------------------------------------------------------------------------
def openai_responses_tokens(usage) -> Tokens:
    usage = _dict(usage)
    cached = _int(_dict(usage.get("input_tokens_details")).get("cached_tokens"))
    metadata = {
        "input_cached": cached,
        "output_reasoning": _int(_dict(usage.get("output_tokens_details")).get("reasoning_tokens")),
        "total_tokens": _int(usage.get("total_tokens")),
    }
    return Tokens(_int(usage.get("input_tokens")) - cached, _int(usage.get("output_tokens")), metadata)


# --- prompts -----------------------------------------------------------------------------------
def _last_text(content, text_types: tuple[str, ...]) -> str | None:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        for part in reversed(content):
            if isinstance(part, dict) and part.get("type") in text_types and isinstance(part.get("text"), str):
                return part["text"]
    return None


def messages_prompt(body: dict) -> str | None:
    """Anthropic messages and chat completions: the last message, if it is the user's.

    Only the last user turn counts (clients put system text in earlier user turns); a turn
    holding only tool results has no prompt."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return None
    # Claude Code appends its environment as a trailing "system" message: look past those.
    turns = [m for m in messages if not (isinstance(m, dict) and m.get("role") == "system")]
    if not turns or not isinstance(turns[-1], dict):
        return None
    last = turns[-1]
    if last.get("role") != "user":
        return None
    return _last_text(last.get("content"), ("text",))


def responses_prompt(body: dict) -> str | None:
    given = body.get("input")
    if isinstance(given, str):
        return given
    if isinstance(given, list) and given and isinstance(given[-1], dict):
        last = given[-1]
        if last.get("role") == "user":
            return _last_text(last.get("content"), ("input_text", "text"))
    return None


# --- tool calls --------------------------------------------------------------------------------
def tool_input(arguments) -> str:
    """Arguments as the compact JSON string Coder stores (raw text when it is not JSON)."""
    if isinstance(arguments, str):
        if arguments.strip() == "":
            return "{}"
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return arguments
    return json.dumps(arguments, separators=(",", ":"), ensure_ascii=False)
