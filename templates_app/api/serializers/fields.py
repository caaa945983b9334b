"""Template-specific request fields (the strict scalar fields live in coderportal.api.fields)."""
from __future__ import annotations

from rest_framework import serializers

from coderportal.api.fields import (  # noqa: F401  (re-exported for the template serializers)
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictUUIDField,
)


class DaysOfWeekField(serializers.ListField):
    """A list of weekday names (checked by the service, which knows the rule)."""

    def __init__(self, **kwargs):
        super().__init__(child=StrictCharField(max_length=16), max_length=7 * 4, **kwargs)
