"""Headless Chromium against a live server: an owner turns quotas on by giving the "Everyone"
group an allowance on its admin page, and sees the mode and a member's budget change."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.admin.test_admin_browser import CHROMIUM, CHROMIUM_ARGS
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def drive(base_url: str, owner: str, everyone_id: str, member_id: str) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{base_url}/admin/login/")
            page.fill("#id_username", owner)
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_selector("#site-name")
            group_url = f"{base_url}/admin/accounts/group/{everyone_id}/change/"
            page.goto(group_url)
            before = page.locator(".extension-panel").inner_text()
            editable = [page.locator(f"#id_{name}").count() for name in ("quota_allowance", "name")]
            page.fill("#id_quota_allowance", "5")
            page.click("input[name=_continue]")
            page.wait_for_selector(".messagelist")
            after = page.locator(".extension-panel").inner_text()
            page.goto(f"{base_url}/admin/accounts/user/{member_id}/change/")
            user_panel = page.locator(".extension-panel").inner_text()
            return {"before": before, "after": after, "editable": editable, "user": user_panel}
        finally:
            browser.close()


def test_owner_turns_quotas_on_from_the_everyone_group_page(live_server, org, owner, member):
    with ThreadPoolExecutor(max_workers=1) as pool:
        seen = pool.submit(drive, live_server.url, owner.username, str(org.pk), str(member.pk)).result(timeout=180)
    assert seen["editable"] == [1, 0]  # the allowance is a field; the name is not
    assert "Quotas are off in Org-A" in seen["before"]
    assert "Quotas are on in Org-A" in seen["after"] and "This group adds 5" in seen["after"]
    assert "member\t0\t5" in seen["after"]
    assert "Org-A\t0\t5\ton" in seen["user"]
    assert org.groups.get(pk=org.pk).quota_allowance == 5
