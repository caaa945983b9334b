"""Template versions: create (queues the import), read, rename, cancel, and what the import
found (rich parameters, variables, resources, logs); dry-runs of a version."""
from __future__ import annotations

from rest_framework import serializers
from rest_framework.response import Response

from accounts import rbac
from accounts.api.organizations import get_organization
from coderportal.api.fields import RequestSerializer
from coderportal.api.views import PortalAPIView
from templates_app.api import logs
from templates_app.api.serializers.jobs import provisioner_job_json
from templates_app.api.serializers.versions import (
    parameter_json,
    template_version_json,
    variable_json,
    versions_queryset,
)
from templates_app.models import ProvisionerJob, TemplateVersion
from templates_app.services import jobs as job_services
from templates_app.services import versions as services


class VariableValueSerializer(RequestSerializer):
    name = serializers.CharField(max_length=256)
    value = serializers.CharField(allow_blank=True, max_length=65536)


class CreateTemplateVersionSerializer(RequestSerializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=64)
    message = serializers.CharField(required=False, allow_blank=True, max_length=1048576)
    template_id = serializers.UUIDField(required=False, allow_null=True)
    storage_method = serializers.ChoiceField(choices=["file"], required=False)
    file_id = serializers.UUIDField()
    example_id = serializers.CharField(required=False, allow_blank=True)
    provisioner = serializers.CharField(required=False, default="terraform")
    tags = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    user_variable_values = VariableValueSerializer(many=True, required=False)


class PatchTemplateVersionSerializer(RequestSerializer):
    name = serializers.CharField(required=False, max_length=64)
    message = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=1048576)


class DryRunSerializer(RequestSerializer):
    workspace_name = serializers.CharField(required=False, allow_blank=True, max_length=64)
    rich_parameter_values = VariableValueSerializer(many=True, required=False)
    user_variable_values = VariableValueSerializer(many=True, required=False)


def get_version(subject, version_id) -> TemplateVersion:
    version = rbac.filter_queryset(subject, "read", versions_queryset()).filter(pk=version_id).first()
    if version is None:
        raise rbac.NotFound()
    return version


class OrganizationTemplateVersionsView(PortalAPIView):
    def post(self, request, organization):
        org = get_organization(self.subject, organization)
        body = self.parse(CreateTemplateVersionSerializer)
        version = services.create_template_version(
            actor=self.actor, organization=org, file_id=body["file_id"], name=body.get("name") or None,
            message=body.get("message", ""), template_id=body.get("template_id"),
            provisioner=body.get("provisioner", "terraform"), tags=body.get("tags"),
            user_variable_values=[dict(v) for v in body.get("user_variable_values", [])])
        return Response(template_version_json(get_version(self.subject, version.pk)), status=201)


class TemplateVersionView(PortalAPIView):
    def get(self, request, version_id):
        return Response(template_version_json(get_version(self.subject, version_id)))

    def patch(self, request, version_id):
        version = get_version(self.subject, version_id)
        body = self.parse(PatchTemplateVersionSerializer)
        services.update_template_version(version, actor=self.actor, name=body.get("name"),
                                         message=body.get("message"))
        return Response(template_version_json(get_version(self.subject, version_id)))


class CancelTemplateVersionView(PortalAPIView):
    def patch(self, request, version_id):
        services.cancel_import(get_version(self.subject, version_id), actor=self.actor)
        return Response({"message": "Job has been marked as canceled."})


class RichParametersView(PortalAPIView):
    def get(self, request, version_id):
        version = get_version(self.subject, version_id)
        _require_succeeded(version)
        return Response([parameter_json(p) for p in version.parameters.all()])


class VariablesView(PortalAPIView):
    def get(self, request, version_id):
        version = get_version(self.subject, version_id)
        _require_succeeded(version)
        return Response([variable_json(v) for v in version.variables.all()])


class ResourcesView(PortalAPIView):
    def get(self, request, version_id):
        version = get_version(self.subject, version_id)
        _require_succeeded(version)
        return Response(version.resources)


def _require_succeeded(version: TemplateVersion) -> None:
    if version.job.status != "succeeded":
        from accounts.services.errors import ValidationFailed

        raise ValidationFailed("Template version job hasn't completed successfully.",
                               {"job": f"Import job is {version.job.status}."})


class TemplateVersionLogsView(logs.JobLogsView):
    def get_job(self, version_id):
        return get_version(self.subject, version_id).job


class TemplateVersionLogsConsumer(logs.JobLogsConsumer):
    def get_job_id(self, subject, version_id):
        version = rbac.filter_queryset(subject, "read", TemplateVersion.objects.all()).filter(pk=version_id).first()
        return version.job_id if version else None


# --- dry runs -----------------------------------------------------------------------------
def get_dry_run(subject, version_id, job_id) -> ProvisionerJob:
    version = get_version(subject, version_id)
    job = ProvisionerJob.objects.filter(pk=job_id, type="template_version_dry_run",
                                        input__template_version_id=str(version.pk)).first()
    if job is None or (job.initiator_id != subject.user_id and not rbac.can(subject, "update", version)):
        raise rbac.NotFound()
    return job


class DryRunsView(PortalAPIView):
    def post(self, request, version_id):
        version = get_version(self.subject, version_id)
        body = self.parse(DryRunSerializer)
        job = services.create_dry_run(
            version, actor=self.actor, workspace_name=body.get("workspace_name", ""),
            rich_parameter_values=[dict(v) for v in body.get("rich_parameter_values", [])],
            user_variable_values=[dict(v) for v in body.get("user_variable_values", [])])
        return Response(provisioner_job_json(job), status=201)


class DryRunView(PortalAPIView):
    def get(self, request, version_id, job_id):
        job = get_dry_run(self.subject, version_id, job_id)
        return Response(provisioner_job_json(job))


class DryRunResourcesView(PortalAPIView):
    def get(self, request, version_id, job_id):
        return Response(get_dry_run(self.subject, version_id, job_id).result.get("resources", []))


class DryRunCancelView(PortalAPIView):
    def patch(self, request, version_id, job_id):
        job = get_dry_run(self.subject, version_id, job_id)
        job_services.cancel_job(job, actor=self.actor, resource_type="template_version", target=str(version_id))
        return Response({"message": "Job has been marked as canceled."})


class DryRunLogsView(logs.JobLogsView):
    def get_job(self, version_id, job_id):
        return get_dry_run(self.subject, version_id, job_id)

