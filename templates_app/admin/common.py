"""Helpers shared by the templates admins: read-only admins and small HTML tables."""
from __future__ import annotations

from django.utils.html import format_html, format_html_join


class ReadOnlyAdminMixin:
    """Rows are shown, never edited here (their changes happen through services elsewhere)."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def html_table(headers, rows):
    if not rows:
        return "—"
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join("", "<tr>{}</tr>", (
        (format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows))
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)
