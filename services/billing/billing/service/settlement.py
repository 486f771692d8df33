"""What follows from a change of a request's invoices: settled once every fee is paid or waived;
a fee waived after it was paid, or paid twice, refunded in full; every refund decision announced;
a refund the provider paid back announced.
Callers hold the request's fee-account lock (adapters/repository.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from mumaris_shared.contracts import FEES_SETTLED, REFUND_DECIDED, REFUND_PAID
from mumaris_shared.events import isoformat

from ..adapters import repository as repo
from ..domain.exemptions import WaivedBy
from ..domain.invoices import AFTER_PAYMENT, FeeAccountStatus, InvoiceStatus, fees_settled
from ..domain.payments import REFUNDED
from ..domain.refunds import RefundOrigin, RefundStatus
from .context import BY_RULES, IGNORED, Billing, Publish, request_data

# A refund that gives (or is giving, or gave) money back.
PAYING_BACK = (RefundStatus.APPROVED, RefundStatus.PAYING, RefundStatus.PAID)


def policy_key(invoice_id: str) -> str:
    """The one refund of a fee the policy decides (a claim's or a withdrawal's)."""
    return f"policy:{invoice_id}"


def classification_key(invoice_id: str) -> str:
    """The one refund of a fee lowered by the reviewer's classification."""
    return f"classification:{invoice_id}"


def full_key(payment_id: str) -> str:
    """The one full refund of a payment (an over-payment, or a fee waived after it was paid)."""
    return f"full:{payment_id}"


def settle_if_done(b: Billing, session: Session, publish: Publish, account: Row, now: datetime) -> None:
    """Both fees paid or waived: the request is settled, announced exactly once (the account
    is locked and leaves `open` here)."""
    if account.status != FeeAccountStatus.OPEN:
        return
    if not fees_settled(invoice.status for invoice in repo.invoices_of(session, account.application_number)):
        return
    repo.update_fee_account(
        session, account.application_number, status=FeeAccountStatus.SETTLED, settled_at=now, next_check_at=None
    )
    publish(
        FEES_SETTLED, {**request_data(account.application_number, account.account_id), "settled_at": isoformat(now)}
    )


def waive(
    b: Billing,
    session: Session,
    publish: Publish,
    account: Row,
    kinds: Iterable[str],
    by: WaivedBy,
    reference: str,
    now: datetime,
) -> None:
    """Waive the request's invoices of `kinds`: an unpaid one simply; a paid one too, its payment
    then refunded in full. Expired or cancelled ones stay so."""
    for invoice in repo.invoices_of(session, account.application_number):
        if invoice.kind not in kinds or invoice.status not in (InvoiceStatus.UNPAID, InvoiceStatus.PAID):
            continue
        repo.update_invoice(
            session, invoice.id, status=InvoiceStatus.WAIVED, waived_at=now, waived_by=by, waiver_reference=reference
        )
        if invoice.status == InvoiceStatus.PAID:
            _refund_fee_in_full(b, session, publish, invoice, AFTER_PAYMENT[by], now)
    settle_if_done(b, session, publish, account, now)


def _refund_fee_in_full(b: Billing, session: Session, publish: Publish, invoice: Row, rule: str, now: datetime) -> None:
    """The fee paid for `invoice` is owed back in full (it was waived after payment). A claim of
    it still waiting for a reviewer becomes that refund; one already approved is topped up to
    the full amount, never beyond it."""
    paid = repo.payment(session, invoice.paid_by_payment).amount_halalas
    claimed = repo.refund_by_key(session, policy_key(invoice.id))
    if claimed is not None and claimed.status == RefundStatus.PENDING_REVIEW:
        repo.update_refund(
            session,
            claimed.id,
            status=RefundStatus.APPROVED,
            amount_halalas=paid,
            rule=rule,
            decided_at=now,
            decided_by=BY_RULES,
        )
        announce_refund(b, publish, repo.refund(session, claimed.id))
        return
    already = claimed.amount_halalas if claimed is not None and claimed.status in PAYING_BACK else 0
    if paid - already > 0:
        refund_in_full(b, session, publish, invoice, paid - already, rule, now, payment_id=invoice.paid_by_payment)


def refund_in_full(
    b: Billing,
    session: Session,
    publish: Publish,
    invoice: Row,
    amount: int,
    rule: str,
    now: datetime,
    payment_id: str,
) -> None:
    """Money the rules give back by themselves: approved at once, one refund per payment."""
    refund = repo.add_refund(
        session,
        id=repo.new_id(),
        invoice_id=invoice.id,
        application_number=invoice.application_number,
        account_id=invoice.account_id,
        payment_id=payment_id,
        amount_halalas=amount,
        rule=rule,
        status=RefundStatus.APPROVED,
        created_at=now,
        decided_at=now,
        decided_by=BY_RULES,
        dedupe_key=full_key(payment_id),
        origin=RefundOrigin.OVER_PAYMENT,
        decide_by=b.settings.refunds.decide_by(now),
    )
    announce_refund(b, publish, refund)


def announce_refund(b: Billing, publish: Publish, refund: Row) -> None:
    publish(
        REFUND_DECIDED,
        {
            **request_data(refund.application_number, refund.account_id),
            "refund_id": refund.id,
            "invoice_id": refund.invoice_id,
            "status": refund.status,
            "amount_halalas": refund.amount_halalas,
            "rule": refund.rule,
            "reason": refund.reason,
            "terms": b.refund_terms(),
        },
    )


def settle_refund(session: Session, publish: Publish, refund: Row, outcome: str, now: datetime) -> str:
    """The provider's word on a refund (its answer, or its webhook): a refund `paying` becomes
    `paid`, announced once, or `payout_failed` (left for operations, not retried); a refund in any
    other state is left as it is. Its effect, as the webhook answers it."""
    repo.fee_account(session, refund.application_number, lock=True)
    refund = repo.refund(session, refund.id, lock=True)
    if refund.status != RefundStatus.PAYING:
        return IGNORED
    if outcome != REFUNDED:
        repo.update_refund(session, refund.id, status=RefundStatus.PAYOUT_FAILED, next_notice_at=None)
        return "refund_failed"
    repo.update_refund(session, refund.id, status=RefundStatus.PAID, paid_at=now, next_notice_at=None)
    publish(
        REFUND_PAID,
        {
            **request_data(refund.application_number, refund.account_id),
            "refund_id": refund.id,
            "invoice_id": refund.invoice_id,
            "amount_halalas": refund.amount_halalas,
            "paid_at": isoformat(now),
        },
    )
    return "refund_paid"
