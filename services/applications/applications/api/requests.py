"""Requests, their review, and data updates: `/v1/applications/...`, `/v1/updates/...`."""

from flask_smorest import Blueprint

from mumaris_shared.auth import APPLICANT, REVIEWER, current_principal, require_roles
from mumaris_shared.kept_answers import KeptAnswers
from mumaris_shared.web import refusals

from .common import BEARER, kept_answers
from .common import service as _service
from .schemas import (
    ApplicationCreateSchema,
    ApplicationSchema,
    ApplicationSummarySchema,
    ClassificationSchema,
    DataflowSchema,
    DataUpdateCreateSchema,
    DataUpdateSchema,
    DecisionSchema,
    EditSchema,
    PublicStatusSchema,
    QueueEntrySchema,
    QueueQuerySchema,
    ReturnSchema,
)


def new_kept_answers() -> dict[str, KeptAnswers]:
    """The answers `read` and `public_status` send again while the request's revision is the same
    (mumaris_shared.kept_answers): each app has its own."""
    return {"request": KeptAnswers(ApplicationSchema()), "status": KeptAnswers(PublicStatusSchema())}


blueprint = Blueprint(
    "applications", __name__, url_prefix="/v1", description="Requests (registrations and renewals), their review"
)


@blueprint.post("/applications")
@blueprint.doc(security=BEARER)
@require_roles(APPLICANT)
@blueprint.arguments(ApplicationCreateSchema)
@blueprint.response(201, ApplicationSchema)
def create(body):
    """Create a request (a draft until it is submitted)"""
    return _service().create(current_principal(), **body)


@blueprint.get("/applications")
@blueprint.doc(security=BEARER)
@require_roles()
@blueprint.response(200, ApplicationSummarySchema(many=True))
def list_own():
    """The caller's requests, newest first"""
    return _service().list_own(current_principal())


@blueprint.get("/applications/<string:number>")
@blueprint.doc(security=BEARER)
@require_roles()
@blueprint.response(200, ApplicationSchema)
def read(number):
    """A request with its whole timeline: its owner, reviewers and the secretary-general"""
    return _service().read(current_principal(), number, kept_answers("request"))


@blueprint.patch("/applications/<string:number>")
@blueprint.doc(security=BEARER)
@require_roles(APPLICANT)
@blueprint.arguments(EditSchema)
@blueprint.response(200, ApplicationSchema)
@refusals(blueprint, 409)
def edit(body, number):
    """Change a draft, or a request returned for corrections"""
    return _service().edit(current_principal(), number, body)


@blueprint.delete("/applications/<string:number>")
@blueprint.doc(security=BEARER)
@require_roles(APPLICANT)
@blueprint.response(204)
@refusals(blueprint, 409)
def delete_draft(number):
    """Delete a draft and its documents"""
    _service().delete_draft(current_principal(), number)


@blueprint.post("/applications/<string:number>/submit")
@blueprint.doc(security=BEARER)
@require_roles(APPLICANT)
@blueprint.response(200, ApplicationSchema)
@refusals(blueprint, 409)
def submit(number):
    """Confirm and send a draft (its two fees fall due), or send a returned request again (no new fees)"""
    return _service().submit(current_principal(), number)


@blueprint.post("/applications/<string:number>/withdraw")
@blueprint.doc(security=BEARER)
@require_roles(APPLICANT)
@blueprint.response(200, ApplicationSchema)
@refusals(blueprint, 409)
def withdraw(number):
    """Withdraw a request that is not decided yet"""
    return _service().withdraw(current_principal(), number)


@blueprint.get("/status/<string:number>")
@blueprint.response(200, PublicStatusSchema)
def public_status(number):
    """Anyone holding a request number: its status and last change, nothing else"""
    return _service().public_status(number, kept_answers("status"))


@blueprint.get("/review-queue")
@blueprint.doc(security=BEARER)
@require_roles(REVIEWER)
@blueprint.arguments(QueueQuerySchema, location="query")
@blueprint.response(200, QueueEntrySchema(many=True))
def review_queue(query):
    """Requests and data updates under review (`kind`), longest waiting first; `account` (repeatable): only theirs"""
    return _service().review_queue(query.get("account"))


@blueprint.post("/applications/<string:number>/review")
@blueprint.doc(security=BEARER)
@require_roles(REVIEWER)
@blueprint.response(200, ApplicationSchema)
@refusals(blueprint, 409)
def start_review(number):
    """Take a request from the queue: its review has started"""
    return _service().start_review(current_principal(), number)


@blueprint.post("/applications/<string:number>/dataflow")
@blueprint.doc(security=BEARER)
@require_roles(REVIEWER)
@blueprint.arguments(DataflowSchema)
@blueprint.response(200, ApplicationSchema)
@refusals(blueprint, 409)
def record_dataflow(body, number):
    """Record the Dataflow (primary-source verification) outcome of the qualification: the reviewer who took it"""
    return _service().record_dataflow(current_principal(), number, body["outcome"], body["note"])


@blueprint.post("/applications/<string:number>/classification")
@blueprint.doc(security=BEARER)
@require_roles(REVIEWER)
@blueprint.arguments(ClassificationSchema)
@blueprint.response(200, ApplicationSchema)
@refusals(blueprint, 409)
def classify(body, number):
    """Set the final professional classification, once: the reviewer who took it"""
    return _service().classify(current_principal(), number, body["category"])


@blueprint.post("/applications/<string:number>/return")
@blueprint.doc(security=BEARER)
@require_roles(REVIEWER)
@blueprint.arguments(ReturnSchema)
@blueprint.response(200, ApplicationSchema)
@refusals(blueprint, 409)
def return_for_corrections(body, number):
    """Return the request for corrections, naming the fields or documents: the reviewer who took it"""
    return _service().return_for_corrections(current_principal(), number, body["reason"], body["items"])


@blueprint.post("/applications/<string:number>/decision")
@blueprint.doc(security=BEARER)
@require_roles(REVIEWER)
@blueprint.arguments(DecisionSchema)
@blueprint.response(200, ApplicationSchema)
@refusals(blueprint, 409)
def decide(body, number):
    """Approve (a registration: a membership number and a licence; a renewal: the licence extended) or reject"""
    return _service().decide(current_principal(), number, body["decision"], body["reason"])


@blueprint.post("/memberships/<string:membership_number>/updates")
@blueprint.doc(security=BEARER)
@require_roles(APPLICANT)
@blueprint.arguments(DataUpdateCreateSchema)
@blueprint.response(201, DataUpdateSchema)
@refusals(blueprint, 409)
def submit_update(body, membership_number):
    """The membership's owner submits new data; it goes to review (one open update at a time)"""
    return _service().submit_update(current_principal(), membership_number, body["changes"])


@blueprint.get("/updates/<string:update_id>")
@blueprint.doc(security=BEARER)
@require_roles()
@blueprint.response(200, DataUpdateSchema)
def read_update(update_id):
    """A data update: its owner and staff"""
    return _service().read_update(current_principal(), update_id)


@blueprint.post("/updates/<string:update_id>/review")
@blueprint.doc(security=BEARER)
@require_roles(REVIEWER)
@blueprint.response(200, DataUpdateSchema)
@refusals(blueprint, 409)
def start_update_review(update_id):
    """Take a data update from the queue: its review has started"""
    return _service().start_update_review(current_principal(), update_id)


@blueprint.post("/updates/<string:update_id>/decision")
@blueprint.doc(security=BEARER)
@require_roles(REVIEWER)
@blueprint.arguments(DecisionSchema)
@blueprint.response(200, DataUpdateSchema)
@refusals(blueprint, 409)
def decide_update(body, update_id):
    """Approve (the new data replaces the old, kept in the history) or reject (with a reason) an update one has taken"""
    return _service().decide_update(current_principal(), update_id, body["decision"], body["reason"])
