import pytest

from tests.notifications.receivers import SMTPServer, WebhookReceiver


@pytest.fixture
def smtp_server(monkeypatch):
    with SMTPServer() as server:
        monkeypatch.setenv("CODER_EMAIL_SMARTHOST", server.address)
        monkeypatch.setenv("CODER_EMAIL_FROM", "coder@example.com")
        yield server


@pytest.fixture
def webhook_receiver(monkeypatch):
    with WebhookReceiver() as receiver:
        monkeypatch.setenv("CODER_NOTIFICATIONS_WEBHOOK_ENDPOINT", receiver.url)
        yield receiver


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setenv("CODER_NOTIFICATIONS_RETRY_INTERVAL", "0s")
