"""Events this service reacts to: event type -> handler (one table).

billing's are guarded by the lifecycle: an event for a request that has moved on (withdrawn while
the payment was on its way, say) or for a number this service does not know changes nothing and
is logged, not failed, so it is neither retried nor parked. accounts' tell the holders' names (for
the public register and the card); an older event never overwrites a newer name."""

import logging
from datetime import datetime

from mumaris_shared.consumer import Handler, HandlerContext
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
from .service.context import move, request_data

log = logging.getLogger(__name__)

FEES_SETTLED_REASON = "fees settled"
DEADLINE_EXPIRED_REASON = "payment_deadline_expired"


def _application_for(ctx: HandlerContext):
    """The request the event is about, locked, and the fee action that applies to it now: settling
    or expiring its fees (awaiting payment), or its classification's difference (under review,
    with a difference outstanding); (None, None), logged, when none does."""
    data = validated(ctx.event.type, ctx.event.data)
    number = data["application_number"]
    application = repository.application_by_number(ctx.session, number, for_update=True)
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


def cancel_unpaid(ctx: HandlerContext) -> None:
    """The payment deadline passed with fees unsettled: the request is cancelled (R4)."""
    application, action = _application_for(ctx)
    if application is not None:
        now = utcnow()
        move(ctx.session, application, action, by=SYSTEM, at=now, reason=DEADLINE_EXPIRED_REASON)
        ctx.publish(
            APPLICATION_CANCELLED,
            {**request_data(application), "reason": DEADLINE_EXPIRED_REASON, "cancelled_at": isoformat(now)},
        )


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
