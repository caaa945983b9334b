"""The workspaces app's admin: workspaces (list, filters, build actions, two-step create,
settings edits through services) and read-only builds with live logs and state download —
all through `accounts.admin.mixins.RbacAdminMixin`."""
from . import builds, workspaces  # noqa: F401  (registers)
