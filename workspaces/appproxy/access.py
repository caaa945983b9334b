"""Who may open a workspace app, by its sharing level (Coder's rules for path-based apps):

- `owner`: those allowed `application_connect` on the workspace (its owner, site owners
  unless `CODER_DISABLE_OWNER_WORKSPACE_ACCESS`); anyone else gets 404, as if the app did
  not exist;
- `organization`: members of the workspace's organization;
- `authenticated`: any logged-in user of the deployment;
- `public`: anyone, anonymous too.

The template's `max_port_share_level` caps an app's level. An anonymous request for an app
that is not public (or does not exist) is told to log in — the same answer either way, so
existence does not leak.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from accounts import rbac
from workspaces.api.serializers.agents import agent_status
from workspaces.models import Workspace, WorkspaceAgent, WorkspaceApp

LEVELS = ["owner", "organization", "authenticated", "public"]  # narrowest first


class LoginRequired(Exception):
    pass


@dataclass
class Target:
    workspace: Workspace
    agent: WorkspaceAgent
    app: WorkspaceApp
    host: str
    port: int
    base_path: str  # the app URL's path, without its trailing slash
    scheme: str
    connected: bool  # the agent's status; a disconnected agent cannot carry the request
    # Opened only thanks to its sharing level (the viewer may not connect to the workspace):
    # the page is sandboxed, see http_proxy.
    shared_view: bool = False


def effective_level(app: WorkspaceApp, cap: str) -> str:
    level = app.sharing_level if app.sharing_level in LEVELS else "owner"
    cap = cap if cap in LEVELS else "owner"
    return LEVELS[min(LEVELS.index(level), LEVELS.index(cap))]


def _find(username: str, target: str, slug: str) -> tuple[Workspace, WorkspaceAgent, WorkspaceApp] | None:
    name, _, agent_name = target.partition(".")
    workspace = (Workspace.objects.filter(owner__username__iexact=username, name__iexact=name, deleted=False)
                 .select_related("owner", "template").first())
    if workspace is None or workspace.latest_build_id is None:
        return None
    agents = list(WorkspaceAgent.objects.filter(resource__build_id=workspace.latest_build_id)
                  .select_related("resource__build__workspace"))
    if agent_name:
        agents = [a for a in agents if a.name == agent_name]
    if len(agents) != 1:  # no agent, or several and none named: Coder asks for the agent's name
        return None
    app = WorkspaceApp.objects.filter(agent=agents[0], slug=slug, external=False).exclude(url="").first()
    if app is None:
        return None
    return workspace, agents[0], app


def resolve(user, username: str, target: str, slug: str) -> Target:
    """The app `user` (None: anonymous) may open; raises rbac.NotFound or LoginRequired."""
    found = _find(username, target, slug)
    if found is None:
        if user is None:
            raise LoginRequired()
        raise rbac.NotFound()
    workspace, agent, app = found
    level = effective_level(app, workspace.template.max_port_share_level)
    subject = rbac.subject_for(user) if user is not None else None
    may_connect = subject is not None and rbac.can(subject, rbac.Action.APPLICATION_CONNECT, workspace)
    if level != "public":
        if user is None:
            raise LoginRequired()
        if level == "owner" and not may_connect:
            raise rbac.NotFound()
        if level == "organization" and not (may_connect or workspace.organization_id in subject.org_ids):
            raise rbac.NotFound()
    url = urlsplit(app.url)
    scheme = url.scheme or "http"
    port = url.port or (443 if scheme == "https" else 80)
    return Target(workspace=workspace, agent=agent, app=app, host=url.hostname or "127.0.0.1", port=port,
                  base_path=url.path.rstrip("/"), scheme=scheme, connected=agent_status(agent) == "connected",
                  shared_view=not may_connect)


def user_from_request(request):
    """The logged-in user: a Coder token (header, bearer, cookie) or the browser session."""
    from rest_framework import exceptions

    from coderportal.api.authentication import resolve_token, token_from_request

    raw = token_from_request(request)
    if raw:
        try:
            return resolve_token(raw).user
        except exceptions.AuthenticationFailed:
            return None
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated and user.is_active else None
