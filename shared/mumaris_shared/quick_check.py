"""A quick check of data against a marshmallow schema, sound one way only: what it accepts, the
schema loads without errors.

marshmallow builds a loaded copy of every value and an error store on every call: 20 to 40 µs for
an event's envelope or data, the largest part of what a consumer spends on an event. The quick
check reads the same fields and validators without copying. Whatever it does not accept, and every
schema with a field it does not know (Email, DateTime…) or with hooks of its own (`schema_check`
answers None), goes to marshmallow, which decides and words the errors
(shared/tests/test_contracts.py checks both ways on every contract and on the envelope)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, ValidationError, fields

Check = Callable[[Any], bool]


def schema_check(schema: Schema) -> Check | None:
    """A check of data against `schema`, or None if the schema has what it cannot read."""
    if any(schema._hooks.values()):
        return None
    checks: list[tuple[str, bool, Check]] = []
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        check = _field_check(field)
        if check is None:
            return None
        checks.append((field.data_key or name, field.required, check))

    def check_data(data: Any) -> bool:
        if type(data) is not dict:
            return False
        for key, required, check in checks:
            if key in data:
                if not check(data[key]):
                    return False
            elif required:
                return False
        return True

    return check_data


def _field_check(field: fields.Field[Any]) -> Check | None:
    value_check: Check
    if type(field) is fields.String:
        value_check = lambda value: isinstance(value, str)  # noqa: E731 (a StrEnum member is a str)
    elif type(field) is fields.Integer and not field.strict:
        value_check = lambda value: type(value) is int  # noqa: E731
    elif type(field) is fields.Nested and not field.many and isinstance(field.schema, Schema):
        nested = schema_check(field.schema)
        if nested is None:
            return None
        value_check = nested
    elif type(field) is fields.List:
        inner = _field_check(field.inner)
        if inner is None:
            return None
        value_check = lambda value: type(value) is list and all(inner(item) for item in value)  # noqa: E731
    elif type(field) is fields.Dict and field.key_field is None and field.value_field is None:
        value_check = lambda value: type(value) is dict  # noqa: E731
    else:
        return None
    validators, allow_none = list(field.validators), field.allow_none

    def check(value: Any) -> bool:
        if value is None:
            return allow_none
        if not value_check(value):
            return False
        try:
            for validator in validators:
                if validator(value) is False:
                    return False
        except ValidationError:
            return False
        return True

    return check
