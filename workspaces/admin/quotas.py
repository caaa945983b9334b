"""Workspace quota on the admin's user and group pages (panels registered with
`accounts.admin.extensions`): the organization's quota mode, then budget and consumption
per organization (user page) or per member (group page, first MEMBERS_SHOWN members).
Only what the viewer may read is listed: organizations and users go through rbac."""
from __future__ import annotations

from django.utils.html import format_html, format_html_join

from accounts import rbac
from accounts.admin import extensions
from accounts.models import Organization, User
from workspaces.services import quotas

MEMBERS_SHOWN = 50


def _budget(quota: quotas.WorkspaceQuota) -> str:
    return "unlimited" if quota.budget == quotas.UNLIMITED else str(quota.budget)


def mode_text(organization) -> str:
    if quotas.quotas_enabled(organization.pk):
        return (f"Quotas are on in {organization}: a start that would take a member's consumption past "
                "their budget (the sum of their groups' allowances) fails.")
    return (f"Quotas are off in {organization}: no group has an allowance, so workspaces are unlimited "
            "(costs are still recorded). Give any group an allowance to turn them on.")


def user_panel(request, user) -> str:
    subject = rbac.subject_of(request.user)
    orgs = rbac.filter_queryset(subject, "read", Organization.objects.filter(memberships__user=user)).order_by("name")
    rows = []
    for org in orgs:
        quota = quotas.quotas_of_members(org.pk, [user.pk]).get(user.pk)
        if quota is not None:
            rows.append((org, quota.credits_consumed, _budget(quota),
                         "on" if quota.budget != quotas.UNLIMITED else "off (unlimited)"))
    if not rows:
        return "—"
    return format_html(
        '<table class="workspace-quota"><thead><tr><th>Organization</th><th>Credits consumed</th>'
        "<th>Budget</th><th>Quotas</th></tr></thead><tbody>{}</tbody></table>",
        format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows))


def group_panel(request, group) -> str:
    subject = rbac.subject_of(request.user)
    users = User.objects.filter(deleted=False, memberships__organization_id=group.organization_id)
    if not group.is_everyone:
        users = users.filter(groups=group.auth_group_id)
    users = list(rbac.filter_queryset(subject, "read", users).order_by("username")[:MEMBERS_SHOWN])
    by_user = quotas.quotas_of_members(group.organization_id, [u.pk for u in users])
    rows = [(u.username, by_user[u.pk].credits_consumed, _budget(by_user[u.pk])) for u in users if u.pk in by_user]
    table = format_html(
        '<table class="workspace-quota"><thead><tr><th>Member</th><th>Credits consumed</th><th>Budget</th>'
        "</tr></thead><tbody>{}</tbody></table>",
        format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows)) if rows else ""
    return format_html("<p>{}</p><p>This group adds {} to each member's budget.</p>{}",
                       mode_text(group.organization), group.quota_allowance, table)


extensions.register(extensions.user_panels, extensions.Panel("Workspace quota", user_panel))
extensions.register(extensions.group_panels, extensions.Panel("Workspace quota", group_panel))
