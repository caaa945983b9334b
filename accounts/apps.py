from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs):
    from accounts.models import Role
    from accounts.rbac.builtin_roles import sync_builtin_roles

    sync_builtin_roles(Role)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and access"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.rbac_registry import register_all

        register_all()
        post_migrate.connect(_sync_roles, sender=self)
