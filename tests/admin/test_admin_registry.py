"""Every ModelAdmin on the site goes through the RBAC mixin, including ones registered later."""
from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.models import Group as AuthGroup

from accounts.admin.mixins import RbacAdminMixin
from coderportal.admin_site import PortalAdminSite


def test_default_admin_site_is_the_portal_site():
    assert isinstance(admin.site._wrapped if hasattr(admin.site, "_wrapped") else admin.site, PortalAdminSite)


def test_every_model_admin_uses_the_rbac_mixin():
    offenders = [model._meta.label for model, model_admin in admin.site._registry.items()
                 if not isinstance(model_admin, RbacAdminMixin)]
    assert offenders == []
    assert len(admin.site._registry) >= 7


def test_every_inline_uses_the_rbac_mixin():
    offenders = [f"{model._meta.label}:{inline.__name__}" for model, model_admin in admin.site._registry.items()
                 for inline in model_admin.inlines if not issubclass(inline, RbacAdminMixin)]
    assert offenders == []


def test_django_auth_group_is_not_editable_directly():
    assert not admin.site.is_registered(AuthGroup)


def test_provider_settings_stay_available_and_tokens_do_not():
    from allauth.socialaccount.models import SocialApp, SocialToken

    assert admin.site.is_registered(SocialApp)
    assert not admin.site.is_registered(SocialToken)
