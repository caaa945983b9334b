"""The generated OpenAPI schema covers the /api/v2 surface and the browsable UI is served."""
from __future__ import annotations

import json


def test_openapi_schema_lists_the_api(client_for, member, api_client):
    response = client_for(member).get("/api/v2/openapi.json", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = schema["paths"]
    for expected in ("/api/v2/users/login", "/api/v2/users/{user}", "/api/v2/organizations/{organization}/members",
                     "/api/v2/templates/{template_id}", "/api/v2/workspaces", "/api/v2/workspacebuilds/{build_id}"):
        assert any(p.rstrip("/") == expected or p.startswith(expected.split("{")[0]) for p in paths), expected
    assert len(paths) > 80


def test_swagger_ui_is_served(api_client):
    response = api_client.get("/swagger")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
