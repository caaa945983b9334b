"""Browser routes of path-based workspace apps (mounted at the site root)."""
from django.urls import path

from workspaces.appproxy import http_proxy, subdomain

urlpatterns = [
    path("api/v2/applications/auth-redirect", subdomain.auth_redirect),
    path("api/v2/applications/auth-redirect/", subdomain.auth_redirect),
    path("@<str:username>/<str:target>/apps/<str:slug>", http_proxy.app_proxy),
    path("@<str:username>/<str:target>/apps/<str:slug>/", http_proxy.app_proxy, {"rest": ""}),
    path("@<str:username>/<str:target>/apps/<str:slug>/<path:rest>", http_proxy.app_proxy),
]
