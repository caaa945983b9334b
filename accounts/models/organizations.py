"""Organizations, memberships with org roles, and groups."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import Group as AuthGroup
from django.db import models
from django.db.models.functions import Lower


class Organization(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=64)
    display_name = models.CharField(max_length=128, blank=True, default="")
    description = models.TextField(blank=True, default="")
    icon = models.CharField(max_length=512, blank=True, default="")
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="organization_name_ci_unique"),
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True),
                                    name="one_default_organization"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.name


class OrganizationMember(models.Model):
    """A user's membership of an organization. `roles` holds explicit org roles;
    `organization-member` is implicit for every membership, as in Coder."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    roles = models.ManyToManyField("accounts.Role", blank=True, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization__name", "user__username"]
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org")]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization}"


class GroupSource(models.TextChoices):
    USER = "user"
    OIDC = "oidc"


class Group(models.Model):
    """A group of users inside one organization.

    Membership is stored on the linked Django auth group (`auth_group.user_set`) so that
    django-guardian's group object permissions (template ACLs) apply without a second
    membership table. The "Everyone" group has the organization's id and implicitly holds
    every member of the organization; it has no membership rows.
    """

    EVERYONE = "Everyone"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=64)
    display_name = models.CharField(max_length=128, blank=True, default="")
    avatar_url = models.CharField(max_length=512, blank=True, default="")
    quota_allowance = models.IntegerField(default=0)
    source = models.CharField(max_length=16, choices=GroupSource.choices, default=GroupSource.USER)
    auth_group = models.OneToOneField(AuthGroup, on_delete=models.PROTECT, related_name="portal_group")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization__name", "name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="group_name_unique_in_org")]

    def __str__(self) -> str:
        return f"{self.organization.name}/{self.name}"

    @property
    def is_everyone(self) -> bool:
        return self.id == self.organization_id
