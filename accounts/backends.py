"""Password authentication: username or email, case-insensitive; suspended users refused."""
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from accounts.models import User


class PortalModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        login = username or kwargs.get("email")
        if not login or password is None:
            return None
        user = User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login), deleted=False).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    # Authorization is accounts.rbac's job: Django's permission tables are not consulted.
    def has_perm(self, user_obj, perm, obj=None):
        return False

    def has_module_perms(self, user_obj, app_label):
        return False
