"""Our own provider fixtures, in the shapes OpenAI and Anthropic send (including fields the
bridge does not know, which must reach the client unchanged)."""
from __future__ import annotations

import json

ANTHROPIC_MSG_ID = "msg_01VJH1rYKspfun8BW29CrYEu"
CHAT_ID = "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG"
RESPONSE_ID = "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b"
TOOL_ARGS = {"file_path": "foo"}


def _sse(events: list[tuple[str, dict | str]]) -> str:
    out = []
    for name, data in events:
        text = data if isinstance(data, str) else json.dumps(data)
        out.append((f"event: {name}\n" if name else "") + f"data: {text}\n\n")
    return "".join(out)


def anthropic_usage() -> dict:
    return {"input_tokens": 10, "cache_creation_input_tokens": 53194, "cache_read_input_tokens": 0,
            "cache_creation": {"ephemeral_5m_input_tokens": 53194, "ephemeral_1h_input_tokens": 0},
            "output_tokens": 8, "service_tier": "standard"}


AGENT_ANSWER = "The foo file says hello."


def agent_stream(kind: str, model: str) -> str:
    """A plain text answer (no tool call), what coding agents need to finish a turn."""
    if kind == "messages":
        usage = {"input_tokens": 25, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 1}
        return _sse([
            ("message_start", {"type": "message_start", "message": {
                "id": ANTHROPIC_MSG_ID, "type": "message", "role": "assistant", "model": model, "content": [],
                "stop_reason": None, "stop_sequence": None, "usage": usage}}),
            ("content_block_start", {"type": "content_block_start", "index": 0,
                                     "content_block": {"type": "text", "text": ""}}),
            ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                     "delta": {"type": "text_delta", "text": AGENT_ANSWER}}),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                               "usage": {"output_tokens": 7}}),
            ("message_stop", {"type": "message_stop"}),
        ])
    created = {"id": RESPONSE_ID, "object": "response", "created_at": 1741000000, "status": "in_progress",
               "model": model, "output": []}
    item = {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": AGENT_ANSWER, "annotations": []}]}
    return _sse([
        ("response.created", {"type": "response.created", "sequence_number": 0, "response": created}),
        ("response.output_item.added", {"type": "response.output_item.added", "sequence_number": 1,
                                        "output_index": 0, "item": {**item, "status": "in_progress", "content": []}}),
        ("response.output_text.delta", {"type": "response.output_text.delta", "sequence_number": 2, "item_id": "msg_1",
                                        "output_index": 0, "content_index": 0, "delta": AGENT_ANSWER}),
        ("response.output_item.done", {"type": "response.output_item.done", "sequence_number": 3, "output_index": 0,
                                       "item": item}),
        ("response.completed", {"type": "response.completed", "sequence_number": 4, "response": {
            **created, "status": "completed", "output": [item], "usage": responses_usage()}}),
    ])


def stream(kind: str, request: dict) -> str:
    model = request.get("model", "")
    if model.startswith("agent-"):
        return agent_stream(kind, model)
    if kind == "messages":
        return _sse([
            ("message_start", {"type": "message_start", "message": {
                "id": ANTHROPIC_MSG_ID, "type": "message", "role": "assistant", "model": model, "content": [],
                "stop_reason": None, "stop_sequence": None, "usage": anthropic_usage(), "future_field": {"x": 1}}}),
            ("content_block_start", {"type": "content_block_start", "index": 0,
                                     "content_block": {"type": "text", "text": ""}}),
            ("ping", {"type": "ping"}),
            ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                     "delta": {"type": "text_delta", "text": "I'll read the foo file."}}),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("content_block_start", {"type": "content_block_start", "index": 1, "content_block": {
                "type": "tool_use", "id": "toolu_01RX68weRSquLx6HUTj65iBo", "name": "Read", "input": {}}}),
            ("content_block_delta", {"type": "content_block_delta", "index": 1,
                                     "delta": {"type": "input_json_delta", "partial_json": '{"file_path": '}}),
            ("content_block_delta", {"type": "content_block_delta", "index": 1,
                                     "delta": {"type": "input_json_delta", "partial_json": '"foo"}'}}),
            ("content_block_stop", {"type": "content_block_stop", "index": 1}),
            ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                               "usage": {"output_tokens": 130}}),
            ("message_stop", {"type": "message_stop"}),
        ])
    if kind == "chat":
        base = {"id": CHAT_ID, "object": "chat.completion.chunk", "created": 1741000000, "model": model,
                "system_fingerprint": "fp_x", "service_tier": "default"}
        chunks = [
            {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]},
            {**base, "choices": [{"index": 0, "delta": {"content": "Reading it."}, "finish_reason": None}]},
            {**base, "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                  "function": {"name": "read_file", "arguments": ""}}]}, "finish_reason": None}]},
            {**base, "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {
                "arguments": '{"file_path":'}}]}, "finish_reason": None}]},
            {**base, "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {
                "arguments": '"foo"}'}}]}, "finish_reason": None}]},
            {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
        ]
        if (request.get("stream_options") or {}).get("include_usage"):
            chunks.append({**base, "choices": [], "usage": chat_usage()})
        return _sse([("", c) for c in chunks] + [("", "[DONE]")])
    created = {"id": RESPONSE_ID, "object": "response", "status": "in_progress", "model": model, "output": []}
    item = {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "read_file",
            "arguments": json.dumps(TOOL_ARGS), "status": "completed"}
    return _sse([
        ("response.created", {"type": "response.created", "sequence_number": 0, "response": created}),
        ("response.output_item.done", {"type": "response.output_item.done", "sequence_number": 1, "output_index": 0,
                                       "item": item}),
        ("response.completed", {"type": "response.completed", "sequence_number": 2, "response": {
            **created, "status": "completed", "output": [item], "usage": responses_usage()}}),
    ])


def chat_usage() -> dict:
    return {"prompt_tokens": 60, "completion_tokens": 15, "total_tokens": 75,
            "prompt_tokens_details": {"cached_tokens": 15, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}


def responses_usage() -> dict:
    return {"input_tokens": 100, "input_tokens_details": {"cached_tokens": 40}, "output_tokens": 20,
            "output_tokens_details": {"reasoning_tokens": 5}, "total_tokens": 120}


def blocking(kind: str, request: dict) -> dict:
    model = request.get("model", "")
    if kind == "messages":
        return {"id": ANTHROPIC_MSG_ID, "type": "message", "role": "assistant", "model": model,
                "content": [{"type": "text", "text": "I'll read the foo file."},
                            {"type": "tool_use", "id": "toolu_01", "name": "Read", "input": TOOL_ARGS}],
                "stop_reason": "tool_use", "stop_sequence": None, "usage": anthropic_usage(), "future_field": [1, 2]}
    if kind == "chat":
        return {"id": CHAT_ID, "object": "chat.completion", "created": 1741000000, "model": model,
                "choices": [{"index": 0, "finish_reason": "tool_calls", "logprobs": None, "message": {
                    "role": "assistant", "content": None, "refusal": None, "tool_calls": [{
                        "id": "call_1", "type": "function",
                        "function": {"name": "read_file", "arguments": json.dumps(TOOL_ARGS)}}]}}],
                "usage": chat_usage(), "future_field": "kept"}
    return {"id": RESPONSE_ID, "object": "response", "status": "completed", "model": model,
            "output": [{"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "read_file",
                        "arguments": json.dumps(TOOL_ARGS), "status": "completed"}],
            "usage": responses_usage()}


def error_body(kind: str) -> dict:
    if kind == "messages":
        return {"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: required"}}
    return {"error": {"message": "Invalid model.", "type": "invalid_request_error", "param": "model",
                      "code": "model_not_found"}}


def models(path: str) -> dict:
    return {"object": "list", "data": [{"id": "gpt-4.1", "object": "model", "created": 1, "owned_by": "openai"}]}
