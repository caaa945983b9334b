"""The default API permission: an authenticated, active user (401 otherwise)."""
from rest_framework import permissions


class IsAuthenticated(permissions.BasePermission):
    message = "You must be logged in to do this."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)


class AllowAny(permissions.AllowAny):
    pass
