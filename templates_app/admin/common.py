"""Helpers shared by the templates admins: read-only admins and small HTML tables."""
from __future__ import annotations

from django.utils.html import format_html, format_html_join

from accounts import rbac


def html_table(headers, rows):
    if not rows:
        return "—"
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join("", "<tr>{}</tr>", (
        (format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows))
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


class AclAwareMixin:
    """Model-level admin checks that count template ACL grants: `can_any` only knows roles,
    so a member allowed a template by its access list would otherwise not see the menu
    entry or list at all. Object-level checks are the engine's, unchanged."""

    def rbac_allows(self, request, action: str, obj=None) -> bool:
        allowed = super().rbac_allows(request, action, obj)
        if allowed or obj is not None or not request.user.is_authenticated:
            return allowed
        subject = self.rbac_subject(request)
        return rbac.filter_queryset(subject, action, self.model._default_manager.all()).exists()
