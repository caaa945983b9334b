"""First run as a new user meets it: what `serve` prints works, links lead somewhere, docs work offline."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import httpx
import yaml

from tests.test_serve import ROOT, Served

BACKENDS = {"CODER_PG_CONNECTION_URL", "CODER_REDIS_URL", "CELERY_BROKER_URL", "CODER_SQLITE_PATH", "CODER_DATA_DIR"}


def _clean_env() -> dict[str, str]:
    """A shell of someone who just cloned the project: no CODER_* database or data directory set."""
    return {k: v for k, v in os.environ.items() if k not in BACKENDS}


def test_a_command_on_an_unmigrated_database_says_so_in_one_line(tmp_path):
    env = {**_clean_env(), "CODER_DATA_DIR": str(tmp_path / "fresh")}
    result = subprocess.run([sys.executable, "manage.py", "create_first_user", "--username", "a",
                             "--email", "a@example.com", "--password", "correct-horse-42"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: the database (SQLite file ") and "has not been migrated" in line
    assert "python manage.py migrate" in line


def test_the_first_user_hint_names_the_data_dir_and_its_command_works(tmp_path):
    served = Served(tmp_path, [], daemons=0)
    try:
        served.wait_healthy()
        output = served.output()
        (command,) = re.findall(r"or  (.*python manage\.py create_first_user .*)", output)
        assert f"CODER_DATA_DIR={served.data_dir}" in command
        password = tmp_path / "password"
        password.write_text("correct-horse-42\n")
        command = (command.replace("python manage.py", f"{sys.executable} manage.py")
                   .replace("NAME", "first").replace("EMAIL", "first@example.com")
                   .replace("FILE", str(password)).split(" (with")[0])
        created = subprocess.run(["bash", "-c", command], cwd=ROOT, env=_clean_env(), capture_output=True,
                                 text=True, timeout=120)
        assert created.returncode == 0, created.stderr
        login = httpx.post(f"{served.base}/api/v2/users/login",
                           json={"email": "first@example.com", "password": "correct-horse-42"}, timeout=30)
        assert login.status_code == 201, login.text
    finally:
        served.stop()


def test_the_banner_url_and_the_admin_view_site_link_lead_to_pages_and_swagger_is_offline(tmp_path):
    served = Served(tmp_path, [], daemons=0)
    try:
        served.wait_healthy()
        (url,) = re.findall(r"View the Web UI: (\S+)", served.output())
        with httpx.Client(timeout=30, follow_redirects=True) as http:
            landing = http.get(url)
            assert landing.status_code == 200 and str(landing.url).startswith(f"{served.base}/login")

            http.post(f"{served.base}/api/v2/users/first", json={
                "username": "admin", "email": "admin@example.com", "password": "correct-horse-42"}).raise_for_status()
            login = http.get(f"{served.base}/login")
            csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
            signed_in = http.post(f"{served.base}/login", data={
                "csrfmiddlewaretoken": csrf, "username": "admin", "password": "correct-horse-42", "next": "/admin/"},
                headers={"Referer": f"{served.base}/login"})
            assert signed_in.status_code == 200 and str(signed_in.url) == f"{served.base}/admin/"
            (view_site,) = re.findall(r'<a href="([^"]*)">View site</a>', signed_in.text)
            target = http.get(f"{served.base}{view_site}")
            assert target.status_code == 200 and str(target.url) == f"{served.base}/admin/"

            # Swagger UI loads only assets this server serves (no CDN), and each of them is there.
            swagger = http.get(f"{served.base}/swagger")
            assert swagger.status_code == 200
            assets = re.findall(r'(?:src|href)="([^"]+)"', swagger.text)
            assert assets and not [a for a in assets if a.startswith(("http:", "https:", "//"))], assets
            for asset in assets:
                assert http.get(f"{served.base}{asset}").status_code == 200, asset
            schema = http.get(f"{served.base}/api/v2/openapi.json")
            assert schema.status_code == 200 and "json" in schema.headers["content-type"]
            assert json.loads(schema.text)["openapi"].startswith("3.")
    finally:
        served.stop()


def test_openapi_json_is_json_unless_yaml_is_asked_for(client_for, member):
    client = client_for(member)
    plain = client.get("/api/v2/openapi.json")
    assert plain.status_code == 200 and "json" in plain["Content-Type"]
    assert json.loads(plain.content)["paths"]
    by_query = client.get("/api/v2/openapi.json?format=yaml")
    assert by_query.status_code == 200 and "json" not in by_query["Content-Type"]
    assert not by_query.content.lstrip().startswith(b"{") and yaml.safe_load(by_query.content)["paths"]
    by_accept = client.get("/api/v2/openapi.json", HTTP_ACCEPT="application/yaml")
    assert by_accept.status_code == 200 and "yaml" in by_accept["Content-Type"]
    assert not by_accept.content.lstrip().startswith(b"{")


def test_home_leads_to_the_admin_or_the_login_page(owner, client):
    anonymous = client.get("/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login")
    client.force_login(owner, backend="accounts.backends.PortalModelBackend")
    assert client.get("/")["Location"] == "/admin/"
