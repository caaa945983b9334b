"""factory_boy factories for the accounts models."""
from __future__ import annotations

import factory
from django.contrib.auth.models import Group as AuthGroup

from accounts.models import Group, Organization, OrganizationMember, Role, User
from accounts.models.users import UserStatus

PASSWORD = "correct-horse-battery"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"org-{n}")
    display_name = factory.LazyAttribute(lambda o: o.name.title())

    @factory.post_generation
    def everyone(obj, create, extracted, **kwargs):
        if create:
            from accounts.services.organizations import _create_everyone_group

            _create_everyone_group(obj)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user-{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    status = UserStatus.ACTIVE

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])

    @factory.post_generation
    def roles(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.site_roles.set(Role.objects.filter(name__in=extracted, organization=None))


def add_member(user, org, roles=()):
    membership, _ = OrganizationMember.objects.get_or_create(user=user, organization=org)
    if roles:
        membership.roles.add(*Role.objects.filter(name__in=roles, organization=None))
    return membership


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"group-{n}")
    auth_group = factory.LazyAttribute(lambda g: AuthGroup.objects.create(name=f"org:{g.organization.id}:{g.name}"))
