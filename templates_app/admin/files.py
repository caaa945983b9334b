"""Uploaded template sources in the admin: a read-only list, and the "upload template" form
(an archive, or one of the starter templates) that stores the file through
`services.upload_file` and, when an organization is chosen, starts importing it as a new
template version."""
from __future__ import annotations

from django import forms
from django.contrib import admin

from accounts import rbac
from accounts.admin.mixins import RbacAdminMixin, ServiceFormMixin, actor_for
from accounts.models import Organization
from accounts.services.errors import ValidationFailed
from templates_app import examples, services
from templates_app.models import File

ARCHIVE_TYPES = {".tar": "application/x-tar", ".zip": "application/zip"}


def _content_type(name: str) -> str:
    return next((t for ext, t in ARCHIVE_TYPES.items() if name.lower().endswith(ext)), "application/x-tar")


class UploadTemplateForm(ServiceFormMixin, forms.ModelForm):
    archive = forms.FileField(required=False, help_text="A .tar or .zip of the template's Terraform files.")
    example = forms.ChoiceField(required=False, help_text="…or start from a starter template.")
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(), required=False,
        help_text="Also import it as a new template version of this organization (then create a template "
                  "from the version once its import succeeded).")
    version_name = forms.CharField(required=False, max_length=64, help_text="Optional; generated when empty.")

    class Meta:
        model = File
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["example"].choices = [("", "—")] + [(e.id, e.name) for e in examples.list_examples()]
        if self.rbac_request is not None:
            subject = rbac.subject_of(self.rbac_request.user)
            self.fields["organization"].queryset = rbac.filter_queryset(subject, "read", Organization.objects.all())

    def clean(self):
        data = super().clean()
        upload, example = data.get("archive"), data.get("example")
        if bool(upload) == bool(example):
            raise forms.ValidationError("Upload an archive or choose a starter template (one of them).")
        # Read once: the service runs twice (validation dry run, then for real).
        if upload:
            data["payload"] = (upload.read(), upload.content_type or _content_type(upload.name))
        else:
            data["payload"] = (examples.example_archive(example), "application/x-tar")
        return data


class FileAdmin(RbacAdminMixin, admin.ModelAdmin):
    form = UploadTemplateForm
    list_display = ("hash_prefix", "mimetype", "size", "created_by", "created_at")
    list_filter = ("mimetype",)
    search_fields = ("hash", "created_by__username")
    list_select_related = ("created_by",)
    readonly_fields = ("id", "hash", "mimetype", "size", "created_by", "created_at")

    def rbac_create_target(self, request):
        return rbac.RbacObject(type="file", owner_id=request.user.pk)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("archive", "example", "organization", "version_name")
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    # Files are immutable and referenced by versions and jobs: never edited or deleted here.
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Hash", ordering="hash")
    def hash_prefix(self, file):
        return file.hash[:12]

    def apply(self, request, obj, form, change):
        actor, data = actor_for(request), form.cleaned_data
        payload, content_type = data["payload"]
        file, _created = services.upload_file(actor=actor, data=payload, content_type=content_type)
        organization = data.get("organization")
        if organization is not None:
            from templates_app.services import versions  # the import pipeline's entry point

            try:
                versions.create_template_version(actor=actor, organization=organization, file_id=file.pk,
                                                 name=data.get("version_name") or None)
            except ValidationFailed as exc:
                # Its fields are the API's, not this form's: show them on the form as a whole.
                details = "; ".join(f"{k}: {v}" for k, v in exc.validations.items())
                raise ValidationFailed(f"{exc.message} {details}".strip()) from None
        return file


admin.site.register(File, FileAdmin)
