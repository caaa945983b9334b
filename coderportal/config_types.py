"""The kinds of configuration values and their parsers: what `Option(kind=...)` accepts.

A kind turns the text of an environment variable into a typed value or raises `ValueError`
saying what it expected (`accepted`, shown in the error line and the configuration reference).
An empty text means "not set" for kinds that have a natural empty value (URL, list, JSON).
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Kind:
    name: str
    accepted: str  # the accepted form, as the operator should write it
    parse: Callable[[str], Any]


TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise ValueError


def _int(text: str) -> int:
    if not re.fullmatch(r"\d+", text.strip()):
        raise ValueError
    return int(text)


def _number(text: str) -> float:
    if not re.fullmatch(r"\d+(\.\d+)?", text.strip()):
        raise ValueError
    return float(text)


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|d|h|m|s)")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """A Go-style duration: `90s`, `5m`, `1h30m`, `24h`, `500ms` (and `d` for days)."""
    text = text.strip()
    if text == "0":  # as Go's time.ParseDuration: a bare zero needs no unit
        return timedelta(0)
    parts = _DURATION_PART.findall(text)
    if not text or "".join(number + unit for number, unit in parts) != text:
        raise ValueError(f"invalid duration {text!r}")
    return timedelta(seconds=sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts))


def _duration(text: str) -> timedelta:
    return parse_duration(text)


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _key_values(text: str) -> dict[str, str]:
    pairs = {}
    for part in _list(text):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValueError
        pairs[key.strip()] = value.strip()
    return pairs


def _json_object(text: str) -> dict:
    if not text.strip():
        return {}
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError
    return value


def _host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError
    return host.strip("[]") or "0.0.0.0", int(port)


def _path(text: str) -> Path:
    if not text.strip():
        raise ValueError
    return Path(text.strip()).expanduser()


def _optional_path(text: str) -> Path | None:
    return _path(text) if text.strip() else None


def url(*schemes: str) -> Kind:
    """A URL with one of `schemes` (any scheme when none are given) and a host or path; empty = not set."""

    def parse(text: str) -> str:
        text = text.strip()
        if not text:
            return ""
        parts = urlsplit(text)
        if not parts.scheme or (schemes and parts.scheme not in schemes) or "://" not in text:
            raise ValueError
        return text

    shown = ", ".join(s + "://..." for s in schemes) if schemes else "scheme://..."
    return Kind("url", f"a URL ({shown})", parse)


def optional_host_port() -> Kind:
    """host:port, or empty for "not set" (e.g. an SMTP smarthost)."""

    def parse(text: str) -> tuple[str, int] | None:
        return _host_port(text) if text.strip() else None

    return Kind("host:port", "host:port (empty: not set), e.g. smtp.example.com:587", parse)


def choice(*values: str) -> Kind:
    def parse(text: str) -> str:
        if text.strip().upper() not in values:
            raise ValueError
        return text.strip().upper()

    return Kind("choice", "one of " + ", ".join(values), parse)


STRING = Kind("string", "any text", lambda text: text)
BOOL = Kind("bool", "true or false", _bool)
INT = Kind("int", "a whole number >= 0, e.g. 512", _int)
NUMBER = Kind("number", "a number >= 0, e.g. 5 or 0.5", _number)
DURATION = Kind("duration", "a duration such as 90s, 5m, 1h30m or 24h", _duration)
LIST = Kind("list", "comma-separated values, e.g. a,b,c", _list)
KEY_VALUES = Kind("key=value list", "comma-separated key=value pairs, e.g. region=eu,gpu=true", _key_values)
JSON_OBJECT = Kind("JSON", 'a JSON object, e.g. {"from": "to"}', _json_object)
HOST_PORT = Kind("host:port", "host:port, :port or [v6]:port, e.g. 127.0.0.1:3000", _host_port)
PATH = Kind("path", "a file system path", _path)
OPTIONAL_PATH = Kind("path", "a file system path (empty: the default)", _optional_path)
HTTP_URL = url("http", "https")
