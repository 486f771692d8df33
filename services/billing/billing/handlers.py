"""Events this service reacts to: event type -> handler (one table). Each handler's effects commit
with the inbox row; data that breaks its contract raises, so the message is retried and parked,
never half-handled."""

from __future__ import annotations

from mumaris_shared.consumer import Handler, HandlerContext, handles_many, publish_each
from mumaris_shared.contracts import (
    APPLICATION_APPROVED,
    APPLICATION_CLASSIFIED,
    APPLICATION_REJECTED,
    APPLICATION_REVIEW_STARTED,
    APPLICATION_SUBMITTED,
    APPLICATION_WITHDRAWN,
    validated,
)

from .service import BillingService


def handlers(service: BillingService) -> dict[str, Handler]:
    def applications_submitted(contexts: list[HandlerContext]) -> None:
        """Many requests sent, in a row of the consumer's batch: their fees assessed together."""
        submissions = [(validated(ctx.event.type, ctx.event.data), ctx.publish) for ctx in contexts]
        announced = service.assess_many_fees(contexts[0].session, submissions)
        publish_each([(contexts[index], event_type, data) for index, event_type, data in announced])

    @handles_many(applications_submitted)
    def application_submitted(ctx: HandlerContext) -> None:
        service.assess_fees(ctx.session, ctx.publish, validated(ctx.event.type, ctx.event.data))

    def application_review_started(ctx: HandlerContext) -> None:
        service.record_review_started(ctx.session, ctx.publish, validated(ctx.event.type, ctx.event.data))

    def application_classified(ctx: HandlerContext) -> None:
        service.reclassify(ctx.session, ctx.publish, validated(ctx.event.type, ctx.event.data))

    def application_withdrawn(ctx: HandlerContext) -> None:
        service.close_fees(ctx.session, ctx.publish, validated(ctx.event.type, ctx.event.data), "withdrawn")

    def application_approved(ctx: HandlerContext) -> None:
        service.close_fees(
            ctx.session, ctx.publish, validated(ctx.event.type, ctx.event.data), "approved", decided=True
        )

    def application_rejected(ctx: HandlerContext) -> None:
        service.close_fees(
            ctx.session, ctx.publish, validated(ctx.event.type, ctx.event.data), "rejected", decided=True
        )

    return {
        APPLICATION_SUBMITTED: application_submitted,
        APPLICATION_REVIEW_STARTED: application_review_started,
        APPLICATION_CLASSIFIED: application_classified,
        APPLICATION_WITHDRAWN: application_withdrawn,
        APPLICATION_APPROVED: application_approved,
        APPLICATION_REJECTED: application_rejected,
    }
