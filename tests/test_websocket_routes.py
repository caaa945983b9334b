"""Every websocket route, walked from the routing module (a new route fails here until it is
added to ROUTE_ARGS): a token scoped to `application_connect` opens nothing but apps, and a
cross-origin handshake with valid credentials is refused before any consumer runs."""
from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from accounts.services.tokens import issue, issue_token_for_tests
from coderportal.routing import websocket_urlpatterns
from tests.agent.conftest import make_agent
from workspaces.models import WorkspaceAgent

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED = {4401, 4403, 4404}


def _route_paths(agent: WorkspaceAgent) -> dict[str, str]:
    """A concrete URL for each route pattern, naming objects the token's user owns."""
    build = agent.resource.build
    workspace = build.workspace
    return {
        "api/v2/workspaceagents/me/relay": "/api/v2/workspaceagents/me/relay",
        "api/v2/workspaceagents/<uuid:agent_id>/logs": f"/api/v2/workspaceagents/{agent.pk}/logs",
        "api/v2/workspaceagents/<uuid:agent_id>/pty": f"/api/v2/workspaceagents/{agent.pk}/pty?reconnect="
                                                      "3a1d1f8e-1c7e-4a61-9a38-0d7b2f1f1a11",
        "api/v2/workspaceagents/<uuid:agent_id>/tcp": f"/api/v2/workspaceagents/{agent.pk}/tcp?port=22",
        "api/v2/workspaceagents/<uuid:agent_id>/ssh": f"/api/v2/workspaceagents/{agent.pk}/ssh",
        "api/v2/workspacebuilds/<uuid:build_id>/logs": f"/api/v2/workspacebuilds/{build.pk}/logs",
        "api/v2/templateversions/<uuid:version_id>/logs": f"/api/v2/templateversions/{build.template_version_id}/logs",
        "api/v2/workspaces/<uuid:workspace_id>/watch-ws": f"/api/v2/workspaces/{workspace.pk}/watch-ws",
        "api/v2/notifications/inbox/watch": "/api/v2/notifications/inbox/watch",
        r"^@(?P<username>[^/]+)/(?P<target>[^/]+)/apps/(?P<slug>[^/]+)/(?P<rest>.*)$":
            f"/@{workspace.owner.username}/{workspace.name}.{agent.name}/apps/web/",
    }


def _patterns() -> list[str]:
    return [str(p.pattern) for p in websocket_urlpatterns]


async def _outcome(path: str, headers: list[tuple[bytes, bytes]]) -> str:
    from coderportal.asgi import application

    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=10)
    if not connected:
        return "denied"  # handshake refused (403)
    try:
        message = await communicator.receive_output(timeout=2)
    except (TimeoutError, asyncio.CancelledError):
        return "open"
    finally:
        await communicator.disconnect()
    if message["type"] == "websocket.close" and message.get("code") in REFUSED:
        return "refused"
    if message["type"] == "websocket.close" and message.get("code") == 4502:
        return "unreachable"  # authorized; the agent or app is not there
    return "open"


@pytest.fixture
def agent(member, org):
    return make_agent(member, org, "tok-routes-1", apps=[
        {"slug": "web", "url": "http://127.0.0.1:1/", "sharing_level": "owner"}])


def test_every_route_is_walked(agent):
    assert sorted(_patterns()) == sorted(_route_paths(agent)), "add new websocket routes to _route_paths"


def test_application_connect_token_opens_no_stream(agent, member, settings):
    _, scoped = issue(member, login_type="token", token_name="apps", scope="application_connect")
    for pattern, path in _route_paths(agent).items():
        outcome = async_to_sync(_outcome)(path, [(b"coder-session-token", scoped.encode())])
        if "/apps/" in pattern:  # what the scope is for: authorized, then the agent is not connected
            assert outcome == "unreachable", f"{pattern}: {outcome}"
            continue
        assert outcome in ("refused", "denied"), f"{pattern}: {outcome}"


def test_scoped_token_in_query_string_opens_no_pty(agent, member):
    _, scoped = issue(member, login_type="token", token_name="apps", scope="application_connect")
    path = _route_paths(agent)["api/v2/workspaceagents/<uuid:agent_id>/pty"] + f"&coder_session_token={scoped}"
    assert async_to_sync(_outcome)(path, []) == "refused"


def test_foreign_origin_is_refused_before_any_consumer(agent, member, settings):
    token = issue_token_for_tests(member)
    cookie = f"coder_session_token={token}".encode()
    for pattern, path in _route_paths(agent).items():
        lookalike = settings.ACCESS_URL.replace("127.0.0.1", "127.0.0.2").encode()
        for origin in (b"https://evil.example", b"null", lookalike):
            outcome = async_to_sync(_outcome)(path, [(b"cookie", cookie), (b"origin", origin)])
            assert outcome == "denied", f"{pattern} with Origin {origin!r}: {outcome}"


def test_same_origin_and_originless_clients_still_connect(agent, member, settings):
    token = issue_token_for_tests(member)
    path = _route_paths(agent)["api/v2/workspacebuilds/<uuid:build_id>/logs"]
    origin = settings.ACCESS_URL.rstrip("/").encode()
    for headers in ([(b"cookie", f"coder_session_token={token}".encode()), (b"origin", origin)],
                    [(b"coder-session-token", token.encode())]):
        assert async_to_sync(_outcome)(path, headers) == "open"




def test_terminal_page_follows_the_token_scope(agent, member, client):
    """The terminal page with a browser session but an application_connect token cookie:
    the token's scope decides, as everywhere."""
    _, scoped = issue(member, login_type="token", token_name="apps", scope="application_connect")
    client.force_login(member)
    page = f"/@member/{agent.resource.build.workspace.name}/terminal"
    assert client.get(page).status_code == 200
    client.cookies["coder_session_token"] = scoped
    assert client.get(page).status_code == 404  # the scope cannot even read the workspace


def test_stale_token_cookie_beside_a_live_session(agent, member, client):
    client.force_login(member)
    client.cookies["coder_session_token"] = "AbCdEfGhIj-expiredorrevokedsecretxx"
    assert client.get(f"/@member/{agent.resource.build.workspace.name}/terminal").status_code == 200


def test_same_host_origin_counts_only_without_a_configured_access_url(agent, member, settings, monkeypatch):
    token = issue_token_for_tests(member)
    path = _route_paths(agent)["api/v2/workspacebuilds/<uuid:build_id>/logs"]
    headers = [(b"cookie", f"coder_session_token={token}".encode()), (b"host", b"localhost:3000"),
               (b"origin", b"http://localhost:3000")]
    monkeypatch.delenv("CODER_ACCESS_URL", raising=False)
    assert async_to_sync(_outcome)(path, headers) == "open"
    monkeypatch.setenv("CODER_ACCESS_URL", settings.ACCESS_URL)
    assert async_to_sync(_outcome)(path, headers) == "denied"
