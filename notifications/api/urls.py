"""Routes of the notifications API, mounted under /api/v2/ (Coder's paths)."""
from django.urls import path

from notifications.api import views

urlpatterns: list = [
    path("notifications/settings", views.SettingsView.as_view()),
    path("notifications/templates/system", views.SystemTemplatesView.as_view()),
    path("notifications/templates/<uuid:template_id>/method", views.TemplateMethodView.as_view()),
    path("notifications/dispatch-methods", views.DispatchMethodsView.as_view()),
    path("notifications/test", views.TestNotificationView.as_view()),
    path("notifications/inbox", views.InboxView.as_view()),
    path("notifications/inbox/mark-all-as-read", views.InboxMarkAllReadView.as_view()),
    path("notifications/inbox/<uuid:item_id>/read-status", views.InboxReadStatusView.as_view()),
    path("users/<str:user>/notifications/preferences", views.PreferencesView.as_view()),
]
