"""What a practitioner may change with a data update of their approved request (R11), and how the
changes are checked and applied. The update's statuses are in `lifecycle` (UPDATE_RULES)."""

from __future__ import annotations

from typing import Any

# The only fields an update may hold. A qualification and an employer are replaced whole.
EMAIL, MOBILE, ADDRESS, SPECIALTY, QUALIFICATION, EMPLOYER = (
    "email",
    "mobile",
    "address",
    "specialty",
    "qualification",
    "employer",
)
UPDATABLE = (EMAIL, MOBILE, ADDRESS, SPECIALTY, QUALIFICATION, EMPLOYER)


def an_update_changes_something(changes: dict[str, Any]) -> None:
    """An update with no changes is refused (ValueError)."""
    if not changes:
        raise ValueError("an update must change at least one field")


def only_updatable_fields(changes: dict[str, Any]) -> None:
    """Fields outside UPDATABLE (the category, the dataflow reference, anything unknown) are refused
    (ValueError naming them)."""
    unknown = sorted(set(changes) - set(UPDATABLE))
    if unknown:
        raise ValueError(f"not a field an update may change: {', '.join(unknown)}")


def fields_changed(changes: dict[str, Any]) -> list[str]:
    """The names of the fields an update changes, in the order of UPDATABLE (what events carry)."""
    return [field for field in UPDATABLE if field in changes]


def updated(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The membership's data once `changes` replace the fields they name; the rest kept."""
    only_updatable_fields(changes)
    return {**data, **changes}
