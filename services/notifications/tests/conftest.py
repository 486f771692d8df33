"""The notifications service for a test: migrated database, consumer and mailer on threads, a real
SMTP server (`ops.mailcatcher`) that starts when the test says so, and staff tokens."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta

import pika
import pytest
from sqlalchemy import select

from mumaris_shared.auth import TokenVerifier
from mumaris_shared.broker import connection_parameters
from mumaris_shared.broker_access import service_url
from mumaris_shared.consumer import Consumer
from mumaris_shared.events import Event, isoformat, utcnow
from mumaris_shared.migrations import upgrade
from mumaris_shared.runtime import Runtime
from mumaris_testing import publish_as_producer
from notifications.adapters.orm import deliveries_table
from notifications.bootstrap import SERVICE
from notifications.bootstrap import runtime as make_runtime
from notifications.handlers import HANDLERS
from notifications.mailer import Mailer, MailerSettings
from ops.mailcatcher import MailCatcher
from ops.net import free_port

FAST_RETRIES = [timedelta(milliseconds=100)] * 2


# billing's default refund settings (BILLING_REFUND_WINDOW, _SHARE, _DECISION_SLA), as its events carry them
DEFAULT_REFUND_TERMS = {"window": "P30D", "share": "0.5", "decision_sla": "P15D"}


class Events:
    """The events this service handles, with valid data unless a test overrides it. Account events
    carry the person; the others name them only as `acct-<email>`, the account id given here."""

    APPLICATION = "MR-7Q4K-2XWP"
    DUE = "2026-12-24T20:59:00Z"  # Thursday 24 December 2026, 11:59 PM in Riyadh
    # Which event each request e-mail answers (the Events method that makes it).
    BY_TEMPLATE = {
        "request_sent": "fees_assessed",
        "payment_reminder": "reminder_due",
        "payment_received": "payment_received",
        "application_cancelled": "cancelled",
        "exemption_decided": "exemption_decided",
        "waiver_granted": "waiver_granted",
        "application_approved": "approved",
        "application_rejected": "rejected",
        "refund_decided": "refund_decided",
        "refund_paid": "refund_paid",
        "refund_escalated": "refund_escalated",
        "data_update_received": "update_submitted",
        "data_update_approved": "update_approved",
        "data_update_rejected": "update_rejected",
        "application_returned": "returned",
        "application_resubmitted": "resubmitted",
        "dataflow_recorded": "dataflow_recorded",
        "application_classified": "classified",
        "licence_reminder": "licence_reminder",
        "licence_expired": "licence_expired",
        "cpd_activity_recorded": "cpd_recorded",
        "cpd_activity_decided": "cpd_decided",
    }
    MEMBERSHIP = "MEM-2026-004217"
    # E-mails about a membership's data name the membership in their subject, not the request.
    ABOUT_MEMBERSHIP = (
        "data_update_received",
        "data_update_approved",
        "data_update_rejected",
        "licence_reminder",
        "licence_expired",
        "cpd_activity_recorded",
        "cpd_activity_decided",
    )
    VALID_UNTIL = "2028-11-25T10:00:00Z"  # Saturday 25 November 2028 in Riyadh

    @staticmethod
    def data(email: str, language: str = "ar", **extra) -> dict:
        full_name = "سارة القحطاني" if language == "ar" else "Sara Alqahtani"
        return {"account_id": f"acct-{email}", "email": email, "full_name": full_name, "language": language, **extra}

    def registered(self, email: str, language: str = "ar") -> Event:
        return Event(type="accounts.account_registered", producer="accounts", data=self.data(email, language))

    def code_issued(
        self, email: str, language: str = "ar", code: str = "482913", expires_in: timedelta = timedelta(minutes=10)
    ) -> Event:
        expires_at = isoformat(utcnow() + expires_in)
        return Event(
            type="accounts.verification_code_issued",
            producer="accounts",
            data=self.data(email, language, code=code, expires_at=expires_at, valid_minutes=10),
        )

    def reset_code_issued(self, email: str, language: str = "ar", code: str = "482913") -> Event:
        return Event(
            type="accounts.password_reset_code_issued",
            producer="accounts",
            data=self.data(email, language, code=code, expires_at="2026-11-25T10:10:00Z", valid_minutes=10),
        )

    def activated(self, email: str, language: str = "ar") -> Event:
        return Event(type="accounts.account_activated", producer="accounts", data=self.data(email, language))

    # --- about a request ----------------------------------------------------------------------------
    def about_request(self, type: str, email: str, **data) -> Event:
        return Event(
            type=type,
            producer=type.split(".")[0],
            data={"application_number": self.APPLICATION, "account_id": f"acct-{email}", **data},
        )

    def invoices(self, *kinds: str, **overrides) -> list[dict]:
        """Unpaid invoices: administrative SAR 200.00 and service SAR 1,250.50 unless told otherwise."""
        made = {
            "administrative": {
                "id": "inv-adm",
                "kind": "administrative",
                "amount_halalas": 20000,
                "status": "unpaid",
                "due_at": self.DUE,
                "sadad_bill_number": "100200300401",
            },
            "service": {
                "id": "inv-svc",
                "kind": "service",
                "amount_halalas": 125050,
                "status": "unpaid",
                "due_at": self.DUE,
                "sadad_bill_number": "100200300402",
            },
        }
        return [{**made[kind], **overrides.get(kind, {})} for kind in (kinds or ("administrative", "service"))]

    def fees_assessed(self, email: str, invoices: list[dict] | None = None) -> Event:
        return self.about_request("billing.fees_assessed", email, invoices=invoices or self.invoices(), due_at=self.DUE)

    def reminder_due(self, email: str, before_deadline: str = "P7D") -> Event:
        return self.about_request(
            "billing.payment_reminder_due",
            email,
            due_at=self.DUE,
            before_deadline=before_deadline,
            invoices=self.invoices("service"),
        )

    def payment_received(self, email: str, method: str = "sadad") -> Event:
        return self.about_request(
            "billing.payment_received",
            email,
            invoice_id="inv-adm",
            kind="administrative",
            payment_id="pay-91c2",
            method=method,
            amount_halalas=20000,
            paid_at="2026-11-30T09:15:00Z",
        )

    def cancelled(self, email: str, reason: str = "payment_deadline_expired") -> Event:
        return self.about_request(
            "applications.application_cancelled", email, reason=reason, cancelled_at="2026-12-24T21:00:05Z"
        )

    def exemption_decided(self, email: str, decision: str = "approve", reason: str | None = None) -> Event:
        return self.about_request(
            "billing.exemption_decided",
            email,
            exemption_id="ex-1",
            kind="martyr_relative",
            decision=decision,
            reason=reason,
        )

    def waiver_granted(self, email: str, kinds: tuple = ("administrative", "service")) -> Event:
        return self.about_request(
            "billing.waiver_granted", email, waiver_id="wv-1", decision_number="1447/318", kinds=list(kinds)
        )

    def approved(self, email: str, membership_number: str = "MEM-2026-004217") -> Event:
        return self.about_request(
            "applications.application_approved",
            email,
            membership_number=membership_number,
            decided_at="2026-12-01T08:00:00Z",
            kind="registration",
            valid_until=self.VALID_UNTIL,
        )

    def rejected(self, email: str, reason: str = "The qualification is not recognised.") -> Event:
        return self.about_request(
            "applications.application_rejected", email, reason=reason, decided_at="2026-12-01T08:00:00Z"
        )

    def refund_decided(
        self,
        email: str,
        status: str = "approved",
        rule: str = "withdrawn_within_window",
        amount_halalas: int = 62525,
        reason: str | None = None,
        terms: dict | None = None,
    ) -> Event:
        """Half the SAR 1,250.50 service fee, unless told otherwise, under the default terms."""
        return self.about_request(
            "billing.refund_decided",
            email,
            refund_id="rf-51d0",
            invoice_id="inv-svc",
            status=status,
            amount_halalas=amount_halalas,
            rule=rule,
            reason=reason,
            terms=terms or DEFAULT_REFUND_TERMS,
        )

    def refund_paid(self, email: str) -> Event:
        return self.about_request(
            "billing.refund_paid",
            email,
            refund_id="rf-51d0",
            invoice_id="inv-svc",
            amount_halalas=62525,
            paid_at="2026-12-03T10:30:00Z",
        )

    def refund_escalated(self, email: str) -> Event:
        return self.about_request(
            "billing.refund_escalated",
            email,
            refund_id="rf-51d0",
            invoice_id="inv-svc",
            amount_halalas=62525,
            claimed_at="2026-12-01T08:00:00Z",
            decide_by="2026-12-16T08:00:00Z",
        )

    def update_submitted(self, email: str, fields_changed: tuple = ("mobile", "employer")) -> Event:
        return self.about_request(
            "applications.data_update_submitted",
            email,
            update_id="upd-3f1",
            membership_number=self.MEMBERSHIP,
            fields_changed=list(fields_changed),
            submitted_at="2027-01-10T07:30:00Z",
        )

    def update_approved(self, email: str) -> Event:
        return self.about_request(
            "applications.data_update_approved",
            email,
            update_id="upd-3f1",
            membership_number=self.MEMBERSHIP,
            decided_at="2027-01-12T08:00:00Z",
        )

    def update_rejected(self, email: str, reason: str = "The employer letter is not signed.") -> Event:
        return self.about_request(
            "applications.data_update_rejected",
            email,
            update_id="upd-3f1",
            membership_number=self.MEMBERSHIP,
            reason=reason,
            decided_at="2027-01-12T08:00:00Z",
        )

    def returned(self, email: str, items: tuple = ("qualification", "degree")) -> Event:
        return self.about_request(
            "applications.application_returned",
            email,
            reason="The degree certificate is unreadable.",
            items=list(items),
            returned_at="2026-12-01T08:00:00Z",
            correct_by=self.DUE,
        )

    def resubmitted(self, email: str) -> Event:
        return self.about_request("applications.application_resubmitted", email, resubmitted_at="2026-12-05T08:00:00Z")

    def dataflow_recorded(self, email: str, outcome: str = "verified", note: str | None = None) -> Event:
        return self.about_request(
            "applications.dataflow_recorded", email, outcome=outcome, note=note, recorded_at="2026-12-01T08:00:00Z"
        )

    def classified(self, email: str, previous: str = "consultant", category: str = "specialist") -> Event:
        return self.about_request(
            "applications.application_classified",
            email,
            previous_category=previous,
            category=category,
            classified_at="2026-12-01T08:00:00Z",
        )

    def about_licence(self, type: str, email: str, **data) -> Event:
        return self.about_request(type, email, membership_number=self.MEMBERSHIP, valid_until=self.VALID_UNTIL, **data)

    def licence_reminder(self, email: str, before_expiry: str = "P30D") -> Event:
        return self.about_licence(
            "applications.licence_reminder_due", email, before_expiry=before_expiry, licence_status="expiring"
        )

    def licence_expired(self, email: str) -> Event:
        return self.about_licence("applications.licence_expired", email, expired_at=self.VALID_UNTIL)

    def cpd_recorded(self, email: str) -> Event:
        return self.about_licence(
            "applications.cpd_activity_recorded", email, activity_id="cpd-1", title="ACLS", hours="7.5"
        )

    def cpd_decided(self, email: str, decision: str = "approve", reason: str | None = None) -> Event:
        return self.about_licence(
            "applications.cpd_activity_decided",
            email,
            activity_id="cpd-1",
            title="ACLS",
            hours="7.5",
            decision=decision,
            reason=reason,
        )

    def subject_names(self, template: str) -> str:
        """The number an e-mail's subject names: the membership's or the request's."""
        return self.MEMBERSHIP if template in self.ABOUT_MEMBERSHIP else self.APPLICATION

    def for_template(self, template: str, email: str) -> Event:
        return getattr(self, self.BY_TEMPLATE[template])(email)


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def deliveries():
    """The delivery rows of a runtime's database matching `column=value` filters, oldest first."""

    def rows(runtime: Runtime, **where) -> list:
        table = deliveries_table
        with runtime.db.transaction() as session:
            return session.execute(
                select(table).where(*(table.c[k] == v for k, v in where.items())).order_by(table.c.created_at)
            ).all()

    return rows


def _migrated(url: str):
    upgrade(SERVICE, url)
    runtime = make_runtime(url)
    yield runtime
    runtime.db.dispose()


@pytest.fixture
def service_runtime(database_url):
    """The service's database, migrated: SQLite, and PostgreSQL too for tests marked `postgres`."""
    yield from _migrated(database_url)


@pytest.fixture
def sqlite_runtime(tmp_path):
    """The service's database, migrated, in a SQLite file: for tests that need no server."""
    yield from _migrated(f"sqlite:///{tmp_path / 'notifications.db'}")


class _Loop:
    """`run(stop)` on a thread until the test ends."""

    def __init__(self, loop):
        self.stop = threading.Event()
        self.thread = threading.Thread(target=loop, args=(self.stop,), daemon=True)
        self.thread.start()

    def close(self):
        self.stop.set()
        self.thread.join(timeout=15)
        assert not self.thread.is_alive(), "loop did not stop"


@dataclass
class Running:
    runtime: Runtime
    consumer: Consumer
    mail: MailCatcher  # not listening until the test calls `mail.start()`
    channel: object

    url: str

    def publish(self, event: Event) -> None:
        publish_as_producer(self.url, event)


@pytest.fixture
def running(service_runtime, rabbitmq_url):
    """The consumer and the mailer running; the SMTP server is down until `running.mail.start()`."""
    smtp_port = free_port()
    mail = MailCatcher(smtp_port=smtp_port, http_port=None)
    consumer = service_runtime.consumer(
        HANDLERS, url=service_url("notifications", rabbitmq_url), retry_delays=FAST_RETRIES
    )
    mailer = Mailer(service_runtime.db, MailerSettings(smtp_port=smtp_port, retry_base=timedelta(milliseconds=200)))
    connection = pika.BlockingConnection(connection_parameters(rabbitmq_url))
    channel = connection.channel()
    loops = [_Loop(consumer.run), _Loop(mailer.run)]
    try:
        assert consumer.ready.wait(30), "consumer did not bind its queue"
        yield Running(service_runtime, consumer, mail, channel, rabbitmq_url)
    finally:
        for loop in loops:
            loop.close()
        mail.stop()
        # The broker's virtual host lives for the whole session: the next test starts with empty queues.
        for queue in [consumer.queue, *consumer.retry_queues, consumer.dead_queue]:
            channel.queue_delete(queue)
        connection.close()


@pytest.fixture
def verifier(test_tokens) -> TokenVerifier:
    return test_tokens.verifier


@pytest.fixture
def bearer(test_tokens):
    return lambda *roles: test_tokens.bearer("user-1", *roles)
