"""A template's versions as its administrators steer them: which one is active (promote),
and which ones are archived (hidden from lists, unusable for new builds).

Both are template updates in authorization terms: whoever may update the template (its
organization's template admins, or an ACL `admin`) may do them.
"""
from __future__ import annotations

from django.db import transaction

from accounts import rbac
from accounts.services import audit
from accounts.services.audit import Actor
from accounts.services.errors import ValidationFailed
from templates_app.models import JobStatus, Template, TemplateVersion


def set_active_version(template: Template, *, actor: Actor, version_id) -> TemplateVersion:
    """Coder's PATCH /templates/{id}/versions {id}: the version must belong to the template,
    not be archived, and its import must have succeeded."""
    rbac.authorize(actor.subject, "update", template)
    with transaction.atomic():
        version = TemplateVersion.objects.select_related("job").filter(pk=version_id).first()
        if version is None or version.template_id != template.pk:
            raise ValidationFailed("The provided template version doesn't belong to the specified template.",
                                   {"id": "Template version does not belong to this template."})
        if version.archived:
            raise ValidationFailed("The provided template version is archived.",
                                   {"id": "Template version is archived."})
        if version.job.status != JobStatus.SUCCEEDED:
            raise ValidationFailed("The provided template version has not been imported successfully.",
                                   {"id": f"The version's import job is {version.job.status}."})
        template = Template.objects.select_for_update().get(pk=template.pk)
        old = template.active_version_id
        if old == version.pk:
            return version
        template.active_version = version
        template.save(update_fields=["active_version", "updated_at"])
        audit.record(actor, "write", "template", resource_id=template.id, target=template.name,
                     organization=template.organization,
                     changes=audit.diff({"active_version_id": str(old) if old else None},
                                        {"active_version_id": str(version.pk)}))
    return version


def set_archived(version: TemplateVersion, archived: bool, *, actor: Actor) -> bool:
    """Archive or unarchive a version; the active version cannot be archived. Returns True
    when the state changed (it is idempotent otherwise)."""
    rbac.authorize(actor.subject, "update", version)
    if version.template_id is None:
        raise ValidationFailed("Only versions of a template can be archived.",
                               {"template_id": "The version is not part of a template."})
    with transaction.atomic():
        version = TemplateVersion.objects.select_for_update(of=("self",)).select_related("template").get(pk=version.pk)
        if archived and version.template.active_version_id == version.pk:
            raise ValidationFailed("The active template version cannot be archived.",
                                   {"id": "This is the template's active version."})
        if version.archived == archived:
            return False
        version.archived = archived
        version.save(update_fields=["archived", "updated_at"])
        audit.record(actor, "write", "template_version", resource_id=version.id, target=version.name,
                     organization=version.template.organization,
                     changes=audit.diff({"archived": not archived}, {"archived": archived}))
    return True
