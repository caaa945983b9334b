"""SMTP delivery with Coder's CODER_EMAIL_* options (smarthost, HELO, auth, TLS/STARTTLS)."""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from coderportal import config
from notifications.dispatch import DeliveryError


def _tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    if config.get_bool("CODER_EMAIL_TLS_SKIPVERIFY"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    cert, key = config.value("CODER_EMAIL_TLS_CERTFILE"), config.value("CODER_EMAIL_TLS_CERTKEYFILE")
    if cert:
        context.load_cert_chain(str(cert), str(key) if key else None)
    return context


def _password() -> str:
    path = config.value("CODER_EMAIL_AUTH_PASSWORD_FILE")
    return path.read_text().strip() if path else config.get("CODER_EMAIL_AUTH_PASSWORD")


def build_email(message_id: str, recipient: str, rendered) -> EmailMessage:
    email = EmailMessage()
    email["From"] = config.get("CODER_EMAIL_FROM")
    email["To"] = recipient
    email["Subject"] = rendered.title
    email["Message-Id"] = make_msgid(idstring=message_id)
    email["X-Message-Id"] = message_id
    email.set_content(rendered.body_text + "".join(f"\n\n{a['label']}: {a['url']}" for a in rendered.actions))
    links = "".join(f'<p><a href="{a["url"]}">{a["label"]}</a></p>' for a in rendered.actions)
    email.add_alternative(f"<html><body>{rendered.body_html}{links}</body></html>", subtype="html")
    return email


def send(message_id: str, recipient: str, rendered, *, timeout: float) -> None:
    smarthost = config.value("CODER_EMAIL_SMARTHOST")
    if not smarthost or not config.get("CODER_EMAIL_FROM"):
        raise DeliveryError("SMTP is not configured (CODER_EMAIL_SMARTHOST, CODER_EMAIL_FROM)", retryable=False)
    host, port = smarthost
    hello = config.get("CODER_EMAIL_HELLO")
    try:
        if config.get_bool("CODER_EMAIL_FORCE_TLS") or port == 465:
            client = smtplib.SMTP_SSL(host, port, local_hostname=hello, timeout=timeout, context=_tls_context())
        else:
            client = smtplib.SMTP(host, port, local_hostname=hello, timeout=timeout)
        with client:
            if config.get_bool("CODER_EMAIL_TLS_STARTTLS"):
                client.starttls(context=_tls_context())
                client.ehlo(hello)
            username = config.get("CODER_EMAIL_AUTH_USERNAME")
            if username:
                client.login(username, _password())
            client.send_message(build_email(message_id, recipient, rendered))
    except smtplib.SMTPResponseException as exc:
        # 5xx is the server refusing for good (bad recipient, auth); 4xx may pass later.
        raise DeliveryError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", retryable=exc.smtp_code < 500) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP: {exc}") from None
