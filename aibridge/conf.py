"""AI Bridge settings, read from `coderportal.config` when a request needs them."""
from __future__ import annotations

import os
from dataclasses import dataclass

from coderportal import config


@dataclass(frozen=True)
class ProviderConfig:
    name: str  # "openai" | "anthropic": the route prefix and the recorded provider
    base_url: str
    key: str


def enabled() -> bool:
    return config.get_bool("CODER_AIBRIDGE_ENABLED")


def structured_logging() -> bool:
    return config.get_bool("CODER_AIBRIDGE_STRUCTURED_LOGGING")


def provider(name: str) -> ProviderConfig:
    upper = name.upper()
    # Like Coder, the providers' own SDK variables are the fallback for the keys.
    key = config.get(f"CODER_AIBRIDGE_{upper}_KEY") or os.environ.get(f"{upper}_API_KEY", "")
    return ProviderConfig(name, config.get(f"CODER_AIBRIDGE_{upper}_BASE_URL").rstrip("/"), key)


def retention_seconds() -> int:
    return int(config.get_duration("CODER_AIBRIDGE_RETENTION").total_seconds())


def max_concurrency() -> int:
    return config.get_int("CODER_AIBRIDGE_MAX_CONCURRENCY")


def rate_limit() -> int:
    return config.get_int("CODER_AIBRIDGE_RATE_LIMIT")
