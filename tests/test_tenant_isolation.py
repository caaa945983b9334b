"""Cross-tenant isolation: walk EVERY route under /api/v2 and aim it at organization B.

The walker reads Django's URL resolver, so routes added later are covered without editing
this file — unless a route has a path parameter nobody taught the walker to fill, in which
case the test FAILS and says which filler to add to `FILLERS` below (never a silent pass).

For each route, as a member (and as an administrator) of organization A, with every path
parameter naming one of B's objects, a GET must be a 404 (or 405 when the route has no GET),
or a 200/400 whose body mentions nothing of B. A 403 fails too: it would confirm that B's
object exists. Routes under `{organization}` are also tried with A's organization and B's
other objects, which catches lookups not scoped to the organization in the path. Anonymous
clients get 401 on every route that is not public.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Role
from accounts.services import tokens
from tests.factories import GroupFactory

API_PREFIX = "api/v2/"

# Routes anyone may call without logging in.
# applications/auth-redirect is a browser step of the subdomain-app handshake: anonymous
# browsers are sent to the login page instead of getting 401.
PUBLIC = {"buildinfo", "users/first", "users/login", "users/authmethods", "openapi.json",
          "applications/auth-redirect", "applications/auth-redirect/"}
PUBLIC_PREFIXES = ("users/oauth2/", "users/oidc/")
# Routes about the requester rather than a target object (the agent routes answer to the
# agent's own token only): skipped in the B passes, still checked for anonymous 401.
# Notification templates are deployment-wide (no organization): not B's, so skipped too.
ABOUT_REQUESTER_PREFIXES = ("workspaceagents/me/", "notifications/templates/")
# Routes that authenticate the way the LLM providers' APIs do, not with Coder's 401 (the AI
# Bridge gateway: 400 without a key, 403 for a bad one; tests/aibridge checks them).
OWN_AUTH_ROUTES = {"aibridge/<path:rest>"}


def about_requester(route: str) -> bool:
    return route.startswith(ABOUT_REQUESTER_PREFIXES)


@dataclass
class World:
    a: object
    b: object
    objects: dict = field(default_factory=dict)   # filler name -> value naming a B object
    markers: set = field(default_factory=set)     # strings that must never appear in A's responses


def _accounts_objects(world: World, outsider) -> None:
    b = world.b
    group = GroupFactory(organization=b, name="b-secret-group")
    group.auth_group.user_set.add(outsider)
    role = Role.objects.create(organization=b, name="b-secret-role", is_org_role=True)
    key, _ = tokens.issue(outsider, login_type="token", token_name="b-secret-token")
    world.objects.update({
        "organization": str(b.id), "organizationname": b.name, "user": str(outsider.id),
        "group": str(group.id), "groupName": group.name, "roleName": role.name,
        "keyid": key.id, "keyname": key.token_name,
    })
    world.markers |= {str(b.id), str(outsider.id), str(group.id), group.name, role.name, key.id, key.token_name}
    world.objects["rest"] = "openai/v1/models"  # a gateway route (no object of B in it)


def _template_objects(world: World, outsider) -> None:
    try:
        from tests.templates_app.factories import FileFactory, TemplateFactory
    except ImportError:  # the app is not there: its fillers stay missing and its routes fail loudly
        return
    template = TemplateFactory(organization=world.b, name="b-secret-template", created_by=outsider,
                               version__file=FileFactory(created_by=outsider))
    version = template.active_version
    world.objects.update({
        "template": str(template.id), "templatename": template.name,
        "templateversion": str(version.id), "version_id": str(version.id), "templateversionname": version.name,
        "file_id": str(version.file_id), "job_id": str(version.job_id),
        "example_id": "local",  # starter templates are the same for everyone: no tenant secret
    })
    world.markers |= {str(template.id), template.name, str(version.id), str(version.file_id), str(version.job_id)}


def _workspace_objects(world: World, outsider) -> None:
    try:
        from templates_app.models import JobType, Template
        from tests.templates_app.factories import ProvisionerJobFactory
        from workspaces.models import Workspace, WorkspaceAgent, WorkspaceBuild, WorkspaceResource
    except ImportError:
        return
    template = Template.objects.get(organization=world.b, name="b-secret-template")
    version = template.active_version
    # Rows as a finished build leaves them; no provisioner needs to run for an isolation check.
    workspace = Workspace.objects.create(owner=outsider, organization=world.b, template=template,
                                         name="b-secret-workspace")
    job = ProvisionerJobFactory(organization=world.b, type=JobType.WORKSPACE_BUILD, file=version.file,
                                initiator=outsider, input={"workspace_build_id": ""})
    build = WorkspaceBuild.objects.create(workspace=workspace, template_version=version, build_number=1,
                                          transition="start", initiator=outsider, job=job)
    Workspace.objects.filter(pk=workspace.pk).update(latest_build=build)
    resource = WorkspaceResource.objects.create(build=build, job=job, transition="start", type="null_resource",
                                                name="b-secret-resource")
    agent = WorkspaceAgent.objects.create(resource=resource, name="b-secret-agent", auth_token_hash="0" * 64)
    world.objects.update({
        "workspace_id": str(workspace.id), "workspace": str(workspace.id), "name": workspace.name,
        "workspacename": workspace.name, "build_number": "1", "build_id": str(build.id),
        "workspacebuild": str(build.id), "agent_id": str(agent.id), "workspaceagent": str(agent.id),
    })
    world.markers |= {str(workspace.id), workspace.name, str(build.id), str(agent.id), str(job.id)}


def _notification_objects(world: World, outsider) -> None:
    try:
        from notifications import template_ids
        from notifications.models import InboxNotification, NotificationTemplate
    except ImportError:
        return
    template = NotificationTemplate.objects.filter(pk=template_ids.TEST_NOTIFICATION).first() or \
        NotificationTemplate.objects.create(id=template_ids.TEST_NOTIFICATION, name="test", title_template="t",
                                            body_template="b")
    item = InboxNotification.objects.create(user=outsider, template=template, title="b-secret-inbox-title",
                                            content="b-secret-inbox-content")
    world.objects.update({"item_id": str(item.id), "template_id": str(template.id)})
    world.markers |= {str(item.id), item.title, item.content}


# Each builder creates B's objects for one app and registers the path parameters they fill.
BUILDERS = [_accounts_objects, _template_objects, _workspace_objects, _notification_objects]


@pytest.fixture
def world(org, other_org, outsider):
    w = World(a=org, b=other_org)
    w.markers.add("outsider")  # B's member's username
    for build in BUILDERS:
        build(w, outsider)
    return w


# --- the walker ---------------------------------------------------------------------------

PARAM_RE = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def api_routes() -> list[str]:
    """Every route under /api/v2, as a path template relative to it (e.g. `groups/<str:group>`)."""
    routes: list[str] = []

    def walk(patterns, prefix: str):
        for p in patterns:
            text = str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + text)
            elif isinstance(p, URLPattern):
                routes.append(prefix + text)

    walk(get_resolver().url_patterns, "")
    out = []
    for route in routes:
        route = route.lstrip("^")
        if not route.startswith(API_PREFIX):
            continue
        rest = route[len(API_PREFIX):]
        if any(ch in rest for ch in "^$()[]?*+\\"):
            raise AssertionError(f"regex route under /api/v2 the walker cannot fill: {route!r}")
        out.append(rest)
    assert out, "no /api/v2 routes found: the resolver walk is broken"
    return sorted(set(out))


def params(route: str) -> list[str]:
    return [m.group("name") for m in PARAM_RE.finditer(route)]


def fill(route: str, values: dict) -> str:
    missing = [p for p in params(route) if p not in values]
    if missing:
        raise KeyError(missing)
    return "/api/v2/" + PARAM_RE.sub(lambda m: values[m.group("name")], route)


def is_public(route: str) -> bool:
    return route in PUBLIC or route.startswith(PUBLIC_PREFIXES)


# --- the tests ------------------------------------------------------------------------------

def test_walker_sees_the_accounts_routes():
    routes = api_routes()
    for expected in ("organizations/<str:organization>/members/<str:user>", "groups/<str:group>", "authcheck"):
        assert expected in routes


def test_every_route_can_be_filled(world):
    unfillable = {r: [p for p in params(r) if p not in world.objects] for r in api_routes()}
    unfillable = {r: missing for r, missing in unfillable.items() if missing}
    assert not unfillable, (
        "routes with path parameters the isolation walker cannot fill; add a B object for each "
        f"parameter in tests/test_tenant_isolation.py (BUILDERS): {unfillable}")


def _check_response(url: str, response, markers: set, names_b: bool) -> str | None:
    """`names_b`: the URL names one of B's objects, so even a 403 would confirm it exists."""
    status = response.status_code
    if status in (404, 405) or (status == 403 and not names_b):
        return None
    if status in (200, 400):
        text = response.content.decode(errors="replace")
        leaked = sorted(m for m in markers if m in text)
        return f"{url} -> {status} leaks {leaked}" if leaked else None
    return f"{url} -> unexpected {status}: {response.content[:200]!r}"


@pytest.mark.parametrize("actor", ["member", "org_admin"])
def test_members_of_a_see_nothing_of_b(request, client_for, world, actor):
    client = client_for(request.getfixturevalue(actor))
    problems = []
    for route in api_routes():
        if about_requester(route) or is_public(route):
            continue
        names = params(route)
        try:
            urls = [(fill(route, world.objects), bool(names))]
            if "organization" in names:  # A's organization, B's everything else
                urls.append((fill(route, {**world.objects, "organization": str(world.a.id)}), len(names) > 1))
        except KeyError as exc:
            problems.append(f"{route}: cannot fill {exc.args[0]}")
            continue
        for url, names_b in urls:
            if (problem := _check_response(url, client.get(url), world.markers, names_b)) is not None:
                problems.append(problem)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("actor", ["member", "org_admin"])
def test_writes_aimed_at_b_are_refused(request, client_for, world, actor):
    """POST/PUT/PATCH/DELETE on URLs naming B's objects: never a success, never a 403 or 500."""
    from accounts.models import Group, Organization

    client = client_for(request.getfixturevalue(actor))
    problems = []
    for route in api_routes():
        if about_requester(route) or is_public(route) or not params(route):
            continue
        try:
            url = fill(route, world.objects)
        except KeyError as exc:
            problems.append(f"{route}: cannot fill {exc.args[0]}")
            continue
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(url, {}, format="json")
            # 400 is tolerated only for bodies rejected before any lookup; it carries nothing of B.
            if response.status_code not in (400, 404, 405) or \
                    any(m in response.content.decode(errors="replace") for m in world.markers):
                problems.append(f"{method.upper()} {url} -> {response.status_code}: {response.content[:160]!r}")
    assert not problems, "\n".join(problems)
    assert Organization.objects.filter(id=world.b.id).exists()
    assert Group.objects.filter(organization=world.b).count() == 2


def test_anonymous_gets_401_everywhere_but_public_routes(api_client, world):
    problems = []
    for route in api_routes():
        if is_public(route) or route in OWN_AUTH_ROUTES:
            continue
        try:
            url = fill(route, world.objects)
        except KeyError as exc:
            problems.append(f"{route}: cannot fill {exc.args[0]}")
            continue
        for method in ("get", "post"):
            response = getattr(api_client, method)(url)
            if response.status_code != 401:
                problems.append(f"{method.upper()} {url} -> {response.status_code}")
    assert not problems, "\n".join(problems)


def test_public_routes_exist():
    routes = set(api_routes())
    assert {"buildinfo", "users/login", "users/first", "users/authmethods"} <= routes
