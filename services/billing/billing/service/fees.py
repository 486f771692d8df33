"""A request's fees over its life, as billing learns of it from applications' events: assessed
when it is sent (two invoices, with exemptions and waivers already decided applied), closed when
it is withdrawn or decided, and the moment its review started remembered (R8). Each runs in the
consumer's transaction, with the inbox row.

Events from applications may cross: a withdrawal that comes before the submission is remembered
(`early_withdrawals`) and applied when the submission comes, so no invoice is ever issued for a
withdrawn request."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from mumaris_shared.auth import Principal
from mumaris_shared.contracts import FEES_ASSESSED, INVOICE_ISSUED
from mumaris_shared.events import isoformat

from ..adapters import repository as repo
from ..domain.exemptions import NOT_THE_OWNER, WAIVED_BY_EXEMPTION, ExemptionStatus, WaivedBy
from ..domain.invoices import FeeAccountStatus, InvoiceStatus
from .context import BY_RULES, Billing, Publish, invoice_data, parse_instant, request_data, visible_to
from .refunds import decide_pending_claims, evaluate_withdrawal
from .settlement import settle_if_done
from .waivers import announce_waiver

WITHDRAWN = "withdrawn"  # closed_by of a withdrawal; a decision is closed by "approved" or "rejected"
DRAFT = "draft"  # a request's status before it is sent: billing never hears of it


def assess_fees(b: Billing, session: Session, publish: Publish, data: dict) -> None:
    """A request was submitted: its two invoices, due after the deadline, with the exemptions
    and waivers already decided for it applied. A repeat submission of a known request is
    ignored (it was assessed once); a request already withdrawn (the withdrawal came first) gets
    no invoice."""
    number, owner = data["application_number"], data["account_id"]
    if repo.fee_account(session, number, lock=True) is not None:
        return
    now = b.clock()
    account = _open_fee_account(b, data, now)
    withdrawn = repo.early_withdrawal(session, number)
    if withdrawn is not None:
        _record_withdrawn_before_assessed(session, data, withdrawn, account["due_at"], now)
        return
    repo.add_fee_account(session, **account)
    due_at = account["due_at"]
    waived: dict[str, tuple[WaivedBy, str]] = {}  # fee kind -> (by, reference)
    for claim_row in repo.exemptions_of(session, number):
        if claim_row.status in (ExemptionStatus.PENDING, ExemptionStatus.APPROVED) and claim_row.account_id != owner:
            repo.update_exemption(
                session,
                claim_row.id,
                status=ExemptionStatus.REJECTED,
                reason=NOT_THE_OWNER,
                decided_at=now,
                decided_by=BY_RULES,
            )
        elif claim_row.status == ExemptionStatus.APPROVED:
            waived.update({kind: (WaivedBy.EXEMPTION, claim_row.id) for kind in WAIVED_BY_EXEMPTION[claim_row.kind]})
    waivers = repo.waivers_of(session, number)
    for waiver in waivers:
        waived.update({kind: (WaivedBy.WAIVER, waiver.decision_number) for kind in waiver.kinds})
    issued = [repo.add_invoice(session, **values) for values in _invoices(b, data, due_at, now, waived)]
    for event_type, event_data in _announced(data, issued, due_at):
        publish(event_type, event_data)
    for waiver in waivers:
        announce_waiver(session, publish, waiver, owner, now)
    settle_if_done(b, session, publish, repo.fee_account(session, number), now)


def assess_many_fees(
    b: Billing, session: Session, submissions: list[tuple[dict, Publish]]
) -> list[tuple[int, str, dict]]:
    """`assess_fees` of a batch of submissions, with the same effects in a few statements for all.
    A request billing heard something of before its fees (a withdrawal, an exemption claim, a
    waiver) goes through `assess_fees`, publishing as it goes. The others' fee accounts are inserted
    together, but for a request that has one already (a repeat), then their invoices; the events
    they announce are returned as (index of the submission, type, data), for the caller to publish
    in one statement."""
    numbers = [data["application_number"] for data, _ in submissions]
    known, with_history = repo.known_requests(session, numbers), repo.requests_with_history(session, numbers)
    now = b.clock()
    first: dict[str, tuple[int, dict, dict]] = {}  # number -> its first submission, its data, its fee account
    for index, (data, publish) in enumerate(submissions):
        number = data["application_number"]
        if number in with_history:
            assess_fees(b, session, publish, data)  # a repeat of it finds the fee account this made
        elif number not in first and number not in known:
            first[number] = (index, data, _open_fee_account(b, data, now))
    assessed = list(first.values())
    repo.add_fee_accounts(session, [account for _, _, account in assessed])
    per_request = [_invoices(b, data, account["due_at"], now, waived={}) for _, data, account in assessed]
    issued = iter(repo.add_invoices(session, [invoice for invoices in per_request for invoice in invoices]))
    announced = []
    for (index, data, account), invoices in zip(assessed, per_request, strict=True):
        its_invoices = [SimpleNamespace(**next(issued)) for _ in invoices]
        announced += [(index, *event) for event in _announced(data, its_invoices, account["due_at"])]
    return announced  # none is settled: every invoice of theirs is unpaid


def _open_fee_account(b: Billing, data: dict, now: datetime) -> dict:
    """The fee account of a request just sent: open, due after the payment deadline."""
    policy = b.settings.deadlines
    submitted_at = parse_instant(data["submitted_at"])
    due_at = policy.due_at(submitted_at)
    return {
        "application_number": data["application_number"],
        "account_id": data["account_id"],
        "category": data["category"],
        "kind": data["kind"],
        "submitted_at": submitted_at,
        "assessed_at": now,
        "due_at": due_at,
        "status": FeeAccountStatus.OPEN,
        "reminders_sent": [],
        "next_check_at": policy.first_check_at(submitted_at, due_at),
    }


def _invoices(
    b: Billing, data: dict, due_at: datetime, now: datetime, waived: dict[str, tuple[WaivedBy, str]]
) -> list[dict]:
    """The request's two invoices (the fee schedule's), those of a kind in `waived` waived."""
    invoices = []
    for kind, amount in b.settings.fees.fees_for(data["category"], data["kind"]).items():
        by, reference = waived.get(kind, (None, None))
        invoices.append(
            {
                "application_number": data["application_number"],
                "account_id": data["account_id"],
                "kind": kind,
                "amount_halalas": amount,
                "status": InvoiceStatus.WAIVED if by else InvoiceStatus.UNPAID,
                "due_at": due_at,
                "issued_at": now,
                "waived_at": now if by else None,
                "waived_by": by,
                "waiver_reference": reference,
            }
        )
    return invoices


def _announced(data: dict, issued: list, due_at: datetime) -> list[tuple[str, dict]]:
    """What assessing a request announces: each invoice issued, then the fees assessed."""
    about = request_data(data["application_number"], data["account_id"])
    return [
        *((INVOICE_ISSUED, {**about, "invoice": invoice_data(invoice)}) for invoice in issued),
        (FEES_ASSESSED, {**about, "invoices": [invoice_data(i) for i in issued], "due_at": isoformat(due_at)}),
    ]


def _record_withdrawn_before_assessed(
    session: Session, data: dict, withdrawn: Row, due_at: datetime, now: datetime
) -> None:
    """The request was withdrawn before billing heard it was sent (the events crossed): its fees
    are closed as they are born, with no invoice, nothing announced, nothing to refund."""
    number = data["application_number"]
    repo.add_fee_account(
        session,
        application_number=number,
        account_id=data["account_id"],
        category=data["category"],
        submitted_at=parse_instant(data["submitted_at"]),
        assessed_at=now,
        due_at=due_at,
        status=FeeAccountStatus.CLOSED,
        reminders_sent=[],
        next_check_at=None,
        closed_at=now,
        closed_by=WITHDRAWN,
        withdrawn_at=withdrawn.withdrawn_at,
        review_started_at=withdrawn.review_started_at,
    )
    repo.forget_early_withdrawal(session, number)


def close_fees(
    b: Billing, session: Session, publish: Publish, data: dict, closed_by: str, decided: bool = False
) -> None:
    """The request was withdrawn, approved or rejected: nothing more falls due (unpaid invoices
    are cancelled, no reminder, no expiry). A decision is recorded, since no refund is due after
    one. A withdrawal is then evaluated for refunds, each paid invoice by the policy, with no
    claim needed; a decision settles the claims still waiting for a reviewer."""
    number = data["application_number"]
    account = repo.fee_account(session, number, lock=True)
    now = b.clock()
    if account is None:
        if closed_by == WITHDRAWN and data["previous_status"] != DRAFT:
            _remember_early_withdrawal(session, data, now)  # sent, but billing has not heard it yet
        return  # otherwise a draft billing never knew
    if decided and account.decision is None:
        repo.update_fee_account(session, number, decided_at=now, decision=closed_by)
    if closed_by == WITHDRAWN and account.withdrawn_at is None:
        repo.update_fee_account(
            session,
            number,
            withdrawn_at=parse_instant(data["withdrawn_at"]),
            review_started_at=account.review_started_at or parse_instant(data.get("review_started_at")),
        )
    closable = (FeeAccountStatus.OPEN, FeeAccountStatus.SETTLED) if closed_by == WITHDRAWN else (FeeAccountStatus.OPEN,)
    if account.status in closable:
        for invoice in repo.invoices_of(session, number):
            if invoice.status == InvoiceStatus.UNPAID:
                repo.update_invoice(session, invoice.id, status=InvoiceStatus.CANCELLED, closed_at=now)
        repo.update_fee_account(
            session, number, status=FeeAccountStatus.CLOSED, closed_at=now, closed_by=closed_by, next_check_at=None
        )
    account = repo.fee_account(session, number)
    if closed_by == WITHDRAWN:
        evaluate_withdrawal(b, session, publish, account, now)
    else:
        decide_pending_claims(b, session, publish, account, now)


def _remember_early_withdrawal(session: Session, data: dict, now: datetime) -> None:
    if repo.early_withdrawal(session, data["application_number"]) is None:
        repo.add_early_withdrawal(
            session,
            application_number=data["application_number"],
            account_id=data["account_id"],
            withdrawn_at=parse_instant(data["withdrawn_at"]),
            review_started_at=parse_instant(data.get("review_started_at")),
            received_at=now,
        )


def record_review_started(b: Billing, session: Session, publish: Publish, data: dict) -> None:
    """A reviewer took the request: no refund from now on (R8). Claims still waiting for a
    reviewer are now decided by the rules."""
    account = repo.fee_account(session, data["application_number"], lock=True)
    if account is None:
        return
    if account.review_started_at is None:
        repo.update_fee_account(
            session, account.application_number, review_started_at=parse_instant(data["started_at"])
        )
    decide_pending_claims(b, session, publish, repo.fee_account(session, account.application_number), b.clock())


def invoices(b: Billing, principal: Principal, application_number: str) -> list[Row]:
    with b.db.transaction() as session:
        visible_to(principal, repo.fee_account(session, application_number), "request")
        return repo.invoices_of(session, application_number)
