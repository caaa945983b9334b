"""API keys in the admin: a read-only list (the secret's hash is never shown); deleting a key
revokes it, with an audit row."""
from __future__ import annotations

from django.contrib import admin

from accounts.models import APIKey
from accounts.services import tokens

from .mixins import RbacAdminMixin, actor_for

SHOWN = ("id", "user", "token_name", "login_type", "scope", "expires_at", "last_used", "created_at")


class APIKeyAdmin(RbacAdminMixin, admin.ModelAdmin):
    list_display = SHOWN
    list_filter = ("login_type", "scope")
    search_fields = ("id", "token_name", "user__username")
    list_select_related = ("user",)
    fields = SHOWN
    readonly_fields = SHOWN

    def has_add_permission(self, request, *args):
        return False  # keys are issued by login or the tokens API, which return the secret once

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        tokens.delete_key(obj, actor=actor_for(request))


admin.site.register(APIKey, APIKeyAdmin)
