"""Routes of a subdomain app's host: every path belongs to the app."""
from django.urls import re_path

from workspaces.appproxy import subdomain

urlpatterns = [re_path(r"^(?P<rest>.*)$", subdomain.subdomain_app)]
