"""Browser sessions around a login: the `coder_session_token` cookie, SSO login audit, logout.

After an SSO login (allauth's `post_login`) the user becomes active (dormant users wake up on
login, as in Coder), an API session key is issued and set as the `coder_session_token`
cookie so the same browser can call `/api/v2`, and the login is audited (action `login` on
resource `api_key`, with the login type). The password form on `/login` gets its key from
`accounts.services.auth.login` and only uses `set_session_cookie` from here.
"""
from __future__ import annotations

from django.db import transaction

from accounts.models import APIKey, User
from accounts.models.users import UserStatus
from accounts.services import audit, auth, tokens
from coderportal.api.authentication import SESSION_TOKEN_COOKIE, session_cookie_settings


def request_actor(request, user=None) -> audit.Actor:
    from accounts.rbac import subject_for

    return audit.Actor(user=user, subject=subject_for(user) if user is not None else None,
                       ip=request.META.get("REMOTE_ADDR"),
                       user_agent=request.META.get("HTTP_USER_AGENT", ""),
                       request_id=request.META.get("HTTP_X_REQUEST_ID", ""))


def set_session_cookie(response, key, token: str):
    response.set_cookie(SESSION_TOKEN_COOKIE, token, max_age=key.lifetime_seconds, **session_cookie_settings())
    return response


def finish_login(request, response, user, *, login_type: str):
    """Activate, issue the API session key, audit; returns `response` carrying the cookie."""
    with transaction.atomic():
        if user.status == UserStatus.DORMANT:
            User.objects.filter(pk=user.pk).update(status=UserStatus.ACTIVE)
            user.status = UserStatus.ACTIVE
        key, token = tokens.issue(user, login_type=login_type, ip=request.META.get("REMOTE_ADDR"))
        audit.record(request_actor(request, user), "login", "api_key", resource_id=user.id, target=user.username,
                     changes=audit.diff({}, tokens.key_snapshot(key)), status_code=201,
                     additional={"login_type": login_type})
    return set_session_cookie(response, key, token)


def record_refused_login(request, *, login_type: str, target: str, reason: str, user=None,
                         status_code: int = 403) -> None:
    """Audit a refused SSO login (policy, suspended account): no key is issued."""
    audit.record(request_actor(request, user), "login", "api_key", resource_id=getattr(user, "pk", None),
                 target=target[:256], status_code=status_code,
                 additional={"login_type": login_type, "reason": reason}, user=user, description=reason)


def end_session(request, response):
    """Logout: delete the caller's API key named by the cookie (audited) and clear the cookie."""
    key_id = request.COOKIES.get(SESSION_TOKEN_COOKIE, "").partition("-")[0]
    if request.user.is_authenticated:
        # Only the caller's own session key: a stale cookie cannot delete someone else's.
        key = APIKey.objects.filter(pk=key_id, user=request.user, token_name="").first() if key_id else None
        auth.logout(actor=request_actor(request, request.user), key=key)
    response.delete_cookie(SESSION_TOKEN_COOKIE, samesite="Lax")
    return response
