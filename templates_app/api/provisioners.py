"""Provisioner daemons and jobs of an organization: who can run what, and why a job waits."""
from __future__ import annotations

import json

from django.db.models import Q
from rest_framework import serializers
from rest_framework.response import Response

from accounts import rbac
from accounts.api.organizations import get_organization
from coderportal.api.views import PortalAPIView, paginate, pagination
from templates_app.api.serializers.jobs import NOT_QUEUED, provisioner_job_json, queue_info
from templates_app.jobs import daemon as daemons
from templates_app.jobs import queues
from templates_app.models import JobStatus, ProvisionerDaemon, ProvisionerJob
from templates_app.services import jobs as job_services

NIL_UUID = "00000000-0000-0000-0000-000000000000"


def _tags_param(request) -> dict:
    raw = request.query_params.get("tags")
    if not raw:
        return {}
    try:
        tags = json.loads(raw)
        if not isinstance(tags, dict):
            raise ValueError
    except ValueError:
        raise serializers.ValidationError({"tags": ['Must be a JSON object such as {"env":"prod"}.']}) from None
    return {str(k): str(v) for k, v in tags.items()}


def _job_summary(job) -> dict | None:
    if job is None:
        return None
    version = getattr(job, "template_version", None)
    template = version.template if version is not None else None
    return {"id": str(job.pk), "status": job.status, "template_name": template.name if template else "",
            "template_icon": template.icon if template else "",
            "template_display_name": template.display_name if template else ""}


def daemon_json(daemon: ProvisionerDaemon, now=None) -> dict:
    return {
        "id": str(daemon.pk), "organization_id": str(daemon.organization_id) if daemon.organization_id else None,
        "key_id": NIL_UUID, "key_name": "built-in", "name": daemon.name, "version": daemon.version,
        "api_version": daemon.api_version, "provisioners": daemon.provisioners, "tags": daemon.tags,
        "created_at": daemon.created_at.isoformat().replace("+00:00", "Z"),
        "last_seen_at": daemon.last_seen_at.isoformat().replace("+00:00", "Z") if daemon.last_seen_at else None,
        "status": daemons.status_of(daemon, now),
        "current_job": _job_summary(daemon.current_job), "previous_job": _job_summary(daemon.previous_job),
    }


class ProvisionerDaemonsView(PortalAPIView):
    def get(self, request, organization):
        org = get_organization(self.subject, organization)
        rbac.authorize(self.subject, "read", rbac.RbacObject(type="provisioner_daemon", org_id=org.id))
        tags = _tags_param(request)
        qs = ProvisionerDaemon.objects.filter(Q(organization=org) | Q(organization__isnull=True)).select_related(
            "current_job__template_version__template", "previous_job__template_version__template")
        found = [d for d in qs if not tags or queues.daemon_matches(d.tags, tags)]
        return Response([daemon_json(d) for d in found])


def _jobs(subject, org):
    qs = ProvisionerJob.objects.filter(organization=org)
    return job_services.readable_jobs(subject, qs)


class ProvisionerJobsView(PortalAPIView):
    def get(self, request, organization):
        org = get_organization(self.subject, organization)
        qs = _jobs(self.subject, org).order_by("-created_at")
        statuses = [s for s in request.query_params.get("status", "").split(",") if s]
        if statuses:
            unknown = [s for s in statuses if s not in JobStatus.values]
            if unknown:
                raise serializers.ValidationError({"status": [f"Unknown job status {unknown[0]!r}."]})
            qs = qs.filter(status__in=statuses)
        ids = [i for i in request.query_params.get("ids", "").split(",") if i]
        if ids:
            try:
                import uuid

                qs = qs.filter(pk__in=[uuid.UUID(i) for i in ids])
            except ValueError:
                raise serializers.ValidationError({"ids": ["Must be comma-separated UUIDs."]}) from None
        tags = _tags_param(request)
        limit, offset = pagination(request, default_limit=50)
        page = [j for j in paginate(qs, limit, offset) if not tags or queues.normalize_tags(j.tags) == tags]
        queue = queue_info(page)
        return Response([provisioner_job_json(j, queue.get(j.id, NOT_QUEUED)) for j in page])


class ProvisionerJobView(PortalAPIView):
    def get(self, request, organization, job_id):
        org = get_organization(self.subject, organization)
        job = _jobs(self.subject, org).filter(pk=job_id).first()
        if job is None:
            raise rbac.NotFound()
        return Response(provisioner_job_json(job))
