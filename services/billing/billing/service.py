"""What the billing service does, one method per use: each runs in one transaction (the caller's,
for event handlers), publishes its events through the outbox in that transaction, and answers
failures with an `ApiError`, leaving nothing changed.

Handlers (`assess_fees`, `close_fees`, `record_review_started`) take the consumer's session and
`publish`, so their effects commit with the inbox row. Everything that changes a request's invoices
or refunds locks its fee account first (see adapters/repository.py); the scheduler's payouts and
escalations claim refund rows (`FOR UPDATE SKIP LOCKED`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mumaris_shared.auth import STAFF_ROLES, Principal
from mumaris_shared.contracts import (
    EXEMPTION_DECIDED,
    FEES_ASSESSED,
    FEES_SETTLED,
    INVOICE_ISSUED,
    PAYMENT_DEADLINE_EXPIRED,
    PAYMENT_RECEIVED,
    PAYMENT_REMINDER_DUE,
    REFUND_DECIDED,
    REFUND_ESCALATED,
    REFUND_PAID,
    WAIVER_GRANTED,
)
from mumaris_shared.db import claim
from mumaris_shared.errors import ApiError
from mumaris_shared.events import Event, isoformat, utcnow
from mumaris_shared.runtime import Runtime

from .adapters import repository as repo
from .adapters.orm import fee_accounts_table, refunds_table
from .adapters.sandbox import SandboxProvider, Transport
from .domain import exemptions as ex
from .domain import refunds as rf
from .domain.fees import FEE_KINDS
from .domain.invoices import (
    ACCOUNT_EXPIRED,
    CANCELLED,
    CLOSED,
    EXPIRED,
    OPEN,
    PAID,
    SETTLED,
    UNPAID,
    WAIVED,
    NotPayable,
    check_payable,
    fees_settled,
    over_payment_rule,
)
from .domain.payments import (
    CAPTURED,
    FAILED,
    PENDING,
    REFUND_NOTICE,
    REFUNDED,
    SADAD,
    InvalidSignature,
    PaymentRequest,
    RefundRequest,
    RefundWebhookEvent,
    StaleWebhook,
)
from .refund_facts import full_key, policy_key, recorded_refund, refund_facts
from .settings import Settings

Publish = Callable[[str, dict], Event]
BY_RULES = "billing"  # decided_by of what the rules decide

log = logging.getLogger(__name__)


class BillingService:
    def __init__(
        self,
        runtime: Runtime,
        settings: Settings | None = None,
        clock: Callable[[], datetime] | None = None,
        transport: Transport | None = None,
    ):
        self.db = runtime.db
        self.outbox = runtime.outbox
        self.settings = settings or Settings.from_env()
        self.clock = clock or utcnow
        self.provider = SandboxProvider(
            self.settings.sandbox_webhook_secret, self.settings.webhook_url, self.clock, transport
        )

    @contextmanager
    def _transaction(self) -> Iterator[tuple[Session, Publish]]:
        with self.db.transaction() as session:
            yield session, partial(self.outbox.publish, session)

    # --- events from applications ---------------------------------------------------------------
    def assess_fees(self, session: Session, publish: Publish, data: dict) -> None:
        """A request was submitted: its two invoices, due after the deadline, with the exemptions
        and waivers already decided for it applied. A repeat submission of a known request is
        ignored (it was assessed once)."""
        number, owner = data["application_number"], data["account_id"]
        if repo.fee_account(session, number, lock=True) is not None:
            return
        now, policy = self.clock(), self.settings.deadlines
        submitted_at = datetime.fromisoformat(data["submitted_at"].replace("Z", "+00:00"))
        due_at = policy.due_at(submitted_at)
        repo.add_fee_account(
            session,
            application_number=number,
            account_id=owner,
            category=data["category"],
            submitted_at=submitted_at,
            assessed_at=now,
            due_at=due_at,
            status=OPEN,
            reminders_sent=[],
            next_check_at=policy.first_check_at(submitted_at, due_at),
        )
        waived: dict[str, tuple[str, str]] = {}  # fee kind -> (by, reference)
        for claim_row in repo.exemptions_of(session, number):
            if claim_row.status in (ex.PENDING, ex.APPROVED) and claim_row.account_id != owner:
                repo.update_exemption(
                    session,
                    claim_row.id,
                    status=ex.REJECTED,
                    reason=ex.NOT_THE_OWNER,
                    decided_at=now,
                    decided_by="billing",
                )
            elif claim_row.status == ex.APPROVED:
                waived.update(
                    {kind: (ex.BY_EXEMPTION, claim_row.id) for kind in ex.WAIVED_BY_EXEMPTION[claim_row.kind]}
                )
        waivers = repo.waivers_of(session, number)
        for waiver in waivers:
            waived.update({kind: (ex.BY_WAIVER, waiver.decision_number) for kind in waiver.kinds})
        issued = []
        for kind, amount in self.settings.fees.fees_for(data["category"]).items():
            by, reference = waived.get(kind, (None, None))
            issued.append(
                repo.add_invoice(
                    session,
                    application_number=number,
                    account_id=owner,
                    kind=kind,
                    amount_halalas=amount,
                    status=WAIVED if by else UNPAID,
                    due_at=due_at,
                    issued_at=now,
                    waived_at=now if by else None,
                    waived_by=by,
                    waiver_reference=reference,
                )
            )
        for invoice in issued:
            publish(INVOICE_ISSUED, {**_request(number, owner), "invoice": invoice_view(invoice)})
        publish(
            FEES_ASSESSED,
            {**_request(number, owner), "invoices": [invoice_view(i) for i in issued], "due_at": isoformat(due_at)},
        )
        for waiver in waivers:
            self._announce_waiver(session, publish, waiver, owner, now)
        self._settle_if_done(session, publish, repo.fee_account(session, number), now)

    def close_fees(self, session: Session, publish: Publish, data: dict, closed_by: str, decided: bool = False) -> None:
        """The request was withdrawn, approved or rejected: nothing more falls due (unpaid invoices
        are cancelled, no reminder, no expiry). A decision is recorded, since no refund is due after
        one. A withdrawal is then evaluated for refunds, each paid invoice by the policy, with no
        claim needed; a decision settles the claims still waiting for a reviewer."""
        number = data["application_number"]
        account = repo.fee_account(session, number, lock=True)
        if account is None:
            return  # a draft billing never knew
        now = self.clock()
        if decided and account.decision is None:
            repo.update_fee_account(session, number, decided_at=now, decision=closed_by)
        if closed_by == "withdrawn" and account.withdrawn_at is None:
            repo.update_fee_account(
                session,
                number,
                withdrawn_at=_parse(data["withdrawn_at"]),
                review_started_at=account.review_started_at or _parse(data.get("review_started_at")),
            )
        closable = (OPEN, SETTLED) if closed_by == "withdrawn" else (OPEN,)
        if account.status in closable:
            for invoice in repo.invoices_of(session, number):
                if invoice.status == UNPAID:
                    repo.update_invoice(session, invoice.id, status=CANCELLED, closed_at=now)
            repo.update_fee_account(
                session, number, status=CLOSED, closed_at=now, closed_by=closed_by, next_check_at=None
            )
        account = repo.fee_account(session, number)
        if closed_by == "withdrawn":
            self._evaluate_withdrawal(session, publish, account, now)
        else:
            self._decide_pending_claims(session, publish, account, now)

    def record_review_started(self, session: Session, publish: Publish, data: dict) -> None:
        """A reviewer took the request: no refund from now on (R8). Claims still waiting for a
        reviewer are now decided by the rules."""
        account = repo.fee_account(session, data["application_number"], lock=True)
        if account is None:
            return
        if account.review_started_at is None:
            repo.update_fee_account(session, account.application_number, review_started_at=_parse(data["started_at"]))
        self._decide_pending_claims(
            session, publish, repo.fee_account(session, account.application_number), self.clock()
        )

    # --- invoices ---------------------------------------------------------------------------------
    def invoices(self, principal: Principal, application_number: str) -> list[dict]:
        with self.db.transaction() as session:
            account = repo.fee_account(session, application_number)
            if account is None or not (account.account_id == principal.id or principal.has_role(*STAFF_ROLES)):
                raise _not_found("request")
            return [invoice_view(row) for row in repo.invoices_of(session, application_number)]

    # --- payments ---------------------------------------------------------------------------------
    def start_payment(
        self, principal: Principal, invoice_id: str, method: str, key: str, fingerprint: str
    ) -> tuple[int, dict]:
        """A pending payment of the invoice at the provider. Repeating the call with the same
        Idempotency-Key and the same request answers what the first answered, doing nothing."""
        now = self.clock()
        try:
            with self.db.transaction() as session:
                stored = self._stored_answer(session, principal, key, fingerprint)
                if stored is not None:
                    return stored
                invoice = repo.invoice(session, invoice_id)
                if invoice is None:
                    raise _not_found("invoice")
                if invoice.account_id != principal.id:
                    raise ApiError(403, "forbidden", "this invoice is not yours")
                repo.fee_account(session, invoice.application_number, lock=True)
                invoice = repo.invoice(session, invoice_id)  # as it is now that no one else changes it
                try:
                    check_payable(invoice.status)
                except NotPayable as refused:
                    raise ApiError(409, refused.code, refused.message, {"status": invoice.status}) from None
                bill_number = invoice.sadad_bill_number if method == SADAD else None
                request = PaymentRequest(
                    id=repo.new_id(), method=method, amount_halalas=invoice.amount_halalas, bill_number=bill_number
                )
                payment = repo.add_payment(
                    session,
                    id=request.id,
                    invoice_id=invoice.id,
                    account_id=principal.id,
                    method=method,
                    amount_halalas=invoice.amount_halalas,
                    status=PENDING,
                    provider=self.provider.name,
                    provider_reference=self.provider.start(request),
                    bill_number=bill_number,
                    created_at=now,
                )
                answer = payment_view(payment)
                repo.store_answer(session, principal.id, key, fingerprint, 201, answer, now)
        except IntegrityError:
            # The same key, used concurrently: the other call stored its answer first.
            with self.db.transaction() as session:
                stored = self._stored_answer(session, principal, key, fingerprint)
            if stored is None:
                raise
            return stored
        return 201, answer

    @staticmethod
    def _stored_answer(session: Session, principal: Principal, key: str, fingerprint: str) -> tuple[int, dict] | None:
        stored = repo.stored_answer(session, principal.id, key)
        if stored is None:
            return None
        if stored.fingerprint != fingerprint:
            raise ApiError(
                422, "idempotency_key_reused", "this Idempotency-Key was used for a different request; use a new key"
            )
        return stored.status_code, stored.response

    def payment(self, principal: Principal, payment_id: str) -> dict:
        with self.db.transaction() as session:
            payment = repo.payment(session, payment_id)
        if payment is None or not (payment.account_id == principal.id or principal.has_role(*STAFF_ROLES)):
            raise _not_found("payment")
        return payment_view(payment)

    def complete_sandbox_payment(self, principal: Principal, payment_id: str, outcome: str) -> dict:
        """Play the payer and the bank: the sandbox settles the payment with `outcome` and calls
        the webhook. No transaction is open while it does (the webhook opens its own)."""
        if self.settings.payment_provider != "sandbox":
            raise _not_found("sandbox")
        with self.db.transaction() as session:
            payment = repo.payment(session, payment_id)
        if payment is None:
            raise _not_found("payment")
        if payment.account_id != principal.id:
            raise ApiError(403, "forbidden", "this payment is not yours")
        if payment.status != PENDING:
            raise ApiError(
                409, "payment_not_pending", f"this payment is already {payment.status}", {"status": payment.status}
            )
        try:
            status, answer = self.provider.complete(payment_id, outcome)
        except OSError as exc:
            raise ApiError(
                502,
                "webhook_unreachable",
                "the sandbox could not reach billing's webhook",
                {"url": self.settings.webhook_url, "error": str(exc)},
            ) from None
        return {"payment": payment_id, "outcome": outcome, "webhook": {"status": status, "answer": answer}}

    def receive_webhook(self, headers, body: bytes) -> dict:
        """The provider tells how a payment ended. Signed and fresh, seen once: a captured payment
        pays its invoice, or — when the invoice no longer owes it — is refunded in full."""
        try:
            event = self.provider.verify_webhook(headers, body)
        except (InvalidSignature, StaleWebhook) as refused:
            raise ApiError(401, refused.code, str(refused)) from None
        except ValueError as malformed:
            raise ApiError(422, "validation_failed", str(malformed)) from None
        if isinstance(event, RefundWebhookEvent):
            return self._receive_refund_notice(event)
        now = self.clock()
        try:
            with self._transaction() as (session, publish):
                if repo.webhook_seen(session, event.id):
                    raise _replayed()
                # Written first: a concurrent delivery of the same event waits on it, then fails.
                repo.add_webhook_event(
                    session,
                    id=event.id,
                    provider=self.provider.name,
                    payment_id=event.payment_id,
                    outcome=event.outcome,
                    occurred_at=event.occurred_at,
                    received_at=now,
                    effect="ignored",
                )
                payment = repo.payment(session, event.payment_id)
                if payment is None:
                    raise _not_found("payment")
                effect = self._settle_payment(session, publish, payment, event.outcome, now)
                repo.set_webhook_effect(session, event.id, effect)
        except IntegrityError:
            raise _replayed() from None
        return {"id": event.id, "payment": event.payment_id, "effect": effect}

    def _receive_refund_notice(self, event: RefundWebhookEvent) -> dict:
        """The provider paid a refund back (or could not). Seen once: a refund `paying` becomes
        `paid` and is announced; one in any other state — paid already — is left as it is."""
        now = self.clock()
        try:
            with self._transaction() as (session, publish):
                if repo.webhook_seen(session, event.id):
                    raise _replayed()
                refund = repo.refund(session, event.refund_id)
                if refund is None:
                    raise _not_found("refund")
                # Written before the effect: a concurrent delivery of the same event waits on it, then fails.
                repo.add_webhook_event(
                    session,
                    id=event.id,
                    provider=self.provider.name,
                    kind=REFUND_NOTICE,
                    payment_id=refund.payment_id or "",
                    refund_id=refund.id,
                    outcome=event.outcome,
                    occurred_at=event.occurred_at,
                    received_at=now,
                    effect="ignored",
                )
                repo.fee_account(session, refund.application_number, lock=True)
                refund = repo.refund(session, event.refund_id, lock=True)
                effect = "ignored"
                if refund.status == rf.PAYING and event.outcome == REFUNDED:
                    repo.update_refund(session, refund.id, status=rf.PAID, paid_at=now, next_notice_at=None)
                    publish(
                        REFUND_PAID,
                        {
                            **_request(refund.application_number, refund.account_id),
                            "refund_id": refund.id,
                            "invoice_id": refund.invoice_id,
                            "amount_halalas": refund.amount_halalas,
                            "paid_at": isoformat(now),
                        },
                    )
                    effect = "refund_paid"
                elif refund.status == rf.PAYING:
                    repo.update_refund(session, refund.id, status=rf.PAYOUT_FAILED, next_notice_at=None)
                    effect = "refund_failed"
                repo.set_webhook_effect(session, event.id, effect)
        except IntegrityError:
            raise _replayed() from None
        return {"id": event.id, "payment": refund.payment_id, "refund": refund.id, "effect": effect}

    def _settle_payment(self, session: Session, publish: Publish, payment, outcome: str, now: datetime) -> str:
        invoice = repo.invoice(session, payment.invoice_id)
        account = repo.fee_account(session, invoice.application_number, lock=True)
        payment, invoice = repo.payment(session, payment.id), repo.invoice(session, invoice.id)
        if payment.status != PENDING:
            return "ignored"  # the provider told us before, under another event id
        if outcome == FAILED:
            repo.update_payment(session, payment.id, status=FAILED, completed_at=now)
            return FAILED
        repo.update_payment(session, payment.id, status=CAPTURED, completed_at=now)
        rule = over_payment_rule(invoice.status)
        if rule is not None:
            self._refund(session, publish, invoice, payment.amount_halalas, rule, now, payment_id=payment.id)
            return "over_payment"
        repo.update_invoice(session, invoice.id, status=PAID, paid_at=now, paid_by_payment=payment.id)
        publish(
            PAYMENT_RECEIVED,
            {
                **_request(invoice.application_number, invoice.account_id),
                "invoice_id": invoice.id,
                "kind": invoice.kind,
                "payment_id": payment.id,
                "method": payment.method,
                "amount_halalas": payment.amount_halalas,
                "paid_at": isoformat(now),
            },
        )
        self._settle_if_done(session, publish, account, now)
        return CAPTURED

    # --- exemptions and waivers -----------------------------------------------------------------
    def claim_exemption(
        self, principal: Principal, application_number: str, kind: str, evidence_reference: str
    ) -> dict:
        """An applicant's claim, queued for a reviewer. For a request billing does not know yet
        (still a draft), the claim is bound to the claimant and checked when the request arrives."""
        now = self.clock()
        with self.db.transaction() as session:
            account = repo.fee_account(session, application_number, lock=True)
            if account is not None:
                if account.account_id != principal.id:
                    raise ApiError(403, "forbidden", "you may claim an exemption only for your own request")
                if account.status in (ACCOUNT_EXPIRED, CLOSED):
                    raise _request_closed(account.status)
            if repo.active_claim(session, application_number, principal.id, kind) is not None:
                raise ApiError(409, "exemption_exists", "you already claimed this exemption for this request")
            return exemption_view(
                repo.add_exemption(
                    session,
                    id=repo.new_id(),
                    application_number=application_number,
                    account_id=principal.id,
                    kind=kind,
                    evidence_reference=evidence_reference,
                    status=ex.PENDING,
                    claimed_at=now,
                )
            )

    def exemptions(self, status: str | None) -> list[dict]:
        with self.db.transaction() as session:
            return [exemption_view(row) for row in repo.exemptions_by_status(session, status)]

    def decide_exemption(self, principal: Principal, exemption_id: str, decision: str, reason: str | None) -> dict:
        if decision == ex.REJECT and not (reason or "").strip():
            raise ApiError(
                422, "validation_failed", "a rejection needs a reason", {"fields": {"reason": ["required to reject"]}}
            )
        now = self.clock()
        with self._transaction() as (session, publish):
            claimed = repo.exemption(session, exemption_id)
            if claimed is None:
                raise _not_found("exemption")
            account = repo.fee_account(session, claimed.application_number, lock=True)
            claimed = repo.exemption(session, exemption_id, lock=True)
            if claimed.status != ex.PENDING:
                raise ApiError(
                    409, "already_decided", f"this exemption is already {claimed.status}", {"status": claimed.status}
                )
            status = ex.APPROVED if decision == ex.APPROVE else ex.REJECTED
            repo.update_exemption(
                session, exemption_id, status=status, reason=reason, decided_at=now, decided_by=principal.id
            )
            publish(
                EXEMPTION_DECIDED,
                {
                    **_request(claimed.application_number, claimed.account_id),
                    "exemption_id": exemption_id,
                    "kind": claimed.kind,
                    "decision": decision,
                    "reason": reason,
                },
            )
            if status == ex.APPROVED and account is not None:
                self._waive(
                    session, publish, account, ex.WAIVED_BY_EXEMPTION[claimed.kind], ex.BY_EXEMPTION, exemption_id, now
                )
            return exemption_view(repo.exemption(session, exemption_id))

    def grant_waiver(
        self, principal: Principal, application_number: str, decision_number: str, kinds: list[str]
    ) -> dict:
        """A secretary-general's decision: the fee kinds it names are waived, now or when issued."""
        now = self.clock()
        try:
            with self._transaction() as (session, publish):
                account = repo.fee_account(session, application_number, lock=True)
                if account is not None and account.status in (ACCOUNT_EXPIRED, CLOSED):
                    raise _request_closed(account.status)
                if repo.waiver_by_decision(session, application_number, decision_number) is not None:
                    raise _waiver_exists()
                waiver = repo.add_waiver(
                    session,
                    id=repo.new_id(),
                    application_number=application_number,
                    decision_number=decision_number,
                    kinds=sorted(set(kinds), key=FEE_KINDS.index),
                    granted_by=principal.id,
                    granted_at=now,
                )
                if account is not None:
                    self._announce_waiver(session, publish, waiver, account.account_id, now)
                    self._waive(session, publish, account, waiver.kinds, ex.BY_WAIVER, decision_number, now)
                return waiver_view(waiver)
        except IntegrityError:
            raise _waiver_exists() from None

    def _announce_waiver(self, session: Session, publish: Publish, waiver, owner: str, now: datetime) -> None:
        """billing.waiver_granted names the request's owner, so it waits until billing knows them."""
        if waiver.announced_at is not None:
            return
        publish(
            WAIVER_GRANTED,
            {
                **_request(waiver.application_number, owner),
                "waiver_id": waiver.id,
                "decision_number": waiver.decision_number,
                "kinds": list(waiver.kinds),
            },
        )
        repo.mark_waiver_announced(session, waiver.id, now)

    def _waive(
        self, session: Session, publish: Publish, account, kinds, by: str, reference: str, now: datetime
    ) -> None:
        """Waive the request's invoices of `kinds`: an unpaid one simply; a paid one too, its payment
        then refunded in full (rule `<by>_after_payment`). Expired or cancelled ones stay so."""
        for invoice in repo.invoices_of(session, account.application_number):
            if invoice.kind not in kinds or invoice.status not in (UNPAID, PAID):
                continue
            repo.update_invoice(
                session, invoice.id, status=WAIVED, waived_at=now, waived_by=by, waiver_reference=reference
            )
            if invoice.status == PAID:
                self._refund_fee_in_full(session, publish, invoice, f"{by}_after_payment", now)
        self._settle_if_done(session, publish, account, now)

    def _refund_fee_in_full(self, session: Session, publish: Publish, invoice, rule: str, now: datetime) -> None:
        """The fee paid for `invoice` is owed back in full (it was waived after payment). A claim of
        it still waiting for a reviewer becomes that refund; one already approved is topped up to
        the full amount, never beyond it."""
        paid = repo.payment(session, invoice.paid_by_payment).amount_halalas
        claimed = repo.refund_by_key(session, policy_key(invoice.id))
        if claimed is not None and claimed.status == rf.PENDING_REVIEW:
            repo.update_refund(
                session,
                claimed.id,
                status=rf.APPROVED,
                amount_halalas=paid,
                rule=rule,
                decided_at=now,
                decided_by=BY_RULES,
            )
            self._announce_refund(publish, repo.refund(session, claimed.id))
            return
        already = claimed.amount_halalas if claimed is not None and claimed.status in _PAYING_BACK else 0
        if paid - already > 0:
            self._refund(session, publish, invoice, paid - already, rule, now, payment_id=invoice.paid_by_payment)

    # --- settlement and refunds -----------------------------------------------------------------
    def _settle_if_done(self, session: Session, publish: Publish, account, now: datetime) -> None:
        """Both fees paid or waived: the request is settled, announced exactly once (the account
        is locked and leaves `open` here)."""
        if account.status != OPEN:
            return
        if not fees_settled(invoice.status for invoice in repo.invoices_of(session, account.application_number)):
            return
        repo.update_fee_account(session, account.application_number, status=SETTLED, settled_at=now, next_check_at=None)
        publish(
            FEES_SETTLED, {**_request(account.application_number, account.account_id), "settled_at": isoformat(now)}
        )

    def _refund(
        self, session: Session, publish: Publish, invoice, amount: int, rule: str, now: datetime, payment_id: str
    ) -> None:
        """An over-payment the rules refund by themselves: approved at once, one per payment."""
        refund = repo.add_refund(
            session,
            id=repo.new_id(),
            invoice_id=invoice.id,
            application_number=invoice.application_number,
            account_id=invoice.account_id,
            payment_id=payment_id,
            amount_halalas=amount,
            rule=rule,
            status=rf.APPROVED,
            created_at=now,
            decided_at=now,
            decided_by=BY_RULES,
            dedupe_key=full_key(payment_id),
            origin=rf.OVER_PAYMENT,
            decide_by=self.settings.refunds.decide_by(now),
        )
        self._announce_refund(publish, refund)

    @staticmethod
    def _announce_refund(publish: Publish, refund) -> None:
        publish(
            REFUND_DECIDED,
            {
                **_request(refund.application_number, refund.account_id),
                "refund_id": refund.id,
                "invoice_id": refund.invoice_id,
                "status": refund.status,
                "amount_halalas": refund.amount_halalas,
                "rule": refund.rule,
                "reason": refund.reason,
            },
        )

    # --- refunds by the policy (domain/refunds.py) ---------------------------------------------------
    def _policy_refund(
        self,
        session: Session,
        publish: Publish,
        account,
        invoice,
        now: datetime,
        origin: str,
        claimed_by: str | None = None,
        claim_reason: str | None = None,
    ):
        """Decide the fee paid for `invoice` by the policy, record the decision and announce it."""
        decision = self.settings.refunds.decide(refund_facts(session, account, invoice, now))
        decided = decision.status != rf.PENDING_REVIEW
        refund = repo.add_refund(
            session,
            id=repo.new_id(),
            invoice_id=invoice.id,
            application_number=invoice.application_number,
            account_id=invoice.account_id,
            payment_id=invoice.paid_by_payment,
            amount_halalas=decision.amount_halalas,
            rule=decision.rule,
            status=decision.status,
            created_at=now,
            decided_at=now if decided else None,
            decided_by=BY_RULES if decided else None,
            dedupe_key=policy_key(invoice.id),
            origin=origin,
            claimed_by=claimed_by,
            claim_reason=claim_reason,
            decide_by=self.settings.refunds.decide_by(now),
        )
        self._announce_refund(publish, refund)
        return refund

    def _evaluate_withdrawal(self, session: Session, publish: Publish, account, now: datetime) -> None:
        """Each paid fee of a withdrawn request, by the policy: recorded (refused ones too, so the
        applicant is told the rule) and announced, once — a fee already decided is left alone."""
        for invoice in repo.invoices_of(session, account.application_number):
            if invoice.status != PAID:
                continue
            existing = recorded_refund(session, invoice)
            if existing is None:
                self._policy_refund(session, publish, account, invoice, now, rf.WITHDRAWAL)
        self._decide_pending_claims(session, publish, account, now)

    def _decide_pending_claims(self, session: Session, publish: Publish, account, now: datetime) -> None:
        """Billing learned a fact about the request (withdrawn, taken for review, decided). Claims
        waiting for a reviewer that the rules can now decide are decided by them (and announced).
        A refusal the rules made earlier is refined to the rule that now applies first (taken for
        review, then decided: `review_started` becomes `request_decided`): facts only accumulate, so
        it stays a refusal of 0 — not a new decision, nothing announced."""
        for refund in repo.refunds_of(session, account.application_number):
            by_rules_refused = refund.status == rf.REJECTED and refund.decided_by == BY_RULES
            if refund.origin == rf.OVER_PAYMENT or not (refund.status == rf.PENDING_REVIEW or by_rules_refused):
                continue
            invoice = repo.invoice(session, refund.invoice_id)
            if invoice.status != PAID:
                continue
            decision = self.settings.refunds.decide(refund_facts(session, account, invoice, now))
            if by_rules_refused:
                if decision.status == rf.REJECTED and decision.rule != refund.rule:
                    repo.update_refund(session, refund.id, rule=decision.rule)
                continue
            if decision.status == rf.PENDING_REVIEW:
                continue
            repo.update_refund(
                session,
                refund.id,
                status=decision.status,
                amount_halalas=decision.amount_halalas,
                rule=decision.rule,
                decided_at=now,
                decided_by=BY_RULES,
            )
            self._announce_refund(publish, repo.refund(session, refund.id))

    # --- refund claims and reviewers' decisions ---------------------------------------------------
    def claim_refund(self, principal: Principal, invoice_id: str, reason: str) -> tuple[int, dict]:
        """The invoice's owner claims its fee back: decided at once by the policy when it can, else
        queued for a reviewer. One refund per invoice: a repeated claim answers the refund already
        recorded for it (200), creating nothing."""
        now = self.clock()
        try:
            with self._transaction() as (session, publish):
                invoice = repo.invoice(session, invoice_id)
                if invoice is None:
                    raise _not_found("invoice")
                if invoice.account_id != principal.id:
                    raise ApiError(403, "forbidden", "this invoice is not yours")
                account = repo.fee_account(session, invoice.application_number, lock=True)
                invoice = repo.invoice(session, invoice_id)  # as it is now that no one else changes it
                existing = recorded_refund(session, invoice)
                if existing is not None:
                    return 200, self._refund_views(session, [existing])[0]
                if invoice.status != PAID:
                    raise ApiError(
                        409,
                        "invoice_not_paid",
                        f"this invoice is {invoice.status}; only a paid fee can be refunded",
                        {"status": invoice.status},
                    )
                refund = self._policy_refund(
                    session, publish, account, invoice, now, rf.CLAIM, claimed_by=principal.id, claim_reason=reason
                )
                return 201, self._refund_views(session, [refund])[0]
        except IntegrityError:
            # The same claim, made concurrently (or the withdrawal evaluated meanwhile): one refund.
            with self.db.transaction() as session:
                existing = recorded_refund(session, repo.invoice(session, invoice_id))
                if existing is None:
                    raise
                return 200, self._refund_views(session, [existing])[0]

    def refunds(self, principal: Principal, application_number: str | None, status: str | None) -> list[dict]:
        """A request's refunds (its owner or staff), or — staff only — every refund in `status`,
        oldest first (`pending_review`: the reviewers' queue)."""
        with self.db.transaction() as session:
            if application_number is not None:
                account = repo.fee_account(session, application_number)
                if account is None or not (account.account_id == principal.id or principal.has_role(*STAFF_ROLES)):
                    raise _not_found("request")
                rows = [
                    row
                    for row in repo.refunds_of(session, application_number)
                    if status is None or row.status == status
                ]
            else:
                if not principal.has_role(*STAFF_ROLES):
                    raise ApiError(403, "forbidden", "only staff list refunds across requests; name an application")
                rows = repo.refunds_by_status(session, status)
            return self._refund_views(session, rows)

    def refund(self, principal: Principal, refund_id: str) -> dict:
        with self.db.transaction() as session:
            row = repo.refund(session, refund_id)
            if row is None or not (row.account_id == principal.id or principal.has_role(*STAFF_ROLES)):
                raise _not_found("refund")
            return self._refund_views(session, [row])[0]

    def decide_refund(
        self, principal: Principal, refund_id: str, decision: str, reason: str | None, amount_halalas: int | None
    ) -> dict:
        """A reviewer decides a claim the rules could not: approve (by default the amount claimed —
        the whole fee paid — or less) or reject with a reason."""
        if decision == ex.REJECT and not (reason or "").strip():
            raise ApiError(
                422, "validation_failed", "a rejection needs a reason", {"fields": {"reason": ["required to reject"]}}
            )
        if decision == ex.REJECT and amount_halalas is not None:
            raise ApiError(
                422,
                "validation_failed",
                "an amount goes only with an approval",
                {"fields": {"amount_halalas": ["only to approve"]}},
            )
        now = self.clock()
        with self._transaction() as (session, publish):
            refund = repo.refund(session, refund_id)
            if refund is None:
                raise _not_found("refund")
            repo.fee_account(session, refund.application_number, lock=True)
            refund = repo.refund(session, refund_id, lock=True)
            if refund.status != rf.PENDING_REVIEW:
                raise ApiError(
                    409,
                    "already_decided",
                    f"this refund is already {refund.status}",
                    {"status": refund.status, "rule": refund.rule},
                )
            if decision == ex.APPROVE:
                paid = repo.payment(session, refund.payment_id).amount_halalas
                amount = refund.amount_halalas if amount_halalas is None else amount_halalas
                if amount > paid:
                    raise ApiError(
                        422,
                        "validation_failed",
                        f"at most what was paid ({paid} halalas) is refunded",
                        {"fields": {"amount_halalas": [f"at most {paid}"]}},
                    )
                status = rf.APPROVED
            else:
                amount, status = 0, rf.REJECTED
            repo.update_refund(
                session,
                refund_id,
                status=status,
                amount_halalas=amount,
                rule=rf.REVIEWER_DECISION,
                reason=reason,
                decided_at=now,
                decided_by=principal.id,
            )
            refund = repo.refund(session, refund_id)
            self._announce_refund(publish, refund)
            return self._refund_views(session, [refund])[0]

    @staticmethod
    def _refund_views(session: Session, rows) -> list[dict]:
        kinds = repo.invoice_kinds(session, (row.invoice_id for row in rows))
        return [refund_view(row, kinds.get(row.invoice_id)) for row in rows]

    # --- payouts and escalation (the scheduler) --------------------------------------------------
    def run_refund_payouts(self) -> int:
        """One batch of approved refunds not yet started: each is started at the provider (idempotent
        on the refund id) and becomes `paying`, in the transaction that claimed it, so however many
        schedulers run, each refund is started by one of them, once."""
        now, table = self.clock(), refunds_table
        with self.db.transaction() as session:
            claimed = claim(
                session,
                self.db,
                table,
                table.c.status == rf.APPROVED,
                table.c.amount_halalas > 0,
                order_by=table.c.decided_at,
                limit=self.settings.scheduler_batch,
            )
            for refund in claimed:
                payment = repo.payment(session, refund.payment_id)
                reference = self.provider.start_refund(
                    RefundRequest(
                        id=refund.id,
                        payment_id=payment.id,
                        payment_reference=payment.provider_reference,
                        amount_halalas=refund.amount_halalas,
                    )
                )
                repo.update_refund(
                    session,
                    refund.id,
                    status=rf.PAYING,
                    provider_reference=reference,
                    payout_started_at=now,
                    next_notice_at=now,
                )
            return len(claimed)

    def deliver_sandbox_refund_notices(self) -> int:
        """The sandbox's side of a refund (it keeps no state of its own): for refunds `paying` in it
        whose notice is due, play the bank and send the signed webhook. A notice not acknowledged is
        sent again after BILLING_SANDBOX_RESEND_AFTER; the webhook pays a refund once whatever comes."""
        if self.settings.payment_provider != "sandbox":
            return 0
        now, table = self.clock(), refunds_table
        with self.db.transaction() as session:
            claimed = claim(
                session,
                self.db,
                table,
                table.c.status == rf.PAYING,
                table.c.next_notice_at <= now,
                order_by=table.c.next_notice_at,
                limit=self.settings.scheduler_batch,
            )
            for refund in claimed:
                repo.update_refund(session, refund.id, next_notice_at=now + self.settings.sandbox_resend_after)
        for refund in claimed:  # no transaction open: the webhook opens its own
            try:
                status, answer = self.provider.complete_refund(refund.id)
                if status >= 400:
                    log.warning("sandbox: refund %s webhook answered %s: %s", refund.id, status, answer)
            except OSError as exc:
                log.warning("sandbox: refund %s webhook unreachable (%s); sent again later", refund.id, exc)
        return len(claimed)

    def run_refund_escalations(self) -> int:
        """One batch of claims still waiting for a reviewer within BILLING_REFUND_ESCALATE_BEFORE of
        their limit: each escalated once (claimed, marked, announced in one transaction)."""
        now, table, policy = self.clock(), refunds_table, self.settings.refunds
        with self._transaction() as (session, publish):
            claimed = claim(
                session,
                self.db,
                table,
                table.c.status == rf.PENDING_REVIEW,
                table.c.escalated_at.is_(None),
                table.c.decide_by <= now + policy.escalate_before,
                order_by=table.c.decide_by,
                limit=self.settings.scheduler_batch,
            )
            for refund in claimed:
                repo.update_refund(session, refund.id, escalated_at=now)
                publish(
                    REFUND_ESCALATED,
                    {
                        **_request(refund.application_number, refund.account_id),
                        "refund_id": refund.id,
                        "invoice_id": refund.invoice_id,
                        "amount_halalas": refund.amount_halalas,
                        "claimed_at": isoformat(refund.created_at),
                        "decide_by": isoformat(refund.decide_by),
                    },
                )
            return len(claimed)

    # --- the deadline -----------------------------------------------------------------------------
    def run_deadlines(self) -> int:
        """One batch of requests whose next reminder or deadline has come: remind, or expire. Rows
        are claimed (`FOR UPDATE SKIP LOCKED`), so schedulers side by side never take the same
        request; how many were handled."""
        now, policy, table = self.clock(), self.settings.deadlines, fee_accounts_table
        with self._transaction() as (session, publish):
            claimed = claim(
                session,
                self.db,
                table,
                table.c.status == OPEN,
                table.c.next_check_at <= now,
                order_by=table.c.next_check_at,
                limit=self.settings.scheduler_batch,
            )
            for account in claimed:
                step = policy.step(account.submitted_at, account.due_at, set(account.reminders_sent), now)
                number, request = account.application_number, _request(account.application_number, account.account_id)
                unpaid = [row for row in repo.invoices_of(session, number) if row.status == UNPAID]
                if step.expire:
                    for invoice in unpaid:
                        repo.update_invoice(session, invoice.id, status=EXPIRED, closed_at=now)
                    repo.update_fee_account(session, number, status=ACCOUNT_EXPIRED, expired_at=now, next_check_at=None)
                    publish(
                        PAYMENT_DEADLINE_EXPIRED,
                        {**request, "due_at": isoformat(account.due_at), "expired_at": isoformat(now)},
                    )
                    continue
                if step.remind is not None:
                    publish(
                        PAYMENT_REMINDER_DUE,
                        {
                            **request,
                            "due_at": isoformat(account.due_at),
                            "before_deadline": step.remind.name,
                            "invoices": [invoice_view(row) for row in unpaid],
                        },
                    )
                repo.update_fee_account(
                    session,
                    number,
                    next_check_at=step.next_check_at,
                    reminders_sent=[*account.reminders_sent, *step.mark_sent],
                )
            return len(claimed)


# --- views --------------------------------------------------------------------------------------------
def _iso(moment: datetime | None) -> str | None:
    return isoformat(moment) if moment is not None else None


def _request(application_number: str, account_id: str) -> dict:
    return {"application_number": application_number, "account_id": account_id}


def invoice_view(row) -> dict:
    return {
        "id": row.id,
        "application": row.application_number,
        "kind": row.kind,
        "amount_halalas": row.amount_halalas,
        "status": row.status,
        "due_at": isoformat(row.due_at),
        "sadad_bill_number": row.sadad_bill_number,
        "issued_at": isoformat(row.issued_at),
        "paid_at": _iso(row.paid_at),
        "waived_by": row.waived_by,
        "waiver_reference": row.waiver_reference,
    }


def payment_view(row) -> dict:
    view = {
        "id": row.id,
        "status": row.status,
        "invoice": row.invoice_id,
        "method": row.method,
        "amount_halalas": row.amount_halalas,
        "provider": row.provider,
        "provider_reference": row.provider_reference,
        "created_at": isoformat(row.created_at),
        "completed_at": _iso(row.completed_at),
    }
    if row.method == SADAD:
        view["bill_number"] = row.bill_number
    return view


def exemption_view(row) -> dict:
    return {
        "id": row.id,
        "application": row.application_number,
        "account_id": row.account_id,
        "kind": row.kind,
        "evidence_reference": row.evidence_reference,
        "status": row.status,
        "reason": row.reason,
        "claimed_at": isoformat(row.claimed_at),
        "decided_at": _iso(row.decided_at),
    }


def refund_view(row, fee_kind: str | None = None) -> dict:
    return {
        "id": row.id,
        "invoice": row.invoice_id,
        "application": row.application_number,
        "kind": fee_kind,
        "status": row.status,
        "amount_halalas": row.amount_halalas,
        "rule": row.rule,
        "origin": row.origin,
        "payment": row.payment_id,
        "claim_reason": row.claim_reason,
        "reason": row.reason,
        "created_at": isoformat(row.created_at),
        "decide_by": _iso(row.decide_by),
        "decided_at": _iso(row.decided_at),
        "escalated_at": _iso(row.escalated_at),
        "paid_at": _iso(row.paid_at),
    }


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


_PAYING_BACK = (rf.APPROVED, rf.PAYING, rf.PAID)


def waiver_view(row) -> dict:
    return {
        "id": row.id,
        "application": row.application_number,
        "decision_number": row.decision_number,
        "kinds": list(row.kinds),
        "granted_at": isoformat(row.granted_at),
    }


# --- errors ---------------------------------------------------------------------------------------
def _not_found(what: str) -> ApiError:
    # The same answer whether it does not exist or is someone else's: no hint either way.
    return ApiError(404, "not_found", f"no such {what}")


def _replayed() -> ApiError:
    return ApiError(409, "webhook_replayed", "this webhook event was already processed")


def _request_closed(status: str) -> ApiError:
    return ApiError(
        409, "request_closed", f"the request's fees are {status}; nothing can change them now", {"status": status}
    )


def _waiver_exists() -> ApiError:
    return ApiError(409, "waiver_exists", "this decision was already recorded for this request")
