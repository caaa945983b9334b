"""Routes of the accounts API, mounted under /api/v2/."""
from django.urls import include, path

urlpatterns: list = []
urlpatterns += [path("", include("accounts.api.urls_users"))]
urlpatterns += [path("", include("accounts.api.urls_orgs"))]
urlpatterns += [path("", include("accounts.api.urls_audit"))]
