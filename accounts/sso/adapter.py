"""allauth adapters: portal accounts are created by admins or SSO, never by open signup.

The adapters only wire allauth's hooks to `login_flow` (policy, user creation, claim sync)
and `session` (API cookie, audit). Refusals render the login page with the reason.

Identity providers come from two places: the environment (settings-backed apps built by
`sso_settings`) and SocialApp rows managed in the Django admin. Both are offered; when both
define the same provider id ("oidc", "github"), the environment wins and the row is ignored,
so a deployment's configuration cannot be overridden from the admin by accident.
"""
from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.http import HttpResponseRedirect

from accounts.models.users import LoginType

from . import login_flow, session
from .policy import LoginRefused

LOGIN_URL = "/login"


def _sociallogin(kwargs: dict):
    return (kwargs.get("signal_kwargs") or {}).get("sociallogin")


def refusal_response(request, message: str, status: int = 403):
    from django.shortcuts import render

    return render(request, "accounts/login.html", {"error": message, "next": "/admin/"}, status=status)


class PortalAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False

    def pre_login(self, request, user, **kwargs):
        sociallogin = _sociallogin(kwargs)
        if sociallogin is None:
            # allauth's own password/code logins (/accounts/login/ ...) would bypass the checks
            # of accounts.services.auth.login (login type, disabled password auth): password
            # login happens on /login only.
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            return HttpResponseRedirect(LOGIN_URL)
        response = super().pre_login(request, user, **kwargs)
        if response is None:
            login_flow.sync_from_claims(user, sociallogin)
        return response

    def post_login(self, request, user, **kwargs):
        response = super().post_login(request, user, **kwargs)
        sociallogin = _sociallogin(kwargs)
        admission = login_flow.admission_of(sociallogin) if sociallogin is not None else None
        login_type = admission.login_type if admission is not None else LoginType.PASSWORD
        return session.finish_login(request, response, user, login_type=login_type)


class PortalSocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        # Only within the callback that admitted this identity: allauth's signup form (reached
        # when auto-signup cannot proceed) must never create accounts.
        return login_flow.admission_of(sociallogin) is not None

    def list_apps(self, request, provider=None, client_id=None):
        apps = super().list_apps(request, provider=provider, client_id=client_id)
        configured = {app.provider_id or app.provider for app in apps if app.pk is None}
        return [app for app in apps if app.pk is None or (app.provider_id or app.provider) not in configured]

    def pre_social_login(self, request, sociallogin):
        try:
            login_flow.admit(request, sociallogin)
        except LoginRefused as refused:
            existing = sociallogin.user if sociallogin.is_existing else None
            provider = sociallogin.provider or sociallogin.account.get_provider(request)
            session.record_refused_login(request, login_type=login_flow.login_type_of(provider),
                                         target=str(sociallogin.account.uid), reason=refused.message, user=existing)
            raise ImmediateHttpResponse(refusal_response(request, refused.message, refused.status_code)) from None

    def authenticate_by_email(self, sociallogin):
        # Linking by email is `login_flow.admit`'s decision (verified addresses only).
        return None

    def save_user(self, request, sociallogin, form=None):
        return login_flow.create_user(request, sociallogin)

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        # The default renders allauth's bare error page; the login page explains and offers a retry.
        message = "Single sign-on failed"
        if error:
            message += f" ({error})"
        raise ImmediateHttpResponse(refusal_response(request, message + ". Please try again.", status=400))
