"""Which app a request names, and whether its viewer may open it: the decision itself is
the RBAC engine's (`accounts.rbac.app_access`: sharing levels, path-app switches, sandbox).
An anonymous request for an app that is not public (or does not exist) is told to log in —
the same answer either way, so existence does not leak.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from accounts import rbac
from workspaces.api.serializers.agents import agent_status
from workspaces.models import Workspace, WorkspaceAgent, WorkspaceApp


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
    # A path-based app opened by someone other than the workspace's owner: the page is
    # sandboxed, see http_proxy.
    sandboxed: bool = False


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


def resolve(subject: rbac.Subject, username: str, target: str, slug: str, *, path_based: bool = True) -> Target:
    """The app `subject` (rbac.ANONYMOUS: nobody logged in) may open; raises rbac.NotFound
    or LoginRequired."""
    anonymous = subject.user_id is None
    found = _find(username, target, slug)
    if found is None:
        if anonymous:
            raise LoginRequired()
        raise rbac.NotFound()
    workspace, agent, app = found
    if app.subdomain == path_based:  # each app is served one way only, as in Coder
        if anonymous:
            raise LoginRequired()
        raise rbac.NotFound()
    decision = rbac.app_access(subject, workspace, level=app.sharing_level, path_based=path_based)
    if not decision.allowed:
        if decision.login_required:
            raise LoginRequired()
        raise rbac.NotFound()
    url = urlsplit(app.url)
    scheme = url.scheme or "http"
    port = url.port or (443 if scheme == "https" else 80)
    return Target(workspace=workspace, agent=agent, app=app, host=url.hostname or "127.0.0.1", port=port,
                  base_path=url.path.rstrip("/"), scheme=scheme, connected=agent_status(agent) == "connected",
                  sandboxed=decision.sandboxed)
