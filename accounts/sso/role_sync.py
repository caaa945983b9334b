"""Site-role sync from the identity provider's role claim (CODER_OIDC_USER_ROLE_FIELD).

The user's explicit site roles become exactly the site roles named by the mapped claim, set
through the users service (`set_site_roles`, audited) as the system. Names that are not site
roles are ignored and logged rather than failing the login; `member` is implicit.
"""
from __future__ import annotations

import logging

from accounts.models import Role
from accounts.services.audit import Actor
from accounts.services.users import set_site_roles

log = logging.getLogger(__name__)


def sync_site_roles(user, role_names: list[str]) -> None:
    known = set(Role.objects.filter(name__in=role_names, organization=None, is_org_role=False)
                .values_list("name", flat=True))
    unknown = sorted(set(role_names) - known - {"member"})
    if unknown:
        log.warning("role sync: %s are not site roles; ignored for %s", unknown, user.username)
    set_site_roles(user, sorted(known), actor=Actor.system())
