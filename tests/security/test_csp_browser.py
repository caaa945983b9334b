"""The portal pages' Content-Security-Policy in headless Chromium: the admin (login, lists,
forms, password change) works with no violation reported, and a script injected into the
page does not run. The web terminal's check lives with its browser test (tests/agent)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.admin.test_admin_browser import CHROMIUM, CHROMIUM_ARGS, PASSWORD, USERNAME, create_first_user

pytestmark = pytest.mark.browser

# Recorded by the page itself: every CSP violation Chromium reports to the document.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
"""
PAGES = ["/admin/", "/admin/accounts/user/", "/admin/accounts/user/add/", "/admin/accounts/organization/",
         "/admin/templates_app/template/", "/admin/workspaces/workspace/", "/admin/password_change/"]


def drive(base_url: str) -> dict:
    from playwright.sync_api import sync_playwright

    seen: dict = {"violations": {}, "console": [], "csp": {}}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context().new_page()
            page.add_init_script(RECORD_VIOLATIONS)
            page.on("console", lambda m: seen["console"].append(m.text) if "Content Security Policy" in m.text
                    else None)
            response = page.goto(f"{base_url}/admin/login/?next=/admin/")
            seen["csp"]["/admin/login/"] = response.headers.get("content-security-policy", "")
            page.fill("#id_username", USERNAME)
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_selector("#site-name")
            for path in PAGES:
                response = page.goto(f"{base_url}{path}")
                page.wait_for_load_state("load")
                seen["csp"][path] = response.headers.get("content-security-policy", "")
                seen["violations"][path] = page.evaluate("window.__violations")
            # The admin's own JavaScript ran: the theme toggle and the changelist's select-all.
            page.goto(f"{base_url}/admin/accounts/user/")
            page.wait_for_selector("#action-toggle")
            page.click("#action-toggle")
            seen["selected"] = page.locator("tr.selected").count()
            seen["console_before_injection"] = list(seen["console"])
            # An injected inline script (what an XSS would do) is blocked by the policy.
            page.evaluate("""() => { window.__injected = false; const s = document.createElement('script');
                                     s.textContent = 'window.__injected = true'; document.body.appendChild(s); }""")
            seen["injected_ran"] = page.evaluate("window.__injected")
            seen["injected_violations"] = page.evaluate("window.__violations")
        finally:
            browser.close()
    return seen


@pytest.mark.django_db(transaction=True)
def test_admin_runs_under_the_csp_with_no_violation(live_server):
    create_first_user(live_server.url)
    with ThreadPoolExecutor(max_workers=1) as pool:
        seen = pool.submit(drive, live_server.url).result(timeout=180)
    for path, policy in seen["csp"].items():
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
    assert all(not found for found in seen["violations"].values()), seen["violations"]
    assert seen["console_before_injection"] == []
    assert seen["selected"] >= 1
    assert seen["injected_ran"] is False
    assert any(v.startswith("script-src") for v in seen["injected_violations"])
