"""Routes of the templates API, mounted under /api/v2/."""
from django.urls import include, path

from templates_app.api import files

urlpatterns = [
    path("files", files.FilesView.as_view()),
    path("files/<uuid:file_id>", files.FileView.as_view()),
]
urlpatterns += [path("", include("templates_app.api.urls_versions"))]
urlpatterns += [path("", include("templates_app.api.urls_templates"))]
