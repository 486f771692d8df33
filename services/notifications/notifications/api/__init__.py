from flask import current_app
from flask_smorest import Blueprint

from mumaris_shared.auth import STAFF_ROLES, require_roles

from ..adapters.deliveries import delivery_log
from .schemas import Delivery, DeliveryQuery

blueprint = Blueprint(
    "notifications",
    __name__,
    url_prefix="/v1",
    description="The delivery log: every e-mail queued, and whether it went out",
)


@blueprint.get("/deliveries")
@require_roles(*STAFF_ROLES)
@blueprint.doc(security=[{"bearer": []}])
@blueprint.arguments(DeliveryQuery, location="query", as_kwargs=True)
@blueprint.response(200, Delivery(many=True))
def list_deliveries(recipient: str | None = None, status: str | None = None, limit: int = 50):
    """The delivery log, newest first (staff only)"""
    with current_app.extensions["mumaris.db"].transaction() as session:
        return delivery_log(session, recipient=recipient, status=status, limit=limit)
