"""Creating a workspace: owner, template/version, name, schedule and parameters are checked
before anything is written; then the workspace and its first start build are created together."""
from __future__ import annotations

import re

from django.db import IntegrityError, transaction

from accounts import rbac
from accounts.models import OrganizationMember
from accounts.services import audit
from accounts.services.audit import Actor
from accounts.services.errors import Conflict, ValidationFailed
from templates_app.models import Template, TemplateVersion
from workspaces.models import Workspace
from workspaces.models.workspaces import AutomaticUpdates
from workspaces.services import builds, parameters, quotas

NAME_RE = re.compile(r"^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$")
RESERVED_NAMES = {"new", "create"}
MIN_TTL_MS = 60_000
MAX_TTL_MS = 30 * 24 * 3600 * 1000
WORKSPACE_AUDIT_FIELDS = ("name", "autostart_schedule", "ttl_ms", "automatic_updates", "template_id")


def name_error(name) -> str | None:
    if not isinstance(name, str) or not name:
        return "Name is required."
    if len(name) > 32:
        return "Name must be at most 32 characters."
    if not NAME_RE.match(name):
        return "Name must be letters, digits and single hyphens, starting and ending with a letter or digit."
    if name.lower() in RESERVED_NAMES:
        return f"Name {name!r} is reserved."
    return None


def schedule_error(schedule: str) -> str | None:
    """Coder's autostart format: `CRON_TZ=<zone> <minute> <hour> * * <days>` (timezone optional).
    Beyond Coder: a schedule firing more than once a day (hourly, every N minutes) is refused,
    since it is nearly always a mistake that restarts a stopped workspace every hour."""
    if not schedule:
        return None
    from workspaces.lifecycle import cron

    try:
        parsed = cron.weekly(schedule)
    except ValueError as exc:
        return str(exc)
    if parsed.times_per_day() > 1:
        return ("Autostart must happen at most once a day: give one minute and one hour "
                "(e.g. '0 9 * * 1-5'), not an hourly or minutely schedule.")
    return None


def ttl_error(ttl_ms) -> str | None:
    if ttl_ms is None:
        return None
    if not isinstance(ttl_ms, int) or isinstance(ttl_ms, bool):
        return "ttl_ms must be an integer number of milliseconds."
    if ttl_ms < MIN_TTL_MS:
        return "ttl_ms must be at least one minute."
    if ttl_ms > MAX_TTL_MS:
        return "ttl_ms must be at most 30 days."
    return None


def _template_and_version(actor: Actor, organization, template_id, template_version_id):
    readable = rbac.filter_queryset(actor.subject, "read", Template.objects.filter(deleted=False))
    if template_version_id:
        version = TemplateVersion.objects.select_related("template", "job").filter(
            pk=template_version_id, template__isnull=False).first()
        template = readable.filter(pk=version.template_id).first() if version else None
        if template is None or (template_id and str(template.pk) != str(template_id)):
            raise ValidationFailed("Validation failed.", {"template_version_id": "Template version not found."})
    elif template_id:
        template = readable.filter(pk=template_id).first()
        if template is None:
            raise ValidationFailed("Validation failed.", {"template_id": "Template not found."})
        version = TemplateVersion.objects.select_related("job").get(pk=template.active_version_id)
    else:
        raise ValidationFailed("Validation failed.", {"template_id": "template_id or template_version_id is required."})
    if template.organization_id != organization.id:
        raise ValidationFailed("Validation failed.", {"template_id": "Template is not in this organization."})
    rbac.authorize(actor.subject, "use", template)
    if template.deprecation_message:
        raise ValidationFailed("Template is deprecated.", {"template_id": template.deprecation_message})
    if (template.require_active_version and version.pk != template.active_version_id
            and not rbac.can(actor.subject, "update", template)):
        raise rbac.Forbidden("This template requires the active version for new workspaces.")
    return template, version


def create_workspace(*, actor: Actor, organization, owner, name: str, template_id=None, template_version_id=None,
                     rich_parameter_values=None, autostart_schedule: str = "", ttl_ms=None,
                     automatic_updates: str = AutomaticUpdates.NEVER) -> Workspace:
    if not OrganizationMember.objects.filter(organization=organization, user=owner).exists():
        raise ValidationFailed("Validation failed.", {"owner": "The owner is not a member of this organization."})
    ttl_ms = ttl_ms or None  # Coder: 0 and null both mean "the template's default TTL"
    rbac.authorize(actor.subject, "create", rbac.RbacObject(type="workspace", org_id=organization.id,
                                                            owner_id=owner.id))
    errors = {key: message for key, message in (
        ("name", name_error(name)), ("autostart_schedule", schedule_error(autostart_schedule or "")),
        ("ttl_ms", ttl_error(ttl_ms)),
        ("automatic_updates", None if automatic_updates in AutomaticUpdates.values
         else "Must be 'always' or 'never'.")) if message}
    if errors:
        raise ValidationFailed("Validation failed.", errors)
    template, version = _template_and_version(actor, organization, template_id, template_version_id)
    if version.job.status != "succeeded":
        raise ValidationFailed("Validation failed.", {"template_version_id": "The version's import has not succeeded."})
    if Workspace.objects.filter(owner=owner, name__iexact=name, deleted=False).exists():
        raise Conflict("Workspace already exists.", validations={"name": f"A workspace named {name!r} exists."})
    if ttl_ms is None and template.default_ttl_ms:
        ttl_ms = template.default_ttl_ms
    resolved = parameters.resolve(list(version.parameters.all()),
                                  parameters.requested_values(rich_parameter_values), {}, first_build=True)
    quotas.check_start(owner_id=owner.pk, organization_id=organization.pk, version=version)
    try:
        with transaction.atomic():
            workspace = Workspace.objects.create(
                owner=owner, organization=organization, template=template, name=name,
                autostart_schedule=autostart_schedule or "", ttl_ms=ttl_ms, automatic_updates=automatic_updates)
            audit.record(actor, "create", "workspace", resource_id=workspace.pk, target=name,
                         organization=organization,
                         changes=audit.diff({}, audit.snapshot(workspace, WORKSPACE_AUDIT_FIELDS)))
            builds.create_build(workspace, actor=actor, transition="start", version=version, resolved=resolved)
    except IntegrityError:
        raise Conflict("Workspace already exists.", validations={"name": f"A workspace named {name!r} exists."}) \
            from None
    return workspace
