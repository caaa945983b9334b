"""A token's scope caps what it can do, whatever the user's roles (Coder's scopes)."""
from __future__ import annotations

from accounts import rbac
from accounts.services import tokens


def test_application_connect_token_can_only_connect_to_apps(client_for, owner, org):
    key, token = tokens.issue(owner, login_type="token", token_name="apps", scope="application_connect")
    subject = rbac.subject_for(owner, key)
    workspace = rbac.RbacObject(type="workspace", id="w", org_id=org.id, owner_id=owner.id)
    assert rbac.can(subject, "application_connect", workspace)
    assert not rbac.can(subject, "read", workspace)
    assert not rbac.can(subject, "delete", org)
    assert not rbac.can_any(subject, "read", "user")

    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_CODER_SESSION_TOKEN=token)
    assert client.get("/api/v2/organizations").json() == []
    assert client.get(f"/api/v2/organizations/{org.id}").status_code == 404
    full = client_for(owner)
    assert full.get(f"/api/v2/organizations/{org.id}").status_code == 200
