"""A reviewer's final classification of a request (`applications.application_classified`): the
category fee follows the new category, by the same rules as every other fee. A higher fee: the
difference is invoiced (`classification_difference`), due after the payment deadline with its
reminders, and the request is settled again once it is paid or waived (or expires unpaid, R4). A
lower fee: what was paid beyond the new fee is refunded by the policy's `classification_lowered`
rule. When nothing more is owed, `billing.fees_settled` tells applications the decision may be made.
Runs in the consumer's transaction; a repeated event finds the category already applied."""

from __future__ import annotations

from sqlalchemy.orm import Session

from mumaris_shared.contracts import FEES_SETTLED, INVOICE_ISSUED, FeeKind
from mumaris_shared.events import isoformat

from ..adapters import repository as repo
from ..domain.invoices import FeeAccountStatus, InvoiceStatus
from .context import Billing, Publish, invoice_data, request_data
from .refunds import refund_classification_difference


def reclassify(b: Billing, session: Session, publish: Publish, data: dict) -> None:
    number = data["application_number"]
    account = repo.fee_account(session, number, lock=True)
    if account is None or account.category == data["category"]:
        return
    now, schedule = b.clock(), b.settings.fees
    fee_kind, _amount = schedule.category_fee(account.category, account.kind)
    difference = schedule.classification_difference(account.kind, account.category, data["category"])
    repo.update_fee_account(session, number, category=data["category"])
    fee = next((row for row in repo.invoices_of(session, number) if row.kind == fee_kind), None)
    request = request_data(number, account.account_id)
    if difference > 0 and fee is not None and fee.status != InvoiceStatus.WAIVED:
        due_at = b.settings.deadlines.due_at(now)
        owed = repo.add_invoice(
            session,
            application_number=number,
            account_id=account.account_id,
            kind=FeeKind.CLASSIFICATION_DIFFERENCE,
            amount_halalas=difference,
            status=InvoiceStatus.UNPAID,
            due_at=due_at,
            issued_at=now,
        )
        repo.update_fee_account(
            session,
            number,
            status=FeeAccountStatus.OPEN,
            due_at=due_at,
            reminders_sent=[],
            next_check_at=b.settings.deadlines.first_check_at(now, due_at),
        )
        publish(INVOICE_ISSUED, {**request, "invoice": invoice_data(owed)})
        return
    if difference < 0 and fee is not None and fee.status == InvoiceStatus.PAID:
        refund_classification_difference(b, session, publish, account, fee, -difference, now)
    if account.status == FeeAccountStatus.SETTLED:
        publish(FEES_SETTLED, {**request, "settled_at": isoformat(now)})
