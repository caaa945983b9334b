from django.apps import AppConfig


class AIBridgeConfig(AppConfig):
    name = "aibridge"
    label = "aibridge"
    verbose_name = "AI Bridge"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts import rbac
        from aibridge.models import Interception

        # Children (tokens, prompts, tools) are read through their interception.
        rbac.register(Interception, rbac.Descriptor("aibridge_interception", owner_field="initiator_id"))
