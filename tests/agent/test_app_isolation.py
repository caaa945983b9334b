"""Workspace apps cannot act as portal users: subdomain apps on their own origin with Coder's
auth-redirect handshake, path-based apps sandboxed for everyone but the workspace's owner,
and portal cookies neither forwarded to apps nor settable by them. A live portal, a real
agent and an app server reached only through the agent's relay; the attack page runs in
headless Chromium."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf import settings as django_settings
from django.test import Client

from accounts.models import APIKey
from accounts.services import app_tokens
from accounts.services.tokens import issue_token_for_tests
from tests.agent.conftest import make_agent, wait_for
from tests.agent.test_app_proxy import ws_server  # noqa: F401 - fixture
from tests.agent.test_terminal import _relay_up
from tests.agent.test_terminal_browser import CHROMIUM, CHROMIUM_ARGS
from workspaces.models import WorkspaceAgent

pytestmark = pytest.mark.timeout(240)
WILDCARD = "*.apps.test"

# The attacker's page: read the cookies it can see, then try to mint an API token for the
# viewer with them (the CSRF cookie in the header, the browser adding the session cookies).
ATTACK_PAGE = b"""<!doctype html><html><body><script>
(async () => {
  const portal = new URLSearchParams(location.search).get("portal");
  const result = {origin: location.origin};
  try { result.cookie = document.cookie; } catch (e) { result.cookie = "unreadable: " + e.name; }
  const csrf = ((result.cookie || "").match(/csrftoken=([^;]+)/) || [])[1] || "";
  try {
    const r = await fetch(portal + "/api/v2/users/me/keys/tokens", {
      method: "POST", credentials: "include",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify({token_name: "stolen-" + Date.now()})});
    result.status = r.status;
    result.body = await r.text();
  } catch (e) { result.status = "blocked: " + e.name; }
  document.title = "done";
  const out = document.createElement("pre"); out.id = "result";
  out.textContent = JSON.stringify(result); document.body.appendChild(out);
})();
</script></body></html>"""


class _App(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 - http.server's naming
        if self.path.startswith("/attack"):
            body, kind = ATTACK_PAGE, "text/html"
        else:
            body, kind = ("cookie=" + (self.headers.get("Cookie") or "")).encode(), "text/plain"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        for planted in ("sessionid=planted; Path=/", "csrftoken=planted; Path=/; Domain=apps.test",
                        "coder_session_token=planted; Path=/", "coder_subdomain_app_session_token=planted",
                        "app_cookie=yum; Path=/"):
            self.send_header("Set-Cookie", planted)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def wildcard(monkeypatch):
    monkeypatch.setenv("CODER_WILDCARD_ACCESS_URL", WILDCARD)
    return WILDCARD


@pytest.fixture
def app_port():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _App)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture
def apps(portal, run_agent, member, org, tmp_path, app_port, ws_server, wildcard):
    url = f"http://127.0.0.1:{app_port}"
    agent = make_agent(member, org, "tok-iso-1", directory=str(tmp_path), apps=[
        {"slug": "subws", "url": f"http://127.0.0.1:{ws_server}", "sharing_level": "owner", "subdomain": True},
        {"slug": "sub", "url": url, "sharing_level": "owner", "subdomain": True},
        {"slug": "suborg", "url": url, "sharing_level": "organization", "subdomain": True},
        {"slug": "subauth", "url": url, "sharing_level": "authenticated", "subdomain": True},
        {"slug": "path", "url": url, "sharing_level": "owner"},
        {"slug": "pathorg", "url": url, "sharing_level": "organization"},
        {"slug": "pathauth", "url": url, "sharing_level": "authenticated"},
    ])
    template = agent.resource.build.workspace.template
    template.max_port_share_level = "public"
    template.save()
    run_agent(portal, "tok-iso-1")
    wait_for(lambda: WorkspaceAgent.objects.get(pk=agent.pk).lifecycle_state == "ready", message="ready")
    wait_for(lambda: _relay_up(portal, agent, member), message="relay up")
    return agent


def _port(portal: str) -> int:
    return urlsplit(portal).port


def _app_host(agent, slug: str) -> str:
    ws = agent.resource.build.workspace
    return f"{slug}--{agent.name}--{ws.name}--{ws.owner.username}.apps.test"


def _path_url(portal, agent, slug, rest=""):
    ws = agent.resource.build.workspace
    return f"{portal}/@{ws.owner.username}/{ws.name}.{agent.name}/apps/{slug}/{rest}"


def _on_app(portal, host, path="/", **kwargs):
    """A request to a subdomain app's host, sent to the portal's address."""
    headers = {"Host": f"{host}:{_port(portal)}", **kwargs.pop("headers", {})}
    return requests.get(f"{portal}{path}", headers=headers, allow_redirects=False, timeout=30, **kwargs)


def _handshake(portal, agent, slug, token) -> tuple[str, requests.Response]:
    """Coder's handshake as a browser does it; returns the app cookie and the final redirect."""
    host = _app_host(agent, slug)
    first = _on_app(portal, host, "/page?x=1")
    assert first.status_code == 302, first.text
    to_portal = first.headers["Location"]
    assert to_portal.startswith(f"{portal}/api/v2/applications/auth-redirect?redirect_uri=")
    back = requests.get(to_portal, cookies={"coder_session_token": token}, allow_redirects=False, timeout=30)
    assert back.status_code == 302, back.text
    location = urlsplit(back.headers["Location"])
    assert location.hostname == host
    assert parse_qs(location.query)[app_tokens.HANDSHAKE_PARAM]
    assert token not in back.headers["Location"]  # the key never travels in clear
    exchanged = _on_app(portal, host, f"{location.path}?{location.query}")
    assert exchanged.status_code == 302 and exchanged.headers["Location"] == "/page?x=1"
    set_cookie = exchanged.headers["Set-Cookie"]
    assert set_cookie.startswith(app_tokens.APP_COOKIE) and "HttpOnly" in set_cookie
    assert "Domain" not in set_cookie  # host-only: no other app or the portal ever receives it
    return exchanged.cookies[app_tokens.APP_COOKIE], exchanged


def test_subdomain_app_handshake_and_isolation(portal, apps, member):
    token = issue_token_for_tests(member)
    cookie, _ = _handshake(portal, apps, "sub", token)
    host = _app_host(apps, "sub")
    page = _on_app(portal, host, "/page", cookies={app_tokens.APP_COOKIE: cookie, "mine": "kept",
                                                   "csrftoken": "x", "sessionid": "y"})
    assert page.status_code == 200, page.text
    assert page.text == "cookie=mine=kept"  # no portal cookie, not even the app's own session cookie
    assert "Content-Security-Policy" not in page.headers  # its own origin: nothing to sandbox
    # The app planted portal-named cookies: only its own survives.
    assert [c.name for c in page.cookies] == ["app_cookie"]

    # The cookie is bound to its host, and holds a key scoped to application_connect.
    other = _on_app(portal, _app_host(apps, "suborg"), "/page", cookies={app_tokens.APP_COOKIE: cookie})
    assert other.status_code == 302 and "auth-redirect" in other.headers["Location"]
    raw = app_tokens.token_from_app_cookie(cookie, host=host)
    assert requests.get(f"{portal}/api/v2/users/me", headers={"Coder-Session-Token": raw},
                        timeout=30).status_code == 404
    assert requests.post(f"{portal}/api/v2/users/me/keys/tokens", json={"token_name": "x"},
                         headers={"Coder-Session-Token": raw}, timeout=30).status_code in (403, 404)
    # A handshake token made for one host is refused on another.
    back = requests.get(f"{portal}/api/v2/applications/auth-redirect",
                        params={"redirect_uri": f"http://{host}:{_port(portal)}/"},
                        cookies={"coder_session_token": token}, allow_redirects=False, timeout=30)
    stolen = urlsplit(back.headers["Location"]).query
    replayed = _on_app(portal, _app_host(apps, "suborg"), f"/?{stolen}")
    assert replayed.status_code == 400


def test_subdomain_app_websocket(portal, apps, member):
    import socket

    from websockets.sync.client import connect

    cookie, _ = _handshake(portal, apps, "subws", issue_token_for_tests(member))
    host = f"{_app_host(apps, 'subws')}:{_port(portal)}"

    def open_ws(headers):
        sock = socket.create_connection(("127.0.0.1", _port(portal)))
        return connect(f"ws://{host}/echo", sock=sock, additional_headers=headers, open_timeout=20)

    with open_ws({"Cookie": f"{app_tokens.APP_COOKIE}={cookie}", "Origin": f"http://{host}"}) as ws:
        ws.send("hello")
        assert ws.recv(timeout=20) == "HELLO"
    with pytest.raises(Exception) as refused:  # the portal's origin is not the app's
        open_ws({"Cookie": f"{app_tokens.APP_COOKIE}={cookie}", "Origin": portal}).close()
    assert "403" in str(refused.value)
    with open_ws({"Cookie": f"coder_session_token={issue_token_for_tests(member)}"}) as ws:
        with pytest.raises(Exception) as anonymous:  # portal cookies mean nothing on an app's host
            ws.recv(timeout=20)
        assert "4401" in str(anonymous.value)


def test_auth_redirect_only_to_app_hosts(portal, apps, member):
    token = issue_token_for_tests(member)
    for target in ("http://evil.example/", f"https://{_app_host(apps, 'sub')}/", f"http://sub--main--x--member.apps.test.evil.example:{_port(portal)}/",
                   "javascript:alert(1)", f"http://user:pw@{_app_host(apps, 'sub')}/", "//apps.test/"):
        got = requests.get(f"{portal}/api/v2/applications/auth-redirect", params={"redirect_uri": target},
                           cookies={"coder_session_token": token}, allow_redirects=False, timeout=30)
        assert got.status_code == 400 and got.json()["message"] == "Invalid redirect_uri.", target
    # Logging out of the portal logs out of its apps (their keys are deleted).
    cookie, _ = _handshake(portal, apps, "sub", token)
    assert _on_app(portal, _app_host(apps, "sub"), cookies={app_tokens.APP_COOKIE: cookie}).status_code == 200
    assert requests.post(f"{portal}/api/v2/users/logout", headers={"Coder-Session-Token": token},
                         timeout=30).status_code == 200
    assert _on_app(portal, _app_host(apps, "sub"), cookies={app_tokens.APP_COOKIE: cookie}).status_code == 302
    anonymous = requests.get(f"{portal}/api/v2/applications/auth-redirect",
                             params={"redirect_uri": f"http://{_app_host(apps, 'sub')}/"}, allow_redirects=False,
                             timeout=30)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login?next=")


def test_who_opens_which_app(portal, apps, member, org_admin, outsider, owner, monkeypatch):
    def status(user, slug, *, path):
        headers = {"Coder-Session-Token": issue_token_for_tests(user)}
        if path:
            return requests.get(_path_url(portal, apps, slug), headers=headers, timeout=30).status_code
        return _on_app(portal, _app_host(apps, slug), headers=headers).status_code

    # Subdomain apps: sharing levels as in Coder, site owners included.
    assert [status(u, "sub", path=False) for u in (member, owner, org_admin, outsider)] == [200, 200, 404, 404]
    assert [status(u, "suborg", path=False) for u in (org_admin, outsider)] == [200, 404]
    assert status(outsider, "subauth", path=False) == 200
    # Path apps: only the owner, unless the deployment opts in to sharing / site-owner access.
    assert [status(u, "pathauth", path=True) for u in (member, owner, org_admin, outsider)] == [200, 404, 404, 404]
    monkeypatch.setenv("CODER_DANGEROUS_ALLOW_PATH_APP_SHARING", "true")
    assert [status(u, "pathauth", path=True) for u in (member, owner, outsider)] == [200, 200, 200]
    assert [status(u, "path", path=True) for u in (member, owner)] == [200, 404]
    monkeypatch.setenv("CODER_DANGEROUS_ALLOW_PATH_APP_SITE_OWNER_ACCESS", "true")
    assert status(owner, "path", path=True) == 200
    # Each app is served one way only.
    assert status(member, "sub", path=True) == 404
    assert status(member, "path", path=False) == 404
    # A deployment may turn path-based apps off altogether.
    monkeypatch.setenv("CODER_DISABLE_PATH_APPS", "true")
    assert [status(u, "path", path=True) for u in (member, owner)] == [404, 404]
    assert status(member, "sub", path=False) == 200


def test_path_app_sandboxed_for_everyone_but_the_owner(portal, apps, member, org_admin, monkeypatch):
    monkeypatch.setenv("CODER_DANGEROUS_ALLOW_PATH_APP_SHARING", "true")
    own = requests.get(_path_url(portal, apps, "pathorg"), timeout=30,
                       headers={"Coder-Session-Token": issue_token_for_tests(member)},
                       cookies={"csrftoken": "secret", "other": "kept"})
    assert "Content-Security-Policy" not in own.headers and own.text == "cookie=other=kept"
    # The app planted portal-named cookies: none reaches the browser (the portal may set its own).
    assert {c.name: c.value for c in own.cookies if c.value == "planted"} == {}
    assert own.cookies["app_cookie"] == "yum"
    shared = requests.get(_path_url(portal, apps, "pathorg"), timeout=30,
                          headers={"Coder-Session-Token": issue_token_for_tests(org_admin)})
    csp = shared.headers["Content-Security-Policy"]
    assert csp.startswith("sandbox") and "allow-same-origin" not in csp


def _attack(url: str, cookies: list[dict]) -> dict:
    """In its own thread (Playwright's loop): open `url`, return what the attack page saw."""
    import json

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP *.apps.test 127.0.0.1"])
        try:
            context = browser.new_context()
            context.add_cookies(cookies)
            page = context.new_page()
            page.goto(url)
            page.wait_for_selector("#result", state="attached", timeout=60_000)
            return json.loads(page.locator("#result").text_content())
        finally:
            browser.close()


def _browser_cookies(portal: str, user) -> list[dict]:
    """What a logged-in browser holds for the portal: session, token and CSRF cookies."""
    from django.middleware.csrf import _get_new_csrf_string

    client = Client()
    client.force_login(user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": portal},
            {"name": "coder_session_token", "value": issue_token_for_tests(user), "url": portal},
            {"name": django_settings.CSRF_COOKIE_NAME, "value": _get_new_csrf_string(), "url": portal}]


@pytest.mark.parametrize("viewer, slug, path", [
    ("member", "sub", False),       # the workspace's owner, on the app's own origin
    ("org_admin", "suborg", False),  # a member of the organization, shared app
    ("outsider", "subauth", False),  # any logged-in user, shared app
    ("org_admin", "pathorg", True),  # path-based sharing turned on: sandboxed
    ("outsider", "pathauth", True),
])
def test_attack_page_cannot_act_as_the_viewer(portal, apps, viewer, slug, path, request, monkeypatch):
    monkeypatch.setenv("CODER_DANGEROUS_ALLOW_PATH_APP_SHARING", "true")
    user = request.getfixturevalue(viewer)
    base = _path_url(portal, apps, slug) if path else f"http://{_app_host(apps, slug)}:{_port(portal)}/"
    before = APIKey.objects.filter(user=user).exclude(token_name="").count()
    with ThreadPoolExecutor(1) as pool:
        seen = pool.submit(_attack, f"{base}attack?portal={portal}", _browser_cookies(portal, user)).result(200)
    for name in ("csrftoken", "sessionid", "coder_session_token", app_tokens.APP_COOKIE):
        assert name not in seen["cookie"], seen
    assert seen["status"] != 201, seen
    assert APIKey.objects.filter(user=user).exclude(token_name="").count() == before


def test_control_the_attack_page_works_where_nothing_protects(portal, apps, member):
    """The documented exception (as in Coder): the owner's own path-based app shares the
    portal's origin unsandboxed. The same page then does mint a token — so the refusals
    above are the protections at work, not a page that cannot attack."""
    with ThreadPoolExecutor(1) as pool:
        seen = pool.submit(_attack, f"{_path_url(portal, apps, 'path')}attack?portal={portal}",
                           _browser_cookies(portal, member)).result(200)
    assert "csrftoken" in seen["cookie"] and seen["status"] == 201, seen


def test_app_host_endpoint(member, client_for, monkeypatch):
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v2/applications/host").status_code == 401
    assert client_for(member).get("/api/v2/applications/host").json() == {"host": ""}
    monkeypatch.setenv("CODER_WILDCARD_ACCESS_URL", WILDCARD)
    assert client_for(member).get("/api/v2/applications/host").json() == {"host": WILDCARD}
