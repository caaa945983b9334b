"""Helpers shared by the templates and workspaces admins: HTML tables, ACL-aware menus, job log boxes."""
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


_LOGS_WIDGET = """
<pre id="job-logs" style="max-height:32em;overflow:auto;background:#111;color:#ddd;padding:.5em;
white-space:pre-wrap"></pre>
<script>
(function () {{
  var box = document.getElementById("job-logs"), after = 0, url = "{url}";
  function poll() {{
    fetch(url + "?after=" + after, {{credentials: "same-origin"}}).then(function (r) {{ return r.json(); }})
      .then(function (rows) {{
        rows.forEach(function (row) {{
          after = row.id;
          box.textContent += (row.stage ? "[" + row.stage + "] " : "") + row.output + "\\n";
        }});
        if (rows.length) box.scrollTop = box.scrollHeight;
        setTimeout(poll, {delay});
      }}).catch(function () {{ setTimeout(poll, 5000); }});
  }}
  poll();
}})();
</script>
"""


def job_logs_widget(url: str, job):
    """A log box that follows a job's `/logs` endpoint (fast while the job runs)."""
    return format_html(_LOGS_WIDGET, url=url, delay=1000 if job.is_active else 30000)
