"""Subdomain apps (`coder_app` with `subdomain = true`): served at
`{app}--{agent}--{workspace}--{user}.<CODER_WILDCARD_ACCESS_URL>`, on an origin of their own,
so an app's pages can never use the portal's cookies or call its API as the viewer.

The ASGI host router (`hosts.py`) marks such requests; `middleware.py` serves them before any
portal middleware runs. Identity on the app host comes only from the handshake of
`accounts.services.app_tokens` (or a token header): `auth_redirect` is the portal side.
"""
from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse

from accounts import rbac
from accounts.services import app_tokens
from coderportal import config
from workspaces.appproxy.access import LoginRequired, resolve
from workspaces.appproxy.appurl import parse_host
from workspaces.appproxy.http_proxy import forward


def _access_scheme() -> str:
    return urlsplit(settings.ACCESS_URL).scheme or "http"


def _without_param(request, name: str) -> str:
    pairs = [(k, v) for k, values in request.GET.lists() if k != name for v in values]
    return request.path + (f"?{urlencode(pairs)}" if pairs else "")


async def subdomain_app(request, rest: str = ""):
    app_url, host = request.scope["coder_app"], request.scope["coder_app_host"]
    sealed = request.GET.get(app_tokens.HANDSHAKE_PARAM)
    if sealed is not None:
        cookie = await sync_to_async(app_tokens.exchange_handshake)(sealed, host=host)
        if cookie is None:
            return HttpResponse("This app login link is invalid or expired; open the app again.", status=400,
                                content_type="text/plain")
        response = HttpResponseRedirect(_without_param(request, app_tokens.HANDSHAKE_PARAM))
        response.set_cookie(app_tokens.APP_COOKIE, cookie, httponly=True, samesite="Lax", path="/",
                            secure=_access_scheme() == "https")
        return response
    subject = await sync_to_async(rbac.request_subject)(request)
    try:
        target = await sync_to_async(resolve)(subject, app_url.user, f"{app_url.workspace}.{app_url.agent}",
                                              app_url.app, path_based=False)
    except LoginRequired:
        # The Host matched the wildcard pattern already (hosts.py): no ALLOWED_HOSTS lookup needed.
        here = f"{_access_scheme()}://{request.META['HTTP_HOST']}{request.get_full_path()}"
        query = urlencode({"redirect_uri": here})
        return HttpResponseRedirect(f"{settings.ACCESS_URL.rstrip('/')}/api/v2/applications/auth-redirect?{query}")
    except rbac.NotFound:
        return HttpResponse("Application not found.", status=404, content_type="text/plain")
    return await forward(request, target, "", rest)


def _error(message: str, detail: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"message": message, "detail": detail, "validations": []}, status=status)


def auth_redirect(request):
    """`GET /api/v2/applications/auth-redirect?redirect_uri=` (Coder's): send a logged-in
    user back to a subdomain app with a handshake token for that app's host only."""
    if request.method != "GET":
        return _error("Method not allowed.", f"{request.method} is not supported here; use GET.", 405)
    wildcard = config.get("CODER_WILDCARD_ACCESS_URL")
    if not wildcard:
        return _error("Subdomain apps are not enabled.", "CODER_WILDCARD_ACCESS_URL is not set.", 404)
    redirect_uri = request.GET.get("redirect_uri", "")
    try:
        parts = urlsplit(redirect_uri)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        parts = None
    # The app's scheme is the portal's (no handshake token over plain HTTP for an HTTPS portal).
    app = parse_host(parts.netloc, wildcard) if parts is not None and parts.scheme == _access_scheme() else None
    if app is None or parts.username or parts.password:
        return _error("Invalid redirect_uri.", "The redirect URI must be a workspace app on the wildcard access URL.")
    subject = rbac.request_subject(request)
    if subject.user_id is None:
        return redirect_to_login(request.get_full_path())
    user = request.user if getattr(request.user, "pk", None) == subject.user_id else _user(subject.user_id)
    sealed = app_tokens.issue_handshake(user, host=parts.hostname, login_type=user.login_type)
    query = parts.query + ("&" if parts.query else "") + urlencode({app_tokens.HANDSHAKE_PARAM: sealed})
    return HttpResponseRedirect(parts._replace(query=query, fragment="").geturl())


def _user(user_id):
    from accounts.models import User

    return User.objects.get(pk=user_id)
