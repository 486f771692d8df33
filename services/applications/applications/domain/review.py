"""What a reviewer's decisions need beyond the state machine (docs/rules.md, "Review"):
returning a request names what to correct; an approval needs the qualification verified at its
primary source (Dataflow) and no classification fee difference outstanding."""

from __future__ import annotations

from collections.abc import Sequence

from mumaris_shared.contracts import DataflowOutcome

from .documents import DOCUMENT_KINDS
from .errors import FeesOutstanding, QualificationNotVerified

# What a return may name: the request's own fields, or a kind of document.
RETURNABLE_FIELDS = ("category", "specialty", "qualification", "dataflow_reference")
RETURNABLE = RETURNABLE_FIELDS + DOCUMENT_KINDS


def return_names_what_to_correct(items: Sequence[str]) -> list[str]:
    """The items of a return, each once, in the order given: at least one, each a field or a
    document kind (ValueError naming the others)."""
    if not items:
        raise ValueError("name at least one field or document to correct")
    unknown = [item for item in items if item not in RETURNABLE]
    if unknown:
        raise ValueError(f"not a field or document kind: {', '.join(unknown)}")
    return list(dict.fromkeys(items))


def approval_needs_verified_qualification(dataflow_outcome: str | None) -> None:
    if dataflow_outcome != DataflowOutcome.VERIFIED:
        raise QualificationNotVerified(dataflow_outcome)


def approval_needs_fees_settled(fees_outstanding: bool) -> None:
    if fees_outstanding:
        raise FeesOutstanding()
