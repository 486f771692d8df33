"""The licence: `/v1/memberships/<membership_number>...` (its holder and staff), CPD activities and
their review, renewal requests, the card; the public register `/v1/register...` (anyone)."""

from flask import Response
from flask_smorest import Blueprint

from mumaris_shared.auth import APPLICANT, REVIEWER, current_principal, require_roles
from mumaris_shared.web import refusals

from .common import BEARER
from .common import service as _service
from .licence_schemas import (
    CpdActivityCreateSchema,
    CpdActivitySchema,
    CpdDecisionSchema,
    RegisterEntrySchema,
    RegisterPageSchema,
    RegisterQuerySchema,
)
from .schemas import ApplicationSchema, MembershipSchema

blueprint = Blueprint(
    "licences", __name__, url_prefix="/v1", description="Licences, CPD, renewals, the card and the public register"
)


@blueprint.get("/memberships/<string:membership_number>")
@blueprint.doc(security=BEARER)
@require_roles()
@blueprint.response(200, MembershipSchema)
def read_membership(membership_number):
    """The licence (status, valid until, CPD hours counted and required), the membership's data,
    previous versions and updates: its holder and staff"""
    return _service().read_membership(current_principal(), membership_number)


@blueprint.post("/memberships/<string:membership_number>/cpd")
@blueprint.doc(security=BEARER)
@require_roles(APPLICANT)
@blueprint.arguments(CpdActivityCreateSchema)
@blueprint.response(201, CpdActivitySchema)
def record_cpd(body, membership_number):
    """Record a CPD activity (a certificate may then be uploaded to it): the holder"""
    return _service().record_cpd(current_principal(), membership_number, body)


@blueprint.get("/memberships/<string:membership_number>/cpd")
@blueprint.doc(security=BEARER)
@require_roles()
@blueprint.response(200, CpdActivitySchema(many=True))
def cpd_activities(membership_number):
    """The licence's CPD activities: the holder and staff"""
    return _service().cpd_activities(current_principal(), membership_number)


@blueprint.get("/cpd-queue")
@blueprint.doc(security=BEARER)
@require_roles(REVIEWER)
@blueprint.response(200, CpdActivitySchema(many=True))
def cpd_queue():
    """CPD activities waiting for a reviewer, oldest first"""
    return _service().cpd_queue()


@blueprint.post("/cpd/<string:activity_id>/decision")
@blueprint.doc(security=BEARER)
@require_roles(REVIEWER)
@blueprint.arguments(CpdDecisionSchema)
@blueprint.response(200, CpdActivitySchema)
@refusals(blueprint, 409)
def decide_cpd(body, activity_id):
    """Accept (`approve`) or reject a CPD activity"""
    return _service().decide_cpd(current_principal(), activity_id, body["decision"], body["reason"])


@blueprint.post("/memberships/<string:membership_number>/renewals")
@blueprint.doc(security=BEARER)
@require_roles(APPLICANT)
@blueprint.response(201, ApplicationSchema)
@refusals(blueprint, 409, 422)
def open_renewal(membership_number):
    """Open a renewal request (a draft), inside the renewal window or after expiry; 422
    cpd_hours_missing while the CPD hours fall short"""
    return _service().open_renewal(current_principal(), membership_number)


@blueprint.get("/memberships/<string:membership_number>/card")
@blueprint.doc(security=BEARER, responses={"200": {"content": {"application/pdf": {}}}})
@require_roles(APPLICANT)
def card(membership_number):
    """The registration card, a PDF in Arabic and English: the holder"""
    pdf = _service().card(current_principal(), membership_number)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="mumaris-card-{membership_number}.pdf"'},
    )


@blueprint.get("/register/<string:membership_number>")
@blueprint.response(200, RegisterEntrySchema)
def register_entry(membership_number):
    """Anyone: a practitioner by membership number (rate-limited at the gateway)"""
    return _service().register_entry(membership_number)


@blueprint.get("/register")
@blueprint.arguments(RegisterQuerySchema, location="query")
@blueprint.response(200, RegisterPageSchema)
def register_search(query):
    """Anyone: practitioners by name and specialty, a page at a time (rate-limited at the gateway)"""
    return _service().register_search(query["name"], query["specialty"], query["page"], query["per_page"])
