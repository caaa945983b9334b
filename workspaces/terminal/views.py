"""The browser's web terminal: `/@<owner>/<workspace>[.<agent>]/terminal` (Coder's URL), a
page running xterm.js (vendored under assets/, MIT licensed) against the reconnecting-PTY
websocket. Needs a logged-in browser session and the `ssh` action on the workspace."""
from __future__ import annotations

from pathlib import Path

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.template import Context, Template
from django.views.decorators.http import require_GET

from accounts import rbac
from workspaces.models import Workspace, WorkspaceAgent

HERE = Path(__file__).resolve().parent
ASSETS = {"xterm.js": "text/javascript", "addon-fit.js": "text/javascript", "terminal.js": "text/javascript",
          "xterm.css": "text/css"}


def _agent_for(subject, username: str, target: str) -> tuple[Workspace, WorkspaceAgent]:
    name, _, agent_name = target.partition(".")
    workspace = (Workspace.objects.filter(owner__username__iexact=username, name__iexact=name, deleted=False)
                 .select_related("owner", "latest_build").first())
    if workspace is None or workspace.latest_build_id is None:
        raise rbac.NotFound()
    agents = WorkspaceAgent.objects.filter(resource__build_id=workspace.latest_build_id)
    if agent_name:
        agents = agents.filter(name=agent_name)
    agent = agents.order_by("order", "name").first()
    if agent is None:
        raise rbac.NotFound()
    rbac.authorize(subject, rbac.Action.SSH, agent)
    return workspace, agent


@require_GET
def terminal_page(request, username: str, target: str):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        workspace, agent = _agent_for(rbac.request_subject(request), username, target)
    except rbac.NotFound:
        raise Http404("No such workspace agent.") from None
    except rbac.Forbidden:
        return HttpResponse("You may not open a terminal in this workspace.", status=403)
    html = Template((HERE / "page.html").read_text()).render(Context({
        "title": f"{workspace.owner.username}/{workspace.name}.{agent.name}", "agent_id": str(agent.pk)}))
    return HttpResponse(html)


@require_GET
def asset(request, name: str):
    if name not in ASSETS:
        raise Http404()
    response = HttpResponse((HERE / "assets" / name).read_bytes(), content_type=ASSETS[name])
    response["Cache-Control"] = "public, max-age=86400"
    return response
