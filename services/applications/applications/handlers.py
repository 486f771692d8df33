"""Events this service reacts to: event type -> handler (one table).

billing's are guarded by the lifecycle: an event for a request that has moved on (withdrawn while
the payment was on its way, say) or for a number this service does not know changes nothing and
is logged, not failed, so it is neither retried nor parked. accounts' tell the holders' names (for
the public register and the card); an older event never overwrites a newer name."""

import logging
from datetime import datetime

from mumaris_shared.consumer import Handler, HandlerContext, handles_many, publish_each
from mumaris_shared.contracts import (
    ACCOUNT_ACTIVATED,
    ACCOUNT_REGISTERED,
    APPLICATION_CANCELLED,
    FEES_SETTLED,
    PAYMENT_DEADLINE_EXPIRED,
    validated,
)
from mumaris_shared.events import isoformat, utcnow

from .adapters import licensing, repository
from .domain.lifecycle import AWAITING_PAYMENT, EXPIRE_DEADLINE, SETTLE_DIFFERENCE, SETTLE_FEES, SYSTEM, allows
from .service.context import move, move_many, request_data

log = logging.getLogger(__name__)

FEES_SETTLED_REASON = "fees settled"
DEADLINE_EXPIRED_REASON = "payment_deadline_expired"


def _application_for(ctx: HandlerContext):
    """The request the event is about, locked, and the fee action that applies to it now: settling
    or expiring its fees (awaiting payment), or its classification's difference (under review,
    with a difference outstanding); (None, None), logged, when none does."""
    number = validated(ctx.event.type, ctx.event.data)["application_number"]
    return _action_for(ctx, number, repository.application_by_number(ctx.session, number, for_update=True))


def _action_for(ctx: HandlerContext, number: str, application):
    if application is None:
        log.warning("%s %s: no request %s here; ignored", ctx.event.type, ctx.event.id, number)
        return None, None
    settled = ctx.event.type == FEES_SETTLED
    if application.status == AWAITING_PAYMENT:
        action = SETTLE_FEES if settled else EXPIRE_DEADLINE
    elif application.fees_outstanding_since is not None:
        action = SETTLE_DIFFERENCE if settled else EXPIRE_DEADLINE
    else:
        action = None
    if action is None or not allows(action, application.status, application.review_started_at is not None):
        log.info("%s %s: request %s is %s; nothing to do", ctx.event.type, ctx.event.id, number, application.status)
        return None, None
    return application, action


def fees_settled(ctx: HandlerContext) -> None:
    """Both fees paid or waived: the request joins the reviewers' queue; or the classification's
    difference is settled: the request may be approved."""
    application, action = _application_for(ctx)
    if application is not None:
        now = utcnow()
        queued = {"under_review_at": now} if action == SETTLE_FEES else {}
        move(
            ctx.session,
            application,
            action,
            by=SYSTEM,
            at=now,
            reason=FEES_SETTLED_REASON,
            fees_outstanding_since=None,
            **queued,
        )


def cancel_many_unpaid(contexts: list[HandlerContext]) -> None:
    """`cancel_unpaid` of one or many deadlines (the scheduler expires them in batches): the
    requests locked in one query (in number order, so that two consumers never wait on each other),
    moved together, their cancellations recorded in one statement."""
    session, now = contexts[0].session, utcnow()
    numbers = [validated(ctx.event.type, ctx.event.data)["application_number"] for ctx in contexts]
    found = repository.applications_by_numbers(session, numbers, for_update=True)
    moves, published = {}, []
    for ctx, number in zip(contexts, numbers, strict=True):
        application, action = _action_for(ctx, number, found.get(number))
        if application is not None and number not in moves:  # a second deadline of one request: nothing to do
            moves[number] = (application, action)
            published.append((ctx, APPLICATION_CANCELLED, _cancellation(application, now)))
    move_many(session, list(moves.values()), by=SYSTEM, at=now, reason=DEADLINE_EXPIRED_REASON)
    publish_each(published)


@handles_many(cancel_many_unpaid)
def cancel_unpaid(ctx: HandlerContext) -> None:
    """The payment deadline passed with fees unsettled: the request is cancelled (R4)."""
    cancel_many_unpaid([ctx])


def _cancellation(application, now) -> dict:
    return {**request_data(application), "reason": DEADLINE_EXPIRED_REASON, "cancelled_at": isoformat(now)}


def account_named(ctx: HandlerContext) -> None:
    """An account's name, kept for the register and the card."""
    data = validated(ctx.event.type, ctx.event.data)
    licensing.remember_holder(
        ctx.session, data["account_id"], data["full_name"], datetime.fromisoformat(ctx.event.occurred_at)
    )


HANDLERS: dict[str, Handler] = {
    FEES_SETTLED: fees_settled,
    PAYMENT_DEADLINE_EXPIRED: cancel_unpaid,
    ACCOUNT_REGISTERED: account_named,
    ACCOUNT_ACTIVATED: account_named,
}
