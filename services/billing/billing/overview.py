"""Read-only views for the applicant's pages, answered from what billing holds and changing nothing:

- the refund preview: what withdrawing a request now would refund, fee by fee, and by which rule —
  the same named rules (domain/refunds.py) that decide when the withdrawal happens, fed the same
  facts (`service.refunds.facts`), with the request taken as withdrawn at this moment;
- the caller's fee accounts: each request's payment deadline and what is still unpaid, in one call
  (the portal's list of requests shows the days left to pay);
- the fee schedule, public: what a request of each category will owe, shown before it is sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from mumaris_shared.auth import Principal
from mumaris_shared.contracts import CATEGORIES
from mumaris_shared.db import Database
from mumaris_shared.events import isoformat

from .adapters import repository as repo
from .domain.invoices import InvoiceStatus
from .domain.refunds import RefundStatus
from .service.context import visible_to
from .service.refunds import facts, refund_of_fee
from .settings import Settings

REFUNDED = (RefundStatus.APPROVED, RefundStatus.PAYING, RefundStatus.PAID)  # the amount is paid back


class Overview:
    def __init__(self, db: Database, settings: Settings, clock: Callable[[], datetime]):
        self.db, self.policy, self.fees, self.clock = db, settings.refunds, settings.fees, clock

    def fee_schedule(self) -> list[dict]:
        """The fees of a request of each category, in halalas, in the order of the categories."""
        return [{"category": category, "fees": self.fees.fees_for(category)} for category in CATEGORIES]

    def refund_preview(self, principal: Principal, application_number: str) -> dict:
        """Each paid fee: what was paid, what a withdrawal now would refund and the rule that says
        so. A fee whose refund is already decided shows that decision (`recorded`: true); one
        claimed and waiting for a reviewer is judged as the withdrawal would judge it."""
        now = self.clock()
        with self.db.transaction() as session:
            account = visible_to(principal, repo.fee_account(session, application_number), "request")
            fees = []
            for invoice in repo.invoices_of(session, application_number):
                if invoice.status != InvoiceStatus.PAID:
                    continue
                known = facts(session, account, invoice, now)
                recorded = refund_of_fee(session, invoice)
                decided = recorded is not None and recorded.status != RefundStatus.PENDING_REVIEW
                if decided:
                    rule, status, amount = recorded.rule, recorded.status, recorded.amount_halalas
                else:
                    decision = self.policy.decide(known.if_withdrawn(now))
                    rule, status, amount = decision.rule, decision.status, decision.amount_halalas
                fees.append(
                    {
                        "invoice": invoice.id,
                        "kind": invoice.kind,
                        "amount_paid_halalas": known.amount_paid,
                        "paid_at": isoformat(invoice.paid_at),
                        "amount_halalas": amount,
                        "status": str(status),
                        "rule": rule,
                        "recorded": decided,
                    }
                )
        return {
            "application": application_number,
            "at": isoformat(now),
            "fees": fees,
            "total_halalas": sum(fee["amount_halalas"] for fee in fees if fee["status"] in REFUNDED),
        }

    def fee_accounts(self, principal: Principal) -> list[dict]:
        """The caller's requests as billing knows them, newest first."""
        with self.db.transaction() as session:
            accounts = repo.fee_accounts_of(session, principal.id)
            unpaid: dict[str, int] = {}
            for invoice in repo.invoices_of_requests(session, [a.application_number for a in accounts]):
                if invoice.status == InvoiceStatus.UNPAID:
                    unpaid[invoice.application_number] = (
                        unpaid.get(invoice.application_number, 0) + invoice.amount_halalas
                    )
        return [
            {
                "application": account.application_number,
                "status": account.status,
                "due_at": isoformat(account.due_at),
                "settled_at": None if account.settled_at is None else isoformat(account.settled_at),
                "unpaid_halalas": unpaid.get(account.application_number, 0),
            }
            for account in accounts
        ]
