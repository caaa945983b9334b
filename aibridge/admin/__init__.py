"""AI Bridge in the admin: interceptions (filters, detail with prompts, tokens and tool calls)
and token totals per user and per model, with CSV export. Rows come from accounts.rbac:
members see their own interceptions, auditors and owners everyone's."""
from . import interceptions  # noqa: F401  (registers the ModelAdmin)
