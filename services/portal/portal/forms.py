"""Forms: what a page's form sends, shaped into the body the API expects. Inputs are named after
the API's fields (dotted for nested ones: `qualification.year`); the APIs judge the values, and
their errors are shown beside the fields (messages.py). The few things only the portal can judge
(a year that is not a number, an update that changes nothing) are judged here."""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields

from .adapters.services import ApiError
from .messages import error_message, field_errors

QUALIFICATION = ("degree", "institution", "country", "year")
EMPLOYER = ("name", "city")
SECRET_FIELDS = ("password", "current_password", "code", "csrf_token")


class _Form(Schema):
    class Meta:
        unknown = EXCLUDE


class RequestForm(_Form):
    category = fields.String(load_default="")
    specialty = fields.String(load_default="")
    dataflow_reference = fields.String(load_default="")
    year = fields.Integer(data_key="qualification.year", error_messages={"invalid": _l("Enter a year such as 2015.")})
    degree = fields.String(data_key="qualification.degree", load_default="")
    institution = fields.String(data_key="qualification.institution", load_default="")
    country = fields.String(data_key="qualification.country", load_default="")


def request_body(form) -> tuple[dict, dict]:
    """The body of `POST /v1/applications`, and the fields the portal itself refuses."""
    try:
        data = RequestForm().load({key: value for key, value in form.items() if value != ""})
    except ValidationError as invalid:
        return {}, {name: str(messages[0]) for name, messages in invalid.messages.items()}
    qualification = {name: data.get(name) for name in QUALIFICATION if data.get(name) not in (None, "")}
    body = {name: data[name] for name in ("category", "specialty", "dataflow_reference") if data[name]}
    return {**body, "qualification": qualification}, {}


def update_changes(form, current: dict) -> dict:
    """What the person changed on the data update form, as the API's `changes`: only fields that
    differ from the current data; a qualification or an employer goes whole if any part changed."""
    changes = {}
    for name in ("email", "mobile", "address", "specialty"):
        value = form.get(name, "").strip()
        if value and value != (current.get(name) or ""):
            changes[name] = value
    for group, parts in (("qualification", QUALIFICATION), ("employer", EMPLOYER)):
        given = {part: form.get(f"{group}.{part}", "").strip() for part in parts}
        now = {part: str((current.get(group) or {}).get(part) or "") for part in parts}
        if any(given.values()) and given != now:
            if group == "qualification" and given["year"].isdigit():
                given["year"] = int(given["year"])
            changes[group] = given
    return changes


def kept(form) -> dict:
    """What to show again in a form that was refused: all but secrets."""
    return {key: value for key, value in form.items() if key not in SECRET_FIELDS}


def refused(template: str, error: ApiError | None, form, status: int | None = None, **context):
    """The form's page again, with the error's message, each field's hint, and what was typed."""
    errors = field_errors(error) if error is not None else {}
    errors.update(context.pop("errors", {}))
    message = error_message(error) if error is not None else None
    answer = render_template(template, form=kept(form), errors=errors, error=message, api_error=error, **context)
    return answer, status or (error.status if error is not None else 422)
