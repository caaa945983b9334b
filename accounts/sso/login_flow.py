"""The SSO login, step by step, as called from the allauth adapters.

1. `admit` (allauth `pre_social_login`): apply the provider's policy — verified email, email
   domain allow-list (OIDC), org/team allow-list (GitHub) — link a new SSO identity to the
   existing user with the same *verified* email, refuse suspended users. Raises LoginRefused.
2. `create_user` (allauth `save_user`, first login only): a new active user with login type
   `oidc`/`github`, a valid unique username, a member of the default organization.
3. `sync_from_claims` (allauth `pre_login`, every login): name/avatar refresh, OIDC group and
   role sync.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from allauth.account.utils import user_email
from django.db import transaction

from accounts.models import User
from accounts.models.organizations import GroupSource
from accounts.models.users import LoginType, UserStatus
from accounts.services import audit, organizations
from accounts.services.groups import sync_user_groups
from accounts.services.users import USER_AUDIT_FIELDS

from . import github, role_sync, usernames
from .policy import (
    LoginRefused,
    Policy,
    check_email_domain,
    check_email_verified,
    check_github_membership,
    claim_values,
    map_groups,
    map_roles,
)
from .session import request_actor

log = logging.getLogger(__name__)
ATTR = "portal_admission"
SUSPENDED_MESSAGE = "Your account is suspended. Contact an admin to reactivate it."


@dataclass
class Admission:
    login_type: str
    email: str
    email_verified: bool
    policy: Policy
    claims: dict = field(default_factory=dict)


def admission_of(sociallogin) -> Admission | None:
    return getattr(sociallogin, ATTR, None)


def login_type_of(provider) -> str:
    return LoginType.GITHUB if provider.id == "github" else LoginType.OIDC


def oidc_claims(extra_data: dict) -> dict:
    """ID-token claims overlaid with userinfo claims (userinfo is fresher and usually richer)."""
    if "userinfo" in extra_data or "id_token" in extra_data:
        return {**(extra_data.get("id_token") or {}), **(extra_data.get("userinfo") or {})}
    return dict(extra_data)


def admit(request, sociallogin) -> Admission:
    provider = sociallogin.provider or sociallogin.account.get_provider(request)
    policy = Policy.from_app_settings(provider.app.settings if provider.app else {})
    login_type = login_type_of(provider)
    if login_type == LoginType.GITHUB:
        admission = _admit_github(sociallogin, policy)
    else:
        admission = _admit_oidc(sociallogin, policy)
    setattr(sociallogin, ATTR, admission)
    if sociallogin.is_existing:
        _refuse_if_inactive(sociallogin.user)
    else:
        _link_existing_user(request, sociallogin, admission)
    return admission


def _admit_oidc(sociallogin, policy: Policy) -> Admission:
    claims = oidc_claims(sociallogin.account.extra_data or {})
    email = str(claims.get("email") or "").strip()
    if not email:
        raise LoginRefused("Your identity provider did not return an email address; one is required to log in.")
    check_email_verified(claims, email)
    check_email_domain(email, policy.email_domains)
    verified = claims.get("email_verified") in (True, "true", "True")
    return Admission(LoginType.OIDC, email, verified, policy, claims)


def _admit_github(sociallogin, policy: Policy) -> Admission:
    from allauth.socialaccount.adapter import get_adapter

    token = sociallogin.token.token if sociallogin.token else ""
    with get_adapter().get_requests_session() as session:
        if not policy.allow_everyone:
            orgs = github.org_logins(github.fetch_org_memberships(session, token))
            teams = github.team_slugs(github.fetch_teams(session, token)) if policy.allowed_teams else []
            check_github_membership(policy, orgs, teams)
        else:
            check_github_membership(policy, [], [])
        email = next((e.email for e in sociallogin.email_addresses if e.primary and e.verified), None)
        if email is None:
            email = github.primary_verified_email(github.fetch_emails(session, token))
    if not email:
        raise LoginRefused("Your GitHub account has no verified primary email address.")
    if not any(e.email.lower() == email.lower() for e in sociallogin.email_addresses):
        # Fetched here rather than by allauth: record it so allauth's auto-signup sees it too.
        sociallogin.email_addresses.insert(0, EmailAddress(email=email, verified=True, primary=True))
        user_email(sociallogin.user, email)
    return Admission(LoginType.GITHUB, email, True, policy, dict(sociallogin.account.extra_data or {}))


def _refuse_if_inactive(user) -> None:
    if user.deleted or user.status == UserStatus.SUSPENDED:
        raise LoginRefused(SUSPENDED_MESSAGE)


def _link_existing_user(request, sociallogin, admission: Admission) -> None:
    """A first SSO login whose email belongs to an existing user logs in as that user — only
    when the provider verified the address, or anyone could claim any account by email."""
    user = User.objects.filter(email__iexact=admission.email, deleted=False).first()
    if user is None:
        return
    if not admission.email_verified:
        raise LoginRefused(f"An account with the email {admission.email!r} already exists, and your identity "
                           f"provider has not verified that address, so it cannot be linked.")
    _refuse_if_inactive(user)
    with transaction.atomic():
        sociallogin.connect(request, user)
        audit.record(request_actor(request, user), "write", "user", resource_id=user.id, target=user.username,
                     additional={"linked_login_type": admission.login_type,
                                 "provider": sociallogin.account.provider},
                     description="SSO identity linked by verified email")


def create_user(request, sociallogin) -> User:
    admission = admission_of(sociallogin)
    data = admission.claims
    user = sociallogin.user
    base = usernames.base_username(data.get("preferred_username"), data.get("login"), admission.email)
    with transaction.atomic():
        user.username = usernames.unique_username(base)
        user.email = admission.email
        user.name, user.avatar_url = _profile(data)
        user.login_type = admission.login_type
        user.status = UserStatus.ACTIVE
        user.set_unusable_password()
        sociallogin.save(request)
        organizations.join_default_organization(user)
        audit.record(request_actor(request, user), "create", "user", resource_id=user.id, target=user.username,
                     status_code=201, changes=audit.diff({}, audit.snapshot(user, USER_AUDIT_FIELDS)),
                     description=f"created by {admission.login_type} login")
    return user


def _profile(data: dict) -> tuple[str, str]:
    """(name, avatar URL) from the claims; an avatar that is not a plain http(s) URL is dropped."""
    avatar = str(data.get("picture") or data.get("avatar_url") or "")
    avatar = avatar if avatar.startswith(("https://", "http://")) and len(avatar) <= 512 else ""
    return str(data.get("name") or "")[:128], avatar


def refresh_profile(user, admission: Admission) -> None:
    """Name and avatar follow the identity provider on every login (Coder); empty claims keep
    what the user has."""
    name, avatar = _profile(admission.claims)
    updates = {f: v for f, v in (("name", name), ("avatar_url", avatar)) if v and getattr(user, f) != v}
    if not updates:
        return
    old = audit.snapshot(user, tuple(updates))
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(**updates)
        for field_name, value in updates.items():
            setattr(user, field_name, value)
        audit.record(audit.Actor.system(), "write", "user", resource_id=user.id, target=user.username,
                     changes=audit.diff(old, updates), description=f"profile from {admission.login_type} login")


def sync_from_claims(user, sociallogin) -> None:
    """Profile refresh on every SSO login; OIDC group and role sync when the policy enables them."""
    admission = admission_of(sociallogin)
    if admission is None:
        return
    refresh_profile(user, admission)
    if admission.login_type != LoginType.OIDC:
        return
    policy = admission.policy
    if policy.group_field:
        names = claim_values(admission.claims, policy.group_field)
        organization = organizations.default_organization()
        if names is None:
            log.warning("group sync: claim %r missing for %s; groups left unchanged", policy.group_field,
                        user.username)
        elif not user.memberships.filter(organization=organization).exists():
            # An administrator removed them from the default organization: sync must not undo that.
            log.warning("group sync: %s is not a member of %s; groups left unchanged", user.username, organization)
        else:
            sync_user_groups(user, organization, map_groups(names, policy.group_mapping),
                             source=GroupSource.OIDC, create_missing=policy.group_auto_create)
    if policy.user_role_field:
        roles = claim_values(admission.claims, policy.user_role_field)
        if roles is None:
            log.warning("role sync: claim %r missing for %s; roles left unchanged", policy.user_role_field,
                        user.username)
        else:
            role_sync.sync_site_roles(user, map_roles(roles, policy.user_role_mapping))
