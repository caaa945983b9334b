from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from notifications import events, rbac_registry

        rbac_registry.register_all()
        events.connect_account_signals()
        # The system templates are data every event needs: put back any that are missing after
        # each migrate (or flush), as the built-in roles are.
        post_migrate.connect(_sync_system_templates, sender=self)


def _sync_system_templates(sender, **kwargs):
    from notifications import system_templates
    from notifications.models import NotificationTemplate

    system_templates.sync(NotificationTemplate)
