"""The template-version import job: unpack the archive, let the provisioner parse the template
with real Terraform, and record variables, rich parameters, README and planned resources."""
from __future__ import annotations

import os

from templates_app import archives
from templates_app.jobs import backend, handlers
from templates_app.jobs.handlers import Outcome
from templates_app.jobs.resources import resources_json
from templates_app.models import TemplateVersion, TemplateVersionParameter, TemplateVersionVariable
from templates_app.services.files import archive_limits

REQUIRED_TEMPLATE_VARIABLES = "REQUIRED_TEMPLATE_VARIABLES"


def unpack(job, workdir: str) -> str:
    source = os.path.join(workdir, "source")
    os.makedirs(source)
    archives.extract(bytes(job.file.data), job.file.mimetype, source, archive_limits())
    return source


def _variable_values(version: TemplateVersion) -> dict[str, str]:
    return {v["name"]: v.get("value", "") for v in version.user_variable_values or []}


class ImportHandler:
    def run(self, job, workdir, emit, should_cancel) -> Outcome:
        version = TemplateVersion.objects.get(job=job)
        try:
            source = unpack(job, workdir)
        except archives.ArchiveError as exc:
            return Outcome(status=handlers.FAILED, error=f"Invalid template archive: {exc}")
        schema = backend.parse(job.input.get("provisioner", "terraform"), source,
                               variable_values=_variable_values(version), emit=emit, should_cancel=should_cancel)
        return Outcome(status=schema.status, error=schema.error, error_code=schema.error_code, payload=schema)

    def persist(self, job, outcome: Outcome) -> None:
        schema = outcome.payload
        if schema is None:
            return
        version = TemplateVersion.objects.select_for_update().get(job=job)
        supplied = _variable_values(version)
        version.variables.all().delete()
        TemplateVersionVariable.objects.bulk_create([
            TemplateVersionVariable(
                version=version, name=v.name, description=v.description or "", type=v.type or "string",
                value="" if v.sensitive else supplied.get(v.name, ""), default_value=(
                    "" if v.sensitive or v.default_value is None else str(v.default_value)),
                required=v.required, sensitive=v.sensitive)
            for v in schema.variables])
        if outcome.status != handlers.SUCCEEDED:
            return
        version.parameters.all().delete()
        TemplateVersionParameter.objects.bulk_create([
            TemplateVersionParameter(
                version=version, name=p.name, display_name=p.display_name or "", description=p.description or "",
                type=p.type, form_type=p.form_type or "", mutable=p.mutable, default_value=p.default_value or "",
                icon=p.icon or "", options=[dict(name=o.name, value=o.value, description=o.description or "",
                                                 icon=o.icon or "") for o in p.options],
                validation_regex=p.validation_regex or "", validation_error=p.validation_error or "",
                validation_min=p.validation_min, validation_max=p.validation_max,
                validation_monotonic=p.validation_monotonic or "", required=p.required, ephemeral=p.ephemeral,
                order=p.order or 0)
            for p in schema.parameters])
        version.readme = schema.readme or ""
        version.resources = resources_json(job, "start", schema.resources) + \
            resources_json(job, "stop", schema.stop_resources)
        version.save(update_fields=["readme", "resources", "updated_at"])

    def checkpoint(self, job, workdir) -> None:
        return None  # an import creates nothing that must survive a crash

    def secrets(self, job) -> list[str]:
        version = TemplateVersion.objects.filter(job=job).first()
        return [v.get("value", "") for v in (version.user_variable_values if version else [])]


class DryRunHandler:
    """Plans a build of a version with given parameter values; resources go to `job.result`."""

    def run(self, job, workdir, emit, should_cancel) -> Outcome:
        from provisioner.types import ProvisionRequest

        source = unpack(job, workdir)
        request = ProvisionRequest(
            working_dir=source, transition="start", dry_run=True,
            variable_values={v["name"]: v["value"] for v in job.input.get("user_variable_values", [])},
            parameter_values={v["name"]: v["value"] for v in job.input.get("rich_parameter_values", [])})
        result = backend.provision(job.input.get("provisioner", "terraform"), request, emit=emit,
                                   should_cancel=should_cancel)
        return Outcome(status=result.status, error=result.error, error_code=getattr(result, "error_code", ""),
                       payload=result)

    def persist(self, job, outcome: Outcome) -> None:
        result = outcome.payload
        if result is not None:
            job.result = {"resources": resources_json(job, "start", result.resources)}
            job.save(update_fields=["result"])

    def checkpoint(self, job, workdir) -> None:
        return None

    def secrets(self, job) -> list[str]:
        return [v.get("value", "") for v in job.input.get("user_variable_values", [])]


def register() -> None:
    handlers.register("template_version_import", ImportHandler())
    handlers.register("template_version_dry_run", DryRunHandler())



