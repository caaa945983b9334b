"""The request-field layer shared by every API body: decode like Go's JSON decoder, which is
what Coder clients are written against.

- Types are strict: a number is not a string, a string is not a number, a UUID or a boolean,
  so `"ttl_ms": "5"` is a 400 with a validation, not a silent coercion.
- `null` in an optional field means the field is absent (Go decodes both to the zero value or
  a nil pointer, and Coder's clients send `null` for every unset pointer, slice or map): the
  field's default applies. Fields that declare `allow_null` receive None, their "unset".
  Every request body serializer derives from `RequestSerializer`, which owns this rule.
"""
from __future__ import annotations

from collections.abc import Mapping

from rest_framework import serializers

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class StrictCharField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", INT64_MIN)
        kwargs.setdefault("max_value", INT64_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictUUIDField(serializers.UUIDField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


def _null_means_absent(field) -> bool:
    return field is not None and not field.required and not field.allow_null and not field.read_only


class RequestSerializer(serializers.Serializer):
    """Base of every request body (and of the objects nested in one): see the module docstring."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            fields = self.fields
            data = {key: value for key, value in data.items()
                    if not (value is None and _null_means_absent(fields.get(key)))}
        return super().to_internal_value(data)
