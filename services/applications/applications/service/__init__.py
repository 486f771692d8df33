"""The applications service's use cases, one module per group, each function taking its
dependencies (`Applications`, service/context.py):

    requests   create, edit, send (again), withdraw, delete a draft, read; the public status
    review     the queue, taking a request, Dataflow, classification, return, decision
    updates    data updates of a membership (R11)
    documents  uploads, lists with signed links, reading through a link, deletion
    cpd        CPD activities: recorded by the holder, decided by a reviewer; the hours counted
    licences   the licence, renewal requests, the card, the public register
    jobs       the scheduler's batches: licence reminders and expiry, correction deadlines

Each runs in one transaction, publishes its events through the outbox in it, and refuses with a
`domain.errors` exception (the lifecycle's `IllegalTransition` among them), leaving nothing changed.
`ApplicationService` binds them to one set of dependencies: the API, the consumer and the scheduler
each hold one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Row

from mumaris_shared.auth import Principal
from mumaris_shared.events import utcnow
from mumaris_shared.kept_answers import Answer
from mumaris_shared.runtime import Runtime

from ..adapters.storage import Storage, storage_for
from ..domain.documents import Attached
from ..settings import Settings
from . import cpd, documents, jobs, licences, requests, review, updates
from .context import Applications


class ApplicationService:
    def __init__(
        self,
        runtime: Runtime,
        clock: Callable[[], datetime] | None = None,
        settings: Settings | None = None,
        storage: Storage | None = None,
    ):
        settings = settings or Settings.from_env()
        self.settings = settings
        self.a = Applications(runtime.db, runtime.outbox, settings, clock or utcnow, storage or storage_for(settings))

    # --- the applicant's requests ------------------------------------------------------------------
    def create(self, owner: Principal, **body) -> dict:
        return requests.create(self.a, owner, **body)

    def edit(self, owner: Principal, number: str, changes: dict) -> dict:
        return requests.edit(self.a, owner, number, changes)

    def submit(self, owner: Principal, number: str) -> dict:
        return requests.submit(self.a, owner, number)

    def withdraw(self, owner: Principal, number: str) -> dict:
        return requests.withdraw(self.a, owner, number)

    def delete_draft(self, owner: Principal, number: str) -> None:
        requests.delete_draft(self.a, owner, number)

    def list_own(self, owner: Principal) -> list[dict]:
        return requests.list_own(self.a, owner)

    def read(self, caller: Principal, number: str, answer: Answer) -> Any:
        return requests.read(self.a, caller, number, answer)

    def public_status(self, number: str, answer: Answer) -> Any:
        return requests.public_status(self.a, number, answer)

    # --- reviewers ---------------------------------------------------------------------------------
    def review_queue(self, accounts: list[str] | None = None) -> list[dict]:
        return review.review_queue(self.a, accounts)

    def start_review(self, reviewer: Principal, number: str) -> dict:
        return review.start_review(self.a, reviewer, number)

    def record_dataflow(self, reviewer: Principal, number: str, outcome: str, note: str | None) -> dict:
        return review.record_dataflow(self.a, reviewer, number, outcome, note)

    def classify(self, reviewer: Principal, number: str, category: str) -> dict:
        return review.classify(self.a, reviewer, number, category)

    def return_for_corrections(self, reviewer: Principal, number: str, reason: str, items: list[str]) -> dict:
        return review.return_for_corrections(self.a, reviewer, number, reason, items)

    def decide(self, reviewer: Principal, number: str, decision: str, reason: str | None) -> dict:
        return review.decide(self.a, reviewer, number, decision, reason)

    # --- data updates (R11) ------------------------------------------------------------------------
    def submit_update(self, owner: Principal, membership_number: str, changes: dict) -> dict:
        return updates.submit_update(self.a, owner, membership_number, changes)

    def start_update_review(self, reviewer: Principal, update_id: str) -> dict:
        return updates.start_update_review(self.a, reviewer, update_id)

    def decide_update(self, reviewer: Principal, update_id: str, decision: str, reason: str | None) -> dict:
        return updates.decide_update(self.a, reviewer, update_id, decision, reason)

    def read_update(self, caller: Principal, update_id: str) -> dict:
        return updates.read_update(self.a, caller, update_id)

    # --- documents ---------------------------------------------------------------------------------
    def upload_to_request(self, owner: Principal, number: str, kind: str, content: bytes, name: str) -> Row:
        target = documents.to_request(owner, number)
        return documents.upload(self.a, owner, Attached.APPLICATION, target, kind, content, name)

    def upload_to_update(self, owner: Principal, update_id: str, kind: str, content: bytes, name: str) -> Row:
        target = documents.to_update(owner, update_id)
        return documents.upload(self.a, owner, Attached.DATA_UPDATE, target, kind, content, name)

    def upload_to_activity(
        self, owner: Principal, membership_number: str, activity_id: str, kind: str, content: bytes, name: str
    ) -> Row:
        target = documents.to_activity(owner, membership_number, activity_id)
        return documents.upload(self.a, owner, Attached.CPD_ACTIVITY, target, kind, content, name)

    def documents_of_request(self, caller: Principal, number: str) -> list[dict]:
        return documents.of_request(self.a, caller, number)

    def documents_of_update(self, caller: Principal, update_id: str) -> list[dict]:
        return documents.of_update(self.a, caller, update_id)

    def documents_of_activity(self, caller: Principal, membership_number: str, activity_id: str) -> list[dict]:
        return documents.of_activity(self.a, caller, membership_number, activity_id)

    def document_content(self, document_id: str, expires: int, signature: str) -> tuple[Row, bytes]:
        return documents.content(self.a, document_id, expires, signature)

    def delete_document(self, owner: Principal, document_id: str) -> None:
        documents.delete(self.a, owner, document_id)

    # --- licences, CPD, the card and the register ------------------------------------------------
    def read_membership(self, caller: Principal, membership_number: str) -> dict:
        return licences.read_membership(self.a, caller, membership_number)

    def open_renewal(self, owner: Principal, membership_number: str) -> dict:
        return licences.open_renewal(self.a, owner, membership_number)

    def card(self, owner: Principal, membership_number: str) -> bytes:
        return licences.card(self.a, owner, membership_number)

    def register_entry(self, membership_number: str) -> dict:
        return licences.register_entry(self.a, membership_number)

    def register_search(self, name: str, specialty: str, page: int, per_page: int) -> dict:
        return licences.register_search(self.a, name, specialty, page, per_page)

    def record_cpd(self, owner: Principal, membership_number: str, body: dict) -> Row:
        return cpd.record(self.a, owner, membership_number, body)

    def cpd_activities(self, caller: Principal, membership_number: str) -> list[Row]:
        return cpd.activities(self.a, caller, membership_number)

    def cpd_queue(self) -> list[Row]:
        return cpd.queue(self.a)

    def decide_cpd(self, reviewer: Principal, activity_id: str, decision: str, reason: str | None) -> Row:
        return cpd.decide(self.a, reviewer, activity_id, decision, reason)

    # --- the scheduler -----------------------------------------------------------------------------
    def run_licences(self) -> int:
        return jobs.run_licences(self.a)

    def run_correction_deadlines(self) -> int:
        return jobs.run_correction_deadlines(self.a)
