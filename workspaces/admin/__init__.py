"""The workspaces app's admin: workspaces (list, filters, build actions, two-step create,
settings edits through services), read-only builds with live logs and state download, and
the workspace quota panels of the user and group pages —
all through `accounts.admin.mixins.RbacAdminMixin`."""
from . import builds, quotas, workspaces  # noqa: F401  (registers)
