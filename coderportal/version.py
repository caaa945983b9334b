"""The portal's version and build information."""
from __future__ import annotations

from django.conf import settings

VERSION = "2.0.0"


def build_info() -> dict:
    return {
        "external_url": "https://github.com/coderportal/coderportal",
        "version": f"v{VERSION}",
        "agent_api_version": "2.0",
        "provisioner_api_version": "1.0",
        "dashboard_url": settings.ACCESS_URL,
        "workspace_proxy": False,
        "upgrade_message": "",
        "deployment_id": "",
        "webpush_public_key": "",
        "telemetry": False,
    }
