"""Users: validation of Coder's username rules, creation, and the first-user bootstrap."""
from __future__ import annotations

import re

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from accounts import rbac
from accounts.models import Organization, Role, User
from accounts.models.users import LoginType, UserStatus
from accounts.rbac import builtin_roles
from accounts.services import audit, organizations
from accounts.services.audit import Actor
from accounts.services.errors import Conflict, ValidationFailed

USERNAME_RE = re.compile(r"^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$")
USER_AUDIT_FIELDS = ("username", "email", "name", "avatar_url", "status", "login_type")


def username_error(username: str) -> str | None:
    """Coder's rules: 1–32 characters, letters, digits and single hyphens, no leading/trailing hyphen."""
    if not isinstance(username, str) or not username:
        return "Username is required."
    if len(username) > 32:
        return "Username must be at most 32 characters."
    if not USERNAME_RE.match(username):
        return "Username must be alphanumeric with hyphens, and must not start or end with a hyphen."
    if username.lower() in {"me", "new", "create"}:
        return f"Username {username!r} is reserved."
    return None


def validate_new_user(username: str, email: str, password: str | None, login_type: str) -> None:
    errors: dict[str, str] = {}
    if (message := username_error(username)) is not None:
        errors["username"] = message
    try:
        validate_email(email or "")
    except DjangoValidationError:
        errors["email"] = "Must be a valid email address."
    if login_type not in LoginType.values:
        errors["login_type"] = f"Must be one of {', '.join(LoginType.values)}."
    if login_type == LoginType.PASSWORD:
        if not password:
            errors["password"] = "A password is required for login_type password."
        else:
            try:
                password_validation.validate_password(password)
            except DjangoValidationError as exc:
                errors["password"] = " ".join(exc.messages)
    elif password:
        errors["password"] = f"A password cannot be set for login_type {login_type!r}."
    if errors:
        raise ValidationFailed("Validation failed.", errors)
    if User.objects.filter(username__iexact=username, deleted=False).exists():
        raise Conflict("User already exists.", validations={"username": "This username is already in use."})
    if User.objects.filter(email__iexact=email, deleted=False).exists():
        raise Conflict("User already exists.", validations={"email": "This email is already in use."})


def _create(username, email, password=None, *, name="", login_type=LoginType.PASSWORD,
            status=UserStatus.DORMANT, site_roles=(), organizations_=()) -> User:
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password, name=name,
                                            login_type=login_type, status=status)
            if site_roles:
                user.site_roles.set(Role.objects.filter(name__in=site_roles, organization=None, is_org_role=False))
            for org in organizations_:
                organizations._add_member(org, user)
    except IntegrityError:
        raise Conflict("User already exists.") from None
    return user


def create_user(*, actor: Actor, username: str, email: str, password: str | None = None, name: str = "",
                login_type: str = LoginType.PASSWORD, status: str = UserStatus.DORMANT,
                organization_ids=None) -> User:
    rbac.authorize(actor.subject, "create", rbac.RbacObject(type="user"))
    validate_new_user(username, email, password, login_type)
    orgs = _organizations(organization_ids)
    with transaction.atomic():
        user = _create(username, email, password, name=name, login_type=login_type, status=status,
                       organizations_=orgs)
        audit.record(actor, "create", "user", resource_id=user.id, target=user.username,
                     changes=audit.diff({}, {**audit.snapshot(user, USER_AUDIT_FIELDS),
                                             **({"password": "set"} if password else {})}))
    return user


def _organizations(organization_ids) -> list[Organization]:
    if not organization_ids:
        return [organizations.default_organization()]
    found = list(Organization.objects.filter(id__in=organization_ids))
    if len(found) != len(set(map(str, organization_ids))):
        raise ValidationFailed("Validation failed.", {"organization_ids": "Unknown organization id."})
    return found


def has_first_user() -> bool:
    return User.objects.filter(deleted=False).exists()


def create_first_user(*, username: str, email: str, password: str, name: str = "", actor: Actor | None = None):
    """Bootstrap: the first user becomes site owner and joins the default organization."""
    validate_new_user(username, email, password, LoginType.PASSWORD)
    with transaction.atomic():
        # Serialize concurrent bootstraps: only the first may succeed.
        if User.objects.select_for_update().filter(deleted=False).exists():
            raise Conflict("The initial user has already been created.")
        org = organizations.default_organization()
        user = _create(username, email, password, name=name, status=UserStatus.ACTIVE,
                       site_roles=[builtin_roles.OWNER], organizations_=[org])
        audit.record(actor, "create", "user", resource_id=user.id, target=user.username, user=user,
                     changes=audit.diff({}, audit.snapshot(user, USER_AUDIT_FIELDS)), status_code=201,
                     description="first user")
    return user, org
