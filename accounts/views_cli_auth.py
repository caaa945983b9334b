"""`/cli-auth`: where `coderportal login` sends people. A signed-in user gets a fresh session
token to paste into the CLI (a POST, so a page load alone never mints one); anyone else is
sent to `/login` first. The token is created by `accounts.services.tokens` (authorized,
audited) and shown once: only its hash is stored."""
from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from accounts import rbac
from accounts.services import tokens
from accounts.sso import session


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def cli_auth(request):
    if not request.user.is_authenticated:
        return HttpResponseRedirect("/login?" + urlencode({"next": "/cli-auth"}))
    context = {"token": ""}
    if request.method == "POST":
        try:
            _, context["token"] = tokens.create_session_key(request.user,
                                                            actor=session.request_actor(request, request.user))
        except rbac.Forbidden as refused:
            return render(request, "accounts/cli_auth.html", {"error": str(refused)}, status=403)
    return render(request, "accounts/cli_auth.html", context)
