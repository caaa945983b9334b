"""Shared steps for workspace tests: templates from archives, run with the job runner inline."""
from __future__ import annotations

from accounts.services.audit import Actor
from templates_app.models import ProvisionerJob
from templates_app.services import files as file_services
from templates_app.services import templates as template_services
from templates_app.services import versions as version_services


def import_version(actor: Actor, org, archive: bytes, *, template=None, variables=None, provisioner="terraform"):
    file, _ = file_services.upload_file(actor=actor, data=archive, content_type="application/x-tar")
    version = version_services.create_template_version(
        actor=actor, organization=org, file_id=file.pk, template_id=template.pk if template else None,
        provisioner=provisioner, user_variable_values=[{"name": k, "value": v} for k, v in (variables or {}).items()])
    version.refresh_from_db()
    version.job.refresh_from_db()
    assert version.job.status == "succeeded", (version.job.error, list(
        version.job.logs.values_list("output", flat=True)))
    return version


def create_template(actor: Actor, org, version, name="local"):
    return template_services.create_template(org, actor=actor, name=name,
                                             template_version_id=version.pk)


def job_status(job) -> str:
    return ProvisionerJob.objects.get(pk=job.pk).status
