"""The portal's user: Coder's fields (status, login type) on Django's auth base."""
from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower


class UserStatus(models.TextChoices):
    ACTIVE = "active"
    DORMANT = "dormant"
    SUSPENDED = "suspended"


class LoginType(models.TextChoices):
    PASSWORD = "password"
    GITHUB = "github"
    OIDC = "oidc"
    TOKEN = "token"
    NONE = "none"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(username__iexact=username)

    def create_user(self, username, email, password=None, **extra):
        user = self.model(username=username, email=self.normalize_email(email), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user


class User(AbstractBaseUser, PermissionsMixin):
    """A person (or service account) who logs in to the portal.

    `is_active` is derived from `status`: suspended users cannot authenticate by any
    method. Site roles live in `site_roles`; organization roles on memberships.
    Django's `is_superuser` is never used for authorization: accounts.rbac decides.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = models.CharField(max_length=32)
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=128, blank=True, default="")
    avatar_url = models.URLField(max_length=512, blank=True, default="")
    status = models.CharField(max_length=16, choices=UserStatus.choices, default=UserStatus.DORMANT)
    login_type = models.CharField(max_length=16, choices=LoginType.choices, default=LoginType.PASSWORD)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    theme_preference = models.CharField(max_length=32, blank=True, default="")
    # Daily cron (with CRON_TZ) of the user's quiet hours; empty: the deployment default.
    quiet_hours_schedule = models.CharField(max_length=256, blank=True, default="")
    site_roles = models.ManyToManyField("accounts.Role", blank=True, related_name="site_users",
                                        limit_choices_to={"organization__isnull": True})
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique",
                                    condition=models.Q(deleted=False)),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique", condition=models.Q(deleted=False)),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def is_active(self) -> bool:  # read by Django auth and allauth
        return self.status != UserStatus.SUSPENDED and not self.deleted

    @is_active.setter
    def is_active(self, value):  # Django's base class assigns a default; status is the truth
        pass

    @property
    def is_staff(self) -> bool:
        """Every active user may open the admin; what they see there is RBAC-filtered."""
        return self.is_active

    def has_perm(self, perm, obj=None):
        from accounts.rbac.admin_perms import user_has_django_perm

        return user_has_django_perm(self, perm, obj)

    def has_module_perms(self, app_label):
        from accounts.rbac.admin_perms import user_has_module_perms

        return user_has_module_perms(self, app_label)
