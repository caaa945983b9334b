"""Domain events of accounts, sent inside the service's transaction.

Apps above `accounts` (notifications) listen to these instead of being imported from here,
which keeps the layering one-way; a receiver's writes join the event's transaction.
Each is sent with `user=` (the account) and `actor=` (who acted; `Actor.user` may be None).
"""
from django.dispatch import Signal

user_created = Signal()
user_deleted = Signal()
user_suspended = Signal()
user_activated = Signal()
