"""What every use case of billing works with: its dependencies (`Billing`), a transaction that
publishes through the outbox, the one ownership check, and the event data shared by several."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from mumaris_shared.auth import Principal
from mumaris_shared.config import format_duration
from mumaris_shared.db import Database
from mumaris_shared.events import Event, isoformat
from mumaris_shared.outbox import Outbox

from ..adapters.http import RetryPolicy
from ..adapters.moyasar import MoyasarProvider
from ..adapters.sandbox import SandboxProvider, Transport
from ..domain.errors import NoSuch
from ..domain.payments import PaymentProvider
from ..settings import MOYASAR, Settings

Publish = Callable[[str, dict], Event]
BY_RULES = "billing"  # the `decided_by` of what the rules decide, not a person
IGNORED = "ignored"  # a webhook's effect when it changes nothing


def make_provider(settings: Settings, clock: Callable[[], datetime], transport: Transport | None) -> PaymentProvider:
    """The payment provider BILLING_PAYMENT_PROVIDER names, with its settings. `transport` is how
    the sandbox reaches the webhook (HTTP unless a test routes it elsewhere)."""
    if settings.payment_provider == MOYASAR:
        policy = RetryPolicy(attempts=settings.provider_attempts, timeout=settings.provider_timeout.total_seconds())
        return MoyasarProvider(settings.moyasar, settings.return_url, policy)
    return SandboxProvider(settings.sandbox_webhook_secret, settings.webhook_url, clock, transport)


@dataclass(frozen=True)
class Billing:
    db: Database
    outbox: Outbox
    settings: Settings
    clock: Callable[[], datetime]
    provider: PaymentProvider

    @contextmanager
    def transaction(self) -> Iterator[tuple[Session, Publish]]:
        """A transaction, and `publish` to record events in it."""
        with self.db.transaction() as session:
            yield session, partial(self.outbox.publish, session)

    def refund_terms(self) -> dict:
        """The refund settings a decision was made under, carried on refund events so that what
        the applicant is told says what the rules said (notifications words them)."""
        policy = self.settings.refunds
        return {
            "window": format_duration(policy.window),
            "share": str(policy.share),
            "decision_sla": format_duration(policy.decision_sla),
        }


def visible_to(principal: Principal, row: Row | None, what: str) -> Row:
    """`row`, if the caller may see it (its owner, or staff); otherwise the answer an unknown one
    gets, so a stranger learns nothing of what exists."""
    if row is None or not principal.may_see(row.account_id):
        raise NoSuch(what)
    return row


def request_data(application_number: str, account_id: str) -> dict:
    """What every `billing.*` event says of its request (contracts.RequestData)."""
    return {"application_number": application_number, "account_id": account_id}


def invoice_data(row: Row) -> dict:
    """An invoice as the events carry it (contracts.InvoiceData)."""
    return {
        "id": row.id,
        "kind": row.kind,
        "amount_halalas": row.amount_halalas,
        "status": row.status,
        "due_at": isoformat(row.due_at),
        "sadad_bill_number": row.sadad_bill_number,
    }


def parse_instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
