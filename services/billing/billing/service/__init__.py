"""Billing's use cases, one module per group, each function taking its dependencies (`Billing`):

    fees        a request's fees over its life, from applications' events
    payments    paying an invoice through the provider; the provider's webhooks
    waivers     exemptions and secretary-general waivers
    refunds     refunds by the policy's named rules, and reviewers' decisions
    classification  a reviewer's classification: the difference of the category fee
    settlement  what follows from a change of invoices (settled, refunded in full, announced)
    jobs        the scheduler's batches: reminders, the deadline, payouts, escalations, reconciliation

Each runs in one transaction (the consumer's, for event handlers), publishes through the outbox in
it, and refuses with a `domain.errors` exception, leaving nothing changed. Everything that changes a
request's invoices or refunds locks its fee account first (adapters/repository.py).

`BillingService` binds them to one set of dependencies: the API, the consumer and the scheduler
each hold one."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from mumaris_shared.auth import Principal
from mumaris_shared.events import utcnow
from mumaris_shared.runtime import Runtime

from ..adapters.sandbox import Transport
from ..settings import Settings
from . import classification, fees, jobs, payments, refunds, waivers
from .context import Billing, Publish, make_provider


class BillingService:
    def __init__(
        self,
        runtime: Runtime,
        settings: Settings | None = None,
        clock: Callable[[], datetime] | None = None,
        transport: Transport | None = None,
    ):
        settings = settings or Settings.from_env()
        clock = clock or utcnow
        self.billing = Billing(runtime.db, runtime.outbox, settings, clock, make_provider(settings, clock, transport))
        self.settings = settings

    # --- events from applications (the consumer's transaction) -----------------------------------
    def assess_fees(self, session: Session, publish: Publish, data: dict) -> None:
        fees.assess_fees(self.billing, session, publish, data)

    def assess_many_fees(
        self, session: Session, submissions: list[tuple[dict, Publish]]
    ) -> list[tuple[int, str, dict]]:
        return fees.assess_many_fees(self.billing, session, submissions)

    def close_fees(self, session: Session, publish: Publish, data: dict, closed_by: str, decided: bool = False) -> None:
        fees.close_fees(self.billing, session, publish, data, closed_by, decided)

    def record_review_started(self, session: Session, publish: Publish, data: dict) -> None:
        fees.record_review_started(self.billing, session, publish, data)

    def reclassify(self, session: Session, publish: Publish, data: dict) -> None:
        classification.reclassify(self.billing, session, publish, data)

    # --- the API ---------------------------------------------------------------------------------
    def invoices(self, principal: Principal, application_number: str) -> list[Row]:
        return fees.invoices(self.billing, principal, application_number)

    def start_payment(
        self,
        principal: Principal,
        invoice_id: str,
        method: str,
        key: str,
        fingerprint: str,
        answer: Callable[[Row], dict],
    ) -> tuple[int, dict]:
        return payments.start_payment(self.billing, principal, invoice_id, method, key, fingerprint, answer)

    def payment(self, principal: Principal, payment_id: str) -> Row:
        return payments.payment(self.billing, principal, payment_id)

    def complete_sandbox_payment(self, principal: Principal, payment_id: str, outcome: str) -> dict:
        return payments.complete_sandbox_payment(self.billing, principal, payment_id, outcome)

    def receive_webhook(self, provider: str, headers: Mapping[str, str], body: bytes) -> dict:
        return payments.receive_webhook(self.billing, provider, headers, body)

    def claim_exemption(self, principal: Principal, application_number: str, kind: str, evidence: str) -> Row:
        return waivers.claim_exemption(self.billing, principal, application_number, kind, evidence)

    def exemptions(self, status: str | None) -> list[Row]:
        return waivers.exemptions(self.billing, status)

    def decide_exemption(self, principal: Principal, exemption_id: str, decision: str, reason: str | None) -> Row:
        return waivers.decide_exemption(self.billing, principal, exemption_id, decision, reason)

    def grant_waiver(
        self, principal: Principal, application_number: str, decision_number: str, kinds: Sequence[str]
    ) -> Row:
        return waivers.grant_waiver(self.billing, principal, application_number, decision_number, kinds)

    def claim_refund(self, principal: Principal, invoice_id: str, reason: str) -> tuple[int, Row]:
        return refunds.claim_refund(self.billing, principal, invoice_id, reason)

    def refunds(self, principal: Principal, application_number: str | None, status: str | None) -> list[Row]:
        return refunds.refunds(self.billing, principal, application_number, status)

    def refund(self, principal: Principal, refund_id: str) -> Row:
        return refunds.refund(self.billing, principal, refund_id)

    def decide_refund(
        self, principal: Principal, refund_id: str, decision: str, reason: str | None, amount: int | None
    ) -> Row:
        return refunds.decide_refund(self.billing, principal, refund_id, decision, reason, amount)

    # --- the scheduler -----------------------------------------------------------------------------
    def run_deadlines(self) -> int:
        return jobs.run_deadlines(self.billing)

    def run_refund_payouts(self) -> int:
        return jobs.run_refund_payouts(self.billing)

    def deliver_sandbox_notices(self) -> int:
        return jobs.deliver_sandbox_notices(self.billing)

    def reconcile_openings(self) -> int:
        return jobs.reconcile_openings(self.billing)

    def run_refund_escalations(self) -> int:
        return jobs.run_refund_escalations(self.billing)
