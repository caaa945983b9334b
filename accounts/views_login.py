"""The browser login pages: `/login` and `/logout`, and the admin's own login, logout and
password change routed through the same services.

Every password form goes through `accounts.services.auth.login` (throttle, credential,
login-type and disabled-password checks, audit, session key) and then opens a Django
session; SSO buttons go through allauth (see `accounts.sso`). Both set the
`coder_session_token` cookie so the browser can also call `/api/v2`. Logging out, from
either page, revokes that key; changing the password in the admin goes through
`accounts.services.users.change_password`, like the API (other sessions end, audited).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from accounts import rbac
from accounts.models import User
from accounts.services import auth, users
from accounts.services.errors import Unauthenticated, ValidationFailed
from accounts.sso import session
from coderportal import config
from coderportal.api.authentication import SESSION_TOKEN_COOKIE
from coderportal.api.throttling import LoginRateThrottle

DEFAULT_NEXT = "/admin/"


def _next(request) -> str:
    """Where to go after login: a path on this portal, or a URL on the access URL's host only
    (never the request's Host header, which a client chooses)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    access = urlsplit(settings.ACCESS_URL)
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={access.netloc},
                                                  require_https=access.scheme == "https"):
        return target
    return DEFAULT_NEXT


def _password_login(request):
    """(redirect response, "", 302) on success, else (None, reason, status)."""
    # The same per-IP limit as POST /api/v2/users/login, so no form is a side door.
    if not LoginRateThrottle().allow_request(request, None):
        return None, "Too many login attempts. Try again in a minute.", 429
    username = request.POST.get("username", "").strip()
    try:
        key, token = auth.login(username, request.POST.get("password", ""), actor=session.request_actor(request))
    except Unauthenticated as refused:
        return None, refused.message, 401
    except rbac.Forbidden as refused:
        return None, str(refused), 403
    login(request, key.user, backend="accounts.backends.PortalModelBackend")
    return session.set_session_cookie(HttpResponseRedirect(_next(request)), key, token), "", 302


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
    response, error, status = _password_login(request)
    if response is None:
        return _page(request, status=status, error=error, username=request.POST.get("username", "").strip())
    return response


@require_POST
def logout_page(request):
    response = session.end_session(request, HttpResponseRedirect("/login"))
    logout(request)
    return response


@never_cache
@csrf_protect
def admin_login(request, site, extra_context=None):
    """`/admin/login/`: Django's page (with the SSO buttons), but the form posts through the
    login service instead of Django's authentication form."""
    if request.method == "POST":
        response, error, status = _password_login(request)
        if response is not None:
            return response
        context = {**site.each_context(request), "title": "Log in", "app_path": request.get_full_path(),
                   "form": AuthenticationForm(request, initial={"username": request.POST.get("username", "")}),
                   "error": error, "next": _next(request), **(extra_context or {})}
        return TemplateResponse(request, "admin/login.html", context, status=status)
    if request.user.is_authenticated and site.has_permission(request):
        return HttpResponseRedirect(_next(request))
    context = {**site.each_context(request), "title": "Log in", "app_path": request.get_full_path(),
               "form": AuthenticationForm(request), "next": _next(request), **(extra_context or {})}
    return TemplateResponse(request, "admin/login.html", context)


@never_cache
@csrf_protect
def admin_password_change(request, site, extra_context=None):
    """`/admin/password_change/`: the API's password change (old password, policy, other
    sessions and keys revoked, audit row) behind Django's form and template."""
    user = User.objects.get(pk=request.user.pk)  # the model itself, not the request's lazy proxy
    form = PasswordChangeForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        current_key = request.COOKIES.get(SESSION_TOKEN_COOKIE, "").partition("-")[0] or None
        try:
            users.change_password(user, actor=session.request_actor(request, user),
                                  password=form.cleaned_data["new_password1"],
                                  old_password=form.cleaned_data["old_password"], current_key_id=current_key)
        except ValidationFailed as refused:
            _form_errors(form, refused)
        else:
            update_session_auth_hash(request, user)  # this browser stays signed in
            return HttpResponseRedirect(reverse("admin:password_change_done", current_app=site.name))
    context = {**site.each_context(request), "form": form, "title": "Password change",
               "form_url": "", **(extra_context or {})}
    request.current_app = site.name
    return TemplateResponse(request, "registration/password_change_form.html", context)


def _form_errors(form, refused: ValidationFailed) -> None:
    fields = {"old_password": "old_password", "password": "new_password1"}
    validations = refused.validations or {}
    for field, detail in validations.items():
        form.add_error(fields.get(field), detail)
    if not validations:
        form.add_error(None, refused.message)
