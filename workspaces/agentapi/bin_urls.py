"""`/bin/coder-agent` and `/bin/coderportal` (mounted at the site root, as the init script expects)."""
from django.urls import path

from . import binary

urlpatterns = [path("coder-agent", binary.download), path("coderportal", binary.download_cli)]
