"""What the billing service does, one method per use: each runs in one transaction (the caller's,
for event handlers), publishes its events through the outbox in that transaction, and answers
failures with an `ApiError`, leaving nothing changed.

Handlers (`assess_fees`, `close_fees`) take the consumer's session and `publish`, so their effects
commit with the inbox row. Everything that changes a request's invoices locks its fee account
first (see adapters/repository.py)."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Callable, Iterator

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mumaris_shared.auth import Principal
from mumaris_shared.contracts import (EXEMPTION_DECIDED, FEES_ASSESSED, FEES_SETTLED, INVOICE_ISSUED,
                                      PAYMENT_DEADLINE_EXPIRED, PAYMENT_RECEIVED, PAYMENT_REMINDER_DUE,
                                      REFUND_DECIDED, WAIVER_GRANTED)
from mumaris_shared.db import claim
from mumaris_shared.errors import ApiError
from mumaris_shared.events import Event, isoformat, utcnow
from mumaris_shared.runtime import Runtime

from .adapters import repository as repo
from .adapters.orm import fee_accounts_table
from .adapters.sandbox import SandboxProvider, Transport
from .domain import exemptions as ex
from .domain.fees import FEE_KINDS
from .domain.invoices import (ACCOUNT_EXPIRED, CANCELLED, CLOSED, EXPIRED, OPEN, PAID, SETTLED, UNPAID, WAIVED,
                              NotPayable, check_payable, fees_settled, over_payment_rule)
from .domain.payments import (CAPTURED, FAILED, PENDING, SADAD, InvalidSignature, PaymentRequest, StaleWebhook)
from .settings import Settings

Publish = Callable[[str, dict], Event]
STAFF = ("reviewer", "secretary_general")
REFUND_APPROVED = "approved"


class BillingService:
    def __init__(self, runtime: Runtime, settings: Settings | None = None,
                 clock: Callable[[], datetime] | None = None, transport: Transport | None = None):
        self.db = runtime.db
        self.outbox = runtime.outbox
        self.settings = settings or Settings.from_env()
        self.clock = clock or utcnow
        self.provider = SandboxProvider(self.settings.sandbox_webhook_secret, self.settings.webhook_url,
                                        self.clock, transport)

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
        repo.add_fee_account(session, application_number=number, account_id=owner, category=data["category"],
                             submitted_at=submitted_at, assessed_at=now, due_at=due_at, status=OPEN, reminders_sent=[],
                             next_check_at=policy.first_check_at(submitted_at, due_at))
        waived: dict[str, tuple[str, str]] = {}  # fee kind -> (by, reference)
        for claim_row in repo.exemptions_of(session, number):
            if claim_row.status in (ex.PENDING, ex.APPROVED) and claim_row.account_id != owner:
                repo.update_exemption(session, claim_row.id, status=ex.REJECTED, reason=ex.NOT_THE_OWNER,
                                      decided_at=now, decided_by="billing")
            elif claim_row.status == ex.APPROVED:
                waived.update({kind: (ex.BY_EXEMPTION, claim_row.id) for kind in ex.WAIVED_BY_EXEMPTION[claim_row.kind]})
        waivers = repo.waivers_of(session, number)
        for waiver in waivers:
            waived.update({kind: (ex.BY_WAIVER, waiver.decision_number) for kind in waiver.kinds})
        issued = []
        for kind, amount in self.settings.fees.fees_for(data["category"]).items():
            by, reference = waived.get(kind, (None, None))
            issued.append(repo.add_invoice(
                session, application_number=number, account_id=owner, kind=kind, amount_halalas=amount,
                status=WAIVED if by else UNPAID, due_at=due_at, issued_at=now, waived_at=now if by else None,
                waived_by=by, waiver_reference=reference))
        for invoice in issued:
            publish(INVOICE_ISSUED, {**_request(number, owner), "invoice": invoice_view(invoice)})
        publish(FEES_ASSESSED, {**_request(number, owner), "invoices": [invoice_view(i) for i in issued],
                                "due_at": isoformat(due_at)})
        for waiver in waivers:
            self._announce_waiver(session, publish, waiver, owner, now)
        self._settle_if_done(session, publish, repo.fee_account(session, number), now)

    def close_fees(self, session: Session, data: dict, closed_by: str, decided: bool = False) -> None:
        """The request was withdrawn, approved or rejected: nothing more falls due (unpaid invoices
        are cancelled, no reminder, no expiry). A decision is recorded, since no refund is due after one."""
        account = repo.fee_account(session, data["application_number"], lock=True)
        if account is None:
            return  # a draft billing never knew
        now = self.clock()
        if decided:
            repo.update_fee_account(session, account.application_number, decided_at=now)
        closable = (OPEN, SETTLED) if closed_by == "withdrawn" else (OPEN,)
        if account.status not in closable:
            return
        for invoice in repo.invoices_of(session, account.application_number):
            if invoice.status == UNPAID:
                repo.update_invoice(session, invoice.id, status=CANCELLED, closed_at=now)
        repo.update_fee_account(session, account.application_number, status=CLOSED, closed_at=now,
                                closed_by=closed_by, next_check_at=None)

    # --- invoices ---------------------------------------------------------------------------------
    def invoices(self, principal: Principal, application_number: str) -> list[dict]:
        with self.db.transaction() as session:
            account = repo.fee_account(session, application_number)
            if account is None or not (account.account_id == principal.id or principal.has_role(*STAFF)):
                raise _not_found("request")
            return [invoice_view(row) for row in repo.invoices_of(session, application_number)]

    # --- payments ---------------------------------------------------------------------------------
    def start_payment(self, principal: Principal, invoice_id: str, method: str, key: str,
                      fingerprint: str) -> tuple[int, dict]:
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
                request = PaymentRequest(id=repo.new_id(), method=method, amount_halalas=invoice.amount_halalas,
                                         bill_number=bill_number)
                payment = repo.add_payment(
                    session, id=request.id, invoice_id=invoice.id, account_id=principal.id, method=method,
                    amount_halalas=invoice.amount_halalas, status=PENDING, provider=self.provider.name,
                    provider_reference=self.provider.start(request), bill_number=bill_number, created_at=now)
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
            raise ApiError(422, "idempotency_key_reused",
                           "this Idempotency-Key was used for a different request; use a new key")
        return stored.status_code, stored.response

    def payment(self, principal: Principal, payment_id: str) -> dict:
        with self.db.transaction() as session:
            payment = repo.payment(session, payment_id)
        if payment is None or not (payment.account_id == principal.id or principal.has_role(*STAFF)):
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
            raise ApiError(409, "payment_not_pending", f"this payment is already {payment.status}",
                           {"status": payment.status})
        try:
            status, answer = self.provider.complete(payment_id, outcome)
        except OSError as exc:
            raise ApiError(502, "webhook_unreachable", "the sandbox could not reach billing's webhook",
                           {"url": self.settings.webhook_url, "error": str(exc)}) from None
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
        now = self.clock()
        try:
            with self._transaction() as (session, publish):
                if repo.webhook_seen(session, event.id):
                    raise _replayed()
                # Written first: a concurrent delivery of the same event waits on it, then fails.
                repo.add_webhook_event(session, id=event.id, provider=self.provider.name, payment_id=event.payment_id,
                                       outcome=event.outcome, occurred_at=event.occurred_at, received_at=now,
                                       effect="ignored")
                payment = repo.payment(session, event.payment_id)
                if payment is None:
                    raise _not_found("payment")
                effect = self._settle_payment(session, publish, payment, event.outcome, now)
                repo.set_webhook_effect(session, event.id, effect)
        except IntegrityError:
            raise _replayed() from None
        return {"id": event.id, "payment": event.payment_id, "effect": effect}

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
        publish(PAYMENT_RECEIVED, {**_request(invoice.application_number, invoice.account_id),
                                   "invoice_id": invoice.id, "kind": invoice.kind, "payment_id": payment.id,
                                   "method": payment.method, "amount_halalas": payment.amount_halalas,
                                   "paid_at": isoformat(now)})
        self._settle_if_done(session, publish, account, now)
        return CAPTURED

    # --- exemptions and waivers -----------------------------------------------------------------
    def claim_exemption(self, principal: Principal, application_number: str, kind: str,
                        evidence_reference: str) -> dict:
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
            return exemption_view(repo.add_exemption(
                session, id=repo.new_id(), application_number=application_number, account_id=principal.id, kind=kind,
                evidence_reference=evidence_reference, status=ex.PENDING, claimed_at=now))

    def exemptions(self, status: str | None) -> list[dict]:
        with self.db.transaction() as session:
            return [exemption_view(row) for row in repo.exemptions_by_status(session, status)]

    def decide_exemption(self, principal: Principal, exemption_id: str, decision: str, reason: str | None) -> dict:
        if decision == ex.REJECT and not (reason or "").strip():
            raise ApiError(422, "validation_failed", "a rejection needs a reason",
                           {"fields": {"reason": ["required to reject"]}})
        now = self.clock()
        with self._transaction() as (session, publish):
            claimed = repo.exemption(session, exemption_id)
            if claimed is None:
                raise _not_found("exemption")
            account = repo.fee_account(session, claimed.application_number, lock=True)
            claimed = repo.exemption(session, exemption_id, lock=True)
            if claimed.status != ex.PENDING:
                raise ApiError(409, "already_decided", f"this exemption is already {claimed.status}",
                               {"status": claimed.status})
            status = ex.APPROVED if decision == ex.APPROVE else ex.REJECTED
            repo.update_exemption(session, exemption_id, status=status, reason=reason, decided_at=now,
                                  decided_by=principal.id)
            publish(EXEMPTION_DECIDED, {**_request(claimed.application_number, claimed.account_id),
                                        "exemption_id": exemption_id, "kind": claimed.kind, "decision": decision,
                                        "reason": reason})
            if status == ex.APPROVED and account is not None:
                self._waive(session, publish, account, ex.WAIVED_BY_EXEMPTION[claimed.kind], ex.BY_EXEMPTION,
                            exemption_id, now)
            return exemption_view(repo.exemption(session, exemption_id))

    def grant_waiver(self, principal: Principal, application_number: str, decision_number: str,
                     kinds: list[str]) -> dict:
        """A secretary-general's decision: the fee kinds it names are waived, now or when issued."""
        now = self.clock()
        try:
            with self._transaction() as (session, publish):
                account = repo.fee_account(session, application_number, lock=True)
                if account is not None and account.status in (ACCOUNT_EXPIRED, CLOSED):
                    raise _request_closed(account.status)
                if repo.waiver_by_decision(session, application_number, decision_number) is not None:
                    raise _waiver_exists()
                waiver = repo.add_waiver(session, id=repo.new_id(), application_number=application_number,
                                         decision_number=decision_number, kinds=sorted(set(kinds), key=FEE_KINDS.index),
                                         granted_by=principal.id, granted_at=now)
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
        publish(WAIVER_GRANTED, {**_request(waiver.application_number, owner), "waiver_id": waiver.id,
                                 "decision_number": waiver.decision_number, "kinds": list(waiver.kinds)})
        repo.mark_waiver_announced(session, waiver.id, now)

    def _waive(self, session: Session, publish: Publish, account, kinds, by: str, reference: str,
               now: datetime) -> None:
        """Waive the request's invoices of `kinds`: an unpaid one simply; a paid one too, its payment
        then refunded in full (rule `<by>_after_payment`). Expired or cancelled ones stay so."""
        for invoice in repo.invoices_of(session, account.application_number):
            if invoice.kind not in kinds or invoice.status not in (UNPAID, PAID):
                continue
            repo.update_invoice(session, invoice.id, status=WAIVED, waived_at=now, waived_by=by,
                                waiver_reference=reference)
            if invoice.status == PAID:
                self._refund(session, publish, invoice, invoice.amount_halalas, f"{by}_after_payment", now,
                             payment_id=invoice.paid_by_payment)
        self._settle_if_done(session, publish, account, now)

    # --- settlement and refunds -----------------------------------------------------------------
    def _settle_if_done(self, session: Session, publish: Publish, account, now: datetime) -> None:
        """Both fees paid or waived: the request is settled, announced exactly once (the account
        is locked and leaves `open` here)."""
        if account.status != OPEN:
            return
        if not fees_settled(invoice.status for invoice in repo.invoices_of(session, account.application_number)):
            return
        repo.update_fee_account(session, account.application_number, status=SETTLED, settled_at=now,
                                next_check_at=None)
        publish(FEES_SETTLED, {**_request(account.application_number, account.account_id),
                               "settled_at": isoformat(now)})

    def _refund(self, session: Session, publish: Publish, invoice, amount: int, rule: str, now: datetime,
                payment_id: str | None) -> None:
        """A refund the rules decide by themselves: in full, approved at once."""
        refund = repo.add_refund(session, id=repo.new_id(), invoice_id=invoice.id,
                                 application_number=invoice.application_number, account_id=invoice.account_id,
                                 payment_id=payment_id, amount_halalas=amount, rule=rule, status=REFUND_APPROVED,
                                 created_at=now, decided_at=now)
        publish(REFUND_DECIDED, {**_request(invoice.application_number, invoice.account_id), "refund_id": refund.id,
                                 "invoice_id": invoice.id, "status": refund.status,
                                 "amount_halalas": refund.amount_halalas, "rule": rule})

    # --- the deadline -----------------------------------------------------------------------------
    def run_deadlines(self) -> int:
        """One batch of requests whose next reminder or deadline has come: remind, or expire. Rows
        are claimed (`FOR UPDATE SKIP LOCKED`), so schedulers side by side never take the same
        request; how many were handled."""
        now, policy, table = self.clock(), self.settings.deadlines, fee_accounts_table
        with self._transaction() as (session, publish):
            claimed = claim(session, self.db, table, table.c.status == OPEN, table.c.next_check_at <= now,
                            order_by=table.c.next_check_at, limit=self.settings.scheduler_batch)
            for account in claimed:
                step = policy.step(account.submitted_at, account.due_at, set(account.reminders_sent), now)
                number, request = account.application_number, _request(account.application_number,
                                                                         account.account_id)
                unpaid = [row for row in repo.invoices_of(session, number) if row.status == UNPAID]
                if step.expire:
                    for invoice in unpaid:
                        repo.update_invoice(session, invoice.id, status=EXPIRED, closed_at=now)
                    repo.update_fee_account(session, number, status=ACCOUNT_EXPIRED, expired_at=now,
                                            next_check_at=None)
                    publish(PAYMENT_DEADLINE_EXPIRED, {**request, "due_at": isoformat(account.due_at),
                                                       "expired_at": isoformat(now)})
                    continue
                if step.remind is not None:
                    publish(PAYMENT_REMINDER_DUE, {**request, "due_at": isoformat(account.due_at),
                                                   "before_deadline": step.remind.name,
                                                   "invoices": [invoice_view(row) for row in unpaid]})
                repo.update_fee_account(session, number, next_check_at=step.next_check_at,
                                        reminders_sent=[*account.reminders_sent, *step.mark_sent])
            return len(claimed)


# --- views --------------------------------------------------------------------------------------------
def _iso(moment: datetime | None) -> str | None:
    return isoformat(moment) if moment is not None else None


def _request(application_number: str, account_id: str) -> dict:
    return {"application_number": application_number, "account_id": account_id}


def invoice_view(row) -> dict:
    return {"id": row.id, "application": row.application_number, "kind": row.kind,
            "amount_halalas": row.amount_halalas, "status": row.status, "due_at": isoformat(row.due_at),
            "sadad_bill_number": row.sadad_bill_number, "issued_at": isoformat(row.issued_at),
            "paid_at": _iso(row.paid_at), "waived_by": row.waived_by, "waiver_reference": row.waiver_reference}


def payment_view(row) -> dict:
    view = {"id": row.id, "status": row.status, "invoice": row.invoice_id, "method": row.method,
            "amount_halalas": row.amount_halalas, "provider": row.provider,
            "provider_reference": row.provider_reference, "created_at": isoformat(row.created_at),
            "completed_at": _iso(row.completed_at)}
    if row.method == SADAD:
        view["bill_number"] = row.bill_number
    return view


def exemption_view(row) -> dict:
    return {"id": row.id, "application": row.application_number, "account_id": row.account_id, "kind": row.kind,
            "evidence_reference": row.evidence_reference, "status": row.status, "reason": row.reason,
            "claimed_at": isoformat(row.claimed_at), "decided_at": _iso(row.decided_at)}


def waiver_view(row) -> dict:
    return {"id": row.id, "application": row.application_number, "decision_number": row.decision_number,
            "kinds": list(row.kinds), "granted_at": isoformat(row.granted_at)}


# --- errors ---------------------------------------------------------------------------------------
def _not_found(what: str) -> ApiError:
    # The same answer whether it does not exist or is someone else's: no hint either way.
    return ApiError(404, "not_found", f"no such {what}")


def _replayed() -> ApiError:
    return ApiError(409, "webhook_replayed", "this webhook event was already processed")


def _request_closed(status: str) -> ApiError:
    return ApiError(409, "request_closed", f"the request's fees are {status}; nothing can change them now",
                    {"status": status})


def _waiver_exists() -> ApiError:
    return ApiError(409, "waiver_exists", "this decision was already recorded for this request")
