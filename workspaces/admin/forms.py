"""Admin forms of the two-step workspace creation: pick a template, then fill a form
generated from its active version's rich parameters (number, select, checkbox, text)."""
from __future__ import annotations

import json

from django import forms

from coderportal.durations import DurationMsField
from templates_app.models import Template

PARAM_PREFIX = "param_"


class PickTemplateForm(forms.Form):
    template = forms.ModelChoiceField(queryset=Template.objects.none(), help_text="The workspace's template.")

    def __init__(self, *args, templates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates


def parameter_field(parameter) -> forms.Field:
    """A form field for one TemplateVersionParameter; the service does the real validation."""
    label = parameter.display_name or parameter.name
    common = {"label": label, "help_text": parameter.description, "required": False}
    initial = parameter.default_value
    if parameter.options and parameter.type != "list(string)":
        choices = [(o["value"], o.get("name") or o["value"]) for o in parameter.options]
        if not parameter.required or not initial:
            choices = [("", "—")] + choices
        return forms.ChoiceField(choices=choices, initial=initial, **common)
    if parameter.type == "bool":
        return forms.BooleanField(initial=initial == "true", **common)
    if parameter.type == "number":
        return forms.FloatField(initial=initial or None, min_value=parameter.validation_min,
                                max_value=parameter.validation_max, **common)
    if parameter.type == "list(string)":
        if parameter.options:
            choices = [(o["value"], o.get("name") or o["value"]) for o in parameter.options]
            try:
                chosen = json.loads(initial or "[]")
            except ValueError:
                chosen = []
            return forms.MultipleChoiceField(choices=choices, initial=chosen,
                                             widget=forms.CheckboxSelectMultiple, **common)
        return forms.CharField(initial=initial or "[]", help_text="A JSON list of strings.", label=label,
                               required=False)
    return forms.CharField(initial=initial, **common)


def field_value(parameter, value) -> str | None:
    """The string value Coder's parameter semantics expect, or None when left empty."""
    if parameter.type == "bool":
        return "true" if value else "false"
    if parameter.type == "number":
        if value is None:
            return None
        return str(int(value)) if float(value).is_integer() else str(value)
    if parameter.type == "list(string)" and isinstance(value, list):
        return json.dumps(value)
    return value if value not in (None, "") else None


class WorkspaceDetailsForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=None)
    name = forms.CharField(max_length=64)
    autostart_schedule = forms.CharField(required=False, max_length=256,
                                         help_text="e.g. CRON_TZ=Europe/Paris 30 9 * * 1-5")
    ttl_ms = DurationMsField(label="Autostop after", help_text="e.g. 8h, 90m, 1h30m; empty: never.")
    automatic_updates = forms.ChoiceField(choices=[("never", "never"), ("always", "always")], initial="never")

    def __init__(self, *args, owners=None, parameters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.parameters = list(parameters)
        for parameter in self.parameters:
            self.fields[PARAM_PREFIX + parameter.name] = parameter_field(parameter)

    def rich_parameter_values(self) -> list[dict]:
        values = []
        for parameter in self.parameters:
            value = field_value(parameter, self.cleaned_data.get(PARAM_PREFIX + parameter.name))
            if value is not None:
                values.append({"name": parameter.name, "value": value})
        return values

    def add_service_errors(self, exc) -> None:
        """Put a service's ValidationFailed/Conflict details on the fields they name."""
        validations = getattr(exc, "validations", {}) or {}
        for key, detail in validations.items():
            field = key
            if key.startswith("rich_parameter_values."):
                field = PARAM_PREFIX + key.split(".", 1)[1]
            elif key in ("template_id", "template_version_id"):
                field = None
            self.add_error(field if field in self.fields else None, detail)
        if not validations:
            self.add_error(None, getattr(exc, "message", None) or str(exc) or "Not allowed.")


class WorkspaceChangeForm(forms.ModelForm):
    """The settings of a workspace, with the autostop timer in hours/minutes."""

    ttl_ms = DurationMsField(label="Autostop after", help_text="e.g. 8h, 90m, 1h30m; empty: never.")

    class Meta:
        from workspaces.models import Workspace

        model = Workspace
        fields = ("name", "autostart_schedule", "ttl_ms", "automatic_updates")
