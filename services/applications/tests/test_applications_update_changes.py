"""What a data update may change (domain/updates.py) and how its body is checked (ChangesSchema):
one test per rule, each named for it."""

import pytest
from marshmallow import ValidationError

from applications.api.schemas import ChangesSchema, DataUpdateCreateSchema
from applications.domain.updates import (
    UPDATABLE,
    an_update_changes_something,
    fields_changed,
    only_updatable_fields,
    updated,
)
from mumaris_shared.identity import normalise_mobile

pytestmark = pytest.mark.unit

QUALIFICATION = {"degree": "PhD", "institution": "Imperial College", "country": "GB", "year": 2020}
CURRENT = {
    "email": None,
    "mobile": None,
    "address": None,
    "specialty": "Cardiology",
    "qualification": {"degree": "MD", "institution": "King Saud University", "country": "SA", "year": 2015},
    "employer": None,
}


def load(changes) -> dict:
    return DataUpdateCreateSchema().load({"changes": changes})["changes"]


def errors(changes) -> dict:
    with pytest.raises(ValidationError) as refused:
        load(changes)
    return refused.value.messages


def test_only_contact_details_specialty_qualification_and_employer_are_updatable():
    assert UPDATABLE == ("email", "mobile", "address", "specialty", "qualification", "employer")
    assert tuple(ChangesSchema().fields) == UPDATABLE
    everything = {
        "email": "sara@example.com",
        "mobile": "+966512345678",
        "address": "Riyadh, Olaya St. 12",
        "specialty": "Interventional Cardiology",
        "qualification": QUALIFICATION,
        "employer": {"name": "King Faisal Specialist Hospital", "city": "Riyadh"},
    }
    assert load(everything) == everything


@pytest.mark.parametrize("field", ["category", "dataflow_reference", "membership_number", "status", "full_name"])
def test_any_other_field_is_refused(field):
    assert field in errors({field: "x"})["changes"]
    with pytest.raises(ValueError, match=field):
        only_updatable_fields({field: "x", "email": "a@b.sa"})


def test_an_update_changes_something():
    assert errors({}) == {"changes": ["an update must change at least one field"]}
    with pytest.raises(ValueError):
        an_update_changes_something({})
    assert "changes" in errors(None) and "changes" in errors([])
    with pytest.raises(ValidationError):
        DataUpdateCreateSchema().load({})


@pytest.mark.parametrize(
    "typed", ["0512345678", "05 1234 5678", "+966512345678", "966512345678", "(051) 234-5678", "٠٥١٢٣٤٥٦٧٨"]
)
def test_a_mobile_is_a_saudi_mobile_stored_in_e164(typed):
    assert normalise_mobile(typed) == "+966512345678"
    assert load({"mobile": typed}) == {"mobile": "+966512345678"}


@pytest.mark.parametrize("typed", ["0412345678", "051234567", "+971512345678", "phone", ""])
def test_anything_else_is_not_a_mobile(typed):
    assert "mobile" in errors({"mobile": typed})["changes"]


def test_an_email_is_valid_and_stored_trimmed_in_lower_case():
    assert load({"email": "  Sara@Example.COM "}) == {"email": "sara@example.com"}
    assert "email" in errors({"email": "not-an-email"})["changes"]


@pytest.mark.parametrize(
    "qualification",
    [
        {**QUALIFICATION, "year": 2999},
        {**QUALIFICATION, "year": "2020"},
        {**QUALIFICATION, "year": 1800},
        {"degree": "PhD"},
        {**QUALIFICATION, "grade": "A"},
        {**QUALIFICATION, "degree": "  "},
        "PhD",
    ],
)
def test_a_qualification_is_checked_as_on_creation_and_given_whole(qualification):
    assert "qualification" in errors({"qualification": qualification})["changes"]


@pytest.mark.parametrize(
    "employer",
    [
        "King Faisal Hospital",
        {"name": "KFSH"},
        {"name": "KFSH", "city": " "},
        {"name": "KFSH", "city": "Riyadh", "since": 2020},
    ],
)
def test_an_employer_is_a_name_and_a_city(employer):
    assert "employer" in errors({"employer": employer})["changes"]
    assert load({"employer": {"name": " KFSH ", "city": "Riyadh"}}) == {"employer": {"name": "KFSH", "city": "Riyadh"}}


@pytest.mark.parametrize("field", UPDATABLE)
def test_no_field_is_cleared_with_null(field):
    assert field in errors({field: None})["changes"]


@pytest.mark.parametrize(
    "field, value",
    [("specialty", "   "), ("specialty", "x" * 201), ("address", ""), ("address", "x" * 501), ("specialty", 42)],
)
def test_text_is_trimmed_not_empty_and_bounded(field, value):
    assert field in errors({field: value})["changes"]


def test_the_fields_changed_are_named_in_a_fixed_order():
    assert fields_changed({"employer": {}, "email": "a@b.sa", "qualification": {}}) == [
        "email",
        "qualification",
        "employer",
    ]


def test_an_approved_update_replaces_the_fields_it_names_and_keeps_the_rest():
    new = updated(CURRENT, {"specialty": "Neurology", "qualification": QUALIFICATION})
    assert new == {**CURRENT, "specialty": "Neurology", "qualification": QUALIFICATION}
    assert CURRENT["specialty"] == "Cardiology"  # the old version is untouched
