"""Template versions and what their import job found: variables, rich parameters, README,
and the resources a build would create (kept as JSON in Coder's WorkspaceResource shape)."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class TemplateVersion(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    template = models.ForeignKey("templates_app.Template", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="versions")
    name = models.CharField(max_length=64)
    message = models.TextField(blank=True, default="")
    readme = models.TextField(blank=True, default="")
    file = models.ForeignKey("templates_app.File", on_delete=models.PROTECT, related_name="versions")
    job = models.OneToOneField("templates_app.ProvisionerJob", on_delete=models.PROTECT,
                               related_name="template_version")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    archived = models.BooleanField(default=False)
    # Values for `variable` blocks; sensitive ones are write-only through the API.
    user_variable_values = models.JSONField(default=list, blank=True)
    resources = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["template", "name"], condition=models.Q(template__isnull=False),
                                               name="version_name_unique_in_template")]

    def __str__(self) -> str:
        return self.name


class TemplateVersionParameter(models.Model):
    """A `coder_parameter` as recorded by the import (Coder's TemplateVersionParameter)."""

    version = models.ForeignKey(TemplateVersion, on_delete=models.CASCADE, related_name="parameters")
    name = models.CharField(max_length=256)
    display_name = models.CharField(max_length=256, blank=True, default="")
    description = models.TextField(blank=True, default="")
    type = models.CharField(max_length=32, default="string")
    form_type = models.CharField(max_length=32, blank=True, default="")
    mutable = models.BooleanField(default=False)
    default_value = models.TextField(blank=True, default="")
    icon = models.CharField(max_length=512, blank=True, default="")
    options = models.JSONField(default=list, blank=True)
    validation_regex = models.TextField(blank=True, default="")
    validation_error = models.TextField(blank=True, default="")
    validation_min = models.IntegerField(null=True, blank=True)
    validation_max = models.IntegerField(null=True, blank=True)
    validation_monotonic = models.CharField(max_length=16, blank=True, default="")
    required = models.BooleanField(default=False)
    ephemeral = models.BooleanField(default=False)
    order = models.IntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        constraints = [models.UniqueConstraint(fields=["version", "name"], name="parameter_name_unique_in_version")]


class TemplateVersionVariable(models.Model):
    """A Terraform `variable` block (Coder's TemplateVersionVariable)."""

    version = models.ForeignKey(TemplateVersion, on_delete=models.CASCADE, related_name="variables")
    name = models.CharField(max_length=256)
    description = models.TextField(blank=True, default="")
    # The type constraint as written (`object({...})` can be long), as Coder's text column.
    type = models.TextField(default="string")
    value = models.TextField(blank=True, default="")
    default_value = models.TextField(blank=True, default="")
    required = models.BooleanField(default=False)
    sensitive = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["version", "name"], name="variable_name_unique_in_version")]
