"""Admins that other apps register, brought under the engine.

- allauth's SocialApp (where identity-provider settings live) and SocialAccount (links of
  users to identity providers) stay, wrapped with the RBAC mixin at site level on "system":
  owners only. The client secret is write-only in the form.
- SocialToken (provider tokens), EmailAddress (our User.email is the truth) and Django's
  auth Group (owned by our Group model: editing it directly would bypass the group service)
  are removed from the admin.
"""
from __future__ import annotations

# Importing allauth's admin modules first makes sure their registrations exist to replace.
from allauth.account import admin as _account_admin  # noqa: F401
from allauth.account.models import EmailAddress
from allauth.socialaccount import admin as social_admin
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group as AuthGroup

from .mixins import RbacAdminMixin

for model in (AuthGroup, EmailAddress, SocialToken, SocialApp, SocialAccount):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class SocialAppForm(social_admin.SocialAppForm):
    secret = forms.CharField(required=False, strip=False, widget=forms.PasswordInput(render_value=False),
                             help_text="Client secret. Leave empty to keep the current one.")

    def clean_secret(self):
        secret = self.cleaned_data.get("secret")
        if not secret and self.instance.pk:
            return type(self.instance).objects.get(pk=self.instance.pk).secret
        return secret


class SocialAppAdmin(RbacAdminMixin, social_admin.SocialAppAdmin):
    form = SocialAppForm
    list_display = ("name", "provider", "provider_id", "client_id")


class SocialAccountAdmin(RbacAdminMixin, social_admin.SocialAccountAdmin):
    pass


admin.site.register(SocialApp, SocialAppAdmin)
admin.site.register(SocialAccount, SocialAccountAdmin)
