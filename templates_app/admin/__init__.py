"""The templates app's admin: templates (create from an imported version, edit policy,
active version, delete), template versions (read-only, promote/archive actions), uploaded
files with the "upload template" form, and read-only provisioner jobs and daemons.

Every ModelAdmin uses `accounts.admin.mixins.RbacAdminMixin`; every write calls a service.
"""
from . import files, jobs, templates, versions  # noqa: F401  (registers)
