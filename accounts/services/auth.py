"""Password login and logout with session keys, and the authentication methods on offer.

Login is audited as Coder does (`login` on `api_key`), failures included with status 401,
so that guessing shows in the audit log. The session key's secret is never recorded.
"""
from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import rbac
from accounts.backends import PortalModelBackend
from accounts.models import APIKey, User
from accounts.models.users import LoginType, UserStatus
from accounts.services import audit, tokens
from accounts.services.audit import Actor
from accounts.services.errors import Unauthenticated
from coderportal import config

INCORRECT = "Incorrect email or password."
SUSPENDED = "Your account is suspended. Contact an admin to reactivate your account."


def _find(login: str) -> User | None:
    return User.objects.filter(Q(email__iexact=login) | Q(username__iexact=login), deleted=False).first()


def _password_login_permitted(user: User) -> bool:
    """With password auth disabled, only site owners keep it so they cannot be locked out.
    "Owner" is asked of the engine as the site-wide right to change deployment settings."""
    if not config.get_bool("CODER_DISABLE_PASSWORD_AUTH"):
        return True
    return rbac.can(rbac.subject_for(user), "update", rbac.RbacObject(type="deployment_config"))


def _refuse(actor: Actor, user: User | None, login: str, message: str, status: int = 401):
    audit.record(actor, "login", "api_key", target=user.username if user else login[:256], user=user,
                 status_code=status, description=message)
    if status == 403:
        raise rbac.Forbidden(message)
    raise Unauthenticated(message)


def login(email: str, password: str, *, actor: Actor) -> tuple[APIKey, str]:
    """Check credentials and issue a session key; raise Unauthenticated (401) or Forbidden (403).

    Refusals are audited outside any transaction so they are kept although the request fails.
    """
    # The same password check as the admin login page, without other backends' side effects.
    user = PortalModelBackend().authenticate(None, username=email, password=password)
    if user is None:
        found = _find(email)
        # Say "suspended" only to someone who knows the password: no account-status oracle.
        if found is not None and not found.is_active and found.check_password(password):
            _refuse(actor, found, email, SUSPENDED)
        _refuse(actor, found, email, INCORRECT)
    if user.login_type != LoginType.PASSWORD:
        _refuse(actor, user, email, f"Incorrect login type, attempting to use password but user is of login "
                                    f"type {user.login_type!r}.", status=403)
    if not _password_login_permitted(user):
        _refuse(actor, user, email, "Password authentication is disabled. Only administrators can sign in "
                                    "with password authentication.", status=403)
    with transaction.atomic():
        key, plaintext = tokens.issue(user, login_type=LoginType.PASSWORD, ip=actor.ip)
        updates = {"last_seen_at": timezone.now()}
        if user.status == UserStatus.DORMANT:  # Coder: dormant users become active on login
            updates["status"] = UserStatus.ACTIVE
        User.objects.filter(pk=user.pk).update(**updates)
        audit.record(actor, "login", "api_key", resource_id=user.id, target=user.username, user=user,
                     changes=audit.diff({}, tokens.key_snapshot(key)), status_code=201)
    return key, plaintext


def logout(*, actor: Actor, key: APIKey | None) -> None:
    """Delete the session key the request used (cookie-less sessions are ended by the view),
    and, as Coder does, the user's subdomain-app keys (session keys scoped to
    `application_connect`): logging out of the portal logs out of its apps."""
    with transaction.atomic():
        owner_id = key.user_id if key is not None else (actor.user.pk if actor.user else None)
        if key is not None:
            APIKey.objects.filter(pk=key.id).delete()
        if actor.user is not None:
            APIKey.objects.filter(user=actor.user, token_name="", scope="application_connect").delete()
        audit.record(actor, "logout", "api_key", resource_id=owner_id,
                     target=actor.user.username if actor.user else "")


def auth_methods() -> dict:
    """Coder's AuthMethods, read from the deployment configuration."""
    oidc = bool(config.get("CODER_OIDC_ISSUER_URL") and config.get("CODER_OIDC_CLIENT_ID"))
    return {
        "terms_of_service_url": "",
        "password": {"enabled": not config.get_bool("CODER_DISABLE_PASSWORD_AUTH")},
        "github": {"enabled": bool(config.get("CODER_OAUTH2_GITHUB_CLIENT_ID")),
                   "default_provider_configured": False},
        "oidc": {"enabled": oidc, "signInText": config.get("CODER_OIDC_SIGN_IN_TEXT"),
                 "iconUrl": config.get("CODER_OIDC_ICON_URL")},
    }
