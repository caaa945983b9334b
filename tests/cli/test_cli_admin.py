"""`tokens`, `users`, `organizations`, `groups`, `provisioner` and `schedule` formats with the
served single-file CLI against a live portal; errors are one line with a non-zero status."""
from __future__ import annotations

import json

import pytest

from accounts.models import APIKey
from accounts.services.tokens import issue_token_for_tests

pytestmark = pytest.mark.timeout(120)


def test_tokens_users_orgs_groups_provisioners(portal, served_cli, owner, member, org):
    cli = served_cli
    cli("login", portal, "--token", issue_token_for_tests(owner))

    token = cli("tokens", "create", "-n", "ci", "--lifetime", "24h").stdout.strip()
    assert APIKey.objects.get(token_name="ci").id == token.split("-")[0]
    listed = json.loads(cli("tokens", "list", "-o", "json").stdout)
    assert [k["token_name"] for k in listed] == ["ci"]
    assert cli("--token", token, "whoami").stdout.endswith(f"authenticated as {owner.username} !\n")
    assert "has been deleted" in cli("tokens", "remove", "ci").stdout
    assert not APIKey.objects.filter(token_name="ci").exists()
    missing = cli("tokens", "remove", "ci", check=False)
    assert missing.returncode == 1 and missing.stderr.startswith("error: HTTP 404")

    users = cli("users", "list", "-c", "username").stdout.split()
    assert users[0] == "USERNAME" and {owner.username, member.username} <= set(users[1:])
    assert "is now suspended" in cli("users", "suspend", member.username).stdout
    member.refresh_from_db()
    assert member.status == "suspended"
    cli("users", "activate", member.username)
    assert json.loads(cli("users", "show", member.username).stdout)["status"] == "active"

    assert f"Current organization: {org.name}" in cli("organizations", "show").stdout
    members = cli("organizations", "members", "-o", "json").stdout
    assert member.username in members
    assert "has been created" in cli("groups", "create", "devs").stdout
    assert "devs" in cli("groups", "list").stdout
    assert cli("provisioner", "list").stdout.startswith("NAME")
    assert cli("provisioner", "jobs", "list").returncode == 0


def test_member_cannot_create_users_and_bad_input_is_one_line(portal, served_cli, member, org):
    cli = served_cli
    cli("login", portal, "--token", issue_token_for_tests(member))
    refused = cli("users", "create", "-u", "x", "-e", "x@example.com", "-p", "a-Long-passw0rd!", check=False)
    assert refused.returncode == 1 and refused.stderr.startswith("error: HTTP 403")
    assert len(refused.stderr.splitlines()) == 1
    bad = cli("schedule", "stop", "ws", "soon", check=False)
    assert bad.returncode != 0 and bad.stderr.startswith("error: ")
    no_url = cli("--url", "http://127.0.0.1:9", "whoami", check=False)
    assert no_url.returncode == 1 and no_url.stderr.startswith("error: cannot reach http://127.0.0.1:9")
    usage = cli("templates", "push", "--variable", check=False)
    assert usage.returncode == 2 and "expected one argument" in usage.stderr
