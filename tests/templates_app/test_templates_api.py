"""Templates over /api/v2: create from an imported version, read, update with Coder's
validations, delete (refused while in use), active version, archive, lists."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditLog
from templates_app.models import JobStatus, Template
from templates_app.services import templates as template_services
from tests.factories import UserFactory, add_member
from tests.templates_app.factories import TemplateFactory, TemplateVersionFactory

pytestmark = pytest.mark.django_db

TEMPLATE_FIELDS = {
    "id", "created_at", "updated_at", "organization_id", "organization_name", "organization_display_name",
    "organization_icon", "name", "display_name", "description", "icon", "provisioner", "active_version_id",
    "active_user_count", "build_time_stats", "deprecated", "deprecation_message", "default_ttl_ms",
    "activity_bump_ms", "autostop_requirement", "autostart_requirement", "allow_user_autostart",
    "allow_user_autostop", "allow_user_cancel_workspace_jobs", "failure_ttl_ms", "time_til_dormant_ms",
    "time_til_dormant_autodelete_ms", "require_active_version", "max_port_share_level", "created_by_id",
    "created_by_name", "use_classic_parameter_flow",
}
# Always present; `warnings` (and the job's times, error and worker) are omitempty in Coder.
VERSION_FIELDS = {"id", "template_id", "organization_id", "created_at", "updated_at", "name", "message", "job",
                  "readme", "created_by", "archived", "matched_provisioners"}
JOB_FIELDS = {"id", "created_at", "file_id", "organization_id", "status", "tags", "type", "queue_position",
              "queue_size", "input", "metadata", "logs_overflowed"}


def fields_of(response) -> dict:
    return {v["field"]: v["detail"] for v in response.json().get("validations", [])}


# --- create ---------------------------------------------------------------------------------
def test_create_template_from_imported_version(client_for, owner, org, imported_version):
    response = client_for(owner).post(f"/api/v2/organizations/{org.id}/templates", {
        "name": "python", "display_name": "Python", "template_version_id": str(imported_version.id),
        "default_ttl_ms": 3_600_000, "autostop_requirement": {"days_of_week": ["Sunday"], "weeks": 2},
        "dormant_ttl_ms": 120_000, "delete_ttl_ms": 0}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert TEMPLATE_FIELDS <= set(body)
    assert body["name"] == "python" and body["display_name"] == "Python"
    assert body["active_version_id"] == str(imported_version.id)
    assert body["created_by_name"] == "owner" and body["organization_name"] == org.name
    assert body["autostop_requirement"] == {"days_of_week": ["sunday"], "weeks": 2}
    assert body["time_til_dormant_ms"] == 120_000
    assert body["build_time_stats"]["start"] == {"P50": None, "P95": None}  # Go: TransitionStats has no json tags
    imported_version.refresh_from_db()
    assert str(imported_version.template_id) == body["id"]
    assert AuditLog.objects.filter(resource_type="template", action="create", resource_id=body["id"]).exists()


@pytest.mark.parametrize("status", [JobStatus.PENDING, JobStatus.RUNNING, JobStatus.FAILED, JobStatus.CANCELED])
def test_create_refuses_version_whose_import_did_not_succeed(client_for, owner, org, status):
    version = TemplateVersionFactory(organization=org, job__status=status)
    response = client_for(owner).post(f"/api/v2/organizations/{org.id}/templates",
                                      {"name": "x", "template_version_id": str(version.id)}, format="json")
    assert response.status_code == 400
    assert "template_version_id" in fields_of(response)
    assert not Template.objects.filter(name="x").exists()


def test_create_refuses_version_already_in_a_template(client_for, owner, org, template):
    response = client_for(owner).post(f"/api/v2/organizations/{org.id}/templates",
                                      {"name": "x", "template_version_id": str(template.active_version_id)},
                                      format="json")
    assert response.status_code == 400 and "template_version_id" in fields_of(response)


def test_create_refuses_version_of_another_org(client_for, owner, org, other_org):
    version = TemplateVersionFactory(organization=other_org)
    response = client_for(owner).post(f"/api/v2/organizations/{org.id}/templates",
                                      {"name": "x", "template_version_id": str(version.id)}, format="json")
    assert response.status_code == 400 and "template_version_id" in fields_of(response)


def test_create_duplicate_name_conflicts(client_for, owner, org, template, imported_version):
    response = client_for(owner).post(f"/api/v2/organizations/{org.id}/templates",
                                      {"name": "PYTHON", "template_version_id": str(imported_version.id)},
                                      format="json")
    assert response.status_code == 409 and "name" in fields_of(response)


@pytest.mark.parametrize("body, field", [
    ({"name": "bad name!"}, "name"),
    ({"name": "x" * 40}, "name"),
    ({"name": 5}, "name"),
    ({"default_ttl_ms": -1}, "default_ttl_ms"),
    ({"default_ttl_ms": "1h"}, "default_ttl_ms"),
    ({"activity_bump_ms": -5}, "activity_bump_ms"),
    ({"dormant_ttl_ms": 10}, "dormant_ttl_ms"),
    ({"failure_ttl_ms": -60000}, "failure_ttl_ms"),
    ({"autostop_requirement": {"days_of_week": ["funday"], "weeks": 1}}, "autostop_requirement.days_of_week"),
    ({"autostop_requirement": {"days_of_week": [], "weeks": 17}}, "autostop_requirement.weeks"),
    ({"autostop_requirement": {"days_of_week": [], "weeks": -1}}, "autostop_requirement.weeks"),
    ({"autostart_requirement": {"days_of_week": ["mon"]}}, "autostart_requirement.days_of_week"),
    ({"max_port_share_level": "everyone"}, "max_port_share_level"),
    ({"allow_user_autostart": "yes"}, "allow_user_autostart"),
    ({"display_name": " padded "}, "display_name"),
    ({"description": "d" * 200}, "description"),
    ({"template_version_id": "not-a-uuid"}, "template_version_id"),
])
def test_create_bad_input_is_400_with_field(client_for, owner, org, imported_version, body, field):
    payload = {"name": "ok", "template_version_id": str(imported_version.id), **body}
    response = client_for(owner).post(f"/api/v2/organizations/{org.id}/templates", payload, format="json")
    assert response.status_code == 400, response.json()
    assert field in fields_of(response), response.json()


@pytest.mark.parametrize("actor, status", [
    ("owner", 201), ("org_admin", 201), ("template_admin", 201), ("member", 403), ("outsider", 404)])
def test_create_permissions(request, client_for, org, imported_version, actor, status):
    user = request.getfixturevalue(actor)
    response = client_for(user).post(f"/api/v2/organizations/{org.id}/templates",
                                     {"name": "perm", "template_version_id": str(imported_version.id)}, format="json")
    assert response.status_code == status, response.json()


def test_everyone_group_gets_use_unless_disabled(client_for, owner, member, org):
    first, second = TemplateVersionFactory(organization=org), TemplateVersionFactory(organization=org)
    client = client_for(owner)
    open_id = client.post(f"/api/v2/organizations/{org.id}/templates",
                          {"name": "open", "template_version_id": str(first.id)}, format="json").json()["id"]
    closed_id = client.post(f"/api/v2/organizations/{org.id}/templates",
                            {"name": "closed", "template_version_id": str(second.id),
                             "disable_everyone_group_access": True}, format="json").json()["id"]
    as_member = client_for(member)
    assert as_member.get(f"/api/v2/templates/{open_id}").status_code == 200
    assert as_member.get(f"/api/v2/templates/{closed_id}").status_code == 404
    names = [t["name"] for t in as_member.get(f"/api/v2/organizations/{org.id}/templates").json()]
    assert names == ["open"]


# --- read -----------------------------------------------------------------------------------
@pytest.mark.parametrize("actor, status", [
    ("owner", 200), ("org_admin", 200), ("template_admin", 200), ("member", 200), ("outsider", 404)])
def test_read_permissions(request, client_for, template, actor, status):
    response = client_for(request.getfixturevalue(actor)).get(f"/api/v2/templates/{template.id}")
    assert response.status_code == status


def test_read_by_org_and_name_and_version_by_name(client_for, member, org, template):
    client = client_for(member)
    by_name = client.get(f"/api/v2/organizations/{org.name}/templates/PYTHON")
    assert by_name.status_code == 200 and by_name.json()["id"] == str(template.id)
    version = template.active_version
    for url in (f"/api/v2/templates/{template.id}/versions/{version.name}",
                f"/api/v2/organizations/{org.id}/templates/python/versions/{version.name}"):
        response = client.get(url)
        assert response.status_code == 200
        body = response.json()
        assert VERSION_FIELDS <= set(body) and JOB_FIELDS <= set(body["job"])
        assert body["job"]["metadata"]["template_name"] == "python"
    assert client.get(f"/api/v2/templates/{template.id}/versions/nope").status_code == 404


def test_unauthenticated_is_401(api_client, template):
    assert api_client.get(f"/api/v2/templates/{template.id}").status_code == 401


def test_templates_list_filters_deprecated(client_for, owner, org):
    TemplateFactory(organization=org, name="old", deprecation_message="use new")
    TemplateFactory(organization=org, name="new")
    client = client_for(owner)
    assert {t["name"] for t in client.get("/api/v2/templates").json()} == {"old", "new"}
    assert [t["name"] for t in client.get("/api/v2/templates", {"q": "deprecated:true"}).json()] == ["old"]
    assert [t["name"] for t in client.get("/api/v2/templates", {"q": "deprecated:false"}).json()] == ["new"]
    assert client.get("/api/v2/templates", {"q": "deprecated:maybe"}).status_code == 400
    assert client.get("/api/v2/templates", {"q": "color:red"}).status_code == 400


def _count_queries(client, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.json())


def test_lists_use_a_constant_number_of_queries(client_for, member, org):
    client = client_for(member)
    template = TemplateFactory(organization=org, name="many")
    TemplateVersionFactory(organization=org, template=template, job__status=JobStatus.PENDING)
    url_versions = f"/api/v2/templates/{template.id}/versions"
    client.get("/api/v2/templates")  # first request of a token does one-off bookkeeping
    small = [_count_queries(client, u) for u in ("/api/v2/templates", f"/api/v2/organizations/{org.id}/templates",
                                                   url_versions)]
    for n in range(6):
        creator = UserFactory()
        TemplateFactory(organization=org, created_by=creator)
        TemplateVersionFactory(organization=org, template=template, job__status=JobStatus.PENDING)
    large = [_count_queries(client, u) for u in ("/api/v2/templates", f"/api/v2/organizations/{org.id}/templates",
                                                   url_versions)]
    for (q_small, n_small), (q_large, n_large) in zip(small, large):
        assert n_large > n_small
        assert q_small == q_large


def test_versions_list_pagination_archived_and_queue(client_for, owner, org, template):
    pending = [TemplateVersionFactory(organization=org, template=template, job__status=JobStatus.PENDING)
               for _ in range(2)]
    archived = TemplateVersionFactory(organization=org, template=template, archived=True)
    client = client_for(owner)
    listed = client.get(f"/api/v2/templates/{template.id}/versions").json()
    ids = [v["id"] for v in listed]
    assert ids == [str(template.active_version_id), str(pending[0].id), str(pending[1].id)]
    assert [v["job"]["queue_position"] for v in listed] == [0, 1, 2]
    assert {v["job"]["queue_size"] for v in listed[1:]} == {2}
    page = client.get(f"/api/v2/templates/{template.id}/versions", {"limit": 1, "offset": 1}).json()
    assert [v["id"] for v in page] == [str(pending[0].id)]
    with_archived = client.get(f"/api/v2/templates/{template.id}/versions", {"include_archived": "true"}).json()
    assert str(archived.id) in [v["id"] for v in with_archived]
    assert client.get(f"/api/v2/templates/{template.id}/versions", {"limit": "x"}).status_code == 400


# --- update ---------------------------------------------------------------------------------
def test_patch_updates_given_fields_only(client_for, owner, template):
    client = client_for(owner)
    response = client.patch(f"/api/v2/templates/{template.id}", {
        "display_name": "Python 3", "default_ttl_ms": 7_200_000, "allow_user_autostart": False,
        "autostop_requirement": {"days_of_week": ["saturday", "sunday"], "weeks": 1},
        "max_port_share_level": "authenticated", "require_active_version": True,
        "update_workspace_last_used_at": True, "update_workspace_dormant_at": False,
        "time_til_dormant_ms": 86_400_000}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["display_name"] == "Python 3" and body["default_ttl_ms"] == 7_200_000
    assert body["allow_user_autostart"] is False and body["allow_user_autostop"] is True
    assert body["autostop_requirement"]["days_of_week"] == ["saturday", "sunday"]
    assert body["max_port_share_level"] == "authenticated" and body["require_active_version"] is True
    log = AuditLog.objects.filter(resource_type="template", action="write").latest("id")
    assert log.diff["default_ttl_ms"] == {"old": 0, "new": 7_200_000, "secret": False}


def test_patch_deprecation_message_sets_and_clears(client_for, owner, template):
    client = client_for(owner)
    body = client.patch(f"/api/v2/templates/{template.id}", {"deprecation_message": "Use go"}, format="json").json()
    assert body["deprecated"] is True and body["deprecation_message"] == "Use go"
    body = client.patch(f"/api/v2/templates/{template.id}", {"deprecation_message": None, "icon": "/i.svg"},
                        format="json").json()
    assert body["deprecated"] is True  # null leaves it as it is
    body = client.patch(f"/api/v2/templates/{template.id}", {"deprecation_message": ""}, format="json").json()
    assert body["deprecated"] is False and body["deprecation_message"] == ""


def test_patch_without_changes_is_not_modified(client_for, owner, template):
    response = client_for(owner).patch(f"/api/v2/templates/{template.id}", {"name": "python"}, format="json")
    assert response.status_code == 304


@pytest.mark.parametrize("body, field", [
    ({"default_ttl_ms": -1}, "default_ttl_ms"),
    ({"time_til_dormant_autodelete_ms": 59_999}, "time_til_dormant_autodelete_ms"),
    ({"autostop_requirement": {"days_of_week": ["someday"]}}, "autostop_requirement.days_of_week"),
    ({"autostop_requirement": {"weeks": 99}}, "autostop_requirement.weeks"),
    ({"max_port_share_level": "world"}, "max_port_share_level"),
    ({"name": "not valid"}, "name"),
    ({"deprecation_message": 3}, "deprecation_message"),
    ({"require_active_version": "true"}, "require_active_version"),
])
def test_patch_bad_input_is_400(client_for, owner, template, body, field):
    response = client_for(owner).patch(f"/api/v2/templates/{template.id}", body, format="json")
    assert response.status_code == 400 and field in fields_of(response), response.json()


def test_patch_rename_to_taken_name_conflicts(client_for, owner, org, template):
    TemplateFactory(organization=org, name="go")
    response = client_for(owner).patch(f"/api/v2/templates/{template.id}", {"name": "go"}, format="json")
    assert response.status_code == 409


@pytest.mark.parametrize("actor, status", [
    ("owner", 200), ("org_admin", 200), ("template_admin", 200), ("member", 403), ("outsider", 404)])
def test_patch_permissions(request, client_for, template, actor, status):
    response = client_for(request.getfixturevalue(actor)).patch(
        f"/api/v2/templates/{template.id}", {"description": f"by {actor}"}, format="json")
    assert response.status_code == status


def test_patch_can_drop_everyone_access(client_for, owner, member, template):
    client_for(owner).patch(f"/api/v2/templates/{template.id}", {"disable_everyone_group_access": True},
                            format="json")
    assert client_for(member).get(f"/api/v2/templates/{template.id}").status_code == 404


# --- delete ---------------------------------------------------------------------------------
@pytest.mark.parametrize("actor, status", [
    ("owner", 200), ("org_admin", 200), ("template_admin", 200), ("member", 403), ("outsider", 404)])
def test_delete_permissions(request, client_for, template, actor, status):
    response = client_for(request.getfixturevalue(actor)).delete(f"/api/v2/templates/{template.id}")
    assert response.status_code == status


def test_delete_is_soft_and_hides_the_template(client_for, owner, org, template):
    client = client_for(owner)
    assert client.delete(f"/api/v2/templates/{template.id}").status_code == 200
    template.refresh_from_db()
    assert template.deleted is True
    assert client.get(f"/api/v2/templates/{template.id}").status_code == 404
    assert client.get("/api/v2/templates").json() == []
    # the name is free again
    version = TemplateVersionFactory(organization=org)
    assert client.post(f"/api/v2/organizations/{org.id}/templates",
                       {"name": "python", "template_version_id": str(version.id)}, format="json").status_code == 201


def test_delete_refused_while_in_use(client_for, owner, template, monkeypatch):
    monkeypatch.setattr(template_services, "template_in_use_checks",
                        [lambda t: t.pk == template.pk])
    response = client_for(owner).delete(f"/api/v2/templates/{template.id}")
    assert response.status_code == 400
    assert "workspaces" in response.json()["message"]
    template.refresh_from_db()
    assert template.deleted is False


# --- active version and archive --------------------------------------------------------------
def test_promote_version(client_for, owner, org, template):
    newer = TemplateVersionFactory(organization=org, template=template)
    client = client_for(owner)
    response = client.patch(f"/api/v2/templates/{template.id}/versions", {"id": str(newer.id)}, format="json")
    assert response.status_code == 200
    assert client.get(f"/api/v2/templates/{template.id}").json()["active_version_id"] == str(newer.id)


@pytest.mark.parametrize("kind", ["other_template", "failed", "archived", "unattached", "garbage"])
def test_promote_refuses_bad_versions(client_for, owner, org, template, kind):
    version_id = {
        "other_template": lambda: TemplateFactory(organization=org).active_version_id,
        "failed": lambda: TemplateVersionFactory(organization=org, template=template, job__status="failed").id,
        "archived": lambda: TemplateVersionFactory(organization=org, template=template, archived=True).id,
        "unattached": lambda: TemplateVersionFactory(organization=org).id,
        "garbage": lambda: "nope",
    }[kind]()
    response = client_for(owner).patch(f"/api/v2/templates/{template.id}/versions", {"id": str(version_id)},
                                       format="json")
    assert response.status_code == 400, response.json()
    assert "id" in fields_of(response)


def test_promote_needs_update_permission(client_for, member, org, template):
    newer = TemplateVersionFactory(organization=org, template=template)
    response = client_for(member).patch(f"/api/v2/templates/{template.id}/versions", {"id": str(newer.id)},
                                        format="json")
    assert response.status_code == 403


def test_archive_and_unarchive(client_for, owner, member, org, template):
    old = TemplateVersionFactory(organization=org, template=template)
    client = client_for(owner)
    assert client.post(f"/api/v2/templateversions/{template.active_version_id}/archive").status_code == 400
    assert client_for(member).post(f"/api/v2/templateversions/{old.id}/archive").status_code == 403
    assert client.post(f"/api/v2/templateversions/{old.id}/archive").status_code == 200
    old.refresh_from_db()
    assert old.archived is True
    listed = [v["id"] for v in client.get(f"/api/v2/templates/{template.id}/versions").json()]
    assert str(old.id) not in listed
    promote = client.patch(f"/api/v2/templates/{template.id}/versions", {"id": str(old.id)}, format="json")
    assert promote.status_code == 400
    assert client.post(f"/api/v2/templateversions/{old.id}/unarchive").status_code == 200
    old.refresh_from_db()
    assert old.archived is False
    assert AuditLog.objects.filter(resource_type="template_version", resource_id=str(old.id)).count() == 2


def test_outsider_cannot_archive(client_for, outsider, org, template):
    old = TemplateVersionFactory(organization=org, template=template)
    assert client_for(outsider).post(f"/api/v2/templateversions/{old.id}/archive").status_code == 404


def test_member_with_admin_acl_can_manage(client_for, owner, org, template):
    manager = UserFactory(username="manager")
    add_member(manager, org)
    client_for(owner).patch(f"/api/v2/templates/{template.id}/acl", {"user_perms": {str(manager.id): "admin"}},
                            format="json")
    client = client_for(manager)
    assert client.patch(f"/api/v2/templates/{template.id}", {"description": "mine"}, format="json").status_code == 200
    newer = TemplateVersionFactory(organization=org, template=template)
    assert client.patch(f"/api/v2/templates/{template.id}/versions", {"id": str(newer.id)},
                        format="json").status_code == 200
