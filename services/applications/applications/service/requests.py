"""The applicant's requests: create (a registration; renewals start in `licences`), edit while a
draft or returned, send (or send again after corrections, with no new fees), withdraw, delete a
draft with its files, and read them; anyone's public status look-up (R10)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from mumaris_shared.auth import Principal
from mumaris_shared.contracts import APPLICATION_RESUBMITTED, APPLICATION_SUBMITTED, APPLICATION_WITHDRAWN
from mumaris_shared.events import isoformat
from mumaris_shared.kept_answers import Answer

from ..adapters import licensing, repository
from ..domain.errors import DocumentsMissing, IllegalTransition, NoSuchRequest
from ..domain.lifecycle import DRAFT, EDIT, RENEWAL, RESUBMITTED, SUBMIT, WITHDRAW, transition
from ..domain.numbers import new_application_number
from .context import Applications, detail, find, iso_or_none, looked_up, move, owned, request_data, summary
from .cpd import check_cpd_hours

NUMBER_TRIES = 3


def add_request(a: Applications, owner: Principal, **values) -> dict:
    """A new draft with a number nobody holds, its creation on its timeline."""
    now = a.clock()
    for attempt in range(1, NUMBER_TRIES + 1):
        number = new_application_number()
        try:
            with a.db.transaction() as session:
                repository.add_application(
                    session,
                    number=number,
                    account_id=owner.id,
                    applicant_national_id=owner.national_id,
                    status=DRAFT,
                    created_at=now,
                    updated_at=now,
                    **values,
                )
                repository.add_timeline_entry(session, number, DRAFT, now, owner.id, None)
                return detail(session, repository.application_by_number(session, number))
        except IntegrityError:
            if attempt == NUMBER_TRIES:  # 60 random bits: a repeat means something else is wrong
                raise


def create(
    a: Applications, owner: Principal, *, category: str, specialty: str, qualification: dict, dataflow_reference: str
) -> dict:
    return add_request(
        a,
        owner,
        category=category,
        specialty=specialty,
        dataflow_reference=dataflow_reference,
        **qualification_columns(qualification),
    )


def qualification_columns(qualification: dict) -> dict:
    return {
        "degree": qualification["degree"],
        "institution": qualification["institution"],
        "country": qualification["country"],
        "graduation_year": qualification["year"],
    }


def edit(a: Applications, owner: Principal, number: str, changes: dict) -> dict:
    """The owner changes a draft, or a request returned for corrections."""
    now = a.clock()
    with a.db.transaction() as session:
        application = owned(session, owner, number)
        columns = {key: value for key, value in changes.items() if key != "qualification"}
        if "qualification" in changes:
            columns.update(qualification_columns(changes["qualification"]))
        move(session, application, EDIT, by=owner.id, at=now, reason=", ".join(sorted(changes)), **columns)
        return detail(session, repository.application_by_number(session, application.number))


def submit(a: Applications, owner: Principal, number: str) -> dict:
    """Send a draft (its fees fall due), or send a returned request again (no new fees). Either way
    with its required documents, and a renewal with its CPD hours."""
    now = a.clock()
    with a.db.transaction() as session:
        application = owned(session, owner, number)
        # The table first: a request that cannot be sent is refused as such, whatever it lacks.
        transition(SUBMIT, application.status, application.review_started_at is not None)
        uploaded = [row.kind for row in licensing.documents_of(session, "application", application.number)]
        missing = a.settings.required_documents.missing(application.kind, application.category, uploaded)
        if missing:
            raise DocumentsMissing(missing)
        if application.kind == RENEWAL:
            check_cpd_hours(a, session, licensing.licence(session, application.renews))
        step = move(session, application, SUBMIT, by=owner.id, at=now, submitted_at=application.submitted_at or now)
        if step.records == RESUBMITTED:
            repository.update_application(session, application.number, correct_by=None)
            a.outbox.publish(
                session, APPLICATION_RESUBMITTED, {**request_data(application), "resubmitted_at": isoformat(now)}
            )
        else:
            a.outbox.publish(
                session,
                APPLICATION_SUBMITTED,
                {
                    **request_data(application),
                    "kind": application.kind,
                    "category": application.category,
                    "specialty": application.specialty,
                    "submitted_at": isoformat(now),
                },
            )
        return detail(session, repository.application_by_number(session, application.number))


def withdraw(a: Applications, owner: Principal, number: str) -> dict:
    now = a.clock()
    with a.db.transaction() as session:
        application = owned(session, owner, number)
        move(session, application, WITHDRAW, by=owner.id, at=now, correct_by=None)
        a.outbox.publish(
            session,
            APPLICATION_WITHDRAWN,
            {
                **request_data(application),
                "previous_status": application.status,
                "withdrawn_at": isoformat(now),
                "review_started_at": iso_or_none(application.review_started_at),
            },
        )
        return detail(session, repository.application_by_number(session, application.number))


def delete_draft(a: Applications, owner: Principal, number: str) -> None:
    """A draft is deleted with its documents (rows in the transaction, then the files: a crash in
    between leaves an unreferenced file, never a row without its file)."""
    with a.db.transaction() as session:
        application = owned(session, owner, number)
        if application.status != DRAFT:
            raise IllegalTransition(
                f"a request that is {application.status} cannot be deleted; withdraw it instead",
                "delete",
                application.status,
                application.review_started_at is not None,
            )
        files = licensing.documents_of_request(session, application.number)
        for row in files:
            licensing.delete_document(session, row)
        repository.delete_application(session, application.number)
    for row in files:
        a.storage.delete(row.storage_key)


def list_own(a: Applications, owner: Principal) -> list[dict]:
    with a.db.reading() as session:
        return [summary(row) for row in repository.applications_of(session, owner.id)]


def read(a: Applications, caller: Principal, number: str, answer: Answer) -> Any:
    """The request as its detail shows it, through `answer` (given its number, its revision, how to
    show it and how to read the revision again: the API sends again what it answered at the same
    revision, mumaris_shared.kept_answers). The row is looked up alone; showing it reads the
    request again with its timeline and documents, one state of them all."""
    application = looked_up(a.db, number)
    if application is None or not caller.may_see(application.account_id):
        raise NoSuchRequest()

    def shown() -> dict:
        with a.db.reading() as session:
            again = find(session, application.number)
            if again is None:  # deleted since
                raise NoSuchRequest()
            return detail(session, again)

    return answer(application.number, application.revision, shown, lambda: _revision(a, application.number))


def public_status(a: Applications, number: str, answer: Answer) -> Any:
    """Status and last change only: anyone holding the number may ask (R10). `answer` as for `read`."""
    application = looked_up(a.db, number)
    if application is None:
        raise NoSuchRequest()
    return answer(
        application.number,
        application.revision,
        lambda: {"number": application.number, "status": application.status, "updated_at": application.updated_at},
        lambda: _revision(a, application.number),
    )


def _revision(a: Applications, number: str) -> int | None:
    again = looked_up(a.db, number)
    return None if again is None else again.revision
