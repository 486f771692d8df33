"""Events this service reacts to: event type -> handler (one table).

A handler never talks to SMTP. It renders the e-mail and queues it as a delivery in its own
transaction, which commits together with the inbox row: an event becomes exactly one delivery
however often it arrives, and `notifications.mailer` sends it. Data that breaks its contract
raises, so the message goes through the retry ladder and is parked, never half-handled."""
from datetime import datetime

from mumaris_shared.consumer import Handler, HandlerContext
from mumaris_shared.contracts import (ACCOUNT_ACTIVATED, ACCOUNT_REGISTERED, VERIFICATION_CODE_ISSUED,
                                      validated)

from .adapters.deliveries import queue_delivery, remember_recipient
from .domain.emails import VERIFICATION_CODE, WELCOME, render


def _account(ctx: HandlerContext) -> dict:
    """The event's account data, checked against its contract; the recipient is remembered (or
    refreshed) for later events that name the person only by account id."""
    data = validated(ctx.event.type, ctx.event.data)
    remember_recipient(ctx.session, data["account_id"], data["email"], data["full_name"], data["language"],
                       as_of=datetime.fromisoformat(ctx.event.occurred_at))
    return data


def _email(ctx: HandlerContext, template: str, data: dict) -> None:
    queue_delivery(ctx.session, ctx.event, template, data["email"], render(template, data["language"], data))


def account_registered(ctx: HandlerContext) -> None:
    _account(ctx)


def verification_code_issued(ctx: HandlerContext) -> None:
    _email(ctx, VERIFICATION_CODE, _account(ctx))


def account_activated(ctx: HandlerContext) -> None:
    _email(ctx, WELCOME, _account(ctx))


HANDLERS: dict[str, Handler] = {
    ACCOUNT_REGISTERED: account_registered,
    VERIFICATION_CODE_ISSUED: verification_code_issued,
    ACCOUNT_ACTIVATED: account_activated,
}
