"""What the applications service does, one module per group, each function taking its
dependencies (`Applications`):

    requests    the applicant's request: create, send, read, public status, withdraw
    review      the reviewers' queue, taking and deciding a request
    updates     data updates of a membership (R11)
    context     the lifecycle moves, finders and views they share

Each runs in one transaction, publishes its events through the outbox in it, and refuses with a
`domain.errors` exception (the lifecycle's `IllegalTransition` among them), so a refused request
changes nothing. `ApplicationService` binds them to one set of dependencies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from mumaris_shared.auth import Principal
from mumaris_shared.events import utcnow
from mumaris_shared.runtime import Runtime

from . import requests, review, updates
from .context import Applications, move, request_data

__all__ = ["ApplicationService", "move", "request_data"]


class ApplicationService:
    def __init__(self, runtime: Runtime, clock: Callable[[], datetime] | None = None):
        self.applications = Applications(runtime.db, runtime.outbox, clock or utcnow)

    # --- the applicant --------------------------------------------------------------------------
    def create(
        self, owner: Principal, *, category: str, specialty: str, qualification: dict, dataflow_reference: str
    ) -> dict:
        return requests.create(
            self.applications,
            owner,
            category=category,
            specialty=specialty,
            qualification=qualification,
            dataflow_reference=dataflow_reference,
        )

    def submit(self, owner: Principal, number: str) -> dict:
        return requests.submit(self.applications, owner, number)

    def withdraw(self, owner: Principal, number: str) -> dict:
        return requests.withdraw(self.applications, owner, number)

    def list_own(self, owner: Principal) -> list[dict]:
        return requests.list_own(self.applications, owner)

    def read(self, caller: Principal, number: str) -> dict:
        return requests.read(self.applications, caller, number)

    def public_status(self, number: str) -> dict:
        return requests.public_status(self.applications, number)

    # --- reviewers --------------------------------------------------------------------------------
    def review_queue(self) -> list[dict]:
        return review.review_queue(self.applications)

    def start_review(self, reviewer: Principal, number: str) -> dict:
        return review.start_review(self.applications, reviewer, number)

    def decide(self, reviewer: Principal, number: str, decision: str, reason: str | None) -> dict:
        return review.decide(self.applications, reviewer, number, decision, reason)

    # --- data updates of a membership (R11) ------------------------------------------------------
    def submit_update(self, owner: Principal, membership_number: str, changes: dict) -> dict:
        return updates.submit_update(self.applications, owner, membership_number, changes)

    def start_update_review(self, reviewer: Principal, update_id: str) -> dict:
        return updates.start_update_review(self.applications, reviewer, update_id)

    def decide_update(self, reviewer: Principal, update_id: str, decision: str, reason: str | None) -> dict:
        return updates.decide_update(self.applications, reviewer, update_id, decision, reason)

    def read_membership(self, caller: Principal, membership_number: str) -> dict:
        return updates.read_membership(self.applications, caller, membership_number)

    def read_update(self, caller: Principal, update_id: str) -> dict:
        return updates.read_update(self.applications, caller, update_id)
