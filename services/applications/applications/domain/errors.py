"""Every refusal of the applications service's rules, by name. Each is a kind of
`mumaris_shared.errors.DomainError`, which the web layer answers with its status and the one
error shape."""

from __future__ import annotations

from mumaris_shared.errors import Conflict, Forbidden, Gone, Invalid, NotFound


class NoSuchRequest(NotFound):
    """Unknown, or someone else's: the same answer either way, so it gives no hint."""

    def __init__(self) -> None:
        super().__init__("no request with this number")


class NoSuchMembership(NotFound):
    def __init__(self) -> None:
        super().__init__("no membership with this number")


class NoSuchUpdate(NotFound):
    def __init__(self) -> None:
        super().__init__("no data update with this id")


class TakenByAnotherReviewer(Conflict):
    """A request or a data update another reviewer has taken."""

    code = "taken_by_another_reviewer"

    def __init__(self, what: str, current_status: str, reviewer_id: str | None):
        super().__init__(
            f"another reviewer has taken this {what}", {"current_status": current_status, "reviewer_id": reviewer_id}
        )


class UpdateAlreadyOpen(Conflict):
    code = "update_already_open"

    def __init__(self, update_id: str):
        super().__init__("this membership already has an update under review", {"update_id": update_id})


class IllegalTransition(Conflict):
    """What the lifecycle's tables do not allow (domain/lifecycle.py)."""

    code = "illegal_transition"

    def __init__(self, message: str, action: str, current_status: str, review_started: bool):
        super().__init__(message, {"current_status": current_status, "review_started": review_started})
        self.action = action
        self.current_status = current_status
        self.review_started = review_started


class QualificationNotVerified(Conflict):
    code = "qualification_not_verified"

    def __init__(self, outcome: str | None):
        super().__init__(
            "approval needs the qualification verified at its source (Dataflow)", {"dataflow_outcome": outcome}
        )


class FeesOutstanding(Conflict):
    code = "fees_outstanding"

    def __init__(self) -> None:
        super().__init__("the classification's fee difference is not settled yet")


class AlreadyClassified(Conflict):
    code = "already_classified"

    def __init__(self, category: str):
        super().__init__("this request was already classified", {"category": category})


class DocumentsMissing(Conflict):
    """The request, as it is, lacks documents it needs to be sent: upload them, then send it."""

    code = "documents_missing"

    def __init__(self, missing: list[str]):
        super().__init__("the request cannot be sent without its required documents", {"missing": missing})


class UnacceptableFile(Invalid):
    """Not a PDF, JPEG or PNG by its content, or too big, or empty."""

    def __init__(self, code: str, message: str, **details: int):
        super().__init__(message, {"file": [message]}, code=code, details=dict(details))


class NoSuchDocument(NotFound):
    def __init__(self) -> None:
        super().__init__("no document with this id")


class LinkExpired(Gone):
    code = "link_expired"

    def __init__(self) -> None:
        super().__init__("this link is invalid or has expired; ask for the document list again")


class DocumentsLocked(Conflict):
    code = "documents_locked"

    def __init__(self, status: str):
        super().__init__("documents change only while the request is a draft or returned", {"status": status})


class CpdHoursMissing(Invalid):
    code = "cpd_hours_missing"

    def __init__(self, counted: str, required: str, missing: str):
        super().__init__(
            "the CPD hours of the licence's period fall short of the category's requirement",
            details={"hours_counted": counted, "hours_required": required, "hours_missing": missing},
        )


class RenewalAlreadyOpen(Conflict):
    code = "renewal_already_open"

    def __init__(self, number: str):
        super().__init__("a renewal of this licence is already open", {"number": number})


class NoSuchActivity(NotFound):
    def __init__(self) -> None:
        super().__init__("no CPD activity with this id")


class ActivityAlreadyDecided(Conflict):
    code = "already_decided"

    def __init__(self, status: str):
        super().__init__(f"this CPD activity is already {status}", {"status": status})


class InvalidLink(Forbidden):
    code = "invalid_link"

    def __init__(self) -> None:
        super().__init__("this link is not one we signed")
