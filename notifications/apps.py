from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from notifications import events, rbac_registry

        rbac_registry.register_all()
        events.connect_account_signals()
