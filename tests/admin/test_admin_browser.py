"""Headless Chromium against a live server: bootstrap the first user over the API, log in to
the admin with username and password, and find that user in the Users changelist."""
from __future__ import annotations

import json
import shutil
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
USERNAME, EMAIL, PASSWORD = "first-admin", "first-admin@example.com", "a-long-and-unusual-passphrase"

pytestmark = pytest.mark.browser


def create_first_user(base_url: str) -> dict:
    body = json.dumps({"username": USERNAME, "email": EMAIL, "password": PASSWORD, "name": "First Admin"})
    request = urllib.request.Request(f"{base_url}/api/v2/users/first", data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        return json.loads(response.read())


def drive_browser(base_url: str, screenshot: Path) -> dict:
    """Runs in its own thread: Playwright's sync API keeps an event loop running in the
    calling thread, where Django would then refuse ORM calls."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{base_url}/admin/")
            login_url = page.url
            page.fill("#id_username", USERNAME)
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_selector("#site-name")
            page.goto(f"{base_url}/admin/accounts/user/")
            page.wait_for_selector("#result_list")
            rows = page.locator("#result_list tbody tr").all_inner_texts()
            page.screenshot(path=str(screenshot), full_page=True)
            return {"login_url": login_url, "rows": rows, "title": page.title(),
                    "stylesheet_ok": page.evaluate(
                        "getComputedStyle(document.querySelector('#header')).backgroundColor")}
        finally:
            browser.close()


@pytest.mark.django_db(transaction=True)
def test_first_user_logs_in_to_admin_and_sees_users(live_server, tmp_path):
    assert Path(CHROMIUM).exists() or shutil.which("chromium"), "Chromium is required for the browser tests"
    created = create_first_user(live_server.url)
    screenshot = tmp_path / "users-changelist.png"
    with ThreadPoolExecutor(max_workers=1) as pool:
        seen = pool.submit(drive_browser, live_server.url, screenshot).result(timeout=180)
    assert "/admin/login/" in seen["login_url"]
    assert any(USERNAME in row and EMAIL in row and "owner" in row for row in seen["rows"]), seen["rows"]
    assert "coderportal" in seen["title"]
    assert seen["stylesheet_ok"] not in ("", "rgba(0, 0, 0, 0)")  # the admin's CSS was served
    assert screenshot.stat().st_size > 10_000
    from accounts.models import User

    assert str(User.objects.get(username=USERNAME).pk) == created["user_id"]
