"""Websocket routes of the notifications API."""
from django.urls import path

from notifications.api.consumers import InboxWatchConsumer

websocket_urlpatterns = [
    path("api/v2/notifications/inbox/watch", InboxWatchConsumer.as_asgi()),
]
