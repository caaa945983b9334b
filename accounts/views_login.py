"""The browser login page `/login` (password form + SSO buttons) and `/logout`.

The password form goes through `accounts.services.auth.login` (credential, login-type and
disabled-password checks, audit, session key) and then opens a Django session for the admin;
SSO buttons go through allauth (see `accounts.sso`). Both set the `coder_session_token`
cookie so the browser can also call `/api/v2`.
"""
from __future__ import annotations

from django.contrib.auth import login, logout
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts import rbac
from accounts.services import auth
from accounts.services.errors import Unauthenticated
from accounts.sso import session
from coderportal import config
from coderportal.api.throttling import LoginRateThrottle

DEFAULT_NEXT = "/admin/"


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return DEFAULT_NEXT


def _page(request, status=200, **context):
    context.setdefault("next", _next(request))
    # With password auth disabled the form is hidden, but administrators (who keep password
    # login to avoid lock-out) can reveal it with /login?password=1.
    context.setdefault("password_enabled", not config.get_bool("CODER_DISABLE_PASSWORD_AUTH")
                       or "password" in request.GET or request.method == "POST")
    return render(request, "accounts/login.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def login_page(request):
    if request.method != "POST":
        return _page(request)
    # The same per-IP limit as POST /api/v2/users/login, so the form is no side door.
    if not LoginRateThrottle().allow_request(request, None):
        return _page(request, status=429, error="Too many login attempts. Try again in a minute.")
    username = request.POST.get("username", "").strip()
    try:
        key, token = auth.login(username, request.POST.get("password", ""),
                                actor=session.request_actor(request))
    except Unauthenticated as refused:
        return _page(request, status=401, error=refused.message, username=username)
    except rbac.Forbidden as refused:
        return _page(request, status=403, error=str(refused), username=username)
    login(request, key.user, backend="accounts.backends.PortalModelBackend")
    return session.set_session_cookie(HttpResponseRedirect(_next(request)), key, token)


@require_POST
def logout_page(request):
    response = session.end_session(request, HttpResponseRedirect("/login"))
    logout(request)
    return response
