"""Deployment-level endpoints: health, build info, configuration (secrets redacted), app host,
the health report."""
from __future__ import annotations

from django.http import HttpResponse
from rest_framework.response import Response

from accounts import rbac
from coderportal import config
from coderportal.api.permissions import AllowAny
from coderportal.api.views import PortalAPIView
from coderportal.version import VERSION, build_info


def healthz(request):
    return HttpResponse("OK", content_type="text/plain")


class BuildInfoView(PortalAPIView):
    permission_classes = [AllowAny]

    def get(self, request):
        return Response(build_info())


class DeploymentConfigView(PortalAPIView):
    def get(self, request):
        rbac.authorize(self.subject, "read", rbac.RbacObject(type="deployment_config"))
        return Response({"config": {o["env"]: o["value"] for o in config.redacted()},
                         "options": config.redacted(), "version": VERSION})


class AppHostView(PortalAPIView):
    """`GET /applications/host` (Coder's): the wildcard host of subdomain apps, "" when off.
    Any authenticated user may read it (clients build app URLs from it)."""

    def get(self, request):
        wildcard = config.get("CODER_WILDCARD_ACCESS_URL").strip()
        return Response({"host": wildcard.split("://", 1)[-1].rstrip("/")})


class HealthReportView(PortalAPIView):
    """Coder's `GET /api/v2/debug/health`: owners (and anyone granted debug_info read)."""

    def get(self, request):
        from coderportal.health import report

        rbac.authorize(self.subject, "read", rbac.RbacObject(type="debug_info"))
        return Response(report.build())
