"""Top-level browser pages: `/` leads to the management UI (the admin), or to the login page first."""
from __future__ import annotations

from django.http import HttpResponseRedirect
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView


def home(request):
    """The URL `serve` prints and the admin's "View site" link: where a person starts."""
    if request.user.is_authenticated:
        return HttpResponseRedirect("/admin/")
    return HttpResponseRedirect("/login?next=/admin/")


class OpenApiSchemaView(SpectacularAPIView):
    """`/api/v2/openapi.json` answers JSON, as its name says; YAML only when asked for
    (`Accept: application/yaml` or `?format=yaml`)."""

    renderer_classes = [OpenApiJsonRenderer, OpenApiJsonRenderer2, OpenApiYamlRenderer, OpenApiYamlRenderer2]
