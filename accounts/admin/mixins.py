"""`RbacAdminMixin`: every ModelAdmin of the portal asks accounts.rbac, and nothing else.

- rows: `get_queryset` is `rbac.filter_queryset(subject, "read", ...)`; an object outside it
  is a 404 (never a redirect that confirms it exists);
- permissions: view/add/change/delete map to the engine's read/create/update/delete, at
  object level when Django passes an object;
- related choices (foreign keys, many-to-many) only offer objects the subject may read;
- writes go through services: admins with a dedicated service override `apply` (save) and
  `delete_model`; the default is the generic audited `admin_ops.save_object/delete_object`.
  A form whose admin overrides `apply` first runs it in a rolled-back savepoint, so the
  service's own validation and authorization errors come back as form errors;
- models the engine does not know (third-party apps) are decided at site level on
  `rbac_site_resource` ("system": owners only).
"""
from __future__ import annotations

import uuid

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponseRedirect

from accounts import rbac
from accounts.rbac.objects import descriptor_for, is_registered
from accounts.services import admin_ops
from accounts.services.audit import Actor
from accounts.services.errors import Conflict, ValidationFailed

SERVICE_ERRORS = (rbac.Forbidden, ValidationFailed, Conflict)


def actor_for(request) -> Actor:
    """The audit actor of an admin request (user, subject, IP, user agent, request id)."""
    actor = getattr(request, "_admin_actor", None)
    if actor is None:
        actor = Actor(user=request.user, subject=rbac.subject_of(request.user),
                      ip=request.META.get("REMOTE_ADDR") or None,
                      user_agent=request.META.get("HTTP_USER_AGENT", ""),
                      request_id=request.META.get("HTTP_X_REQUEST_ID") or str(uuid.uuid4()))
        request._admin_actor = actor
    return actor


def error_text(exc) -> str:
    if isinstance(exc, (ValidationFailed, Conflict)):
        details = "; ".join(f"{k}: {v}" for k, v in exc.validations.items())
        return f"{exc.message} {details}".strip()
    return str(exc) or "You are not allowed to do this."


def copy_saved(target, saved) -> None:
    """Make the admin's unsaved form instance stand for the row a service created, so
    Django's add-flow (log entry, redirect to the change page) refers to it."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


class ReadOnlyAdminMixin:
    """Rows are shown, never added, edited or deleted here (they change through services
    elsewhere, or never: audit entries, builds)."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RbacAdminMixin:
    """Mix into every ModelAdmin (before `admin.ModelAdmin`)."""

    rbac_site_resource = "system"

    # --- decisions -------------------------------------------------------------------------
    def rbac_subject(self, request) -> rbac.Subject:
        return rbac.subject_of(request.user)

    def rbac_known(self) -> bool:
        return is_registered(self.model)

    def rbac_create_target(self, request):
        """What a new object would be; None means "some object of this type" (can_any)."""

    def rbac_allows(self, request, action: str, obj=None) -> bool:
        if not request.user.is_authenticated or not request.user.is_active:
            return False
        subject = self.rbac_subject(request)
        if not self.rbac_known():
            return rbac.can(subject, action, rbac.RbacObject(type=self.rbac_site_resource))
        if obj is not None:
            return rbac.can(subject, action, obj)
        return rbac.can_any(subject, action, descriptor_for(self.model).type)

    def has_module_permission(self, request):
        return self.rbac_allows(request, "read")

    def has_view_permission(self, request, obj=None):
        return self.rbac_allows(request, "read", obj)

    def has_change_permission(self, request, obj=None):
        return self.rbac_allows(request, "update", obj)

    def has_delete_permission(self, request, obj=None):
        return self.rbac_allows(request, "delete", obj)

    def has_add_permission(self, request, *args):
        target = self.rbac_create_target(request)
        if target is not None:
            return rbac.can(self.rbac_subject(request), "create", target)
        return self.rbac_allows(request, "create")

    # --- rows ------------------------------------------------------------------------------
    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not self.rbac_known():
            return queryset if self.rbac_allows(request, "read") else queryset.none()
        return rbac.filter_queryset(self.rbac_subject(request), "read", queryset)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Missing and unreadable look the same: 404, as the API does.
            raise Http404("Not found.")
        return obj

    def _readable(self, request, model, queryset=None):
        queryset = model._default_manager.all() if queryset is None else queryset
        if is_registered(model):
            return rbac.filter_queryset(self.rbac_subject(request), "read", queryset)
        return queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs and is_registered(db_field.related_model):
            kwargs["queryset"] = self._readable(request, db_field.related_model)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs and is_registered(db_field.related_model):
            kwargs["queryset"] = self._readable(request, db_field.related_model)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = kwargs.get("form", self.form)
        if not issubclass(base, ServiceFormMixin):
            base = type(base.__name__, (ServiceFormMixin, base), {"__module__": base.__module__})
        kwargs["form"] = base
        form = super().get_form(request, obj, change, **kwargs)
        # modelform_factory returns a fresh class per call: safe to annotate with this request.
        form.rbac_actor = actor_for(request)
        form.rbac_admin, form.rbac_request, form.rbac_change = self, request, obj is not None
        return form

    # --- writes through services -------------------------------------------------------------
    def apply(self, request, obj, form, change):
        """Save through a service and return the saved object. `obj` is the edited object
        (change) or an unsaved form instance (add); services take values from `form`."""
        return admin_ops.save_object(obj, actor=actor_for(request), created=not change,
                                     changed_fields=form.changed_data, site_resource=self.rbac_site_resource)

    def has_service(self) -> bool:
        return type(self).apply is not RbacAdminMixin.apply

    def save_model(self, request, obj, form, change):
        saved = self.apply(request, obj, form, change)
        if not change and saved is not None and saved is not obj:
            copy_saved(obj, saved)

    def delete_model(self, request, obj):
        admin_ops.delete_object(obj, actor=actor_for(request), site_resource=self.rbac_site_resource)

    def delete_queryset(self, request, queryset):
        # One service call per object: each is authorized and audited on its own, and a
        # refusal is reported instead of aborting the rest.
        self.run_service(request, queryset, lambda obj: self.delete_model(request, obj), "Deleted")

    def run_service(self, request, objects, call, done: str) -> None:
        """Apply `call(obj)` to each object, reporting successes and refusals as messages."""
        ok = 0
        for obj in objects:
            try:
                call(obj)
                ok += 1
            except rbac.NotFound:
                self.message_user(request, f"{obj}: not found.", messages.ERROR)
            except SERVICE_ERRORS as exc:
                self.message_user(request, f"{obj}: {error_text(exc)}", messages.ERROR)
        if ok:
            self.message_user(request, f"{done}: {ok}.", messages.SUCCESS)

    def _guarded(self, request, view, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except rbac.NotFound:
            raise Http404("Not found.") from None
        except SERVICE_ERRORS as exc:
            # The service refused after the form validated (a race, or a rule only it knows):
            # its transaction rolled back; say why instead of a server error.
            self.message_user(request, error_text(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._guarded(request, super().changeform_view, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        return self._guarded(request, super().delete_view, object_id, extra_context)

    def changelist_view(self, request, extra_context=None):
        return self._guarded(request, super().changelist_view, extra_context)


class _DryRun(Exception):
    pass


class ServiceFormMixin:
    """Admin forms: the service's own checks decide whether the form is valid."""

    rbac_admin = rbac_request = rbac_actor = None
    rbac_change = False

    def _post_clean(self):
        super()._post_clean()
        admin = self.rbac_admin
        if self.errors or admin is None or not admin.has_service():
            return
        model = type(self.instance)
        obj = model._default_manager.get(pk=self.instance.pk) if self.rbac_change else model()
        try:
            # Run the real service and roll it back (audit rows and on-commit hooks included).
            with transaction.atomic():
                admin.apply(self.rbac_request, obj, self, self.rbac_change)
                raise _DryRun
        except _DryRun:
            pass
        except rbac.NotFound:
            self.add_error(None, "Not found.")
        except SERVICE_ERRORS as exc:
            self.add_service_error(exc)

    def add_service_error(self, exc) -> None:
        if isinstance(exc, (ValidationFailed, Conflict)) and exc.validations:
            for field, detail in exc.validations.items():
                self.add_error(field if field in self.fields else None, detail)
        else:
            self.add_error(None, error_text(exc))
