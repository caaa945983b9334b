"""End to end: headless Chromium logs in to the live portal through a real OpenID Connect
provider (node `oidc-provider` on loopback), twice, with the group claim changed in between.

Nothing is faked: the IdP renders its own login and consent pages, allauth performs discovery,
the code exchange (client secret + PKCE), ID-token verification and the userinfo call.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.sso.conftest import CLIENT_ID, CLIENT_SECRET, apply_sso_env

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
TIMEOUT_MS = 30_000

pytestmark = [pytest.mark.browser, pytest.mark.real]


@pytest.fixture
def browser_page(monkeypatch):
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is required for the SSO browser test and was not found at {CHROMIUM} "
                    f"(Debian package `chromium`).", pytrace=False)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls this test makes
    # between browser steps are ordinary synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()


def _login_at_idp(page, idp, login: str) -> None:
    """The IdP's own pages: sign-in form, then the consent page."""
    page.wait_for_url(re.compile("^" + re.escape(idp.issuer) + "/interaction/"))
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any-password")
    page.click("button[type=submit]")
    page.wait_for_selector("input[name=prompt][value=consent]", state="attached")
    page.click("button[type=submit]")


def _group_names(user) -> set[str]:
    from accounts.models import Group

    return set(Group.objects.filter(auth_group__user=user).values_list("name", flat=True))


def _claims(groups, roles) -> dict:
    return {"email": "alice.smith@example.com", "email_verified": True, "name": "Alice Smith",
            "preferred_username": "alice.smith", "groups": groups, "roles": roles}


@pytest.mark.django_db(transaction=True)
def test_oidc_login_in_browser_creates_user_and_resyncs_groups(live_server, oidc_idp, browser_page,
                                                              monkeypatch, settings):
    from accounts.models import AuditLog, OrganizationMember, User
    from accounts.services.organizations import default_organization
    from coderportal.api.authentication import resolve_token

    apply_sso_env(monkeypatch, settings,
                  CODER_OIDC_ISSUER_URL=oidc_idp.issuer, CODER_OIDC_CLIENT_ID=CLIENT_ID,
                  CODER_OIDC_CLIENT_SECRET=CLIENT_SECRET, CODER_OIDC_SCOPES="openid,profile,email,groups",
                  CODER_OIDC_SIGN_IN_TEXT="Sign in with Test IdP", CODER_OIDC_EMAIL_DOMAIN="example.com",
                  CODER_OIDC_GROUP_FIELD="groups", CODER_OIDC_GROUP_MAPPING=json.dumps({"idp-devs": "developers"}),
                  CODER_OIDC_GROUP_AUTO_CREATE="true", CODER_OIDC_USER_ROLE_FIELD="roles",
                  CODER_OIDC_USER_ROLE_MAPPING=json.dumps({"portal-admins": ["template-admin"]}))
    org = default_organization()
    oidc_idp.set_account("alice", _claims(["idp-devs", "ops"], ["portal-admins"]))
    page = browser_page

    # First login, from the portal's /login page.
    page.goto(f"{live_server.url}/login")
    button = page.locator("a.sso-button[data-provider=openid_connect]")
    assert button.inner_text().strip() == "Sign in with Test IdP"
    button.click()
    _login_at_idp(page, oidc_idp, "alice")
    page.wait_for_url(f"{live_server.url}/admin/")
    assert "Site administration" in page.content() or "Management" in page.content()

    user = User.objects.get(email__iexact="alice.smith@example.com")
    assert (user.username, user.login_type, user.status) == ("alice-smith", "oidc", "active")
    assert OrganizationMember.objects.filter(user=user, organization=org).exists()
    assert _group_names(user) == {"developers", "ops"}
    assert set(user.site_roles.values_list("name", flat=True)) == {"template-admin"}
    cookie = next(c for c in page.context.cookies() if c["name"] == "coder_session_token")
    key = resolve_token(cookie["value"])
    assert (key.user_id, key.login_type) == (user.id, "oidc")

    # The IdP now says: no longer in "ops", newly in "qa", no admin role.
    oidc_idp.set_account("alice", _claims(["idp-devs", "qa"], []))

    # Log out from /login; the admin is closed again.
    page.goto(f"{live_server.url}/login")
    page.click("#sign-out")
    page.wait_for_url(f"{live_server.url}/login")
    page.goto(f"{live_server.url}/admin/")
    page.wait_for_url(re.compile(r"/admin/login/"))
    assert not any(c["name"] == "coder_session_token" for c in page.context.cookies())
    # Forget the IdP's session too, so the second login goes through its sign-in form again.
    page.context.clear_cookies()

    # Second login, from the Django admin's login page.
    page.goto(f"{live_server.url}/admin/")
    page.wait_for_url(re.compile(r"/admin/login/"))
    page.locator("a.sso-button[data-provider=openid_connect]").click()
    _login_at_idp(page, oidc_idp, "alice")
    page.wait_for_url(f"{live_server.url}/admin/")

    assert User.objects.filter(email__iexact="alice.smith@example.com").count() == 1
    user.refresh_from_db()
    assert _group_names(user) == {"developers", "qa"}
    assert not user.site_roles.exists()
    logins = AuditLog.objects.filter(action="login", resource_type="api_key", user=user, status_code=201)
    assert logins.count() == 2
    assert all(row.additional_fields.get("login_type") == "oidc" for row in logins)
