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


@pytest.fixture(autouse=True)
def _system_templates(db):
    """Transactional tests flush the tables, data migrations included: put the templates back."""
    import importlib

    from django.apps import apps

    from notifications.models import NotificationTemplate

    if not NotificationTemplate.objects.exists():
        importlib.import_module("notifications.migrations.0002_coder_system_templates").load(apps, None)
