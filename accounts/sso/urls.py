"""The allauth routes the portal serves under /accounts/: SSO provider login and callback only.

allauth's own pages (password login and reset, signup, email management, reauthentication,
connected accounts) are not mounted: password login lives on /login, accounts are made by
admins or SSO, and email changes go through the users API/admin (audited). The few page
names allauth reverses along an SSO login are kept, each sending the browser to the
portal's login page with the reason.
"""
from __future__ import annotations

from allauth.urls import build_provider_urlpatterns
from django.http import HttpResponseRedirect
from django.urls import path

from accounts.sso.adapter import LOGIN_URL, refusal_response


def _to_login(request):
    return HttpResponseRedirect(LOGIN_URL)


def _explained(message: str, status: int):
    return lambda request: refusal_response(request, message, status)


urlpatterns = [
    *build_provider_urlpatterns(),  # /accounts/oidc/<id>/login/(callback/), /accounts/github/login/(callback/)
    path("login/", _to_login, name="account_login"),
    path("logout/", _to_login, name="account_logout"),
    path("inactive/", _explained("Your account is suspended. Contact an admin to reactivate your account.", 403),
         name="account_inactive"),
    path("3rdparty/login/cancelled/", _explained("Single sign-on was cancelled.", 400),
         name="socialaccount_login_cancelled"),
    path("3rdparty/login/error/", _explained("Single sign-on failed. Please try again.", 400),
         name="socialaccount_login_error"),
    path("3rdparty/signup/", _explained("Single sign-on could not create an account for you.", 403),
         name="socialaccount_signup"),
]
