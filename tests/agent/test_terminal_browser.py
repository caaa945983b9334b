"""The web terminal page in headless Chromium: xterm.js against a real agent's PTY,
re-attached with its scrollback after a reload, under the portal pages' Content-Security-Policy
with no violation reported."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.agent.conftest import make_agent, wait_for
from tests.agent.test_terminal import _relay_up
from tests.security.test_csp_browser import RECORD_VIOLATIONS
from workspaces.models import WorkspaceAgent

pytestmark = pytest.mark.timeout(180)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def drive(url: str, cookie: dict) -> dict:
    """In its own thread: Playwright's sync API runs an event loop where Django refuses ORM calls."""
    from playwright.sync_api import sync_playwright

    seen = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.add_cookies([cookie])
            page = context.new_page()
            page.add_init_script(RECORD_VIOLATIONS)
            response = page.goto(url)
            seen["csp"] = response.headers.get("content-security-policy", "")
            page.wait_for_selector(".xterm-rows")
            page.wait_for_selector("body[data-connected='true']")
            page.locator(".xterm").click()
            page.keyboard.type("echo hi-$((6*7))\n")
            page.locator(".xterm-rows", has_text="hi-42").wait_for()
            seen["typed"] = page.locator(".xterm-rows").inner_text()
            page.reload()  # same tab: the same session, its scrollback replayed
            page.locator(".xterm-rows", has_text="hi-42").wait_for()
            page.keyboard.type("echo second-$((1+1))\n")
            page.locator(".xterm-rows", has_text="second-2").wait_for()
            seen["reloaded"] = page.locator(".xterm-rows").inner_text()
            seen["violations"] = page.evaluate("window.__violations")
            anonymous = browser.new_context().new_page()
            anonymous.goto(url)
            seen["anonymous_url"] = anonymous.url
        finally:
            browser.close()
    return seen


def test_terminal_page_in_a_browser(portal, run_agent, member, org):
    agent = make_agent(member, org, "tok-browser-1")
    run_agent(portal, "tok-browser-1")
    wait_for(lambda: WorkspaceAgent.objects.get(pk=agent.pk).lifecycle_state == "ready", message="ready")
    wait_for(lambda: _relay_up(portal, agent, member), message="relay up")
    client = Client()
    client.force_login(member)
    cookie = {"name": django_settings.SESSION_COOKIE_NAME, "url": portal,
              "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value}
    url = f"{portal}/@member/{agent.resource.build.workspace.name}.main/terminal"
    with ThreadPoolExecutor(1) as pool:
        seen = pool.submit(drive, url, cookie).result(timeout=150)
    assert "hi-42" in seen["typed"]
    assert "hi-42" in seen["reloaded"] and "second-2" in seen["reloaded"]
    assert "/login" in seen["anonymous_url"]
    assert "script-src 'self'" in seen["csp"] and "connect-src 'self'" in seen["csp"]
    assert seen["violations"] == []


def test_terminal_page_is_authorized(portal, member, outsider, org):
    agent = make_agent(member, org, "tok-browser-2")
    name = agent.resource.build.workspace.name
    outsider_client = Client()
    outsider_client.force_login(outsider)
    assert outsider_client.get(f"/@member/{name}/terminal").status_code == 404
    owner_client = Client()
    owner_client.force_login(member)
    page = owner_client.get(f"/@member/{name}/terminal")
    assert page.status_code == 200 and str(agent.pk).encode() in page.content
    assert owner_client.get(f"/@member/{name}.nope/terminal").status_code == 404
    assert owner_client.get("/terminal-assets/xterm.js").status_code == 200
    assert owner_client.get("/terminal-assets/..%2Fviews.py").status_code == 404
