"""Exemptions and waivers (R6). A first-degree relative of a martyr, with proof a reviewer
accepts, owes no administrative fee. A secretary-general's decision waives the fee kinds it names.
Either may come before the invoices exist (it is applied when they are issued) or after (it
waives what is still unpaid; a fee already paid is refunded in full)."""

from __future__ import annotations

from enum import StrEnum

from mumaris_shared.contracts import FeeKind


class ExemptionKind(StrEnum):
    MARTYR_RELATIVE = "martyr_relative"


EXEMPTION_KINDS = tuple(ExemptionKind)
# exemption kind -> the fee kinds it waives
WAIVED_BY_EXEMPTION: dict[str, tuple[FeeKind, ...]] = {ExemptionKind.MARTYR_RELATIVE: (FeeKind.ADMINISTRATIVE,)}


class ExemptionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class WaivedBy(StrEnum):
    """What waived an invoice (kept on it, with the exemption id or the decision number)."""

    EXEMPTION = "exemption"
    WAIVER = "waiver"


# Why an exemption claimed before billing knew the request is refused when the request arrives.
NOT_THE_OWNER = "the claimant is not the owner of the request"
