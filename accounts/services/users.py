"""Users: Coder's username rules, creation, the first-user bootstrap, lookup and search, and the
mutations of `/users/{user}` (profile, status, password, site roles, soft delete).

Lookups return users with their site roles and memberships prefetched, so serializing any
number of users costs a constant number of queries.
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime
from datetime import timezone as dt_timezone

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.db.models.functions import Lower
from django.utils.dateparse import parse_datetime

from accounts import rbac, signals
from accounts.models import APIKey, Group, Organization, OrganizationMember, Role, User
from accounts.models.users import LoginType, UserStatus
from accounts.rbac import builtin_roles
from accounts.services import audit, organizations
from accounts.services.audit import Actor
from accounts.services.errors import Conflict, ValidationFailed

USERNAME_RE = re.compile(r"^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$")
USER_AUDIT_FIELDS = ("username", "email", "name", "avatar_url", "status", "login_type")
NAME_MAX_LENGTH = 128
CREATABLE_STATUSES = (UserStatus.ACTIVE, UserStatus.DORMANT)


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
    _authorize_create(actor, rbac.RbacObject(type="user"))
    validate_new_user(username, email, password, login_type)
    _validate_profile_fields(name=name, status=status)
    orgs = _organizations(organization_ids)
    for org in orgs:
        if not rbac.can(actor.subject, "read", org):  # unreadable is indistinguishable from unknown
            raise ValidationFailed("Validation failed.", {"organization_ids": "Unknown organization id."})
        _authorize_create(actor, rbac.RbacObject(type="organization_member", org_id=org.id))
    with transaction.atomic():
        user = _create(username, email, password, name=name, login_type=login_type, status=status,
                       organizations_=orgs)
        audit.record(actor, "create", "user", resource_id=user.id, target=user.username,
                     changes=audit.diff({}, {**audit.snapshot(user, USER_AUDIT_FIELDS),
                                             **({"password": "set"} if password else {})}))
        signals.user_created.send(sender=User, user=user, actor=actor)
    return user


def _organizations(organization_ids) -> list[Organization]:
    if not organization_ids:
        return [organizations.default_organization()]
    found = list(Organization.objects.filter(id__in=set(organization_ids)))
    if len(found) != len(set(map(str, organization_ids))):
        raise ValidationFailed("Validation failed.", {"organization_ids": "Unknown organization id."})
    return found


def has_first_user() -> bool:
    return User.objects.filter(deleted=False).exists()


def create_first_user(*, username: str, email: str, password: str, name: str = "", actor: Actor | None = None):
    """Bootstrap: the first user becomes site owner and joins the default organization."""
    if has_first_user():
        raise Conflict("The initial user has already been created.")
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


# --- shared checks ------------------------------------------------------------------------
def _authorize_create(actor: Actor, obj) -> None:
    """Creating something that does not exist yet: refusal is 403 (there is nothing to hide)."""
    if not rbac.can(actor.subject, "create", obj):
        raise rbac.Forbidden(f"Not allowed to create this {obj.type}.")


def _validate_profile_fields(*, name: str = "", status: str = UserStatus.DORMANT) -> None:
    errors = {}
    if len(name or "") > NAME_MAX_LENGTH:
        errors["name"] = f"Name must be at most {NAME_MAX_LENGTH} characters."
    if status not in CREATABLE_STATUSES:
        errors["user_status"] = f"Must be one of {', '.join(CREATABLE_STATUSES)}."
    if errors:
        raise ValidationFailed("Validation failed.", errors)


def _is_self(actor: Actor, user: User) -> bool:
    return actor.user is not None and actor.user.pk == user.pk


def _guard_privileged(actor: Actor, user: User) -> None:
    """Nobody may take over (suspend, delete, re-password, rename) a user holding a site role
    they could not grant themselves: a user admin cannot lock out or impersonate an owner."""
    for role in user.site_roles.all():
        if not rbac.can_assign(actor.subject, role.name, custom=not role.builtin):
            raise rbac.Forbidden(f"You cannot modify a user with the {role.name!r} role.")


# --- lookup and search --------------------------------------------------------------------
def with_relations(queryset):
    """Prefetch what the User JSON needs (site roles, organization ids): constant query count."""
    return queryset.prefetch_related(
        "site_roles",
        Prefetch("memberships", queryset=OrganizationMember.objects.only("id", "user_id", "organization_id")))


def get_user(ident: str, *, actor: Actor) -> User:
    """`{user}` path parameter: `me`, a UUID or a username; unreadable or missing is NotFound."""
    users = with_relations(User.objects.filter(deleted=False))
    if ident == "me":
        if actor.user is None:
            raise rbac.NotFound()
        query = Q(pk=actor.user.pk)
    else:
        try:
            query = Q(pk=uuid.UUID(ident))
        except ValueError:
            query = Q(username__iexact=ident)
    user = users.filter(query).first()
    if user is None:
        raise rbac.NotFound()
    rbac.authorize(actor.subject, "read", user)
    return user


SEARCH_KEYS = {"search", "status", "role", "login_type", "last_seen_before", "last_seen_after",
               "created_before", "created_after"}


def _values(terms: dict, key: str, allowed=None) -> list[str]:
    values = [v.strip() for v in terms[key].split(",") if v.strip()]
    if not values:
        raise ValidationFailed("Invalid search query.", {key: "A value is required."})
    bad = [v for v in values if allowed is not None and v not in allowed]
    if bad:
        raise ValidationFailed("Invalid search query.",
                               {key: f"{', '.join(bad)}: must be one of {', '.join(allowed)}."})
    return values


def _timestamp(terms: dict, key: str) -> datetime:
    try:
        value = parse_datetime(terms[key])
    except ValueError:
        value = None
    if value is None:
        raise ValidationFailed("Invalid search query.", {key: "Must be an RFC3339 timestamp."})
    return value if value.tzinfo else value.replace(tzinfo=dt_timezone.utc)


def search_users(*, actor: Actor, terms: dict, after_id=None):
    """Users the actor may read matching Coder's `q=` terms, ordered by username; `after_id`
    (a readable user's id) starts the page after that user, as Coder's cursor does."""
    users = rbac.filter_queryset(actor.subject, "read", User.objects.filter(deleted=False))
    if after_id is not None:
        after = users.filter(pk=after_id).values_list("username", flat=True).first()
        if after is None:
            raise ValidationFailed("Invalid after_id.", {"after_id": "No such user."})
        users = users.annotate(username_lower=Lower("username")).filter(username_lower__gt=after.lower())
    if "search" in terms:
        users = users.filter(Q(username__icontains=terms["search"]) | Q(email__icontains=terms["search"]))
    if "status" in terms:
        users = users.filter(status__in=_values(terms, "status", UserStatus.values))
    if "login_type" in terms:
        users = users.filter(login_type__in=_values(terms, "login_type", LoginType.values))
    if "role" in terms:
        names = set(_values(terms, "role"))
        if builtin_roles.MEMBER not in names:  # the implicit role matches everyone
            holders = User.site_roles.through.objects.filter(role__name__in=names, role__organization=None)
            users = users.filter(pk__in=holders.values("user_id"))
    for key, lookup in (("last_seen_before", "last_seen_at__lt"), ("last_seen_after", "last_seen_at__gt"),
                        ("created_before", "created_at__lt"), ("created_after", "created_at__gt")):
        if key in terms:
            users = users.filter(**{lookup: _timestamp(terms, key)})
    return with_relations(users.order_by(Lower("username"), "id"))


def login_type(user: User, *, actor: Actor) -> str:
    rbac.authorize(actor.subject, "read_personal", user)
    return user.login_type


def user_roles(user: User, *, actor: Actor) -> dict:
    """Coder's UserRoles: explicit site roles, and org roles in organizations the actor can read."""
    readable = set(rbac.filter_queryset(actor.subject, "read", Organization.objects.filter(memberships__user=user))
                   .values_list("id", flat=True))
    org_roles = {}
    memberships = OrganizationMember.objects.filter(user=user, organization_id__in=readable)
    for membership in memberships.prefetch_related("roles"):
        org_roles[str(membership.organization_id)] = sorted(r.name for r in membership.roles.all())
    return {"roles": sorted(r.name for r in user.site_roles.all()), "organization_roles": org_roles}


def user_organizations(user: User, *, actor: Actor):
    orgs = Organization.objects.filter(memberships__user=user)
    return rbac.filter_queryset(actor.subject, "read", orgs).order_by("name")


# --- mutations ----------------------------------------------------------------------------
def update_profile(user: User, *, actor: Actor, username: str, name: str | None = None) -> User:
    rbac.authorize(actor.subject, "update_personal", user)
    if not _is_self(actor, user):
        _guard_privileged(actor, user)
    errors = {}
    if (message := username_error(username)) is not None:
        errors["username"] = message
    if name is not None and len(name) > NAME_MAX_LENGTH:
        errors["name"] = f"Name must be at most {NAME_MAX_LENGTH} characters."
    if errors:
        raise ValidationFailed("Validation failed.", errors)
    if User.objects.filter(username__iexact=username, deleted=False).exclude(pk=user.pk).exists():
        raise Conflict("A user with this username already exists.",
                       validations={"username": "This username is already in use."})
    old = audit.snapshot(user, ("username", "name"))
    user.username = username
    if name is not None:
        user.name = name
    try:
        with transaction.atomic():
            user.save(update_fields=["username", "name", "updated_at"])
            audit.record(actor, "write", "user", resource_id=user.id, target=user.username,
                         changes=audit.diff(old, audit.snapshot(user, ("username", "name"))))
    except IntegrityError:
        raise Conflict("A user with this username already exists.") from None
    return user


def set_status(user: User, status: str, *, actor: Actor) -> User:
    """Suspend or activate. Suspension deletes nothing: authentication refuses inactive users."""
    rbac.authorize(actor.subject, "update", user)
    if status == UserStatus.SUSPENDED and _is_self(actor, user):
        raise ValidationFailed("You cannot suspend yourself.")
    _guard_privileged(actor, user)
    if user.status == status:
        return user
    old = user.status
    with transaction.atomic():
        user.status = status
        user.save(update_fields=["status", "updated_at"])
        audit.record(actor, "write", "user", resource_id=user.id, target=user.username,
                     changes=audit.diff({"status": old}, {"status": status}))
        if status == UserStatus.SUSPENDED:
            signals.user_suspended.send(sender=User, user=user, actor=actor)
        elif old == UserStatus.SUSPENDED:
            signals.user_activated.send(sender=User, user=user, actor=actor)
    return user


def delete_user(user: User, *, actor: Actor) -> None:
    """Soft delete: the row stays for history; keys, memberships and group memberships go."""
    rbac.authorize(actor.subject, "delete", user)
    if _is_self(actor, user):
        raise rbac.Forbidden("You cannot delete yourself!")
    _guard_privileged(actor, user)
    with transaction.atomic():
        APIKey.objects.filter(user=user).delete()
        for group in Group.objects.filter(auth_group__user=user).select_related("auth_group"):
            group.auth_group.user_set.remove(user)
        OrganizationMember.objects.filter(user=user).delete()
        user.deleted = True
        user.save(update_fields=["deleted", "updated_at"])
        audit.record(actor, "delete", "user", resource_id=user.id, target=user.username,
                     changes=audit.diff({"deleted": False}, {"deleted": True}))
        signals.user_deleted.send(sender=User, user=user, actor=actor)


def change_password(user: User, *, actor: Actor, password: str, old_password: str = "",
                    current_key_id: str | None = None) -> None:
    """Your own password needs the old one; a user admin may reset others' (not an owner's).

    Login sessions of the user end, except the one making the request: whoever knew the old
    password is logged out. Named API tokens are explicit credentials and stay.
    """
    rbac.authorize(actor.subject, "update_personal", user)
    if _is_self(actor, user):
        if not old_password:
            raise ValidationFailed("Old password is required.", {"old_password": "Old password is required."})
        if not user.check_password(old_password):
            raise ValidationFailed("Old password is incorrect.", {"old_password": "Old password is incorrect."})
    else:
        _guard_privileged(actor, user)
    if user.login_type != LoginType.PASSWORD:
        raise ValidationFailed("Users without password login type cannot change their password.")
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed("Invalid password.", {"password": " ".join(exc.messages)}) from None
    if user.check_password(password):
        raise ValidationFailed("Invalid password.", {"password": "New password cannot match old password."})
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password", "updated_at"])
        APIKey.objects.filter(user=user, token_name="").exclude(pk=current_key_id or "").delete()
        audit.record(actor, "write", "user", resource_id=user.id, target=user.username,
                     changes=audit.diff({"password": "old"}, {"password": "new"}))


def assignable_site_roles(*, actor: Actor) -> list[tuple[Role, bool]]:
    """Site roles (built-in and custom) with whether the actor may assign each; `member` is implicit."""
    roles = Role.objects.filter(organization=None, is_org_role=False).exclude(name=builtin_roles.MEMBER)
    return rbac.assignable_roles(actor.subject, roles)


def set_site_roles(user: User, role_names, *, actor: Actor) -> User:
    """Replace a user's site roles (Coder's PUT /users/{user}/roles); each change must be assignable."""
    rbac.authorize(actor.subject, "read", user)
    names = {n for n in role_names if n != builtin_roles.MEMBER}
    roles = {r.name: r for r in Role.objects.filter(organization=None, is_org_role=False, name__in=names)}
    unknown = sorted(names - set(roles))
    if unknown:
        raise ValidationFailed("Validation failed.", {"roles": f"Unknown site roles: {', '.join(unknown)}."})
    current = {r.name: r for r in user.site_roles.all()}
    changed = [roles.get(n) or current.get(n) for n in set(roles) ^ set(current)]
    if changed and _is_self(actor, user):
        raise rbac.Forbidden("You cannot change your own roles.")
    for role in changed:
        if not rbac.can_assign(actor.subject, role.name, custom=not role.builtin):
            raise rbac.Forbidden(f"Not allowed to assign or revoke the role {role.name!r}.")
    if changed:
        with transaction.atomic():
            user.site_roles.set(roles.values())
            audit.record(actor, "write", "user", resource_id=user.id, target=user.username,
                         changes=audit.diff({"roles": sorted(current)}, {"roles": sorted(roles)}))
    return with_relations(User.objects.filter(pk=user.pk)).get()
