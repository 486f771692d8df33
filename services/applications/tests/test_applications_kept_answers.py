"""The owner's `GET /v1/applications/<number>` and the public status look-up send again the answer
they made while the request's revision is the same (mumaris_shared.kept_answers): every change of
the request, of its timeline or of its documents moves the revision, so no answer outlives what it
shows. The `service` fixture checks every kept answer against one made again (ANSWERS_CHECK)."""

from datetime import timedelta

import pytest
from sqlalchemy import insert

from applications.adapters.orm import timeline_table
from applications.handlers import HANDLERS
from mumaris_shared.events import Event, utcnow

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


class Answers:
    """What the owner, a reviewer and anyone are answered about one request, read twice each time
    (the second read is a kept answer) and compared with the last."""

    def __init__(self, service, number):
        self.service, self.number = service, number
        self.last = self.read()

    def read(self) -> tuple[bytes, ...]:
        people, answers = self.service.people, []
        for path, who in (
            (f"/v1/applications/{self.number}", people.applicant),
            (f"/v1/applications/{self.number}", people.reviewer),
            (f"/v1/status/{self.number}", None),
        ):
            first, again = self.service.get(path, who), self.service.get(path, who)
            assert first.status_code == again.status_code == 200, (first.json, again.json)
            assert first.data == again.data
            answers.append(first.data)
        return tuple(answers)

    def changed_by(self, what: str) -> None:
        """The owner's answer is not the one kept before `what`."""
        now = self.read()
        assert now[0] != self.last[0], f"{what}: the owner was answered as before"
        self.last = now


def test_each_kind_of_change_is_answered_at_once(service):
    people = service.people
    number = service.draft()
    answers = Answers(service, number)

    uploaded = service.upload(number, "degree")
    answers.changed_by("a document uploaded")
    assert (
        service.client.delete(
            f"/v1/documents/{uploaded.json['id']}", headers=service.bearer(people.applicant)
        ).status_code
        == 204
    )
    answers.changed_by("a document deleted")
    edited = service.client.patch(
        f"/v1/applications/{number}", json={"specialty": "Neurology"}, headers=service.bearer(people.applicant)
    )
    assert edited.status_code == 200
    answers.changed_by("an edit")
    service.with_documents(number)
    assert service.post(number, "submit", people.applicant).status_code == 200
    answers.changed_by("sent")
    assert service.billing("billing.fees_settled", number)
    answers.changed_by("fees settled (an event)")
    assert service.post(number, "review", people.reviewer).status_code == 200
    answers.changed_by("taken for review")
    assert service.post(number, "dataflow", people.reviewer, {"outcome": "verified", "note": None}).status_code == 200
    answers.changed_by("Dataflow recorded")
    assert service.post(number, "classification", people.reviewer, {"category": "consultant"}).status_code == 200
    answers.changed_by("classified")
    assert service.post(number, "return", people.reviewer, {"reason": "r", "items": ["degree"]}).status_code == 200
    answers.changed_by("returned for corrections")
    assert service.post(number, "submit", people.applicant).status_code == 200
    answers.changed_by("sent again")
    assert service.post(number, "decision", people.reviewer, {"decision": "approve"}).status_code == 200
    answers.changed_by("approved (a membership number)")
    membership_number = service.get(f"/v1/applications/{number}", people.applicant).json["membership_number"]
    service.clock.advance(timedelta(days=1))
    service.open_update(membership_number, {"mobile": "0551112233"})
    answers.changed_by("a data update submitted and taken")


def test_deadlines_handled_together_are_answered_at_once(service):
    numbers = [service.awaiting_payment() for _ in range(2)]
    answers = [Answers(service, number) for number in numbers]
    now = "2026-12-25T10:00:00Z"
    expired = [
        Event(
            type="billing.payment_deadline_expired",
            producer="billing",
            data={"application_number": n, "account_id": service.people.applicant, "due_at": now, "expired_at": now},
        )
        for n in numbers
    ]
    assert service.runtime.consumer(HANDLERS).handle_batch(expired) == {event.id for event in expired}
    for kept in answers:
        kept.changed_by("cancelled with others")
        assert service.get(f"/v1/status/{kept.number}").json["status"] == "cancelled"


def test_a_change_that_does_not_move_the_revision_is_caught(service):
    """What ANSWERS_CHECK is for: a timeline entry written without moving the revision (as no code
    path does) makes the next read of a kept answer a 500, not a stale 200."""
    number = service.draft()
    owner = service.people.applicant
    assert service.get(f"/v1/applications/{number}", owner).status_code == 200
    with service.runtime.db.transaction() as session:
        session.execute(insert(timeline_table).values(application_number=number, status="draft", at=utcnow(), by=owner))
    assert service.get(f"/v1/applications/{number}", owner).status_code == 500
