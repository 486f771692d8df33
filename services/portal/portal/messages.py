"""The services' error codes as a person reads them, in the page's language, and what each field
expects when the API refused it. Every code any service answers with has its message here (a unit
test scans the services for them); an unknown one still gets a translated general message."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from .adapters.services import ApiError
from .i18n import hours

ERRORS = {
    "validation_failed": _l("Some fields are missing or not valid: see below."),
    "malformed_json": _l("The form could not be read. Please try again."),
    "bad_request": _l("The form could not be read. Please try again."),
    "weak_password": _l("Choose a stronger password: see below."),
    "email_taken": _l("An account with this e-mail address already exists. Log in, or reset your password."),
    "wrong_code": _l("The code is wrong."),
    "code_expired": _l("The code has expired: ask for a new one."),
    "too_many_attempts": _l("Too many wrong tries: wait, or ask for a new code."),
    "too_soon": _l("A code was sent moments ago: wait before asking again."),
    "invalid_credentials": _l("The e-mail address or the password is wrong."),
    "wrong_password": _l("The current password is wrong."),
    "not_active": _l("Activate your account first with the code we e-mailed you."),
    "unauthenticated": _l("Please log in."),
    "invalid_token": _l("Your session has expired. Please log in again."),
    "token_expired": _l("Your session has expired. Please log in again."),
    "session_ended": _l("Your session has ended. Please log in again."),
    "forbidden": _l("Your role does not allow this."),
    "not_found": _l("Nothing was found with this number."),
    "method_not_allowed": _l("This action is not possible here."),
    "conflict": _l("This cannot be done now."),
    "gone": _l("This is no longer available."),
    "payload_too_large": _l("What you sent is too large."),
    "unsupported_media_type": _l("This kind of file is not accepted."),
    "too_many_requests": _l("Too many tries: please wait a moment."),
    "illegal_transition": _l("The request's status does not allow this now."),
    "taken_by_another_reviewer": _l("Another reviewer has taken this."),
    "own_case": _l("This case is your own: another member of staff must handle it."),
    "national_id_missing": _l("Your staff account has no national ID on record: ask for it to be recorded."),
    "update_already_open": _l("An update of this membership is already under review."),
    "idempotency_key_required": _l("The payment form has expired. Please try again."),
    "idempotency_key_reused": _l("This payment form was already used. Please start again."),
    "invoice_not_paid": _l("This fee is not paid, so there is nothing to refund."),
    "invoice_cancelled": _l("This invoice is cancelled and can no longer be paid."),
    "invoice_paid": _l("This invoice is already paid."),
    "invoice_waived": _l("This fee is waived: nothing to pay."),
    "invoice_expired": _l("The payment deadline has passed."),
    "payment_not_pending": _l("This payment is already complete."),
    "payment_opening": _l("This payment is being opened with the bank. Please try again in a moment."),
    "provider_unavailable": _l("The payment provider cannot be reached right now. Please try again later."),
    "provider_refused": _l("The payment provider refused the payment."),
    "amount_mismatch": _l("The bank reported another amount than the payment's."),
    "amount_exceeds_paid": _l("A refund cannot be more than what was paid for the fee."),
    "request_closed": _l("The request's fees are closed: nothing can change them now."),
    "exemption_exists": _l("An exemption of this kind is already claimed for this request."),
    "waiver_exists": _l("This decision is already recorded for this request."),
    "already_decided": _l("This has already been decided."),
    "webhook_replayed": _l("The bank's notice was already processed."),
    "webhook_unreachable": _l("The bank could not be reached. Please try again."),
    "invalid_signature": _l("The bank's notice could not be verified."),
    "invalid_webhook": _l("The bank's notice could not be read."),
    "stale_webhook": _l("The bank's notice is too old."),
    "auth_unavailable": _l("The service is busy. Please try again in a moment."),
    "service_unavailable": _l("The service is busy. Please try again in a moment."),
    "gateway_timeout": _l("The service is busy. Please try again in a moment."),
    "internal_error": _l("Something went wrong on our side; nothing was changed. Please try again."),
    "not_ready": _l("The service is busy. Please try again in a moment."),
    "csrf_failed": _l("This form has expired. Please try again."),
    "documents_missing": _l("Attach the documents this request needs before sending it."),
    "documents_locked": _l("The documents of this request can no longer change."),
    "qualification_not_verified": _l("Record the qualification's Dataflow check as verified before approving."),
    "already_classified": _l("This request is already classified."),
    "fees_outstanding": _l("A fee of this request is still to be paid."),
    "cpd_hours_missing": _l("Your CPD hours are not enough to renew yet: record your activities below."),
    "unsupported_file_type": _l("Only PDF, JPEG and PNG files are accepted."),
    "file_too_large": _l("The file is larger than 10 MB."),
    "file_empty": _l("Choose a file to send."),
    "renewal_already_open": _l("A renewal of this membership is already open."),
    "invalid_link": _l("This link is not valid."),
    "link_expired": _l("This link has expired: open the request again."),
    "unavailable": _l("The service is busy. Please try again in a moment."),
    "upstream_failed": _l("The service is busy. Please try again in a moment."),
    "error": _l("This could not be done. Please try again."),
}
UNKNOWN_ERROR = _l("This could not be done. Please try again.")

# What a field expects, shown beside it when the API refused its value.
FIELD_HINTS = {
    "full_name": _l("Enter your full name."),
    "email": _l("Enter an e-mail address such as name@example.com."),
    "password": _l("Use 10 to 128 characters, without your e-mail address in it."),
    "current_password": _l("Enter the password you use now."),
    "national_id": _l("A national ID is 10 digits starting with 1 or 2."),
    "mobile": _l("A Saudi mobile number is 05XXXXXXXX or +9665XXXXXXXX."),
    "language": _l("Choose Arabic or English."),
    "code": _l("The code is the 6 digits we e-mailed you."),
    "category": _l("Choose a professional category."),
    "specialty": _l("Enter your specialty."),
    "qualification.degree": _l("Enter your degree."),
    "qualification.institution": _l("Enter the institution that awarded it."),
    "qualification.country": _l("Enter the country of the institution."),
    "qualification.year": _l("Enter the year, such as 2015 (not in the future)."),
    "dataflow_reference": _l("Letters, digits and / _ . - only, as in your DataFlow report."),
    "evidence_reference": _l("Enter the reference of your proof document."),
    "decision_number": _l("Enter the number of the secretary-general's decision."),
    "kinds": _l("Choose at least one fee."),
    "reason": _l("Give a reason."),
    "decision": _l("Choose approve or reject."),
    "amount_halalas": _l("Enter an amount no larger than what was paid."),
    "method": _l("Choose how to pay."),
    "address": _l("Enter your address (at most 500 characters)."),
    "employer.name": _l("Enter your employer's name."),
    "employer.city": _l("Enter your employer's city."),
    "changes": _l("Change at least one field."),
    "number": _l("A request number looks like MR-XXXX-XXXX-XXXX."),
    "file": _l("A PDF, JPEG or PNG of at most 10 MB."),
    "kind": _l("Choose the kind of document."),
    "title": _l("Enter the activity's title."),
    "provider": _l("Enter who provided the activity."),
    "date": _l("Enter the day it took place (not in the future)."),
    "hours": _l("Enter the hours, such as 6 or 1.5."),
    "items": _l("Name at least one field or document to correct."),
    "outcome": _l("Choose verified or discrepancy."),
    "note": _l("At most 2,000 characters."),
    "name": _l("Enter at least two letters of the name."),
    "membership_number": _l("A membership number is 10 digits."),
}
FIELD_INVALID = _l("Check this field.")

# Errors about one field that the API answers without naming it: their message goes beside it.
ERROR_FIELDS = {
    "wrong_code": "code",
    "code_expired": "code",
    "too_many_attempts": "code",
    "email_taken": "email",
    "invalid_credentials": "password",
    "wrong_password": "current_password",
    "update_already_open": "changes",
    "waiver_exists": "decision_number",
    "exemption_exists": "evidence_reference",
}


def error_message(error: ApiError) -> str:
    """The whole-form message for an API error, with what its details add (tries left, a wait)."""
    message = str(ERRORS.get(error.code, UNKNOWN_ERROR))
    details = error.details or {}
    if "attempts_left" in details:
        message += " " + _("Tries left: %(count)s.", count=details["attempts_left"])
    if "hours_required" in details:
        message += " " + _(
            "CPD hours counted: %(counted)s of the %(required)s required.",
            counted=hours(details.get("hours_counted", 0)),
            required=hours(details["hours_required"]),
        )
    if "retry_after_seconds" in details:
        seconds = int(details["retry_after_seconds"])
        message += " " + ngettext(
            "You can try again in %(num)d second.", "You can try again in %(num)d seconds.", seconds
        )
    return message


def field_errors(error: ApiError, prefix: str = "") -> dict[str, str]:
    """Field name (as the form names it: the API's, dotted when nested) → what it expects."""
    found: dict[str, str] = {}

    def walk(fields, path):
        for name, value in fields.items():
            dotted = f"{path}{name}".removeprefix("changes.")  # a data update's fields are the form's
            if isinstance(value, dict):
                walk(value, dotted + ".")
            else:
                found[dotted] = str(FIELD_HINTS.get(dotted, FIELD_INVALID))

    walk(error.fields, prefix)
    if error.code in ERROR_FIELDS:
        found.setdefault(ERROR_FIELDS[error.code], error_message(error))
    return found
