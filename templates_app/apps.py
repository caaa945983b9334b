from django.apps import AppConfig


class TemplatesAppConfig(AppConfig):
    name = "templates_app"
    verbose_name = "Templates"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from templates_app.rbac_registry import register_all

        register_all()
        from templates_app.jobs import imports

        imports.register()
