"""What the services' codes are called on a page, in the page's language. The services own what the
codes mean; the portal only names them (a missing name shows the code itself, and a unit test keeps
every code the services use named)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CATEGORIES = {
    "technician": _l("Technician"),
    "specialist": _l("Specialist"),
    "general_practitioner": _l("General practitioner"),
    "resident": _l("Resident"),
    "pharmacist": _l("Pharmacist"),
    "registrar": _l("Registrar"),
    "consultant": _l("Consultant"),
}

# A request's status and the steps of its timeline.
STATUSES = {
    "draft": _l("Draft"),
    "awaiting_payment": _l("Awaiting payment"),
    "under_review": _l("Under review"),
    "returned": _l("Returned for corrections"),
    "review_started": _l("Taken for review"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"),
    "cancelled": _l("Cancelled"),
    "edited": _l("Changed by the applicant"),
    "resubmitted": _l("Sent again after corrections"),
    "dataflow_recorded": _l("Qualification checked at its source (Dataflow)"),
    "classified": _l("Classified"),
    "fees_settled": _l("Classification fee difference settled"),
    "update_submitted": _l("Data update sent"),
    "update_review_started": _l("Data update taken for review"),
    "update_approved": _l("Data update approved"),
    "update_rejected": _l("Data update rejected"),
}

# What the applicant does next, by the request's status.
NEXT_STEPS = {
    "draft": _l("Confirm and send the request"),
    "awaiting_payment": _l("Pay both fees"),
    "under_review": _l("Wait for the reviewer's decision"),
    "returned": _l("Correct what the reviewer names, then send it again"),
    "approved": _l("Your membership is active"),
    "rejected": _l("Read the reason on the request"),
    "withdrawn": _l("Nothing: the request is withdrawn"),
    "cancelled": _l("Nothing: the request was cancelled"),
}
CLOSED = ("approved", "rejected", "withdrawn", "cancelled")

FEE_KINDS = {
    "administrative": _l("Administrative fee"),
    "service": _l("Service (classification) fee"),
    "renewal": _l("Renewal fee"),
    "classification_difference": _l("Classification fee difference"),
}

INVOICE_STATUSES = {
    "unpaid": _l("Unpaid"),
    "paid": _l("Paid"),
    "waived": _l("Waived"),
    "expired": _l("Expired"),
    "cancelled": _l("Cancelled"),
}

PAYMENT_METHODS = {
    "sadad": _l("SADAD bill (pay at any bank)"),
    "mada": _l("mada card"),
    "credit_card": _l("Credit card"),
    "apple_pay": _l("Apple Pay"),
}

PAYMENT_STATUSES = {"pending": _l("Waiting for the bank"), "captured": _l("Paid"), "failed": _l("Failed")}

REFUND_STATUSES = {
    "pending_review": _l("Waiting for a reviewer"),
    "approved": _l("Approved"),
    "rejected": _l("Not refunded"),
    "paying": _l("Being paid back"),
    "paid": _l("Paid back"),
    "payout_failed": _l("Payout failed"),
}

# Why a refund is what it is: billing's named rules (domain/refunds.py and the over-payments).
REFUND_RULES = {
    "administrative_fee_not_refundable": _l("The administrative fee is never refunded."),
    "request_decided": _l("The request has been decided: nothing is refunded after a decision."),
    "review_started": _l("A reviewer has started on the request: the service was rendered."),
    "withdrawn_within_window": _l("Withdrawn soon enough after paying, before review: part of the service fee."),
    "refund_window_passed": _l("Withdrawn too long after paying: nothing is refunded."),
    "needs_review": _l("A reviewer decides this claim."),
    "reviewer_decision": _l("Decided by a reviewer."),
    "duplicate_payment": _l("A payment made twice is refunded in full."),
    "payment_after_cancellation": _l("A payment made after the request closed is refunded in full."),
    "exemption_after_payment": _l("The fee was exempted after it was paid: refunded in full."),
    "waiver_after_payment": _l("The fee was waived after it was paid: refunded in full."),
    "classification_lowered": _l("The reviewer classified the request lower: the difference is refunded."),
}

# Why the system moved a request (timeline entries `by: "system"`); a person's reason is shown as written.
SYSTEM_REASONS = {
    "fees settled": _l("Both fees are settled."),
    "payment_deadline_expired": _l("The fees were not paid by the deadline."),
}

DOCUMENT_KINDS = {
    "degree": _l("Degree certificate"),
    "identity": _l("Passport or national ID"),
    "specialty_certificate": _l("Specialty certificate"),
    "exemption_proof": _l("Proof for an exemption"),
    "cpd_certificate": _l("CPD certificate"),
    "supporting": _l("Other supporting document"),
}

DATAFLOW_OUTCOMES = {"verified": _l("Verified at its source"), "discrepancy": _l("Discrepancy found")}

EXEMPTION_KINDS = {"martyr_relative": _l("First-degree relative of a martyr")}
EXEMPTION_STATUSES = {"pending": _l("Waiting for a reviewer"), "approved": _l("Approved"), "rejected": _l("Rejected")}

ROLES = {"applicant": _l("Practitioner"), "reviewer": _l("Reviewer"), "secretary_general": _l("Secretary-general")}

UPDATE_FIELDS = {
    "email": _l("E-mail address"),
    "mobile": _l("Mobile number"),
    "address": _l("Address"),
    "specialty": _l("Specialty"),
    "qualification": _l("Qualification"),
    "employer": _l("Employer"),
}

TABLES = {
    "category": CATEGORIES,
    "status": STATUSES,
    "next_step": NEXT_STEPS,
    "fee_kind": FEE_KINDS,
    "invoice_status": INVOICE_STATUSES,
    "method": PAYMENT_METHODS,
    "payment_status": PAYMENT_STATUSES,
    "refund_status": REFUND_STATUSES,
    "refund_rule": REFUND_RULES,
    "exemption_kind": EXEMPTION_KINDS,
    "exemption_status": EXEMPTION_STATUSES,
    "role": ROLES,
    "update_field": UPDATE_FIELDS,
    "system_reason": SYSTEM_REASONS,
    "document_kind": DOCUMENT_KINDS,
    "dataflow": DATAFLOW_OUTCOMES,
}


def label(table: str, code: str | None) -> str:
    """The name of `code` in `table`, or the code itself when it has none."""
    return "" if code is None else str(TABLES[table].get(code, code))
