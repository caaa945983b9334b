"""Routes of the accounts API (audit), mounted under /api/v2/."""
from django.urls import path

from accounts.api.audit import AuditLogsView

urlpatterns: list = [
    path("audit", AuditLogsView.as_view(), name="audit-logs"),
]
