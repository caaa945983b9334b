"""Coder-style error bodies: `{"message", "detail", "validations": [{"field", "detail"}]}`.

Every error the API returns goes through `exception_handler` (DRF) or `ApiErrorMiddleware`
(routing misses, oversized bodies, and anything unexpected), so no client ever sees
Django's HTML error pages or a bare 500 for bad input.
"""
from __future__ import annotations

import logging

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from accounts import rbac
from accounts.services.errors import Conflict, Unauthenticated, ValidationFailed

log = logging.getLogger(__name__)
API_PREFIX = "/api/"
NOT_FOUND = "Resource not found or you do not have access to this resource"


def body(message: str, detail: str = "", validations=None) -> dict:
    data = {"message": message}
    if detail:
        data["detail"] = detail
    if validations:
        data["validations"] = validations
    return data


def flatten_validations(errors, prefix: str = "") -> list[dict]:
    """DRF's nested error dict -> Coder's flat [{field, detail}] list."""
    out: list[dict] = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            if isinstance(key, int):  # list positions (ListField, many=True): `field[0]`, never dropped
                out += flatten_validations(value, f"{prefix}[{key}]")
                continue
            name = key if key != "non_field_errors" else ""
            out += flatten_validations(value, f"{prefix}.{name}" if prefix and name else (name or prefix))
    elif isinstance(errors, list):
        if all(not isinstance(e, (dict, list)) for e in errors):
            out.append({"field": prefix, "detail": " ".join(str(e) for e in errors)})
        else:
            for index, item in enumerate(errors):
                out += flatten_validations(item, f"{prefix}[{index}]")
    else:
        out.append({"field": prefix, "detail": str(errors)})
    return out


def exception_handler(exc, context):
    if isinstance(exc, ValidationFailed):
        validations = [{"field": f, "detail": d} for f, d in exc.validations.items()]
        return Response(body(exc.message, exc.detail, validations), status=400)
    if isinstance(exc, Conflict):
        validations = [{"field": f, "detail": d} for f, d in exc.validations.items()]
        return Response(body(exc.message, exc.detail, validations), status=409)
    if isinstance(exc, Unauthenticated):
        return Response(body(exc.message, exc.detail), status=401)
    if isinstance(exc, (rbac.NotFound, Http404, exceptions.NotFound)):
        return Response(body(NOT_FOUND), status=404)
    if isinstance(exc, rbac.Forbidden):
        return Response(body("Forbidden.", str(exc)), status=403)
    if isinstance(exc, RequestDataTooBig):
        return Response(body("Request body too large."), status=413)
    if isinstance(exc, exceptions.ValidationError):
        return Response(body("Validation failed.", "", flatten_validations(exc.detail)), status=400)
    if isinstance(exc, exceptions.ParseError):
        return Response(body("Request body must be valid JSON.", str(exc.detail)), status=400)
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        response = Response(body("You must be logged in to do this." if isinstance(exc, exceptions.NotAuthenticated)
                                 else "Invalid or expired session token.", str(exc.detail)), status=401)
        response["WWW-Authenticate"] = 'Coder-Session-Token realm="api"'
        return response
    if isinstance(exc, exceptions.Throttled):
        response = Response(body("You've been rate limited.", str(exc.detail)), status=429)
        if exc.wait:
            response["Retry-After"] = str(int(exc.wait))
        return response
    if isinstance(exc, SuspiciousOperation):
        return Response(body("Bad request.", str(exc)), status=400)
    response = drf_exception_handler(exc, context)
    if response is not None:
        detail = exc.detail if isinstance(getattr(exc, "detail", None), str) else str(getattr(exc, "detail", ""))
        response.data = body(detail or "Request failed.")
    return response


class ApiErrorMiddleware:
    """JSON bodies for API requests that never reach a DRF view, or crash inside one.

    Async-capable, so that async views (AI Bridge's streaming relay) run on the event loop
    without a thread held for each request.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._acall(request)
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        self._strip_slash(request)
        try:
            response = self.get_response(request)
        except RequestDataTooBig:
            return JsonResponse(body("Request body too large."), status=413)
        return self._json_404(request, response)

    async def _acall(self, request):
        if not request.path.startswith(API_PREFIX):
            return await self.get_response(request)
        self._strip_slash(request)
        try:
            response = await self.get_response(request)
        except RequestDataTooBig:
            return JsonResponse(body("Request body too large."), status=413)
        return self._json_404(request, response)

    @staticmethod
    def _strip_slash(request) -> None:
        # Coder clients send both `/api/v2/x` and `/api/v2/x/`: routes are declared without.
        if request.path_info.endswith("/") and request.path_info.count("/") > 3:
            request.path_info = request.path_info.rstrip("/")

    @staticmethod
    def _json_404(request, response):
        # Only Django's own HTML "not found" page is replaced; views' own 404 bodies stay.
        if response.status_code == 404 and response.get("Content-Type", "").startswith("text/html"):
            return JsonResponse(body("Route not found.", request.path), status=404)
        return response

    def process_exception(self, request, exc):
        if not request.path.startswith(API_PREFIX):
            return None
        if isinstance(exc, RequestDataTooBig):
            return JsonResponse(body("Request body too large."), status=413)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return JsonResponse(body("An internal error occurred.", "See the server log for details."),
                            status=status.HTTP_500_INTERNAL_SERVER_ERROR)
