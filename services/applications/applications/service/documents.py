"""Documents: uploaded by the owner to a request (while it is a draft, awaiting payment or returned),
to a data update under review or to a pending CPD activity; listed for the owner and staff with
short-lived signed links; read through such a link; deleted by the owner while the request is a
draft or returned (a draft deleted takes its files with it: requests.delete_draft)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from mumaris_shared.auth import Principal
from mumaris_shared.db import Reader

from ..adapters import licensing, repository
from ..domain.cpd import CpdStatus
from ..domain.documents import MAX_SIZE, Attached, content_type_of, within_size
from ..domain.errors import (
    DocumentsLocked,
    InvalidLink,
    LinkExpired,
    NoSuchActivity,
    NoSuchDocument,
    NoSuchRequest,
    NoSuchUpdate,
    UnacceptableFile,
)
from ..domain.lifecycle import AWAITING_PAYMENT, DRAFT, RETURNED, UNDER_REVIEW
from .context import Applications, owned, owned_membership, visible, visible_membership

# While documents may be added to what they are attached to, by its status.
OPEN_FOR_DOCUMENTS = {
    Attached.APPLICATION: (DRAFT, AWAITING_PAYMENT, RETURNED),
    Attached.DATA_UPDATE: (UNDER_REVIEW,),
    Attached.CPD_ACTIVITY: (CpdStatus.PENDING,),
}
# A request's documents are removed only while it is being prepared or corrected.
REMOVABLE = (DRAFT, RETURNED)


def check_file(content: bytes) -> str:
    """The file's content type, if it is one we keep (422 otherwise)."""
    if not within_size(len(content)):
        raise UnacceptableFile(
            "file_too_large" if content else "file_empty",
            f"a document is at most {MAX_SIZE // (1024 * 1024)} MB" if content else "the file is empty",
            size=len(content),
            max_size=MAX_SIZE,
        )
    content_type = content_type_of(content)
    if content_type is None:
        raise UnacceptableFile("unsupported_file_type", "only PDF, JPEG and PNG files are accepted")
    return content_type


# Each target: (the row it is attached to, as the owner may change it) -> (request number, status).
Target = Callable[[Session], tuple[str, str, str]]


def to_request(owner: Principal, number: str) -> Target:
    def find(session: Reader) -> tuple[str, str, str]:
        application = owned(session, owner, number)
        return application.number, application.number, application.status

    return find


def to_update(owner: Principal, update_id: str) -> Target:
    def find(session: Session) -> tuple[str, str, str]:
        data_update = repository.data_update_by_id(session, update_id)
        if data_update is None or data_update.account_id != owner.id:
            raise NoSuchUpdate()
        return data_update.id, data_update.application_number, data_update.status

    return find


def to_activity(owner: Principal, membership_number: str, activity_id: str) -> Target:
    def find(session: Reader) -> tuple[str, str, str]:
        application = owned_membership(session, owner, membership_number)
        activity = licensing.activity(session, activity_id)
        if activity is None or activity.membership_number != application.membership_number:
            raise NoSuchActivity()
        return activity.id, application.number, activity.status

    return find


def upload(
    a: Applications, owner: Principal, attached_to: Attached, target: Target, kind: str, content: bytes, name: str
) -> Row:
    with a.db.transaction() as session:
        target(session)  # someone else's or unknown: 404 before the file is even looked at
    content_type = check_file(content)
    document_id = str(uuid.uuid4())
    now = a.clock()
    with a.db.transaction() as session:
        attached_id, application_number, status = target(session)
        if status not in OPEN_FOR_DOCUMENTS[attached_to]:
            raise DocumentsLocked(status)
        key = f"{application_number}/{document_id}"
        a.storage.put(key, content, content_type)
        try:
            licensing.add_document(
                session,
                id=document_id,
                application_number=application_number,
                account_id=owner.id,
                attached_to=attached_to,
                attached_id=attached_id,
                kind=kind,
                content_type=content_type,
                size=len(content),
                filename=(name or "")[:255] or None,
                storage_key=key,
                uploaded_at=now,
            )
            return licensing.document(session, document_id)
        except Exception:
            a.storage.delete(key)  # the row was not written: no file without its row
            raise


def listed(a: Applications, rows: list[Row]) -> list[dict]:
    """The documents, each with a link that works for APPLICATIONS_DOCUMENT_LINK_TTL."""
    expires = a.settings.links.expiry(a.clock(), a.settings.link_ttl)
    return [
        {
            "id": row.id,
            "kind": row.kind,
            "content_type": row.content_type,
            "size": row.size,
            "filename": row.filename,
            "uploaded_at": row.uploaded_at,
            "attached_to": row.attached_to,
            "url": (
                f"{a.settings.public_url}/api/applications/v1/documents/{row.id}/content"
                f"?expires={expires}&signature={a.settings.links.signature(row.id, expires)}"
            ),
            "expires_at": expires,
        }
        for row in rows
    ]


def of_request(a: Applications, caller: Principal, number: str) -> list[dict]:
    with a.db.reading() as session:
        application = visible(session, caller, number)
        return listed(a, licensing.documents_of(session, Attached.APPLICATION, application.number))


def of_update(a: Applications, caller: Principal, update_id: str) -> list[dict]:
    with a.db.reading() as session:
        data_update = repository.data_update_by_id(session, update_id)
        if data_update is None or not caller.may_see(data_update.account_id):
            raise NoSuchUpdate()
        return listed(a, licensing.documents_of(session, Attached.DATA_UPDATE, data_update.id))


def of_activity(a: Applications, caller: Principal, membership_number: str, activity_id: str) -> list[dict]:
    with a.db.reading() as session:
        application = visible_membership(session, caller, membership_number)
        activity = licensing.activity(session, activity_id)
        if activity is None or activity.membership_number != application.membership_number:
            raise NoSuchActivity()
        return listed(a, licensing.documents_of(session, Attached.CPD_ACTIVITY, activity.id))


def content(a: Applications, document_id: str, expires: int, signature: str) -> tuple[Row, bytes]:
    """A document read through its signed link: no login, the link is the permission."""
    if not a.settings.links.ours(document_id, expires, signature):
        raise InvalidLink()
    if a.settings.links.expired(expires, a.clock()):
        raise LinkExpired()
    with a.db.reading() as session:
        row = licensing.document(session, document_id)
    if row is None:
        raise NoSuchDocument()
    return row, a.storage.get(row.storage_key)


def delete(a: Applications, owner: Principal, document_id: str) -> None:
    with a.db.transaction() as session:
        row = licensing.document(session, document_id)
        if row is None or row.account_id != owner.id:
            raise NoSuchDocument()
        application = repository.application_by_number(session, row.application_number, for_update=True)
        if application is None:
            raise NoSuchRequest()
        if row.attached_to != Attached.APPLICATION or application.status not in REMOVABLE:
            raise DocumentsLocked(application.status)
        licensing.delete_document(session, row)
    a.storage.delete(row.storage_key)
