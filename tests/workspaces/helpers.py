"""Shared steps for workspace tests: templates from archives, run with the job runner inline."""
from __future__ import annotations

import os
from pathlib import Path

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


TEMPLATES = Path(__file__).parent / "templates"


def chatty_template(actor: Actor, org, settings, pause: int):
    """The `chatty` test template (echo, sleep `pause`, echo) imported inline; afterwards jobs
    go to the broker again, for a real worker to run."""
    from tests.templates_app.archive_helpers import tar_of_dir

    settings.CELERY_TASK_ALWAYS_EAGER = True
    version = import_version(actor, org, tar_of_dir(TEMPLATES / "chatty"), variables={"pause": str(pause)})
    template = create_template(actor, org, version, name="chatty")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    return template


def alive(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"
