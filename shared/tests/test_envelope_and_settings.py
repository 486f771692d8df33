import json
from datetime import timedelta

import pytest
from marshmallow import ValidationError

from mumaris_shared.config import format_duration, parse_duration
from mumaris_shared.contracts import VERIFICATION_CODE_ISSUED, validated
from mumaris_shared.events import Event, MalformedEvent
from mumaris_shared.outbox import backoff

pytestmark = pytest.mark.unit


def test_envelope_carries_every_documented_field():
    event = Event(type="billing.invoice_issued", data={"amount_halalas": 20000}, producer="billing")
    assert set(json.loads(event.to_json())) == {
        "id",
        "type",
        "version",
        "occurred_at",
        "producer",
        "correlation_id",
        "causation_id",
        "data",
    }
    assert Event.from_json(event.to_json()) == event


def test_a_caused_event_keeps_the_correlation_and_points_at_its_cause():
    first = Event(type="a.happened", data={}, producer="a")
    second = first.caused("b.followed", {}, "b")
    assert (second.correlation_id, second.causation_id) == (first.id, first.id)
    assert first.correlation_id == first.id and first.causation_id is None


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"type": "x"}', "\udcff".encode("utf-8", "surrogatepass")])
def test_anything_but_an_envelope_is_malformed(body):
    with pytest.raises(MalformedEvent):
        Event.from_json(body)


def test_envelope_fields_added_by_a_newer_producer_are_ignored():
    raw = json.loads(Event(type="a.b", data={}, producer="a").to_json()) | {"trace": "x"}
    assert Event.from_json(json.dumps(raw)).type == "a.b"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("P30D", timedelta(days=30)),
        ("PT10M", timedelta(minutes=10)),
        ("P1DT2H", timedelta(days=1, hours=2)),
        ("PT0.5S", timedelta(seconds=0.5)),
        ("P2W", timedelta(weeks=2)),
    ],
)
def test_durations_are_iso_8601(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "duration, text",
    [
        (timedelta(days=30), "P30D"),
        (timedelta(minutes=10), "PT10M"),
        (timedelta(days=1, hours=2), "P1DT2H"),
        (timedelta(seconds=0.5), "PT0.5S"),
        (timedelta(0), "P0D"),
    ],
)
def test_a_duration_is_written_in_the_form_it_is_read_in(duration, text):
    assert format_duration(duration) == text and parse_duration(text) == duration


@pytest.mark.parametrize("text", ["30 days", "P", "PT", "P1M", "-P1D", ""])
def test_anything_else_is_not_a_duration(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_backoff_grows_and_is_capped():
    delays = [backoff(n).total_seconds() for n in range(1, 12)]
    assert delays[:4] == [1, 2, 4, 8] and max(delays) == 300


def test_contract_refuses_a_code_issued_event_without_its_code():
    with pytest.raises(ValidationError):
        validated(
            VERIFICATION_CODE_ISSUED,
            {
                "account_id": "1",
                "email": "a@b.sa",
                "full_name": "A",
                "language": "ar",
                "expires_at": "x",
                "valid_minutes": 10,
            },
        )


def test_a_consumer_gets_the_contracts_defaults_for_optional_fields_left_out():
    from mumaris_shared.contracts import REFUND_DECIDED

    data = {
        "application_number": "MR-1",
        "account_id": "a",
        "refund_id": "r",
        "invoice_id": "i",
        "status": "approved",
        "amount_halalas": 100,
        "rule": "duplicate_payment",
        "terms": {"window": "P30D", "share": "0.5", "decision_sla": "P15D"},
    }
    assert validated(REFUND_DECIDED, data) == {**data, "reason": None}
