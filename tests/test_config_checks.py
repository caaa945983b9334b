"""Typed configuration: every option has a kind, and a bad value stops `serve` at once with one line.

The `serve` tests run the real command; it must stop before migrating or starting anything,
print one line naming the variable and the accepted form, and no traceback.
"""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from coderportal import config
from coderportal.config import ConfigError, Option
from coderportal.config_types import DURATION, INT, STRING
from coderportal.serve.options import SERVE_OPTIONS

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = {"CODER_PG_CONNECTION_URL", "CODER_REDIS_URL", "CELERY_BROKER_URL", "CODER_SQLITE_PATH"}


def _serve(tmp_path, *flags: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in BACKENDS}
    return subprocess.run([sys.executable, "manage.py", "serve", "--data-dir", str(tmp_path / "data"),
                           "--http-address", "127.0.0.1:3999", *flags],
                          cwd=ROOT, env={**base, **(env or {})}, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("variable, value, flags, accepted", [
    ("CODER_API_RATE_LIMIT", "lots", (), "a whole number"),                    # int
    ("CODER_PROVISIONER_HANG_TIMEOUT", "ninety", (), "a duration such as 90s"),  # duration
    ("CODER_DISABLE_PASSWORD_AUTH", "maybe", (), "true or false"),              # bool
    ("CODER_PG_CONNECTION_URL", "mysql://db/portal", (), "postgresql://"),      # URL (secret)
    ("CODER_OIDC_GROUP_MAPPING", "{broken", (), "a JSON object"),               # JSON
    ("CODER_HTTP_ADDRESS", None, ("--http-address", "localhost"), "host:port"),  # host:port, as a flag
    ("CODER_SHUTDOWN_GRACE_PERIOD", None, ("--shutdown-grace-period", "soon"), "a duration"),  # serve-only
    ("CODER_PROVISIONER_TAGS", "gpu", (), "key=value pairs"),                   # key=value list
])
def test_a_bad_value_stops_serve_with_one_line(tmp_path, variable, value, flags, accepted):
    result = _serve(tmp_path, *flags, env={variable: value} if value is not None else None)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"configuration error: {variable}=") and accepted in lines[0], lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert "View the Web UI" not in result.stdout
    assert not (tmp_path / "data" / "coderportal.sqlite3").exists()  # stopped before migrating
    if variable == "CODER_PG_CONNECTION_URL":
        assert "mysql" not in result.stderr  # secrets are never echoed


def test_several_web_workers_on_the_embedded_default_are_refused(tmp_path):
    result = _serve(tmp_path, "--web-workers", "2")
    assert result.returncode != 0
    assert "--web-workers 2 needs Redis (CODER_REDIS_URL)" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_option_has_a_kind_and_its_default_parses():
    for option in [*config.OPTIONS.values(), *SERVE_OPTIONS]:
        assert option.kind is not None
        option.kind.parse(option.default)  # raises on a bad default


def test_typed_accessors_return_typed_values(monkeypatch):
    monkeypatch.setenv("CODER_PROVISIONER_HANG_TIMEOUT", "1h30m")
    monkeypatch.setenv("CODER_API_RATE_LIMIT", "7")
    monkeypatch.setenv("CODER_OIDC_SCOPES", "openid, email")
    monkeypatch.setenv("CODER_PROVISIONER_TAGS", "region=eu, gpu=true")
    assert config.get_duration("CODER_PROVISIONER_HANG_TIMEOUT") == timedelta(hours=1, minutes=30)
    assert config.get_int("CODER_API_RATE_LIMIT") == 7
    assert config.get_list("CODER_OIDC_SCOPES") == ["openid", "email"]
    assert config.value("CODER_PROVISIONER_TAGS") == {"region": "eu", "gpu": "true"}
    config.value("CODER_PROVISIONER_TAGS")["x"] = "y"  # a caller's change never leaks to the next
    assert config.value("CODER_PROVISIONER_TAGS") == {"region": "eu", "gpu": "true"}


def test_a_plain_option_without_a_kind_is_text():
    plain = Option("CODER_SOMETHING_NEW", "hello", "An option added the simple way.")
    assert plain.kind is STRING and plain.typed == "hello"


@pytest.mark.parametrize("kind, text", [(DURATION, "90"), (DURATION, "5 m"), (DURATION, "1x"), (INT, "-1"),
                                        (INT, "1.5")])
def test_malformed_values_name_the_variable_and_the_accepted_form(monkeypatch, kind, text):
    option = Option("CODER_TEST_OPTION", "", "test", kind=kind)
    monkeypatch.setenv("CODER_TEST_OPTION", text)
    with pytest.raises(ConfigError, match=rf"^CODER_TEST_OPTION='{text}' is not valid: expected {kind.accepted}$"):
        _ = option.typed
