"""The templates admin: creation and edits through services (with their validations as form
errors), version actions, the upload form, read-only jobs/daemons, and RBAC on rows."""
from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client

from accounts.admin.mixins import RbacAdminMixin
from accounts.models import AuditLog
from coderportal.durations import format_ms
from templates_app.models import File, JobStatus, ProvisionerDaemon, ProvisionerJob, Template, TemplateVersion
from templates_app.services import acl
from tests.templates_app.factories import TemplateFactory, TemplateVersionFactory

pytestmark = pytest.mark.django_db
BASE = "/admin/templates_app"


@pytest.fixture
def browser_for():
    def make(user):
        client = Client()
        client.force_login(user, backend="accounts.backends.PortalModelBackend")
        return client

    return make


def test_every_templates_admin_uses_the_rbac_mixin():
    for model in (Template, TemplateVersion, File, ProvisionerJob, ProvisionerDaemon):
        assert isinstance(admin.site._registry[model], RbacAdminMixin), model


def test_create_template_in_admin(browser_for, org_admin, org, imported_version):
    response = browser_for(org_admin).post(f"{BASE}/template/add/", {
        "organization": str(org.id), "name": "from-admin", "display_name": "From admin", "description": "",
        "icon": "", "template_version": str(imported_version.id)})
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    template = Template.objects.get(name="from-admin")
    assert template.active_version_id == imported_version.id and template.created_by == org_admin
    assert acl.group_roles(template) == {org.id: "use"}
    assert AuditLog.objects.filter(resource_type="template", action="create", resource_id=str(template.id)).exists()


def test_create_template_errors_become_form_errors(browser_for, org_admin, org, imported_version):
    response = browser_for(org_admin).post(f"{BASE}/template/add/", {
        "organization": str(org.id), "name": "bad name", "template_version": str(imported_version.id)})
    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    assert not Template.objects.filter(organization=org).exists()


def test_versions_without_successful_import_are_not_offered(browser_for, org_admin, org, imported_version):
    failed = TemplateVersionFactory(organization=org, job__status=JobStatus.FAILED)
    form = browser_for(org_admin).get(f"{BASE}/template/add/").context["adminform"].form
    offered = set(form.fields["template_version"].queryset.values_list("pk", flat=True))
    assert imported_version.pk in offered and failed.pk not in offered


def _change_data(template, **overrides):
    data = {
        "name": template.name, "display_name": template.display_name, "description": template.description,
        "icon": template.icon, "active_version": str(template.active_version_id),
        "deprecation_message": template.deprecation_message,
        # Durations are typed in hours/minutes in the admin.
        "default_ttl_ms": format_ms(template.default_ttl_ms), "activity_bump_ms": format_ms(template.activity_bump_ms),
        "autostop_requirement_weeks": 1,
        "failure_ttl_ms": 0, "time_til_dormant_ms": 0, "time_til_dormant_autodelete_ms": 0,
        "max_port_share_level": "owner", "allow_user_autostart": "on", "allow_user_autostop": "on",
    }
    data.update(overrides)
    return data


def test_change_template_in_admin(browser_for, org_admin, org, template):
    newer = TemplateVersionFactory(organization=org, template=template)
    url = f"{BASE}/template/{template.pk}/change/"
    response = browser_for(org_admin).post(url, _change_data(
        template, default_ttl_ms="1h", active_version=str(newer.pk),
        autostop_requirement_days_of_week=["sunday"]))
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.default_ttl_ms == 3_600_000 and template.active_version_id == newer.pk
    assert template.autostop_requirement_days_of_week == ["sunday"]
    assert AuditLog.objects.filter(resource_type="template", action="write").count() == 2


def test_change_template_invalid_ttl_is_a_form_error(browser_for, org_admin, template):
    response = browser_for(org_admin).post(f"{BASE}/template/{template.pk}/change/",
                                           _change_data(template, time_til_dormant_ms="5s"))
    assert response.status_code == 200
    assert "time_til_dormant_ms" in response.context["adminform"].form.errors
    template.refresh_from_db()
    assert template.time_til_dormant_ms == 0


def test_delete_template_in_admin_is_soft(browser_for, org_admin, template):
    response = browser_for(org_admin).post(f"{BASE}/template/{template.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.deleted is True
    assert browser_for(org_admin).get(f"{BASE}/template/{template.pk}/change/").status_code == 404


def test_rows_follow_rbac(browser_for, member, outsider, org, template):
    hidden = TemplateFactory(organization=org, name="hidden", everyone=False)
    listing = browser_for(member).get(f"{BASE}/template/")
    assert listing.status_code == 200
    shown = {t.pk for t in listing.context["cl"].result_list}
    assert template.pk in shown and hidden.pk not in shown
    assert browser_for(outsider).get(f"{BASE}/template/{template.pk}/change/").status_code == 404
    # a member who may read but not update gets a read-only page and cannot post changes
    assert browser_for(member).post(f"{BASE}/template/{template.pk}/change/",
                                    _change_data(template, description="x")).status_code == 403


def test_version_actions_promote_and_archive(browser_for, org_admin, org, template):
    newer = TemplateVersionFactory(organization=org, template=template)
    old_active = template.active_version
    client = browser_for(org_admin)
    client.post(f"{BASE}/templateversion/", {"action": "promote", "_selected_action": [str(newer.pk)]})
    template.refresh_from_db()
    assert template.active_version_id == newer.pk
    client.post(f"{BASE}/templateversion/", {"action": "archive",
                                            "_selected_action": [str(old_active.pk), str(newer.pk)]})
    old_active.refresh_from_db()
    newer.refresh_from_db()
    assert old_active.archived is True and newer.archived is False  # the active one is refused
    client.post(f"{BASE}/templateversion/", {"action": "unarchive", "_selected_action": [str(old_active.pk)]})
    old_active.refresh_from_db()
    assert old_active.archived is False


def test_version_page_shows_readme_parameters_and_hides_sensitive_values(browser_for, org_admin, template):
    version = template.active_version
    version.parameters.create(name="region", type="string", default_value="eu")
    version.variables.create(name="api_key", value="s3cr3t-value", sensitive=True)
    page = browser_for(org_admin).get(f"{BASE}/templateversion/{version.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "region" in body and "Hello" in body and "api_key" in body
    assert "s3cr3t-value" not in body


def test_upload_starter_template(browser_for, org_admin):
    response = browser_for(org_admin).post(f"{BASE}/file/add/", {"example": "local"})
    assert response.status_code == 302
    file = File.objects.get(created_by=org_admin)
    assert file.mimetype == "application/x-tar" and file.size > 0


def test_upload_needs_exactly_one_source(browser_for, org_admin):
    response = browser_for(org_admin).post(f"{BASE}/file/add/", {})
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert not File.objects.exists()


def test_jobs_and_daemons_are_read_only_lists(browser_for, owner, org, template):
    ProvisionerDaemon.objects.create(name="worker-1", organization=None)
    client = browser_for(owner)
    for url in (f"{BASE}/provisionerjob/?status__exact=succeeded", f"{BASE}/provisionerdaemon/?status=offline"):
        response = client.get(url)
        assert response.status_code == 200
    assert client.get(f"{BASE}/provisionerjob/add/").status_code == 403
    job = template.active_version.job
    page = client.get(f"{BASE}/provisionerjob/{job.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content


def test_version_page_follows_import_logs_and_cancel_action(owner, org, client):
    """The version page shows a log box following the import's /logs; pending imports can be canceled."""
    from templates_app.models import JobStatus
    from tests.templates_app.factories import TemplateVersionFactory

    version = TemplateVersionFactory(organization=org, job__status=JobStatus.PENDING)
    client.force_login(owner)
    page = client.get(f"/admin/templates_app/templateversion/{version.pk}/change/").content.decode()
    assert "job-logs" in page and f"/api/v2/templateversions/{version.pk}/logs" in page
    client.post("/admin/templates_app/templateversion/", {"action": "cancel_import",
                                                           "_selected_action": [str(version.pk)]})
    version.job.refresh_from_db()
    assert version.job.status == JobStatus.CANCELED
