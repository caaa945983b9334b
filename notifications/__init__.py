"""Notifications: Coder's templates as data, an outbox of messages delivered by Celery
(SMTP, webhook incl. Slack/Teams formats, in-app inbox), per-user preferences.

Layer: below `templates_app`, above `accounts`. Events enqueue through
`notifications.services.enqueue(...)`; `accounts` events arrive through its signals.
"""
