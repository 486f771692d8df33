"""Events this service reacts to: event type -> handler (one table).

A handler never talks to SMTP. It renders the e-mail and queues it as a delivery in its own
transaction, which commits together with the inbox row: an event becomes exactly one delivery
however often it arrives, and `notifications.mailer` sends it. Data that breaks its contract
raises, so the message goes through the retry ladder and is parked, never half-handled.

Accounts events carry the person's address and language, and are remembered in `recipients`;
events about requests and fees name the person only by account id and are written to whoever
`recipients` holds for it; one whose recipient is not known yet raises `RecipientUnknown` (retried,
then parked, never dropped).

Staff e-mails (`emails.STAFF_TEMPLATES`: a refund claim escalated near its decision limit) go to
the reviewers' team mailbox, setting `NOTIFICATIONS_REVIEWERS_ADDRESS` (`reviewers@mumaris.local`),
in `emails.STAFF_LANGUAGE` (Arabic); they need no recipient lookup."""

from datetime import datetime

from mumaris_shared.config import env
from mumaris_shared.consumer import Handler, HandlerContext, handles_many
from mumaris_shared.contracts import (
    ACCOUNT_ACTIVATED,
    ACCOUNT_REGISTERED,
    APPLICATION_APPROVED,
    APPLICATION_CANCELLED,
    APPLICATION_CLASSIFIED,
    APPLICATION_REJECTED,
    APPLICATION_RESUBMITTED,
    APPLICATION_RETURNED,
    CPD_ACTIVITY_DECIDED,
    CPD_ACTIVITY_RECORDED,
    DATA_UPDATE_APPROVED,
    DATA_UPDATE_REJECTED,
    DATA_UPDATE_SUBMITTED,
    DATAFLOW_RECORDED,
    EXEMPTION_DECIDED,
    FEES_ASSESSED,
    LICENCE_EXPIRED,
    LICENCE_REMINDER_DUE,
    PASSWORD_RESET_CODE_ISSUED,
    PAYMENT_RECEIVED,
    PAYMENT_REMINDER_DUE,
    REFUND_DECIDED,
    REFUND_ESCALATED,
    REFUND_PAID,
    VERIFICATION_CODE_ISSUED,
    WAIVER_GRANTED,
    validated,
)

from .adapters.deliveries import find_recipients, queue_deliveries, queue_delivery, remember_recipient
from .domain import emails
from .domain.emails import PASSWORD_RESET_CODE, STAFF_LANGUAGE, VERIFICATION_CODE, WELCOME, render

REVIEWERS_ADDRESS = "reviewers@mumaris.local"


class RecipientUnknown(LookupError):
    """An event names an account no accounts event has told us about yet."""


def _account(ctx: HandlerContext) -> dict:
    """The event's account data, checked against its contract; the recipient is remembered (or
    refreshed) for later events that name the person only by account id."""
    data = validated(ctx.event.type, ctx.event.data)
    remember_recipient(
        ctx.session,
        data["account_id"],
        data["email"],
        data["full_name"],
        data["language"],
        as_of=datetime.fromisoformat(ctx.event.occurred_at),
    )
    return data


def reviewers_address() -> str:
    """The reviewers' team mailbox (`NOTIFICATIONS_REVIEWERS_ADDRESS`), read for each e-mail."""
    return env("NOTIFICATIONS_REVIEWERS_ADDRESS", REVIEWERS_ADDRESS)


def _email(ctx: HandlerContext, template: str, data: dict, secret_until: datetime | None = None) -> None:
    email = render(template, data["language"], data)
    queue_delivery(ctx.session, ctx.event, template, data["email"], email, secret_until)


def account_registered(ctx: HandlerContext) -> None:
    _account(ctx)


def verification_code_issued(ctx: HandlerContext) -> None:
    """The code e-mail; the code is kept in the delivery log no longer than it is valid."""
    data = _account(ctx)
    _email(ctx, VERIFICATION_CODE, data, secret_until=datetime.fromisoformat(data["expires_at"]))


def password_reset_code_issued(ctx: HandlerContext) -> None:
    _email(ctx, PASSWORD_RESET_CODE, _account(ctx))


def account_activated(ctx: HandlerContext) -> None:
    _email(ctx, WELCOME, _account(ctx))


def _to_account_holder(template: str):
    """A handler for an event about a request, which names its owner only by `account_id`: the
    e-mail goes to the address and in the language of the `recipients` table.

    If the account is not there yet (its accounts event is still on its way: events from different
    services are not ordered), the handler raises `RecipientUnknown`. Nothing is recorded, so the
    message goes through the retry ladder (`CONSUMER_RETRY_DELAYS`) and is handled once the
    recipient is known; if the ladder runs out first, the message is parked, never dropped, and
    `python -m mumaris_shared.parking replay notifications --id <event id>` sends it later."""

    def handle_many(contexts: list[HandlerContext]) -> None:
        # Many at once when they come together (a deadline sweep cancels thousands): the recipients
        # read in one query, the deliveries queued in one statement.
        datas = [validated(ctx.event.type, ctx.event.data) for ctx in contexts]
        recipients = find_recipients(contexts[0].session, [data["account_id"] for data in datas])
        queued = []
        for ctx, data in zip(contexts, datas, strict=True):
            recipient = recipients.get(data["account_id"])
            if recipient is None:
                raise RecipientUnknown(f"no recipient for account {data['account_id']!r} yet ({ctx.event.type})")
            email = render(template, recipient.language, {**data, "full_name": recipient.full_name})
            queued.append((ctx.event, template, recipient.email, email, None))
        queue_deliveries(contexts[0].session, queued)

    @handles_many(handle_many)
    def handle(ctx: HandlerContext) -> None:
        handle_many([ctx])

    handle.__name__ = handle.__qualname__ = template
    handle.__doc__ = f"The `{template}` e-mail to the request's owner. " + (handle.__doc__ or "")
    return handle


# Each sends its e-mail to the account holder (see `_to_account_holder` for an account not known yet).
fees_assessed = _to_account_holder(emails.REQUEST_SENT)  # both invoices, SADAD numbers, deadline
payment_reminder_due = _to_account_holder(emails.PAYMENT_REMINDER)  # time left, unpaid invoices, deadline
payment_received = _to_account_holder(emails.PAYMENT_RECEIVED)
application_cancelled = _to_account_holder(emails.APPLICATION_CANCELLED)  # payment_deadline_expired
exemption_decided = _to_account_holder(emails.EXEMPTION_DECIDED)
waiver_granted = _to_account_holder(emails.WAIVER_GRANTED)
application_approved = _to_account_holder(emails.APPLICATION_APPROVED)  # with the membership number
application_rejected = _to_account_holder(emails.APPLICATION_REJECTED)  # with the reason
refund_decided = _to_account_holder(emails.REFUND_DECIDED)  # the amount and what the rule means
refund_paid = _to_account_holder(emails.REFUND_PAID)
data_update_submitted = _to_account_holder(emails.DATA_UPDATE_RECEIVED)  # the fields changed
data_update_approved = _to_account_holder(emails.DATA_UPDATE_APPROVED)
data_update_rejected = _to_account_holder(emails.DATA_UPDATE_REJECTED)  # with the reason
application_returned = _to_account_holder(emails.APPLICATION_RETURNED)  # what to correct, by when
application_resubmitted = _to_account_holder(emails.APPLICATION_RESUBMITTED)
dataflow_recorded = _to_account_holder(emails.DATAFLOW_RECORDED)
application_classified = _to_account_holder(emails.APPLICATION_CLASSIFIED)
licence_reminder_due = _to_account_holder(emails.LICENCE_REMINDER)  # in the holder's language
licence_expired = _to_account_holder(emails.LICENCE_EXPIRED)
cpd_activity_recorded = _to_account_holder(emails.CPD_ACTIVITY_RECORDED)
cpd_activity_decided = _to_account_holder(emails.CPD_ACTIVITY_DECIDED)


def refund_escalated(ctx: HandlerContext) -> None:
    """A refund claim still undecided near its limit: the reviewers are told, at their team mailbox."""
    queue_delivery(
        ctx.session,
        ctx.event,
        emails.REFUND_ESCALATED,
        reviewers_address(),
        render(emails.REFUND_ESCALATED, STAFF_LANGUAGE, validated(ctx.event.type, ctx.event.data)),
    )


HANDLERS: dict[str, Handler] = {
    ACCOUNT_REGISTERED: account_registered,
    VERIFICATION_CODE_ISSUED: verification_code_issued,
    PASSWORD_RESET_CODE_ISSUED: password_reset_code_issued,
    ACCOUNT_ACTIVATED: account_activated,
    FEES_ASSESSED: fees_assessed,
    PAYMENT_REMINDER_DUE: payment_reminder_due,
    PAYMENT_RECEIVED: payment_received,
    APPLICATION_CANCELLED: application_cancelled,
    EXEMPTION_DECIDED: exemption_decided,
    WAIVER_GRANTED: waiver_granted,
    APPLICATION_APPROVED: application_approved,
    APPLICATION_REJECTED: application_rejected,
    REFUND_DECIDED: refund_decided,
    REFUND_PAID: refund_paid,
    REFUND_ESCALATED: refund_escalated,
    DATA_UPDATE_SUBMITTED: data_update_submitted,
    DATA_UPDATE_APPROVED: data_update_approved,
    DATA_UPDATE_REJECTED: data_update_rejected,
    APPLICATION_RETURNED: application_returned,
    APPLICATION_RESUBMITTED: application_resubmitted,
    DATAFLOW_RECORDED: dataflow_recorded,
    APPLICATION_CLASSIFIED: application_classified,
    LICENCE_REMINDER_DUE: licence_reminder_due,
    LICENCE_EXPIRED: licence_expired,
    CPD_ACTIVITY_RECORDED: cpd_activity_recorded,
    CPD_ACTIVITY_DECIDED: cpd_activity_decided,
}
