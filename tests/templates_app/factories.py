"""factory_boy factories for template-side rows: files, imported versions, templates.

Versions are created with their import job already finished (succeeded by default), as
the import machinery would leave them; templates get an active version and, like
`create_template`, the organization's Everyone group as `use` unless told otherwise.
"""
from __future__ import annotations

import hashlib
import uuid

import factory
from django.utils import timezone

from accounts.models import Group
from templates_app.models import File, JobStatus, JobType, ProvisionerJob, Template, TemplateVersion
from templates_app.services import acl
from tests.factories import OrganizationFactory, UserFactory


class FileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = File

    data = factory.Sequence(lambda n: f"archive-{n}".encode())
    hash = factory.LazyAttribute(lambda f: hashlib.sha256(f.data).hexdigest())
    mimetype = "application/x-tar"
    size = factory.LazyAttribute(lambda f: len(f.data))
    created_by = factory.SubFactory(UserFactory)


class ProvisionerJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProvisionerJob

    organization = factory.SubFactory(OrganizationFactory)
    type = JobType.TEMPLATE_VERSION_IMPORT
    status = JobStatus.SUCCEEDED
    file = factory.SubFactory(FileFactory)
    started_at = factory.LazyFunction(timezone.now)
    completed_at = factory.LazyAttribute(
        lambda j: timezone.now() if j.status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED) else None)


class TemplateVersionFactory(factory.django.DjangoModelFactory):
    """A version; pass `job__status=` for an import that did not succeed."""

    class Meta:
        model = TemplateVersion

    id = factory.LazyFunction(uuid.uuid4)
    organization = factory.SubFactory(OrganizationFactory)
    template = None
    name = factory.Sequence(lambda n: f"v{n}")
    readme = "# Hello"
    file = factory.SubFactory(FileFactory)
    created_by = factory.LazyAttribute(lambda v: v.file.created_by)
    job = factory.SubFactory(ProvisionerJobFactory, organization=factory.SelfAttribute("..organization"),
                             file=factory.SelfAttribute("..file"),
                             input=factory.LazyAttribute(lambda j: {"template_version_id": str(j.factory_parent.id)}))


class TemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Template
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"template-{n}")
    created_by = factory.SubFactory(UserFactory)
    # As the template service does: autostart allowed every day (Coder: no day = never).
    autostart_requirement_days_of_week = factory.LazyFunction(
        lambda: ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])

    @factory.post_generation
    def version(obj, create, extracted, **kwargs):
        if not create:
            return
        version = extracted or TemplateVersionFactory(organization=obj.organization, template=obj, **kwargs)
        if version.template_id != obj.pk:
            version.template = obj
            version.save(update_fields=["template"])
        obj.active_version = version
        obj.save(update_fields=["active_version"])

    @factory.post_generation
    def everyone(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            group = Group.objects.filter(pk=obj.organization_id).first()
            if group is not None:
                acl.grant_group(obj, group, "use")
