"""Top-level routes: health, admin, login/SSO, the /api/v2 tree and its OpenAPI schema."""
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from coderportal.api import deployment

api_v2 = [
    path("buildinfo", deployment.BuildInfoView.as_view()),
    path("deployment/config", deployment.DeploymentConfigView.as_view()),
    path("openapi.json", SpectacularAPIView.as_view(), name="openapi-schema"),
    path("", include("accounts.api.urls")),
    path("", include("templates_app.api.urls")),
    path("", include("workspaces.agentapi.urls")),
    path("", include("workspaces.api.urls")),
    path("", include("aibridge.urls")),
]

urlpatterns = [
    path("healthz", deployment.healthz),
    path("bin/", include("workspaces.agentapi.bin_urls")),
    path("", include("workspaces.terminal.urls")),
    path("", include("workspaces.appproxy.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("swagger", SpectacularSwaggerView.as_view(url_name="v2:openapi-schema"), name="swagger"),
    # Coder clients send both `/api/v2/x` and `/api/v2/x/`: accept either.
    re_path(r"^api/v2/", include((api_v2, "api"), namespace="v2")),
]
