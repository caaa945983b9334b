"""Organizations and memberships: creation, the default organization, adding and removing members."""
from __future__ import annotations

from django.contrib.auth.models import Group as AuthGroup
from django.db import IntegrityError, transaction

from accounts import rbac
from accounts.models import Group, Organization, OrganizationMember, User
from accounts.services import audit
from accounts.services.audit import Actor
from accounts.services.errors import Conflict

DEFAULT_ORGANIZATION_NAME = "coder"
ORG_FIELDS = ("name", "display_name", "description", "icon")


def _create_everyone_group(org: Organization) -> Group:
    auth_group = AuthGroup.objects.create(name=f"org:{org.id}:Everyone")
    return Group.objects.create(id=org.id, organization=org, name=Group.EVERYONE, display_name="",
                                auth_group=auth_group)


def _create(name: str, display_name: str = "", description: str = "", icon: str = "",
            is_default: bool = False) -> Organization:
    if Organization.objects.filter(name__iexact=name).exists():
        raise Conflict("Organization already exists with that name.",
                       validations={"name": f"Organization {name!r} already exists."})
    try:
        with transaction.atomic():
            org = Organization.objects.create(name=name, display_name=display_name or name,
                                              description=description, icon=icon, is_default=is_default)
            _create_everyone_group(org)
    except IntegrityError:
        raise Conflict("Organization already exists with that name.") from None
    return org


def default_organization() -> Organization:
    """The default organization, created on first use."""
    org = Organization.objects.filter(is_default=True).first()
    if org is None:
        try:
            org = _create(DEFAULT_ORGANIZATION_NAME, "Coder", is_default=True)
        except Conflict:
            org = Organization.objects.get(is_default=True)
    return org


def create_organization(*, actor: Actor, name: str, display_name: str = "", description: str = "",
                        icon: str = "") -> Organization:
    rbac.authorize(actor.subject, "create", rbac.RbacObject(type="organization"))
    with transaction.atomic():
        org = _create(name, display_name, description, icon)
        audit.record(actor, "create", "organization", resource_id=org.id, target=org.name, organization=org,
                     changes=audit.diff({}, audit.snapshot(org, ORG_FIELDS)))
        # The creator administers what they create, as in Coder.
        if actor.user is not None:
            _add_member(org, actor.user, roles=["organization-admin"])
    return org


def _add_member(org: Organization, user: User, roles=()) -> OrganizationMember:
    from accounts.models import Role

    membership, _ = OrganizationMember.objects.get_or_create(organization=org, user=user)
    if roles:
        membership.roles.add(*Role.objects.filter(name__in=roles, organization=None, is_org_role=True))
    return membership


def add_member(org: Organization, user: User, *, actor: Actor, roles=()) -> OrganizationMember:
    rbac.authorize(actor.subject, "read", org)
    rbac.authorize(actor.subject, "create", rbac.RbacObject(type="organization_member", org_id=org.id,
                                                            owner_id=user.id))
    if OrganizationMember.objects.filter(organization=org, user=user).exists():
        raise Conflict("User is already an organization member.")
    with transaction.atomic():
        membership = _add_member(org, user, roles)
        audit.record(actor, "create", "organization_member", resource_id=user.id, target=user.username,
                     organization=org)
    return membership


def join_default_organization(user: User) -> OrganizationMember:
    """Every new user joins the default organization (Coder's behaviour)."""
    return _add_member(default_organization(), user)
