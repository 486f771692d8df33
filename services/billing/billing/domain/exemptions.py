"""Exemptions and waivers (R6). A first-degree relative of a martyr, with proof a reviewer
accepts, owes no administrative fee. A secretary-general's decision waives the fee kinds it names.
Either may come before the invoices exist (it is applied when they are issued) or after (it
waives what is still unpaid; a fee already paid is refunded in full)."""

from __future__ import annotations

from .fees import ADMINISTRATIVE

MARTYR_RELATIVE = "martyr_relative"
EXEMPTION_KINDS = (MARTYR_RELATIVE,)
WAIVED_BY_EXEMPTION = {MARTYR_RELATIVE: (ADMINISTRATIVE,)}  # exemption kind -> the fee kinds it waives

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
EXEMPTION_STATUSES = (PENDING, APPROVED, REJECTED)
APPROVE, REJECT = "approve", "reject"

# Waived-by markers on invoices: what waived them.
BY_EXEMPTION, BY_WAIVER = "exemption", "waiver"

# An exemption claimed before billing knew the request, by someone other than its owner.
NOT_THE_OWNER = "the claimant is not the owner of the request"
