"""Documents: uploaded (multipart `file` + `kind`) to a request, a data update or a CPD activity;
listed with short-lived signed links; read through a link; deleted."""

from flask import Response
from flask_smorest import Blueprint

from mumaris_shared.auth import APPLICANT, current_principal, require_roles
from mumaris_shared.web import refusals

from ..domain.documents import MAX_SIZE
from .common import BEARER
from .common import service as _service
from .licence_schemas import (
    UPLOAD_BODY,
    DocumentLinkSchema,
    LinkQuerySchema,
    UploadedSchema,
    UploadFileSchema,
    UploadKindSchema,
)

blueprint = Blueprint("documents", __name__, url_prefix="/v1", description="Documents and their signed links")


def _read(upload) -> tuple[bytes, str]:
    # One byte past the limit is enough to refuse a file as too big without reading all of it.
    return upload.read(MAX_SIZE + 1), upload.filename or ""


@blueprint.post("/applications/<string:number>/documents")
@blueprint.doc(security=BEARER)
@require_roles(APPLICANT)
@blueprint.arguments(UploadKindSchema, location="form")
@blueprint.arguments(UploadFileSchema, location="files")
@blueprint.doc(requestBody=UPLOAD_BODY)
@blueprint.response(201, UploadedSchema)
@refusals(blueprint, 409)
def upload_to_request(form, files, number):
    """Attach a PDF, JPEG or PNG (at most 10 MB, told by its content) to one's request"""
    content, name = _read(files["file"])
    return _service().upload_to_request(current_principal(), number, form["kind"], content, name)


@blueprint.get("/applications/<string:number>/documents")
@blueprint.doc(security=BEARER)
@require_roles()
@blueprint.response(200, DocumentLinkSchema(many=True))
def documents_of_request(number):
    """A request's documents, each with a short-lived link: its owner and staff"""
    return _service().documents_of_request(current_principal(), number)


@blueprint.post("/updates/<string:update_id>/documents")
@blueprint.doc(security=BEARER)
@require_roles(APPLICANT)
@blueprint.arguments(UploadKindSchema, location="form")
@blueprint.arguments(UploadFileSchema, location="files")
@blueprint.doc(requestBody=UPLOAD_BODY)
@blueprint.response(201, UploadedSchema)
@refusals(blueprint, 409)
def upload_to_update(form, files, update_id):
    """Attach a document to one's data update under review"""
    content, name = _read(files["file"])
    return _service().upload_to_update(current_principal(), update_id, form["kind"], content, name)


@blueprint.get("/updates/<string:update_id>/documents")
@blueprint.doc(security=BEARER)
@require_roles()
@blueprint.response(200, DocumentLinkSchema(many=True))
def documents_of_update(update_id):
    """A data update's documents, each with a short-lived link: its owner and staff"""
    return _service().documents_of_update(current_principal(), update_id)


@blueprint.post("/memberships/<string:membership_number>/cpd/<string:activity_id>/documents")
@blueprint.doc(security=BEARER)
@require_roles(APPLICANT)
@blueprint.arguments(UploadKindSchema, location="form")
@blueprint.arguments(UploadFileSchema, location="files")
@blueprint.doc(requestBody=UPLOAD_BODY)
@blueprint.response(201, UploadedSchema)
@refusals(blueprint, 409)
def upload_to_activity(form, files, membership_number, activity_id):
    """Attach a certificate to one's CPD activity, while it waits for a reviewer"""
    content, name = _read(files["file"])
    return _service().upload_to_activity(
        current_principal(), membership_number, activity_id, form["kind"], content, name
    )


@blueprint.get("/memberships/<string:membership_number>/cpd/<string:activity_id>/documents")
@blueprint.doc(security=BEARER)
@require_roles()
@blueprint.response(200, DocumentLinkSchema(many=True))
def documents_of_activity(membership_number, activity_id):
    """A CPD activity's documents, each with a short-lived link: the holder and staff"""
    return _service().documents_of_activity(current_principal(), membership_number, activity_id)


@blueprint.get("/documents/<string:document_id>/content")
@blueprint.arguments(LinkQuerySchema, location="query")
@blueprint.doc(responses={"200": {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}})
@refusals(blueprint, 403, 410)
def document_content(query, document_id):
    """A document, through the signed link a list gave (no token: the link is the permission)"""
    row, content = _service().document_content(document_id, query["expires"], query["signature"])
    return Response(
        content,
        mimetype=row.content_type,
        headers={
            "Content-Disposition": f'inline; filename="{row.kind}-{row.id}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@blueprint.delete("/documents/<string:document_id>")
@blueprint.doc(security=BEARER)
@require_roles(APPLICANT)
@blueprint.response(204)
@refusals(blueprint, 409)
def delete_document(document_id):
    """Remove a document from one's draft or returned request"""
    _service().delete_document(current_principal(), document_id)
