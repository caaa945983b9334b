"""Templates in the /api/v2 dialect: CRUD, versions of a template (list, promote, by name),
archive/unarchive, ACLs and starter-template examples. Views parse, call a service, render."""
from __future__ import annotations

import uuid

from django.http import HttpResponse
from rest_framework import serializers
from rest_framework.response import Response

from accounts import rbac
from accounts.services.errors import ValidationFailed
from coderportal.api.search import parse_query
from coderportal.api.views import PortalAPIView, paginate, pagination
from templates_app import examples
from templates_app.api.serializers import acl as acl_json
from templates_app.api.serializers import templates as ser
from templates_app.api.serializers.versions import template_version_json, template_versions_json
from templates_app.services import acl, version_state
from templates_app.services import templates as services
from templates_app.services.templates import get_organization, get_template

TEMPLATE_QUERY_KEYS = {"name", "exact_name", "deprecated", "organization"}


def _bool_term(terms: dict, key: str) -> bool | None:
    if key not in terms:
        return None
    value = terms[key].lower()
    if value not in ("true", "false"):
        raise serializers.ValidationError({"q": [f"Query param {key!r} must be true or false."]})
    return value == "true"


def _filter_templates(request, queryset):
    terms = parse_query(request.query_params.get("q", ""), TEMPLATE_QUERY_KEYS, default_key="name")
    deprecated = _bool_term(terms, "deprecated")
    if deprecated is True:
        queryset = queryset.exclude(deprecation_message="")
    elif deprecated is False:
        queryset = queryset.filter(deprecation_message="")
    if terms.get("name"):
        queryset = queryset.filter(name__icontains=terms["name"])
    if terms.get("exact_name"):
        queryset = queryset.filter(name__iexact=terms["exact_name"])
    if terms.get("organization"):
        ident = terms["organization"]
        queryset = queryset.filter(organization__name__iexact=ident) if not _is_uuid(ident) else \
            queryset.filter(organization_id=ident)
    return queryset


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# --- templates ------------------------------------------------------------------------------
class OrganizationTemplatesView(PortalAPIView):
    def get(self, request, organization):
        org = get_organization(organization, subject=self.subject)
        queryset = _filter_templates(request, services.readable_templates(self.subject).filter(organization=org))
        return Response([ser.template_json(t) for t in queryset])

    def post(self, request, organization):
        org = get_organization(organization, subject=self.subject)
        body = self.parse(ser.CreateTemplateRequest)
        fields = ser.service_fields(body, ser.CREATE_RENAMES)
        try:
            template = services.create_template(org, actor=self.actor, **fields)
        except ValidationFailed as exc:
            exc.validations = ser.api_validations(exc.validations, ser.CREATE_RENAMES)
            raise
        template = services.templates_queryset().get(pk=template.pk)
        return Response(ser.template_json(template), status=201)


class OrganizationTemplateByNameView(PortalAPIView):
    def get(self, request, organization, templatename):
        org = get_organization(organization, subject=self.subject)
        return Response(ser.template_json(services.get_template_by_name(org, templatename, subject=self.subject)))


class TemplatesView(PortalAPIView):
    def get(self, request):
        queryset = _filter_templates(request, services.readable_templates(self.subject))
        return Response([ser.template_json(t) for t in queryset])


class TemplateView(PortalAPIView):
    def get(self, request, template):
        return Response(ser.template_json(get_template(template, subject=self.subject)))

    def patch(self, request, template):
        obj = get_template(template, subject=self.subject)
        body = self.parse(ser.UpdateTemplateMeta)
        obj, changed = services.update_template(obj, actor=self.actor, **ser.service_fields(body))
        if not changed:
            return Response(status=304)  # Coder: nothing to change is "Not Modified"
        return Response(ser.template_json(services.templates_queryset().get(pk=obj.pk)))

    def delete(self, request, template):
        services.delete_template(get_template(template, subject=self.subject), actor=self.actor)
        return Response({"message": "Template has been deleted!"})


# --- versions of a template -------------------------------------------------------------------
class TemplateVersionsView(PortalAPIView):
    def get(self, request, template):
        obj = get_template(template, subject=self.subject)
        limit, offset = pagination(request)
        queryset = services.versions_queryset().filter(template=obj).order_by("created_at", "id")
        if request.query_params.get("include_archived", "").lower() != "true":
            queryset = queryset.filter(archived=False)
        after_id = request.query_params.get("after_id", "")
        if after_id:
            if not _is_uuid(after_id):
                raise serializers.ValidationError({"after_id": ["Must be a valid UUID."]})
            after = queryset.filter(pk=after_id).first()
            if after is None:
                raise serializers.ValidationError({"after_id": ["Template version does not exist."]})
            queryset = queryset.filter(created_at__gte=after.created_at).exclude(pk=after.pk)
        queryset = rbac.filter_queryset(self.subject, "read", queryset)
        return Response(template_versions_json(paginate(queryset, limit, offset)))

    def patch(self, request, template):
        obj = get_template(template, subject=self.subject)
        body = self.parse(ser.UpdateActiveTemplateVersion)
        version_state.set_active_version(obj, actor=self.actor, version_id=body["id"])
        return Response({"message": "Updated the active template version!"})


class TemplateVersionByNameView(PortalAPIView):
    def get(self, request, template, templateversionname):
        obj = get_template(template, subject=self.subject)
        return Response(template_version_json(
            services.get_version_by_name(obj, templateversionname, subject=self.subject)))


class OrganizationTemplateVersionByNameView(PortalAPIView):
    def get(self, request, organization, templatename, templateversionname):
        org = get_organization(organization, subject=self.subject)
        obj = services.get_template_by_name(org, templatename, subject=self.subject)
        return Response(template_version_json(
            services.get_version_by_name(obj, templateversionname, subject=self.subject)))


class TemplateVersionArchiveView(PortalAPIView):
    archived = True

    def post(self, request, templateversion):
        version = services.get_version(templateversion, subject=self.subject)
        version_state.set_archived(version, self.archived, actor=self.actor)
        verb = "archived" if self.archived else "unarchived"
        return Response({"message": f"Template version {verb}."})


# --- ACL ------------------------------------------------------------------------------------
class TemplateACLView(PortalAPIView):
    def get(self, request, template):
        obj = get_template(template, subject=self.subject)
        users, user_roles, groups, group_roles = acl.get_acl(obj, subject=self.subject)
        users = acl_json.prefetch_users(users)
        groups = acl_json.prefetch_groups(groups)
        return Response(acl_json.template_acl_json([(u, user_roles[u.pk]) for u in users],
                                                   [(g, group_roles[g.pk]) for g in groups]))

    def patch(self, request, template):
        obj = get_template(template, subject=self.subject)
        body = self.parse(ser.UpdateTemplateACL)
        acl.update_acl(obj, actor=self.actor, user_perms=body["user_perms"], group_perms=body["group_perms"])
        return Response({"message": "Successfully updated template ACL list."})


class TemplateACLAvailableView(PortalAPIView):
    def get(self, request, template):
        obj = get_template(template, subject=self.subject)
        users, groups = acl.available(obj, subject=self.subject)
        terms = parse_query(request.query_params.get("q", ""), {"search"}, default_key="search")
        if terms.get("search"):
            users = users.filter(username__icontains=terms["search"])
            groups = groups.filter(name__icontains=terms["search"])
        limit, offset = pagination(request)
        return Response(acl_json.acl_available_json(paginate(users, limit, offset),
                                                    acl_json.prefetch_groups(groups)))


# --- examples -------------------------------------------------------------------------------
class TemplateExamplesView(PortalAPIView):
    def get(self, request):
        if not rbac.can_any(self.subject, "read", "template"):
            raise rbac.NotFound()
        return Response([e.json() for e in examples.list_examples()])


class OrganizationTemplateExamplesView(PortalAPIView):
    def get(self, request, organization):
        org = get_organization(organization, subject=self.subject)
        if not rbac.can(self.subject, "read", rbac.RbacObject(type="template", org_id=org.id)):
            raise rbac.NotFound()
        return Response([e.json() for e in examples.list_examples()])


class TemplateExampleArchiveView(PortalAPIView):
    """`GET /templates/examples/{id}/archive`: the example's files as a tar (what the CLI's
    `templates init --id` writes out; Coder's CLI carries them in its binary instead)."""

    def get(self, request, example_id):
        if not rbac.can_any(self.subject, "read", "template"):
            raise rbac.NotFound()
        try:
            archive = examples.example_archive(example_id)
        except KeyError:
            raise rbac.NotFound() from None
        return HttpResponse(archive, content_type="application/x-tar")
