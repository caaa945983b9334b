"""Template versions: creating one (which queues its import job), renaming, canceling, dry-runs."""
from __future__ import annotations

import re
import secrets

from django.db import IntegrityError, transaction

from accounts import rbac
from accounts.services import audit
from accounts.services.audit import Actor
from accounts.services.errors import Conflict, ValidationFailed
from coderportal import config
from templates_app.models import File, JobType, Template, TemplateVersion
from templates_app.services import jobs

NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$")
PROVISIONERS = ("terraform", "echo")
_ADJECTIVES = ("brave", "calm", "eager", "fancy", "gentle", "happy", "jolly", "keen", "lucid", "merry", "nifty",
               "proud", "quiet", "swift", "tidy", "vivid", "witty", "zesty")
_NOUNS = ("badger", "comet", "falcon", "harbor", "island", "jaguar", "lagoon", "meadow", "nebula", "otter",
          "pine", "quasar", "raven", "summit", "tundra", "willow")


def generate_name() -> str:
    return f"{secrets.choice(_ADJECTIVES)}_{secrets.choice(_NOUNS)}{secrets.randbelow(100)}"


def _validate_variable_values(values) -> list[dict]:
    if values in (None, ""):
        return []
    if not isinstance(values, list) or not all(
            isinstance(v, dict) and isinstance(v.get("name"), str) and isinstance(v.get("value", ""), str)
            for v in values):
        raise ValidationFailed("Validation failed.",
                               {"user_variable_values": "Must be a list of {name, value} string pairs."})
    return [{"name": v["name"], "value": v.get("value", "")} for v in values]


def _validate_tags(tags) -> dict:
    if tags in (None, ""):
        return {}
    if not isinstance(tags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
        raise ValidationFailed("Validation failed.", {"tags": "Must be an object of string keys and values."})
    return tags


def create_template_version(*, actor: Actor, organization, file_id, name: str | None = None, message: str = "",
                            template_id=None, provisioner: str = "terraform", tags=None,
                            user_variable_values=None) -> TemplateVersion:
    template = None
    if template_id:
        template = rbac.filter_queryset(actor.subject, "read", Template.objects.filter(deleted=False)) \
            .filter(pk=template_id, organization=organization).first()
        if template is None:
            raise ValidationFailed("Validation failed.", {"template_id": "Template not found."})
        rbac.authorize(actor.subject, "update", template)
    else:
        rbac.authorize(actor.subject, "create", rbac.RbacObject(type="template", org_id=organization.id))
    errors = {}
    if provisioner not in PROVISIONERS or (provisioner == "echo"
                                           and not config.get_bool("CODER_ENABLE_ECHO_PROVISIONER")):
        errors["provisioner"] = "Provisioner must be 'terraform'."
    if name and not NAME_RE.match(name):
        errors["name"] = "Name must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit."
    file = rbac.filter_queryset(actor.subject, "read", File.objects.all()).filter(pk=file_id).first() \
        if file_id else None
    if file is None:
        errors["file_id"] = "File not found."
    if errors:
        raise ValidationFailed("Validation failed.", errors)
    values = _validate_variable_values(user_variable_values)
    tags = _validate_tags(tags)
    name = name or generate_name()
    if template and TemplateVersion.objects.filter(template=template, name=name).exists():
        raise Conflict("A template version with that name already exists.",
                       validations={"name": f"Version {name!r} already exists for this template."})
    try:
        with transaction.atomic():
            job = jobs.create_job(organization=organization, initiator=actor.user,
                                  job_type=JobType.TEMPLATE_VERSION_IMPORT, file=file, tags=tags,
                                  input={"provisioner": provisioner})
            version = TemplateVersion.objects.create(
                organization=organization, template=template, name=name, message=message, file=file, job=job,
                created_by=actor.user, user_variable_values=values)
            job.input = {**job.input, "template_version_id": str(version.pk)}
            job.save(update_fields=["input"])
            audit.record(actor, "create", "template_version", resource_id=version.pk, target=name,
                         organization=organization,
                         additional={"template_id": str(template.pk) if template else "", "file_id": str(file.pk)})
    except IntegrityError:
        raise Conflict("A template version with that name already exists.") from None
    return version


def update_template_version(version: TemplateVersion, *, actor: Actor, name=None, message=None) -> TemplateVersion:
    rbac.authorize(actor.subject, "update", version)
    before = audit.snapshot(version, ("name", "message"))
    if name is not None:
        if not NAME_RE.match(name):
            raise ValidationFailed("Validation failed.", {"name": "Invalid version name."})
        if version.template_id and TemplateVersion.objects.filter(template_id=version.template_id, name=name) \
                .exclude(pk=version.pk).exists():
            raise Conflict("A template version with that name already exists.",
                           validations={"name": f"Version {name!r} already exists for this template."})
        version.name = name
    if message is not None:
        version.message = message
    with transaction.atomic():
        version.save(update_fields=["name", "message", "updated_at"])
        audit.record(actor, "write", "template_version", resource_id=version.pk, target=version.name,
                     organization=version.organization,
                     changes=audit.diff(before, audit.snapshot(version, ("name", "message"))))
    return version


def cancel_import(version: TemplateVersion, *, actor: Actor):
    rbac.authorize(actor.subject, "update", version)
    return jobs.cancel_job(version.job, actor=actor, resource_type="template_version", target=version.name)


def create_dry_run(version: TemplateVersion, *, actor: Actor, workspace_name: str = "",
                   rich_parameter_values=None, user_variable_values=None):
    rbac.authorize(actor.subject, "read", version)
    rbac.authorize(actor.subject, "use", version)
    if version.job.status != "succeeded":
        raise ValidationFailed("Template version import job hasn't completed.",
                               {"template_version_id": "The version's import has not succeeded."})
    params = _validate_variable_values(rich_parameter_values)
    values = _validate_variable_values(user_variable_values)
    with transaction.atomic():
        job = jobs.create_job(organization=version.organization, initiator=actor.user,
                              job_type=JobType.TEMPLATE_VERSION_DRY_RUN, file=version.file, tags=version.job.tags,
                              input={"template_version_id": str(version.pk), "workspace_name": workspace_name,
                                     "rich_parameter_values": params, "user_variable_values": values,
                                     "provisioner": version.job.input.get("provisioner", "terraform")})
        audit.record(actor, "create", "template_version", resource_id=version.pk, target=version.name,
                     organization=version.organization, description="dry-run")
    return job
