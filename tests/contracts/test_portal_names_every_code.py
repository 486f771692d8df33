"""The portal names what the services answer with, in both languages: every error code any service
can answer has a translated message, every status, category, rule and kind has a label, and the
Arabic catalogue translates every message the portal shows (its compiled form is up to date)."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from applications import handlers
from applications.domain import lifecycle
from billing.domain import exemptions, invoices, payments, refunds
from mumaris_shared.contracts import CATEGORIES, FEE_KINDS
from portal import labels
from portal.messages import ERRORS

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "services" / "portal" / "portal" / "translations"
# Where the services name their error codes: domain errors (`code = "..."` on the class, `code="..."`
# on one instance, `RetryLater("too_soon", ...)`), and answers built with a status and a code
# (`error_response(409, "code", ...)`).
RAISED = re.compile(
    r'^\s+code\s*=\s*"([a-z_]+)"|\bcode="([a-z_]+)"|RetryLater\(\s*"([a-z_]+)"|\b[1-5]\d\d,\s*"([a-z_]+)"', re.MULTILINE
)


def codes_the_services_answer_with() -> set[str]:
    found = set()
    for path in [*ROOT.glob("services/*/*/**/*.py"), *ROOT.glob("shared/mumaris_shared/*.py")]:
        if "migrations" in path.parts or "tests" in path.parts or "portal" in path.parts[-3:-1]:
            continue
        for match in RAISED.finditer(path.read_text()):
            found.add(next(group for group in match.groups() if group))
    return found


def test_every_error_code_a_service_answers_with_has_a_message():
    codes = codes_the_services_answer_with()
    assert {"wrong_code", "too_soon", "illegal_transition", "invoice_not_paid"} <= codes  # the scan finds them
    assert sorted(codes - set(ERRORS)) == []


@pytest.mark.parametrize(
    "table, codes",
    [
        (
            "status",
            {
                *lifecycle.STATUSES,
                lifecycle.REVIEW_STARTED,
                lifecycle.EDITED,
                lifecycle.RESUBMITTED,
                lifecycle.DATAFLOW_RECORDED,
                lifecycle.CLASSIFIED,
                lifecycle.DIFFERENCE_SETTLED,
                lifecycle.UPDATE_SUBMITTED,
                lifecycle.UPDATE_REVIEW_STARTED,
                lifecycle.UPDATE_APPROVED,
                lifecycle.UPDATE_REJECTED,
            },
        ),
        ("next_step", set(lifecycle.STATUSES)),
        ("category", set(CATEGORIES)),
        ("fee_kind", set(FEE_KINDS)),
        ("method", set(payments.METHODS)),
        ("invoice_status", set(invoices.InvoiceStatus)),
        ("payment_status", set(payments.PaymentStatus)),
        ("refund_status", set(refunds.RefundStatus)),
        ("refund_rule", {*refunds.RULE_NAMES, refunds.REVIEWER_DECISION, *invoices.FullRefundRule}),
        ("exemption_kind", set(exemptions.ExemptionKind)),
        ("exemption_status", set(exemptions.ExemptionStatus)),
        ("system_reason", {handlers.FEES_SETTLED_REASON, handlers.DEADLINE_EXPIRED_REASON}),
    ],
)
def test_every_code_of_the_services_has_a_label(table, codes):
    assert sorted(codes - set(labels.TABLES[table])) == []


def test_the_arabic_catalogue_translates_every_message_and_is_compiled():
    source = TRANSLATIONS / "ar" / "LC_MESSAGES" / "messages.po"
    with source.open("rb") as po, source.with_suffix(".mo").open("rb") as mo:
        catalogue, compiled = read_po(po, locale="ar"), read_mo(mo)
    wanted = messages_in_the_portal()
    translated = {message.id: message.string for message in catalogue if message.id and not message.fuzzy}
    assert sorted(map(str, wanted - set(translated))) == []
    assert [
        str(key) for key, text in translated.items() if not text or (isinstance(text, tuple) and not all(text))
    ] == []
    as_compiled = {_key(m.id): _key(m.string) for m in compiled if m.id}
    assert as_compiled == {key: translated[key] for key in wanted}


def messages_in_the_portal() -> set:
    """What the portal's code and templates mark for translation, extracted as `pybabel extract` does."""
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    method_map = [("portal/**.py", "python"), ("portal/templates/**.html", "jinja2")]
    found = extract_from_dir(str(ROOT / "services" / "portal"), method_map, keywords=keywords)
    return {message if isinstance(message, str) else tuple(message) for _file, _line, message, *_rest in found}


def _key(text):
    return tuple(text) if isinstance(text, list | tuple) else text
