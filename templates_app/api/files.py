"""`POST /files` (raw tar or zip body) and `GET /files/{id}`."""
from __future__ import annotations

from django.http import HttpResponse
from rest_framework.parsers import BaseParser
from rest_framework.response import Response

from accounts import rbac
from coderportal.api.views import PortalAPIView
from templates_app import archives, services
from templates_app.models import File


class RawArchiveParser(BaseParser):
    """Hands the body through untouched; the service validates it."""

    media_type = "application/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream is not None else b""


class FilesView(PortalAPIView):
    parser_classes = [RawArchiveParser]

    def post(self, request):
        content_type = request.META.get("CONTENT_TYPE", "")
        data = request.body if content_type.split(";")[0].strip() in archives.ACCEPTED_TYPES else b""
        file, created = services.upload_file(actor=self.actor, data=data, content_type=content_type)
        return Response({"hash": str(file.id)}, status=201 if created else 200)


class FileView(PortalAPIView):
    def get(self, request, file_id):
        qs = rbac.filter_queryset(self.subject, "read", File.objects.all())
        file = qs.filter(pk=file_id).first()
        if file is None:
            raise rbac.NotFound()
        response = HttpResponse(bytes(file.data), content_type=file.mimetype)
        response["Content-Disposition"] = f'attachment; filename="{file.hash}"'
        return response
