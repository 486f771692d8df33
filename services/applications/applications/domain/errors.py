"""Every refusal of the applications service's rules, by name. Each is a kind of
`mumaris_shared.errors.DomainError`, which the web layer answers with its status and the one
error shape."""

from __future__ import annotations

from mumaris_shared.errors import Conflict, NotFound


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
