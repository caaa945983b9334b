"""Secrets never reach the server log: tokens passed in URLs (`?coder_session_token=`, the
subdomain-app handshake's one-time token) are masked in every record of the web server
(uvicorn's access and websocket lines) and of the portal's own loggers."""
from __future__ import annotations

import logging
import re

SECRET_PARAMS = ("coder_session_token", "coder_application_connect_api_key", "coder_app_token")
_PATTERN = re.compile(r"((?:{})=)[^&\s\"'#]+".format("|".join(SECRET_PARAMS)), re.IGNORECASE)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    return _PATTERN.sub(lambda m: m.group(1) + REDACTED, text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


WEB_SERVER_LOGGERS = ("uvicorn.access", "uvicorn.error", "daphne.server")


def install() -> None:
    """Mask secrets in the web server's loggers and in everything the root logger handles."""
    secrets_filter = RedactSecrets()
    for name in WEB_SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(secrets_filter)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(secrets_filter)
