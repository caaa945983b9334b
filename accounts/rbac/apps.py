"""Who may open a workspace app (`coder_app`), by its sharing level and how it is served.

Coder's rules, decided here like every other permission:

- `owner`: those allowed `application_connect` on the workspace (its owner; site owners
  unless `CODER_DISABLE_OWNER_WORKSPACE_ACCESS`);
- `organization`: members of the workspace's organization;
- `authenticated`: any logged-in user of the deployment;
- `public`: anyone, anonymous too.

The template's `max_port_share_level` caps an app's level. Path-based apps share the
portal's origin, so for them:

- `CODER_DISABLE_PATH_APPS` turns them off for everyone;
- sharing levels are honoured only with `CODER_DANGEROUS_ALLOW_PATH_APP_SHARING` (otherwise
  every path app is an `owner` app);
- someone who may connect to another user's workspace only by privilege (a site owner, an
  organization admin) is refused unless `CODER_DANGEROUS_ALLOW_PATH_APP_SITE_OWNER_ACCESS`;
- whoever is not the workspace's owner gets the page sandboxed (an opaque origin).

Subdomain apps run on their own origin and need none of that.
"""
from __future__ import annotations

from dataclasses import dataclass

from .engine import can
from .policy import Action
from .subject import Subject

LEVELS = ["owner", "organization", "authenticated", "public"]  # narrowest first


@dataclass(frozen=True)
class AppDecision:
    allowed: bool
    login_required: bool = False  # refused, and an anonymous viewer: ask them to log in
    sandboxed: bool = False       # serve the page with a CSP sandbox (no same-origin)


def effective_level(level: str, cap: str) -> str:
    level = level if level in LEVELS else "owner"
    cap = cap if cap in LEVELS else "owner"
    return LEVELS[min(LEVELS.index(level), LEVELS.index(cap))]


def app_access(subject: Subject, workspace, *, level: str, path_based: bool) -> AppDecision:
    """May `subject` open an app of `workspace` shared at `level`? The workspace's template
    caps the level (`max_port_share_level`)."""
    from coderportal import config

    level = effective_level(level, workspace.template.max_port_share_level)
    if path_based and config.get_bool("CODER_DISABLE_PATH_APPS"):
        return AppDecision(allowed=False, login_required=subject.user_id is None and not subject.is_system)
    anonymous = subject.user_id is None and not subject.is_system
    is_owner = not anonymous and subject.user_id == workspace.owner_id
    if path_based and not config.get_bool("CODER_DANGEROUS_ALLOW_PATH_APP_SHARING"):
        level = "owner"
    may_connect = not anonymous and can(subject, Action.APPLICATION_CONNECT, workspace)
    if (path_based and may_connect and not is_owner
            and not config.get_bool("CODER_DANGEROUS_ALLOW_PATH_APP_SITE_OWNER_ACCESS")):
        may_connect = False
    allowed = (
        may_connect
        or level == "public"
        or (level == "authenticated" and not anonymous)
        or (level == "organization" and workspace.organization_id in subject.org_ids)
    )
    return AppDecision(allowed=allowed, login_required=anonymous and not allowed,
                       sandboxed=path_based and not is_owner)
