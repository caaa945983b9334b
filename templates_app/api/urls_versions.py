"""Routes for template versions, dry-runs, provisioner daemons and jobs."""
from django.urls import path

from templates_app.api import provisioners
from templates_app.api import versions as v

urlpatterns = [
    path("organizations/<str:organization>/templateversions", v.OrganizationTemplateVersionsView.as_view()),
    path("templateversions/<uuid:version_id>", v.TemplateVersionView.as_view()),
    path("templateversions/<uuid:version_id>/cancel", v.CancelTemplateVersionView.as_view()),
    path("templateversions/<uuid:version_id>/rich-parameters", v.RichParametersView.as_view()),
    path("templateversions/<uuid:version_id>/variables", v.VariablesView.as_view()),
    path("templateversions/<uuid:version_id>/resources", v.ResourcesView.as_view()),
    path("templateversions/<uuid:version_id>/logs", v.TemplateVersionLogsView.as_view()),
    path("templateversions/<uuid:version_id>/dry-run", v.DryRunsView.as_view()),
    path("templateversions/<uuid:version_id>/dry-run/<uuid:job_id>", v.DryRunView.as_view()),
    path("templateversions/<uuid:version_id>/dry-run/<uuid:job_id>/resources", v.DryRunResourcesView.as_view()),
    path("templateversions/<uuid:version_id>/dry-run/<uuid:job_id>/logs", v.DryRunLogsView.as_view()),
    path("templateversions/<uuid:version_id>/dry-run/<uuid:job_id>/cancel", v.DryRunCancelView.as_view()),
    path("organizations/<str:organization>/provisionerdaemons", provisioners.ProvisionerDaemonsView.as_view()),
    path("organizations/<str:organization>/provisionerjobs", provisioners.ProvisionerJobsView.as_view()),
    path("organizations/<str:organization>/provisionerjobs/<uuid:job_id>", provisioners.ProvisionerJobView.as_view()),
]
