"""Who may see a request: its owner, and staff (reviewers and the secretary-general)."""

from mumaris_shared.auth import STAFF_ROLES

SYSTEM = "system"  # the `by` of timeline entries made by an event, not a person


def may_read(account_id: str, roles: tuple[str, ...], owner_id: str) -> bool:
    return account_id == owner_id or any(role in STAFF_ROLES for role in roles)
