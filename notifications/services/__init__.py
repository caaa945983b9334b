"""The public face of notifications: `enqueue` for events; the rest for API and admin."""
from notifications.services.enqueue import (
    enqueue,
    recipients_owners_and_user_admins,
    recipients_template_admins,
)

__all__ = ["enqueue", "recipients_owners_and_user_admins", "recipients_template_admins"]
