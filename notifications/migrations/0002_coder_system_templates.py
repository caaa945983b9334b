"""Coder's system notification templates (ids and titles as in Coder's migrations), as data.

Placeholders are `$label` (string.Template): labels are text, never evaluated.
"""
from django.db import migrations

from notifications.system_templates import TEMPLATES


def load(apps, schema_editor):
    Template = apps.get_model("notifications", "NotificationTemplate")
    for tid, name, group, title, body, actions in TEMPLATES:
        Template.objects.update_or_create(id=tid, defaults={"name": name, "group": group, "title_template": title,
                                                            "body_template": body, "actions": actions})


def unload(apps, schema_editor):
    apps.get_model("notifications", "NotificationTemplate").objects.filter(id__in=[t[0] for t in TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
