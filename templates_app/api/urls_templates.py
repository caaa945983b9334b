"""Routes of templates, their versions-by-template, ACLs and examples (under /api/v2/)."""
from django.urls import path

from templates_app.api import templates as views

ORG = "organizations/<str:organization>/templates"

urlpatterns = [
    path(ORG, views.OrganizationTemplatesView.as_view()),
    path(f"{ORG}/examples", views.OrganizationTemplateExamplesView.as_view()),
    path(f"{ORG}/<str:templatename>", views.OrganizationTemplateByNameView.as_view()),
    path(f"{ORG}/<str:templatename>/versions/<str:templateversionname>",
         views.OrganizationTemplateVersionByNameView.as_view()),
    path("templates", views.TemplatesView.as_view()),
    path("templates/examples", views.TemplateExamplesView.as_view()),
    path("templates/examples/<str:example_id>/archive", views.TemplateExampleArchiveView.as_view()),
    path("templates/<uuid:template>", views.TemplateView.as_view()),
    path("templates/<uuid:template>/versions", views.TemplateVersionsView.as_view()),
    path("templates/<uuid:template>/versions/<str:templateversionname>", views.TemplateVersionByNameView.as_view()),
    path("templates/<uuid:template>/acl", views.TemplateACLView.as_view()),
    path("templates/<uuid:template>/acl/available", views.TemplateACLAvailableView.as_view()),
    path("templateversions/<uuid:templateversion>/archive", views.TemplateVersionArchiveView.as_view(archived=True)),
    path("templateversions/<uuid:templateversion>/unarchive",
         views.TemplateVersionArchiveView.as_view(archived=False)),
]
