"""Top-level routes: home, health, admin, login/SSO, the /api/v2 tree and its OpenAPI schema."""
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerView

from coderportal import views
from coderportal.api import deployment

api_v2 = [
    path("buildinfo", deployment.BuildInfoView.as_view()),
    path("deployment/config", deployment.DeploymentConfigView.as_view()),
    path("applications/host", deployment.AppHostView.as_view()),
    path("debug/health", deployment.HealthReportView.as_view()),
    path("openapi.json", views.OpenApiSchemaView.as_view(), name="openapi-schema"),
    path("", include("notifications.api.urls")),
    path("", include("accounts.api.urls")),
    path("", include("templates_app.api.urls")),
    path("", include("workspaces.agentapi.urls")),
    path("", include("workspaces.api.urls")),
    path("", include("aibridge.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", deployment.healthz),
    path("bin/", include("workspaces.agentapi.bin_urls")),
    path("", include("workspaces.terminal.urls")),
    path("", include("workspaces.appproxy.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.sso.urls")),
    path("", include("accounts.urls")),
    path("swagger", SpectacularSwaggerView.as_view(url_name="v2:openapi-schema"), name="swagger"),
    # Coder clients send both `/api/v2/x` and `/api/v2/x/`: accept either.
    re_path(r"^api/v2/", include((api_v2, "api"), namespace="v2")),
]
