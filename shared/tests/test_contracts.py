"""The quick check (`mumaris_shared.quick_check`) of the contracts' data (`contracts.validated`
asks it before marshmallow) and of the envelope (`Event.from_json`): whatever it accepts,
marshmallow accepts too, and every well-formed event passes it, so the quick path is the one taken."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, validate

from mumaris_shared.contracts import SCHEMAS, _quick_check, _schema, validated
from mumaris_shared.events import _ENVELOPE, _ENVELOPE_CHECK, Event

pytestmark = pytest.mark.unit

CHECKED = sorted(event_type for event_type in SCHEMAS if _quick_check(event_type) is not None)
SCHEMAS_AND_CHECKS = {event_type: (_schema(event_type), _quick_check(event_type)) for event_type in CHECKED}
SCHEMAS_AND_CHECKS["the envelope"] = (_ENVELOPE, _ENVELOPE_CHECK)

ANYTHING = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=6,
)


def well_formed(field: fields.Field) -> st.SearchStrategy:
    if isinstance(field, fields.Nested):
        return data_of(field.schema, well_formed)
    if isinstance(field, fields.List):
        return st.lists(well_formed(field.inner), max_size=3)
    choices = [v.choices for v in field.validators if isinstance(v, validate.OneOf)]
    if choices:
        return st.sampled_from(list(choices[0]))
    if isinstance(field, fields.Integer):
        return st.integers()
    if isinstance(field, fields.Dict):
        return st.dictionaries(st.text(max_size=4), ANYTHING, max_size=3)
    return st.text(max_size=8)


def loose(field: fields.Field) -> st.SearchStrategy:
    """A well-formed value, or anything at all, at any depth."""
    if isinstance(field, fields.Nested):
        return data_of(field.schema, loose) | ANYTHING
    if isinstance(field, fields.List):
        return st.lists(loose(field.inner), max_size=3) | ANYTHING
    return well_formed(field) | ANYTHING


def data_of(schema: Schema, value) -> st.SearchStrategy:
    """Every required field (each may be left out when `value` is `loose`), the optional ones or not."""
    required = {name: value(f) for name, f in schema.fields.items() if f.required}
    optional = {name: value(f) for name, f in schema.fields.items() if not f.required}
    if value is loose:
        optional, required = {**optional, **required}, {}
    return st.fixed_dictionaries(required, optional=optional)


def test_the_quick_check_covers_the_contracts_of_the_consumers_busiest_events():
    assert {
        "applications.application_submitted",
        "applications.application_cancelled",
        "billing.payment_deadline_expired",
        "billing.invoice_issued",
        "billing.fees_assessed",
    } <= set(CHECKED)


@pytest.mark.parametrize("name", SCHEMAS_AND_CHECKS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_what_the_quick_check_accepts_marshmallow_accepts(name, data):
    schema, check = SCHEMAS_AND_CHECKS[name]
    drawn = data.draw(data_of(schema, loose))
    if check(drawn):
        assert schema.validate(drawn) == {}


@pytest.mark.parametrize("name", SCHEMAS_AND_CHECKS)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_well_formed_data_takes_the_quick_path(name, data):
    schema, check = SCHEMAS_AND_CHECKS[name]
    drawn = data.draw(data_of(schema, well_formed))
    assert check(drawn)
    assert schema.validate(drawn) == {}


@given(envelope=data_of(_ENVELOPE, well_formed))
@settings(max_examples=30, deadline=None)
def test_an_envelope_read_the_quick_way_is_the_event_marshmallow_would_load(envelope):
    assert Event.from_json(json.dumps(envelope)) == Event(**_ENVELOPE.load(envelope))


def test_refused_data_is_refused_with_marshmallow_s_errors():
    with pytest.raises(ValidationError) as refused:
        validated("billing.invoice_issued", {"application_number": "MR-1", "account_id": "a", "invoice": {"id": 1}})
    assert refused.value.messages["invoice"]["id"] == ["Not a valid string."]
    assert refused.value.messages["invoice"]["kind"] == ["Missing data for required field."]
