from django.apps import AppConfig


def _template_has_workspaces(template) -> bool:
    from workspaces.models import Workspace

    return Workspace.objects.filter(template=template, deleted=False).exists()


class WorkspacesConfig(AppConfig):
    name = "workspaces"
    verbose_name = "Workspaces"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_save

        from templates_app.models import Template
        from templates_app.services import templates as template_services
        from workspaces.lifecycle import template_changes
        from workspaces.provisioning import handler
        from workspaces.rbac_registry import register_all

        register_all()
        handler.register()
        # A template cannot be deleted while live workspaces use it.
        if _template_has_workspaces not in template_services.template_in_use_checks:
            template_services.template_in_use_checks.append(_template_has_workspaces)
        # Cached lifecycle values (next_start_at, deleting_at) follow template schedule changes.
        post_save.connect(template_changes.on_template_saved, sender=Template,
                          dispatch_uid="workspaces.lifecycle.template_changes")
