"""Bridged endpoints: per provider and route, how requests are rewritten and what is recorded."""
from __future__ import annotations

from .anthropic import MessagesInterceptor
from .base import Interceptor, RequestRefused
from .openai import ChatCompletionsInterceptor, ResponsesInterceptor

# (provider, route inside the provider) -> interceptor class
BRIDGED: dict[tuple[str, str], type[Interceptor]] = {
    ("openai", "chat/completions"): ChatCompletionsInterceptor,
    ("openai", "responses"): ResponsesInterceptor,
    ("anthropic", "v1/messages"): MessagesInterceptor,
}

__all__ = ["BRIDGED", "Interceptor", "RequestRefused"]
