"""`/bin/coder-agent` (mounted at the site root, as the init script expects)."""
from django.urls import path

from workspaces.agentapi import binary

urlpatterns = [path("coder-agent", binary.download)]
