"""SSO fixtures: a real OpenID Connect provider (node `oidc-provider`) on loopback, SSO
configuration applied from CODER_* variables, and `sso_login` to run allauth's login flow
for given claims without a browser.

Missing node or npm is a failure, not a skip: the SSO tests are part of the contract.
"""
from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

IDP_DIR = Path(__file__).parent / "idp"
CLIENT_ID = "coderportal"
CLIENT_SECRET = "test-client-secret-0123456789"
START_TIMEOUT = 60


def _ensure_node_modules() -> str:
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("node and npm are required for the OIDC tests (the identity provider is the npm package "
                    "oidc-provider); install Node.js 20+.", pytrace=False)
    if not (IDP_DIR / "node_modules" / "oidc-provider").is_dir():
        result = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=IDP_DIR, capture_output=True,
                                text=True, timeout=600)
        if result.returncode != 0:
            pytest.fail(f"`npm ci` in {IDP_DIR} failed:\n{result.stdout}\n{result.stderr}", pytrace=False)
    return node


class IdentityProvider:
    """The running IdP. `set_account(login, claims)` changes what the next login returns."""

    def __init__(self, process: subprocess.Popen, issuer: str, accounts_file: Path, output: list[str]):
        self.process = process
        self.issuer = issuer
        self.accounts_file = accounts_file
        self.output = output

    def set_account(self, login: str, claims: dict) -> None:
        accounts = json.loads(self.accounts_file.read_text())
        accounts[login] = claims
        tmp = self.accounts_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(accounts))
        tmp.replace(self.accounts_file)  # atomic: the IdP never reads a half-written file


def _read_lines(stream, lines: queue.Queue, output: list[str]) -> None:
    for line in stream:
        output.append(line.rstrip())
        lines.put(line)


@pytest.fixture(scope="session")
def oidc_idp(live_server, tmp_path_factory):
    node = _ensure_node_modules()
    accounts_file = tmp_path_factory.mktemp("idp") / "accounts.json"
    accounts_file.write_text("{}")
    env = {
        "PATH": str(Path(node).parent),
        "IDP_CLIENT_ID": CLIENT_ID,
        "IDP_CLIENT_SECRET": CLIENT_SECRET,
        "IDP_REDIRECT_URIS": f"{live_server.url}/accounts/oidc/oidc/login/callback/",
        "IDP_ACCOUNTS_FILE": str(accounts_file),
        "IDP_PORT": "0",
    }
    process = subprocess.Popen([node, str(IDP_DIR / "idp.mjs")], cwd=IDP_DIR, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue = queue.Queue()
    output: list[str] = []
    threading.Thread(target=_read_lines, args=(process.stdout, lines, output), daemon=True).start()
    issuer = None
    try:
        while issuer is None:
            line = lines.get(timeout=START_TIMEOUT)
            if line.startswith("LISTENING "):
                issuer = line.split(" ", 1)[1].strip()
    except queue.Empty:
        process.kill()
        pytest.fail("the OIDC identity provider did not start:\n" + "\n".join(output), pytrace=False)
    yield IdentityProvider(process, issuer, accounts_file, output)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def apply_sso_env(monkeypatch, settings, **env) -> None:
    """Set CODER_* variables and rebuild SOCIALACCOUNT_PROVIDERS from them, as start-up does."""
    from accounts.sso import sso_settings

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings.SOCIALACCOUNT_PROVIDERS = sso_settings.providers()


@pytest.fixture
def sso_env(monkeypatch, settings):
    """`sso_env(**CODER_vars)`; an OIDC app pointing nowhere unless the test says otherwise."""

    def configure(**env):
        base = {"CODER_OIDC_ISSUER_URL": "http://127.0.0.1:9", "CODER_OIDC_CLIENT_ID": CLIENT_ID,
                "CODER_OIDC_CLIENT_SECRET": CLIENT_SECRET}
        apply_sso_env(monkeypatch, settings, **{**base, **env})

    return configure


@pytest.fixture
def sso_login(db):
    """Run allauth's real login flow (adapters included) for an identity with `claims` (OIDC
    userinfo, or GitHub's /user payload), as the callback view does after the token exchange.
    Returns (response, request)."""
    from allauth.core import context
    from allauth.socialaccount.adapter import get_adapter
    from allauth.socialaccount.internal.flows.login import complete_login
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.test import RequestFactory

    def login(claims: dict, provider_id: str = "oidc"):
        request = RequestFactory().get(f"/accounts/oidc/{provider_id}/login/callback/",
                                       REMOTE_ADDR="127.0.0.1", HTTP_USER_AGENT="pytest")
        SessionMiddleware(lambda r: None).process_request(request)
        request.session.save()
        request.user = AnonymousUser()
        request._messages = FallbackStorage(request)
        with context.request_context(request):
            provider = get_adapter(request).get_provider(request, provider_id)
            data = claims if provider.id == "github" else {"userinfo": claims, "id_token": {}}
            sociallogin = provider.sociallogin_from_response(request, data)
            sociallogin.state = {"process": "login", "next": "/admin/"}
            response = complete_login(request, sociallogin)
        return response, request

    return login
