"""The served process as deployed (`manage.py serve`, uvicorn as its child): forwarded headers
count only from CODER_PROXY_TRUSTED_ORIGINS, and tokens passed in URLs never reach its log."""
from __future__ import annotations

import uuid

import httpx
import pytest
from websockets.sync.client import connect

from coderportal.proxy_headers import client_address, forwarded_scheme
from tests.test_serve import backing_services, serve  # noqa: F401 - fixtures

LOGIN = "/api/v2/users/login"
BAD_LOGIN = {"email": "nobody@example.com", "password": "wrong-password-1"}


def _statuses(base: str, forwarded_for: list[str]) -> list[int]:
    with httpx.Client(base_url=base, timeout=30) as http:
        return [http.post(LOGIN, json=BAD_LOGIN, headers={"X-Forwarded-For": ip}).status_code for ip in forwarded_for]


def test_forged_forwarded_for_does_not_escape_the_login_limit(serve, monkeypatch):
    monkeypatch.setenv("CODER_LOGIN_RATE_LIMIT", "3")
    served = serve(daemons=0)
    served.wait_healthy()
    statuses = _statuses(served.base, [f"10.0.0.{i}" for i in range(1, 7)])
    assert statuses[:3] == [401, 401, 401] and set(statuses[3:]) == {429}, statuses
    served.stop()


def test_trusted_proxy_forwards_the_client_address(serve, monkeypatch):
    monkeypatch.setenv("CODER_LOGIN_RATE_LIMIT", "3")
    monkeypatch.setenv("CODER_PROXY_TRUSTED_ORIGINS", "127.0.0.0/8")
    monkeypatch.setenv("CODER_PROXY_TRUSTED_HEADERS", "X-Forwarded-For")
    served = serve(daemons=0)
    served.wait_healthy()
    # Each client behind the proxy has its own bucket ...
    assert _statuses(served.base, [f"10.0.0.{i}, 127.0.0.1" for i in range(1, 7)]) == [401] * 6
    # ... and one client stays limited whatever else the proxy appends.
    statuses = _statuses(served.base, ["10.9.9.9", "10.9.9.9, 1.1.1.1", "10.9.9.9", "10.9.9.9, 2.2.2.2"])
    assert statuses == [401, 401, 401, 429], statuses
    served.stop()


def test_tokens_in_urls_never_reach_the_server_log(serve, monkeypatch):
    monkeypatch.setenv("CODER_LOG_LEVEL", "DEBUG")  # the access log is on at DEBUG
    served = serve(daemons=0)
    served.wait_healthy()
    secret = f"AbCdEf1234-{uuid.uuid4().hex}"
    with httpx.Client(base_url=served.base, timeout=30) as http:
        assert http.get(f"/api/v2/users/me?coder_session_token={secret}").status_code == 401
        http.get(f"/api/v2/applications/auth-redirect?x=1&coder_session_token={secret}")
    ws_url = served.base.replace("http://", "ws://") + f"/api/v2/workspaceagents/{uuid.uuid4()}/pty"
    try:
        with connect(f"{ws_url}?coder_session_token={secret}", open_timeout=20) as ws:
            ws.recv(timeout=20)
    except Exception:  # noqa: BLE001 - refused, as it must be: only the log matters here
        pass
    assert served.stop() == 0
    log = served.output()
    assert secret not in log and secret[:10] not in log
    assert "/api/v2/users/me?coder_session_token=[redacted]" in log  # the lines were logged, masked
    assert "WebSocket /api/v2/workspaceagents/" in log


@pytest.mark.parametrize("peer, headers, trusted, expected", [
    ("10.0.0.1", [(b"x-forwarded-for", b"1.2.3.4")], ("", ""), None),                    # nothing trusted
    ("10.0.0.1", [(b"x-forwarded-for", b"1.2.3.4")], ("127.0.0.1", "X-Forwarded-For"), None),  # not the proxy
    ("127.0.0.1", [(b"x-forwarded-for", b"1.2.3.4, 5.6.7.8")], ("127.0.0.1/32", "X-Forwarded-For"), "1.2.3.4"),
    ("127.0.0.1", [(b"x-real-ip", b"9.9.9.9")], ("127.0.0.1/32", "X-Forwarded-For"), None),  # header not trusted
    ("127.0.0.1", [(b"x-real-ip", b"9.9.9.9"), (b"x-forwarded-for", b"1.2.3.4")],
     ("127.0.0.1/32", "X-Real-IP,X-Forwarded-For"), "9.9.9.9"),                           # first trusted header wins
    ("127.0.0.1", [(b"x-forwarded-for", b"not-an-ip")], ("127.0.0.1/32", "X-Forwarded-For"), None),
    ("::1", [(b"cf-connecting-ip", b"2001:db8::1")], ("::1/128", "CF-Connecting-IP"), "2001:db8::1"),
    ("192.168.1.7", [(b"x-forwarded-for", b"1.2.3.4:5555")], ("192.168.0.0/16", "X-Forwarded-For"), "1.2.3.4"),
])
def test_client_address_rules(monkeypatch, peer, headers, trusted, expected):
    monkeypatch.setenv("CODER_PROXY_TRUSTED_ORIGINS", trusted[0])
    monkeypatch.setenv("CODER_PROXY_TRUSTED_HEADERS", trusted[1])
    assert client_address({"type": "http", "client": (peer, 1234), "headers": headers}) == expected


def test_scheme_only_from_a_trusted_proxy(monkeypatch):
    monkeypatch.setenv("CODER_PROXY_TRUSTED_ORIGINS", "127.0.0.1/32")
    headers = [(b"x-forwarded-proto", b"https")]
    assert forwarded_scheme({"type": "http", "client": ("127.0.0.1", 1), "headers": headers}) == "https"
    assert forwarded_scheme({"type": "websocket", "client": ("127.0.0.1", 1), "headers": headers}) == "wss"
    assert forwarded_scheme({"type": "http", "client": ("10.0.0.9", 1), "headers": headers}) is None
    assert forwarded_scheme({"type": "http", "client": ("127.0.0.1", 1),
                             "headers": [(b"x-forwarded-proto", b"gopher")]}) is None
