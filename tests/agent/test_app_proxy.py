"""Path-based workspace apps through the relay: a live portal, a real agent process, and
an app server "in the workspace" (on this machine, reached only by the agent's relay)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.core.cache import cache
from websockets.sync.client import connect
from websockets.sync.server import serve

from accounts.services.tokens import issue_token_for_tests
from tests.agent.conftest import make_agent, wait_for
from tests.agent.test_terminal import _relay_up
from workspaces.models import Workspace, WorkspaceAgent

pytestmark = pytest.mark.timeout(120)


class _App(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/base/redirect"):
            self.send_response(302)
            self.send_header("Location", "/base/landed?x=1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/base/stream"):
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            for i in range(50):
                chunk = f"line {i}\n".encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
            return
        payload = json.dumps({"method": self.command, "path": self.path, "body": body.decode(),
                              "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Set-Cookie", "app_cookie=yum; Path=/")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _answer


@pytest.fixture
def app_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _App)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture
def ws_server():
    def echo(ws):
        for message in ws:
            ws.send(message.upper() if isinstance(message, str) else message[::-1])

    with serve(echo, "127.0.0.1", 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield server.socket.getsockname()[1]


@pytest.fixture
def apps_agent(portal, run_agent, member, org, tmp_path, app_server, ws_server):
    agent = make_agent(member, org, "tok-apps-1", directory=str(tmp_path), apps=[
        {"slug": "private", "url": f"http://localhost:{app_server}/base", "sharing_level": "owner"},
        {"slug": "team", "url": f"http://127.0.0.1:{app_server}/base", "sharing_level": "authenticated"},
        {"slug": "open", "url": f"http://127.0.0.1:{app_server}/base/", "sharing_level": "public"},
        {"slug": "org", "url": f"http://127.0.0.1:{app_server}/base", "sharing_level": "organization"},
        {"slug": "ws", "url": f"http://127.0.0.1:{ws_server}", "sharing_level": "owner"},
    ])
    run_agent(portal, "tok-apps-1")
    wait_for(lambda: WorkspaceAgent.objects.get(pk=agent.pk).lifecycle_state == "ready", message="ready")
    wait_for(lambda: _relay_up(portal, agent, member), message="relay up")
    return agent


def _url(portal, agent, slug, rest="", named=True):
    ws = agent.resource.build.workspace
    target = f"{ws.name}.{agent.name}" if named else ws.name
    return f"{portal}/@{ws.owner.username}/{target}/apps/{slug}/{rest}"


def _set_cap(agent, level):
    template = agent.resource.build.workspace.template
    template.max_port_share_level = level
    template.save()


def test_owner_reaches_own_app_with_everything_forwarded(portal, apps_agent, member):
    token = issue_token_for_tests(member)
    cache.clear()
    got = requests.get(_url(portal, apps_agent, "private", "some/path?q=1"),
                       headers={"Coder-Session-Token": token, "X-Custom": "kept"},
                       cookies={"coder_session_token": token, "sessionid": "secret", "mine": "kept"}, timeout=30)
    assert got.status_code == 200, got.text
    seen = got.json()
    assert seen["path"] == "/base/some/path?q=1"
    assert seen["headers"]["x-custom"] == "kept"
    assert "coder-session-token" not in seen["headers"]
    assert seen["headers"]["cookie"] == "mine=kept"
    assert seen["headers"]["host"] == f"localhost:{seen['headers']['host'].split(':')[1]}"
    assert seen["headers"]["x-forwarded-prefix"].endswith("/apps/private")
    assert got.cookies.get("app_cookie") == "yum"
    assert "Content-Security-Policy" not in got.headers  # the owner's own app: not sandboxed
    by_cookie = requests.get(_url(portal, apps_agent, "private"), cookies={"coder_session_token": token}, timeout=30)
    assert by_cookie.status_code == 200 and "cookie" not in by_cookie.json()["headers"]
    assert Workspace.objects.get(pk=apps_agent.resource.build.workspace_id).last_used_at is not None

    # The workspace has one agent: its name may be left out.
    posted = requests.post(_url(portal, apps_agent, "private", "form", named=False), data=b"x" * 300_000,
                           headers={"Coder-Session-Token": token}, timeout=30)
    assert posted.status_code == 201 and posted.json()["body"] == "x" * 300_000
    assert posted.json()["method"] == "POST"

    redirected = requests.get(_url(portal, apps_agent, "private", "redirect"), headers={"Coder-Session-Token": token},
                              allow_redirects=False, timeout=30)
    assert redirected.status_code == 302
    assert redirected.headers["Location"].endswith("/apps/private/landed?x=1")
    assert redirected.headers["Location"].startswith("/@member/")

    streamed = requests.get(_url(portal, apps_agent, "private", "stream"), headers={"Coder-Session-Token": token},
                            timeout=30)
    assert streamed.text.splitlines() == [f"line {i}" for i in range(50)]

    bare = requests.get(_url(portal, apps_agent, "private").rstrip("/"), headers={"Coder-Session-Token": token},
                        allow_redirects=False, timeout=30)
    assert bare.status_code == 302 and bare.headers["Location"].endswith("/apps/private/")


def test_owner_level_hidden_from_others(portal, apps_agent, org_admin, outsider, owner, monkeypatch):
    _set_cap(apps_agent, "public")
    for user in (org_admin, outsider):
        got = requests.get(_url(portal, apps_agent, "private"), timeout=30,
                           headers={"Coder-Session-Token": issue_token_for_tests(user)})
        assert got.status_code == 404
        missing = requests.get(_url(portal, apps_agent, "nope"), timeout=30,
                               headers={"Coder-Session-Token": issue_token_for_tests(user)})
        assert missing.status_code == 404
    # Site owners may not open others' path-based apps (the portal's origin) unless the
    # deployment allows it, and then sandboxed (and still not with CODER_DISABLE_OWNER_WORKSPACE_ACCESS).
    got = requests.get(_url(portal, apps_agent, "private"), timeout=30,
                       headers={"Coder-Session-Token": issue_token_for_tests(owner)})
    assert got.status_code == 404
    monkeypatch.setenv("CODER_DANGEROUS_ALLOW_PATH_APP_SITE_OWNER_ACCESS", "true")
    got = requests.get(_url(portal, apps_agent, "private"), timeout=30,
                       headers={"Coder-Session-Token": issue_token_for_tests(owner)})
    assert got.status_code == 200 and got.headers["Content-Security-Policy"].startswith("sandbox")
    monkeypatch.setenv("CODER_DISABLE_OWNER_WORKSPACE_ACCESS", "true")
    got = requests.get(_url(portal, apps_agent, "private"), timeout=30,
                       headers={"Coder-Session-Token": issue_token_for_tests(owner)})
    assert got.status_code == 404
    # Anonymous: asked to log in, whether the app exists or not.
    for slug in ("private", "nope"):
        anonymous = requests.get(_url(portal, apps_agent, slug), allow_redirects=False, timeout=30)
        assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login?next=")


def test_authenticated_and_public_levels_capped_by_template(portal, apps_agent, outsider, org_admin, monkeypatch):
    outsider_headers = {"Coder-Session-Token": issue_token_for_tests(outsider)}
    _set_cap(apps_agent, "public")
    # Sharing path-based apps is off unless the deployment turns it on (Coder's switch).
    assert requests.get(_url(portal, apps_agent, "team"), headers=outsider_headers, timeout=30).status_code == 404
    assert requests.get(_url(portal, apps_agent, "open"), allow_redirects=False, timeout=30).status_code == 302
    monkeypatch.setenv("CODER_DANGEROUS_ALLOW_PATH_APP_SHARING", "true")
    _set_cap(apps_agent, "owner")  # the default: nothing is shared
    assert requests.get(_url(portal, apps_agent, "team"), headers=outsider_headers, timeout=30).status_code == 404
    assert requests.get(_url(portal, apps_agent, "open"), allow_redirects=False, timeout=30).status_code == 302

    _set_cap(apps_agent, "authenticated")
    shared = requests.get(_url(portal, apps_agent, "team"), headers=outsider_headers, timeout=30)
    assert shared.status_code == 200
    # Opened only thanks to sharing: sandboxed, so the page can't use the portal's origin.
    assert shared.headers["Content-Security-Policy"].startswith("sandbox")
    assert requests.get(_url(portal, apps_agent, "open"), allow_redirects=False, timeout=30).status_code == 302
    assert requests.get(_url(portal, apps_agent, "open"), headers=outsider_headers, timeout=30).status_code == 200

    _set_cap(apps_agent, "public")
    # `organization`: members of the workspace's organization only.
    assert requests.get(_url(portal, apps_agent, "org"), headers=outsider_headers, timeout=30).status_code == 404
    assert requests.get(_url(portal, apps_agent, "org"), timeout=30, headers={
        "Coder-Session-Token": issue_token_for_tests(org_admin)}).status_code == 200
    anonymous = requests.get(_url(portal, apps_agent, "open", "x"), timeout=30)
    assert anonymous.status_code == 200 and anonymous.json()["path"] == "/base/x"
    assert requests.get(_url(portal, apps_agent, "team"), allow_redirects=False, timeout=30).status_code == 302


def test_websocket_through_the_proxy(portal, apps_agent, member, outsider):
    url = _url(portal, apps_agent, "ws", "echo").replace("http://", "ws://")
    with connect(url, additional_headers={"Coder-Session-Token": issue_token_for_tests(member)},
                 open_timeout=20) as ws:
        ws.send("hello")
        assert ws.recv(timeout=20) == "HELLO"
        ws.send(b"\x01\x02\x03")
        assert ws.recv(timeout=20) == b"\x03\x02\x01"
        ws.send("x" * 200_000)
        assert ws.recv(timeout=20) == "X" * 200_000
    with connect(url, additional_headers={"Coder-Session-Token": issue_token_for_tests(outsider)},
                 open_timeout=20) as ws:
        with pytest.raises(Exception) as refused:
            ws.recv(timeout=20)
        assert "4404" in str(refused.value)


def test_app_health_in_agent_json(portal, apps_agent, member, api_client):
    from workspaces.models import WorkspaceApp

    WorkspaceApp.objects.filter(agent=apps_agent, slug="private").update(health="healthy")
    client = api_client
    client.credentials(HTTP_CODER_SESSION_TOKEN=issue_token_for_tests(member))
    body = client.get(f"/api/v2/workspaceagents/{apps_agent.pk}").json()
    assert {a["slug"]: a["health"] for a in body["apps"]}["private"] == "healthy"


def test_agent_not_connected_is_502(portal, member, org):
    agent = make_agent(member, org, "tok-apps-off", apps=[
        {"slug": "app", "url": "http://127.0.0.1:1/", "sharing_level": "owner"}])
    got = requests.get(_url(portal, agent, "app"), headers={"Coder-Session-Token": issue_token_for_tests(member)},
                       timeout=30)
    assert got.status_code == 502 and "not connected" in got.text


def test_several_agents_need_the_agent_name(portal, apps_agent, member):
    from workspaces.models import WorkspaceAgent as Agent

    Agent.objects.create(resource=apps_agent.resource, name="second", auth_token_hash="0" * 64)
    headers = {"Coder-Session-Token": issue_token_for_tests(member)}
    assert requests.get(_url(portal, apps_agent, "private", named=False), headers=headers,
                        timeout=30).status_code == 404
    assert requests.get(_url(portal, apps_agent, "private"), headers=headers, timeout=30).status_code == 200


def test_https_app_with_a_self_signed_certificate(portal, run_agent, member, org, tmp_path):
    import ssl
    import subprocess

    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=localhost", "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _App)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        agent = make_agent(member, org, "tok-apps-tls", apps=[
            {"slug": "tls", "url": f"https://localhost:{server.server_address[1]}/base", "sharing_level": "owner"}])
        run_agent(portal, "tok-apps-tls")
        wait_for(lambda: _relay_up(portal, agent, member), message="relay up")
        headers = {"Coder-Session-Token": issue_token_for_tests(member)}
        got = requests.get(_url(portal, agent, "tls", "secure?a=b"), headers=headers, timeout=30)
        assert got.status_code == 200, got.text
        assert got.json()["path"] == "/base/secure?a=b"
        posted = requests.post(_url(portal, agent, "tls", "up"), data=b"y" * 200_000, headers=headers, timeout=30)
        assert posted.json()["body"] == "y" * 200_000
    finally:
        server.shutdown()
