"""Events this service reacts to: event type -> handler (one table).

Both are guarded by the lifecycle: an event for a request that has moved on (withdrawn while the
payment was on its way, say) or for a number this service does not know changes nothing and is
logged, not failed, so it is neither retried nor parked."""

import logging

from mumaris_shared.consumer import Handler, HandlerContext
from mumaris_shared.contracts import APPLICATION_CANCELLED, FEES_SETTLED, PAYMENT_DEADLINE_EXPIRED, validated
from mumaris_shared.events import isoformat, utcnow

from .adapters import repository
from .domain.lifecycle import EXPIRE_DEADLINE, SETTLE_FEES, SYSTEM, allows
from .service import move, request_data

log = logging.getLogger(__name__)

FEES_SETTLED_REASON = "fees settled"
DEADLINE_EXPIRED_REASON = "payment_deadline_expired"


def _application_for(ctx: HandlerContext, action: str):
    """The request the event is about, locked, if `action` still applies to it; else None, logged."""
    data = validated(ctx.event.type, ctx.event.data)
    number = data["application_number"]
    application = repository.application_by_number(ctx.session, number, for_update=True)
    if application is None:
        log.warning("%s %s: no request %s here; ignored", ctx.event.type, ctx.event.id, number)
        return None
    if not allows(action, application.status, application.review_started_at is not None):
        log.info("%s %s: request %s is %s; nothing to do", ctx.event.type, ctx.event.id, number, application.status)
        return None
    return application


def send_to_review(ctx: HandlerContext) -> None:
    """Both fees paid or waived: the request joins the reviewers' queue."""
    application = _application_for(ctx, SETTLE_FEES)
    if application is not None:
        now = utcnow()
        move(ctx.session, application, SETTLE_FEES, by=SYSTEM, at=now, reason=FEES_SETTLED_REASON, under_review_at=now)


def cancel_unpaid(ctx: HandlerContext) -> None:
    """The payment deadline passed with fees unsettled: the request is cancelled (R4)."""
    application = _application_for(ctx, EXPIRE_DEADLINE)
    if application is not None:
        now = utcnow()
        move(ctx.session, application, EXPIRE_DEADLINE, by=SYSTEM, at=now, reason=DEADLINE_EXPIRED_REASON)
        ctx.publish(
            APPLICATION_CANCELLED,
            {**request_data(application), "reason": DEADLINE_EXPIRED_REASON, "cancelled_at": isoformat(now)},
        )


HANDLERS: dict[str, Handler] = {
    FEES_SETTLED: send_to_review,
    PAYMENT_DEADLINE_EXPIRED: cancel_unpaid,
}
