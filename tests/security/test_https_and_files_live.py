"""Behind an https access URL the real server sets Secure cookies, HSTS as configured and a
CSP on portal pages; the embedded SQLite database and its WAL are private to the portal's OS
user. One `manage.py serve` in a subprocess, with the flags an operator would give."""
from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import stat

import httpx
import pytest

from tests.test_serve import Served

PASSWORD = "correct-horse-42"


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    # A flag for the access URL, environment variables for HSTS: both ways an operator configures.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CODER_STRICT_TRANSPORT_SECURITY", "31536000")
        env.setenv("CODER_STRICT_TRANSPORT_SECURITY_OPTIONS", "includeSubDomains")
        served = Served(tmp_path_factory.mktemp("https"), ["--access-url", "https://localhost"], daemons=0)
    try:
        served.wait_healthy()
        with httpx.Client(base_url=served.base, timeout=60) as http:
            first = http.post("/api/v2/users/first", json={"username": "admin", "email": "admin@example.com",
                                                            "password": PASSWORD, "name": "Admin"})
            assert first.status_code == 201, first.text
        yield served
    finally:
        if served.proc.poll() is None:
            for process in served.tree()[::-1]:
                process.kill()
            served.proc.wait()
        served.log.close()


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


def test_login_cookies_are_secure_behind_an_https_access_url(portal):
    # Plain http to the server, as behind a TLS-terminating proxy: the cookies are Secure anyway.
    with httpx.Client(base_url=portal.base, timeout=30) as http:
        page = http.get("/login")
        csrf_cookie = _set_cookies(page)["csrftoken"]
        assert re.search(r";\s*Secure", csrf_cookie, re.I), csrf_cookie
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        csrf_value = csrf_cookie.split(";", 1)[0].split("=", 1)[1]
        login = http.post("/login", data={"username": "admin", "password": PASSWORD, "next": "/admin/",
                                          "csrfmiddlewaretoken": token},
                          headers={"Cookie": f"csrftoken={csrf_value}"})
    assert login.status_code == 302, login.text[:500]
    cookies = _set_cookies(login)
    for name in ("sessionid", "coder_session_token"):
        assert re.search(r";\s*Secure", cookies[name], re.I), cookies[name]
        assert re.search(r";\s*HttpOnly", cookies[name], re.I), cookies[name]


def test_hsts_and_the_portal_csp(portal):
    with httpx.Client(base_url=portal.base, timeout=30) as http:
        login = http.get("/login")
        assert login.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
        assert "script-src 'self'" in login.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in http.get("/admin/login/").headers["content-security-policy"]
        api = http.get("/api/v2/buildinfo")
        assert api.headers["strict-transport-security"].startswith("max-age=31536000")
        assert "content-security-policy" not in api.headers  # JSON, not a portal page


def test_sqlite_database_and_wal_are_private(portal):
    assert stat.S_IMODE(portal.data_dir.stat().st_mode) == 0o700
    database = portal.data_dir / "coderportal.sqlite3"
    # Hold a connection open while writing, so the WAL and shared-memory files exist to be
    # checked (SQLite removes them when the last connection closes). SQLite creates them with
    # the database file's mode, whichever process opens them, and whatever that process's umask.
    previous = os.umask(0o022)
    try:
        with contextlib.closing(sqlite3.connect(database, timeout=30)) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("CREATE TABLE IF NOT EXISTS mode_probe (x)")
            connection.commit()
            files = sorted(portal.data_dir.glob("coderportal.sqlite3*"))
            assert {f.name for f in files} >= {"coderportal.sqlite3", "coderportal.sqlite3-wal",
                                                 "coderportal.sqlite3-shm"}
            for path in files:
                mode = stat.S_IMODE(path.stat().st_mode)
                assert mode == 0o600, f"{path.name} is {oct(mode)}"
    finally:
        os.umask(previous)
