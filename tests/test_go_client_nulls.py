"""Coder clients send `null` for every optional field they leave unset (Go encodes nil
pointers, slices and maps as null): each such body is accepted as if the field were absent.

Bodies are shaped like the Go SDK's request structs (codersdk): required fields set, every
optional field present and null.
"""
from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest
from rest_framework import serializers

from coderportal.api.fields import RequestSerializer
from tests.workspaces.api_helpers import echo, new_template, new_version, script  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parent.parent


def nulls(*names: str) -> dict:
    return dict.fromkeys(names)


# codersdk struct -> its optional fields
CREATE_USER = nulls("name", "login_type", "user_status", "organization_ids")  # CreateUserRequestWithOrgs
CREATE_TOKEN = nulls("lifetime", "scope", "scopes", "allow_list")  # CreateTokenRequest
CREATE_ORG = nulls("display_name", "description", "icon")  # CreateOrganizationRequest
CREATE_GROUP = nulls("display_name", "avatar_url", "quota_allowance")  # CreateGroupRequest
PATCH_GROUP = nulls("add_users", "remove_users", "name", "display_name", "avatar_url",
                    "quota_allowance")  # PatchGroupRequest
TEMPLATE_META = nulls(
    "display_name", "description", "icon", "default_ttl_ms", "activity_bump_ms", "autostop_requirement",
    "autostart_requirement", "allow_user_autostart", "allow_user_autostop", "allow_user_cancel_workspace_jobs",
    "failure_ttl_ms", "disable_everyone_group_access", "require_active_version", "max_port_share_level",
    "use_classic_parameter_flow", "cors_behavior")
CREATE_TEMPLATE = {**TEMPLATE_META, **nulls("dormant_ttl_ms", "delete_ttl_ms")}  # CreateTemplateRequest
UPDATE_TEMPLATE = {**TEMPLATE_META, **nulls("name", "time_til_dormant_ms", "time_til_dormant_autodelete_ms",
                                            "update_workspace_last_used_at", "update_workspace_dormant_at",
                                            "deprecation_message")}  # UpdateTemplateMeta
CREATE_WORKSPACE = nulls("template_version_id", "autostart_schedule", "ttl_ms", "rich_parameter_values",
                         "automatic_updates", "template_version_preset_id")  # CreateWorkspaceRequest
CREATE_BUILD = nulls("template_version_id", "dry_run", "state", "orphan", "rich_parameter_values", "log_level",
                     "template_version_preset_id", "reason")  # CreateWorkspaceBuildRequest


def test_user_with_null_optional_fields(client_for, owner, org):
    response = client_for(owner).post("/api/v2/users", {
        **CREATE_USER, "email": "go@example.com", "username": "go-client", "password": "correct-horse-battery-42!"},
        format="json")
    assert response.status_code == 201, response.content
    user = response.json()
    assert (user["login_type"], user["status"], user["name"]) == ("password", "dormant", "")  # as when absent
    assert user["organization_ids"] == [str(org.id)]  # the default organization, as when absent


def test_token_with_null_optional_fields(client_for, member):
    client = client_for(member)
    response = client.post("/api/v2/users/me/keys/tokens", {**CREATE_TOKEN, "token_name": "ci"}, format="json")
    assert response.status_code == 201, response.content
    [token] = [k for k in client.get("/api/v2/users/me/keys/tokens").json() if k["token_name"] == "ci"]
    assert token["scope"] == "all"


def test_organization_with_null_optional_fields(client_for, owner):
    response = client_for(owner).post("/api/v2/organizations", {**CREATE_ORG, "name": "go-org"}, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["display_name"], response.json()["description"]) == ("go-org", "")


def test_group_create_and_patch_with_null_optional_fields(client_for, owner, org):
    client = client_for(owner)
    response = client.post(f"/api/v2/organizations/{org.name}/groups", {**CREATE_GROUP, "name": "devs"},
                           format="json")
    assert response.status_code == 201, response.content
    group = response.json()
    assert group["quota_allowance"] == 0
    patched = client.patch(f"/api/v2/groups/{group['id']}", PATCH_GROUP, format="json")
    assert patched.status_code == 200, patched.content
    assert (patched.json()["name"], patched.json()["display_name"]) == (group["name"], group["display_name"])


def test_template_create_and_update_with_null_optional_fields(client_for, owner, org, echo,
                                                               django_capture_on_commit_callbacks):
    version = new_version(owner, org, django_capture_on_commit_callbacks)
    client = client_for(owner)
    response = client.post(f"/api/v2/organizations/{org.name}/templates", {
        **CREATE_TEMPLATE, "name": "go-template", "template_version_id": str(version.id)}, format="json")
    assert response.status_code == 201, response.content
    template = response.json()
    assert template["allow_user_autostart"] is True and template["max_port_share_level"] == "owner"
    updated = client.patch(f"/api/v2/templates/{template['id']}", UPDATE_TEMPLATE, format="json")
    assert updated.status_code in (200, 304), updated.content
    again = client.get(f"/api/v2/templates/{template['id']}").json()
    assert (again["name"], again["default_ttl_ms"]) == ("go-template", template["default_ttl_ms"])


def test_workspace_and_build_with_null_optional_fields(client_for, member, owner, org, echo,
                                                       django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    optional_only = script(parse={"parameters": [{"name": "region", "type": "string", "default_value": "eu"}]})
    template, _ = new_template(owner, org, capture, data=optional_only)
    client = client_for(member)
    with capture(execute=True):
        response = client.post("/api/v2/users/me/workspaces", {
            **CREATE_WORKSPACE, "name": "go-ws", "template_id": str(template.id)}, format="json")
    assert response.status_code == 201, response.content
    workspace = response.json()
    assert workspace["automatic_updates"] == "never" and "ttl_ms" not in workspace
    with capture(execute=True):
        build = client.post(f"/api/v2/workspaces/{workspace['id']}/builds",
                            {**CREATE_BUILD, "transition": "stop"}, format="json")
    assert build.status_code == 201, build.content
    assert build.json()["transition"] == "stop"
    assert build.json()["template_version_id"] == workspace["latest_build"]["template_version_id"]


def test_a_required_field_may_not_be_null(client_for, owner):
    response = client_for(owner).post("/api/v2/organizations", {**CREATE_ORG, "name": None}, format="json")
    assert response.status_code == 400
    assert [v["field"] for v in response.json()["validations"]] == ["name"]


def _parsed_serializers():
    """Every serializer class handed to `PortalAPIView.parse()` anywhere in the project."""
    found = set()
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        names = set(re.findall(r"\b(?:self|view)\.parse\(([\w.]+)", text))
        if names:
            module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
            for dotted in names:
                value = module
                for part in dotted.split("."):
                    value = getattr(value, part)
                found.add(value)
    return found


def _nested(serializer_class):
    for field in serializer_class().fields.values():
        while isinstance(field, (serializers.ListSerializer, serializers.ListField, serializers.DictField)):
            field = field.child
        if isinstance(field, serializers.BaseSerializer):
            yield type(field)
            yield from _nested(type(field))


def test_every_request_body_follows_the_null_rule():
    parsed = _parsed_serializers()
    assert len(parsed) > 20  # the scan found the API's bodies
    for serializer_class in parsed:
        for cls in (serializer_class, *_nested(serializer_class)):
            assert inspect.isclass(cls) and issubclass(cls, RequestSerializer), cls
