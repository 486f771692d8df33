"""E-mails as their recipient reads them: a subject, a plain-text body and an HTML body, in Arabic
(right to left) or English. Pure: event data and a language in, text out.

Templates (Jinja2) live in `notifications/templates/`:
    layout.<lang>.txt, layout.<lang>.html        the frame every e-mail in that language shares
    <template>/subject.<lang>.txt                 one line
    <template>/body.<lang>.txt, body.<lang>.html  the message itself
Amounts, dates and counts are written by `formatting`, names and rules by `wording`, through filters
(`|money`, `|date_time`, `|time_left`, `|fee_kind`, ...) in the e-mail's language, never in a template.

Language: a recipient whose language is missing or not one we write in (`contracts.LANGUAGES`) gets
Arabic, the Commission's own language. Every e-mail exists in every language (a unit test holds it),
so there is no fallback from one template to another: a missing one is a bug to fix, not to hide."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from mumaris_shared.contracts import LANGUAGES

from . import formatting, wording

DEFAULT_LANGUAGE = "ar"

VERIFICATION_CODE = "verification_code"
PASSWORD_RESET_CODE = "password_reset_code"  # a code to set a new password (a forgotten one)
WELCOME = "welcome"
REQUEST_SENT = "request_sent"  # fees assessed: both invoices, SADAD numbers, deadline
PAYMENT_REMINDER = "payment_reminder"  # so long before the deadline, what is still unpaid
PAYMENT_RECEIVED = "payment_received"
APPLICATION_CANCELLED = "application_cancelled"  # the deadline passed unpaid
EXEMPTION_DECIDED = "exemption_decided"  # approved or rejected (with the reason)
WAIVER_GRANTED = "waiver_granted"
APPLICATION_APPROVED = "application_approved"  # with the membership number
APPLICATION_REJECTED = "application_rejected"  # with the reason
REFUND_DECIDED = "refund_decided"  # approved, rejected or with a reviewer: the amount and the rule
REFUND_PAID = "refund_paid"  # back to the original payment method
REFUND_ESCALATED = "refund_escalated"  # to the reviewers: a claim near its decision limit
DATA_UPDATE_RECEIVED = "data_update_received"  # the fields changed, now under review
DATA_UPDATE_APPROVED = "data_update_approved"
DATA_UPDATE_REJECTED = "data_update_rejected"  # with the reason
APPLICATION_RETURNED = "application_returned"  # what to correct, why, and by when
APPLICATION_RESUBMITTED = "application_resubmitted"
DATAFLOW_RECORDED = "dataflow_recorded"  # verified, or a discrepancy (with the note)
APPLICATION_CLASSIFIED = "application_classified"  # the final classification, and what a difference means
LICENCE_REMINDER = "licence_reminder"  # so long before expiry, how to renew
LICENCE_EXPIRED = "licence_expired"
CPD_ACTIVITY_RECORDED = "cpd_activity_recorded"
CPD_ACTIVITY_DECIDED = "cpd_activity_decided"  # accepted or not (with the reason)
TEMPLATES = (
    VERIFICATION_CODE,
    PASSWORD_RESET_CODE,
    WELCOME,
    REQUEST_SENT,
    PAYMENT_REMINDER,
    PAYMENT_RECEIVED,
    APPLICATION_CANCELLED,
    EXEMPTION_DECIDED,
    WAIVER_GRANTED,
    APPLICATION_APPROVED,
    APPLICATION_REJECTED,
    REFUND_DECIDED,
    REFUND_PAID,
    REFUND_ESCALATED,
    DATA_UPDATE_RECEIVED,
    DATA_UPDATE_APPROVED,
    DATA_UPDATE_REJECTED,
    APPLICATION_RETURNED,
    APPLICATION_RESUBMITTED,
    DATAFLOW_RECORDED,
    APPLICATION_CLASSIFIED,
    LICENCE_REMINDER,
    LICENCE_EXPIRED,
    CPD_ACTIVITY_RECORDED,
    CPD_ACTIVITY_DECIDED,
)

# E-mails about the account itself, written from the accounts event's own data (no request).
ACCOUNT_TEMPLATES = (VERIFICATION_CODE, PASSWORD_RESET_CODE, WELCOME)

# E-mails to the Commission's staff, not to a person with an account: they go to a team mailbox and
# are written in `STAFF_LANGUAGE`, Arabic, the Commission's working language (no one's preference
# to look up).
STAFF_TEMPLATES = (REFUND_ESCALATED,)
STAFF_LANGUAGE = "ar"


@dataclass(frozen=True)
class Email:
    language: str
    subject: str
    text: str
    html: str


def language_of(requested: str | None) -> str:
    return requested if requested is not None and requested in LANGUAGES else DEFAULT_LANGUAGE


def render(template: str, language: str | None, data: dict[str, Any]) -> Email:
    """`template` in the recipient's language, filled with `data` (a variable a template uses and
    `data` lacks is an error, never a blank in a sent e-mail)."""
    language = language_of(language)
    context = {**data, "language": language}
    # A header is one line, whatever the template's line breaks.
    subject = " ".join(_environment.get_template(f"{template}/subject.{language}.txt").render(context).split())
    context["subject"] = subject
    return Email(
        language=language,
        subject=subject,
        text=_environment.get_template(f"{template}/body.{language}.txt").render(context).strip() + "\n",
        html=_environment.get_template(f"{template}/body.{language}.html").render(context).strip() + "\n",
    )


def _in_language(function: Callable[..., str]) -> Callable[..., str]:
    """A `formatting` function as a filter: the value first, the e-mail's language from its context."""

    @pass_context
    def apply(context: Context, value: Any, *args: Any) -> str:
        return function(value, *args, context["language"])

    return apply


_environment = Environment(
    loader=PackageLoader("notifications", "templates"),
    # HTML templates escape what they insert (a full name is whatever the person typed); text does not.
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # the templates ship with the code: no stat() of the file for every e-mail
)
_environment.filters.update(
    {
        "minutes": _in_language(lambda count, language: formatting.minutes(int(count), language)),
        "money": _in_language(formatting.money),  # {{ invoice.amount_halalas|money }}
        "date": _in_language(formatting.date),  # {{ decided_at|date }}
        "date_time": _in_language(formatting.date_time),  # {{ due_at|date_time }}
        "time_left": _in_language(formatting.time_left),  # {{ before_deadline|time_left }}
        "fee_kind": _in_language(wording.fee_kind),
        "fee_kinds": _in_language(wording.fee_kinds),
        "payment_method": _in_language(wording.payment_method),
        "exemption": _in_language(wording.exemption),
        "refund_rule": _in_language(wording.refund_rule),  # {{ rule|refund_rule(terms) }}: what the rule means
        "profile_fields": _in_language(wording.profile_fields),  # {{ fields_changed|profile_fields }}
        "category": _in_language(wording.category),  # {{ category|category }}
        "return_items": _in_language(wording.return_items),  # {{ items|return_items }}
        "cpd_hours": _in_language(formatting.cpd_hours),  # {{ hours|cpd_hours }}
    }
)
