"""Browser routes of the web terminal (mounted at the site root)."""
from django.urls import path

from workspaces.terminal import views

urlpatterns = [
    path("@<str:username>/<str:target>/terminal", views.terminal_page, name="web-terminal"),
    path("terminal-assets/<str:name>", views.asset),
]
