"""The accounts app's admin: users, organizations, members, groups, roles, API keys and the
audit log, all through `RbacAdminMixin` (see mixins.py); third-party admins brought under
the engine or removed (third_party.py)."""
from . import apikeys, audit, groups, organizations, roles, third_party, users  # noqa: F401  (registers)
