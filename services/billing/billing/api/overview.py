"""Read-only views for the applicant's pages (billing/overview.py): the refund preview and the
caller's fee accounts."""

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from mumaris_shared.auth import current_principal, require_roles

from ..overview import Overview
from .schemas import ApplicationQuerySchema

OVERVIEW_EXTENSION = "billing.overview"
BEARER = [{"bearer": []}]

overview = Blueprint(
    "overview", __name__, url_prefix="/v1", description="Refund preview, payment deadlines and the fee schedule"
)


class PreviewedFeeSchema(Schema):
    invoice = fields.String()
    kind = fields.String()
    amount_paid_halalas = fields.Integer()
    paid_at = fields.String()
    amount_halalas = fields.Integer()  # refunded if `status` is approved; claimed if pending_review
    status = fields.String()  # approved | rejected | pending_review (or a recorded refund's status)
    rule = fields.String()  # the named rule of domain/refunds.py
    recorded = fields.Boolean()  # already decided: the recorded refund, not a preview


class RefundPreviewSchema(Schema):
    application = fields.String()
    at = fields.String()
    fees = fields.List(fields.Nested(PreviewedFeeSchema))
    total_halalas = fields.Integer()


class FeeAccountSchema(Schema):
    application = fields.String()
    status = fields.String()  # open | settled | expired | closed
    due_at = fields.String()
    settled_at = fields.String(allow_none=True)
    unpaid_halalas = fields.Integer()


class CategoryFeesSchema(Schema):
    category = fields.String()
    fees = fields.Dict(keys=fields.String(), values=fields.Integer())  # {kind: amount in halalas}


def _overview() -> Overview:
    return current_app.extensions[OVERVIEW_EXTENSION]


@overview.get("/refunds/preview")
@overview.arguments(ApplicationQuerySchema, location="query")
@overview.response(200, RefundPreviewSchema)
@overview.doc(security=BEARER)
@require_roles()
def refund_preview(query):
    """What withdrawing the request now would refund, fee by fee, by which rule (its owner or staff); nothing changes"""
    return _overview().refund_preview(current_principal(), query["application"])


@overview.get("/fee-accounts")
@overview.response(200, FeeAccountSchema(many=True))
@overview.doc(security=BEARER)
@require_roles()
def fee_accounts():
    """The caller's requests as billing knows them: payment deadline and what is still unpaid, newest first"""
    return _overview().fee_accounts(current_principal())


@overview.get("/fee-schedule")
@overview.response(200, CategoryFeesSchema(many=True))
def fee_schedule():
    """Anyone: the two fees a request of each professional category owes (halalas)"""
    return _overview().fee_schedule()
