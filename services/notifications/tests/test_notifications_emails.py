"""Every e-mail, rendered in Arabic (right to left) and English, as text and HTML."""

import html
import re

import pytest
from jinja2 import UndefinedError

from mumaris_shared.contracts import LANGUAGES
from notifications.domain.emails import (
    ACCOUNT_TEMPLATES,
    APPLICATION_APPROVED,
    APPLICATION_CANCELLED,
    APPLICATION_REJECTED,
    DATA_UPDATE_APPROVED,
    DATA_UPDATE_RECEIVED,
    DATA_UPDATE_REJECTED,
    EXEMPTION_DECIDED,
    PAYMENT_RECEIVED,
    PAYMENT_REMINDER,
    REFUND_DECIDED,
    REFUND_ESCALATED,
    REFUND_PAID,
    REQUEST_SENT,
    STAFF_TEMPLATES,
    TEMPLATES,
    VERIFICATION_CODE,
    WAIVER_GRANTED,
    WELCOME,
    render,
)
from notifications.domain.formatting import minutes
from notifications.domain.wording import REFUND_RULES, refund_rule

pytestmark = pytest.mark.unit

CODE = {"full_name": "سارة القحطاني", "code": "482913", "valid_minutes": 10}
NAMES = {"ar": "سارة القحطاني", "en": "Sara Alqahtani"}


def _about_request(events, template, email="sara@example.com", language="ar", event=None) -> dict:
    """What a handler renders a request e-mail from: the event's data and the recipient's name."""
    event = event or events.for_template(template, email)
    return {**event.data, "full_name": NAMES[language]}


def _both(email) -> list[str]:
    return [email.text, email.html]


def test_verification_code_in_arabic_is_right_to_left_with_the_code_and_its_validity():
    email = render(VERIFICATION_CODE, "ar", CODE)

    assert email.language == "ar"
    assert email.subject == "رمز التحقق الخاص بك في ممارس"
    assert '<html dir="rtl" lang="ar">' in email.html
    for body in (email.text, email.html):
        assert "482913" in body
        assert "مرحبًا سارة القحطاني" in body
        assert "صالح لمدة" in body and "10 دقائق" in body


def test_verification_code_in_english_is_left_to_right_with_the_code_and_its_validity():
    email = render(VERIFICATION_CODE, "en", {**CODE, "full_name": "Sara Alqahtani"})

    assert email.subject == "Your Mumaris verification code"
    assert '<html dir="ltr" lang="en">' in email.html
    for body in (email.text, email.html):
        assert "482913" in body and "Hello Sara Alqahtani" in body and "valid for" in body and "10 minutes" in body


@pytest.mark.parametrize("language, greeting", [("ar", "تم تفعيل حسابك في ممارس"), ("en", "account is now active")])
def test_welcome_after_activation(language, greeting):
    email = render(WELCOME, language, {"full_name": "Sara"})

    assert greeting in email.text and greeting in email.html
    assert email.subject


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_email_exists_in_every_language(template, language, events):
    data = CODE if template in ACCOUNT_TEMPLATES else _about_request(events, template, "x@example.com")
    email = render(template, language, data)

    assert email.subject and "\n" not in email.subject
    assert f'lang="{language}"' in email.html and email.text.strip()


@pytest.mark.parametrize("language", [None, "fr", ""])
def test_a_missing_or_unsupported_language_gets_arabic(language):
    email = render(VERIFICATION_CODE, language, CODE)

    assert email.language == "ar" and 'dir="rtl"' in email.html


def test_a_name_is_escaped_in_html_and_kept_verbatim_in_text():
    email = render(WELCOME, "en", {"full_name": "<script>x</script> & co"})

    assert "<script>" not in email.html and "&lt;script&gt;x&lt;/script&gt; &amp; co" in email.html
    assert "<script>x</script> & co" in email.text


def test_missing_data_is_an_error_not_a_blank():
    with pytest.raises(UndefinedError):
        render(VERIFICATION_CODE, "ar", {"full_name": "Sara", "valid_minutes": 10})


@pytest.mark.parametrize(
    "count, arabic, english",
    [
        (1, "دقيقة واحدة", "1 minute"),
        (2, "دقيقتين", "2 minutes"),
        (3, "3 دقائق", "3 minutes"),
        (10, "10 دقائق", "10 minutes"),
        (11, "11 دقيقة", "11 minutes"),
        (15, "15 دقيقة", "15 minutes"),
    ],
)
def test_minutes_are_counted_as_each_language_counts_them(count, arabic, english):
    assert minutes(count, "ar") == arabic
    assert minutes(count, "en") == english


# --- E-mails about a request ----------------------------------------------------------------------
@pytest.mark.parametrize("template", sorted(set(TEMPLATES) - set(ACCOUNT_TEMPLATES) - set(STAFF_TEMPLATES)))
@pytest.mark.parametrize(
    "language, direction, greeting", [("ar", "rtl", "مرحبًا سارة القحطاني،"), ("en", "ltr", "Hello Sara Alqahtani,")]
)
def test_every_request_email_greets_names_the_request_and_faces_the_right_way(
    events, template, language, direction, greeting
):
    email = render(template, language, _about_request(events, template, language=language))

    assert f'<html dir="{direction}" lang="{language}">' in email.html
    assert events.subject_names(template) in email.subject
    for body in _both(email):
        assert greeting in body and events.APPLICATION in body and events.subject_names(template) in body


def test_request_sent_in_arabic_lists_both_fees_their_sadad_bills_the_total_and_the_deadline(events):
    email = render(REQUEST_SENT, "ar", _about_request(events, REQUEST_SENT))

    assert email.subject == "تم إرسال طلبك رقم MR-7Q4K-2XWP: الرسوم المستحقة ومهلة السداد"
    assert "- الرسوم الإدارية: 200.00 ر.س، رقم فاتورة سداد: 100200300401" in email.text
    assert "- رسوم الخدمة: 1,250.50 ر.س، رقم فاتورة سداد: 100200300402" in email.text
    for body in _both(email):
        assert "الرسوم الإدارية" in body and "رسوم الخدمة" in body
        assert "200.00 ر.س" in body and "1,250.50 ر.س" in body and "1,450.50 ر.س" in body
        assert "100200300401" in body and "100200300402" in body
        assert "الخميس 24 ديسمبر 2026، الساعة 11:59 مساءً بتوقيت الرياض" in body
        assert "سداد من أي بنك" in body and "مدى" in body and "البطاقة الائتمانية" in body and "Apple Pay" in body
        assert "سيُلغى الطلب" in body


def test_request_sent_in_english(events):
    email = render(REQUEST_SENT, "en", _about_request(events, REQUEST_SENT, language="en"))

    assert email.subject == "Request MR-7Q4K-2XWP sent: your fees and payment deadline"
    assert "- Administrative fee: SAR 200.00, SADAD bill number 100200300401" in email.text
    assert "- Service fee: SAR 1,250.50, SADAD bill number 100200300402" in email.text
    for body in _both(email):
        assert "SAR 200.00" in body and "SAR 1,250.50" in body and "Total due" in body and "SAR 1,450.50" in body
        assert "100200300401" in body and "100200300402" in body
        assert "Thursday 24 December 2026 at 11:59 PM Riyadh time" in body
        assert "SADAD at any bank" in body and "mada, credit card or Apple Pay" in body


@pytest.mark.parametrize(
    "language, waived, total",
    [("ar", "(تم الإعفاء منها)", "الإجمالي المستحق: 1,250.50 ر.س"), ("en", "(waived)", "Total due: SAR 1,250.50")],
)
def test_request_sent_shows_a_fee_waived_before_the_invoices_as_waived_and_leaves_it_out_of_the_total(
    events, language, waived, total
):
    invoices = events.invoices(administrative={"status": "waived"})
    event = events.fees_assessed("sara@example.com", invoices=invoices)
    email = render(REQUEST_SENT, language, _about_request(events, REQUEST_SENT, language=language, event=event))

    assert waived in email.text and "100200300401" not in email.text and "100200300402" in email.text
    assert total in email.text and "100200300401" not in email.html


@pytest.mark.parametrize(
    "language, nothing_to_pay, not_said",
    [
        ("ar", "فلا يلزمك سداد شيء، وسيُحال طلبك إلى المراجعة", ["الإجمالي المستحق", "طرق السداد", "سيُلغى الطلب"]),
        ("en", "there is nothing to pay: it goes to review", ["Total due", "How to pay", "cancelled automatically"]),
    ],
)
def test_request_sent_with_every_fee_waived_asks_for_nothing(events, language, nothing_to_pay, not_said):
    invoices = events.invoices(administrative={"status": "waived"}, service={"status": "waived"})
    event = events.fees_assessed("sara@example.com", invoices=invoices)
    email = render(REQUEST_SENT, language, _about_request(events, REQUEST_SENT, language=language, event=event))

    for body in _both(email):
        assert nothing_to_pay in body
        assert not any(phrase in body for phrase in not_said)
        assert "100200300401" not in body and "100200300402" not in body


@pytest.mark.parametrize(
    "language, before, subject",
    [
        ("ar", "P7D", "تذكير: تنتهي مهلة سداد رسوم طلبك رقم MR-7Q4K-2XWP بعد 7 أيام"),
        ("ar", "P1D", "تذكير: تنتهي مهلة سداد رسوم طلبك رقم MR-7Q4K-2XWP بعد يوم واحد"),
        ("en", "P7D", "Reminder: 7 days left to pay the fees of request MR-7Q4K-2XWP"),
        ("en", "P1D", "Reminder: 1 day left to pay the fees of request MR-7Q4K-2XWP"),
    ],
)
def test_a_reminder_says_how_long_is_left_what_is_unpaid_and_when_it_ends(events, language, before, subject):
    event = events.reminder_due("sara@example.com", before_deadline=before)
    email = render(PAYMENT_REMINDER, language, _about_request(events, PAYMENT_REMINDER, language=language, event=event))

    assert email.subject == subject
    for body in _both(email):
        assert "100200300402" in body and ("1,250.50 ر.س" in body or "SAR 1,250.50" in body)
        assert "100200300401" not in body  # paid already: only what is unpaid is listed
        assert ("الخميس 24 ديسمبر 2026" if language == "ar" else "Thursday 24 December 2026") in body


@pytest.mark.parametrize(
    "language, expected",
    [
        (
            "ar",
            [
                "استلمنا دفعتك عن الرسوم الإدارية",
                "المبلغ: 200.00 ر.س",
                "طريقة الدفع: مدى",
                "pay-91c2",
                "الاثنين 30 نوفمبر 2026، الساعة 12:15 ظهرًا بتوقيت الرياض",
            ],
        ),
        (
            "en",
            [
                "received your payment of the administrative fee",
                "Amount: SAR 200.00",
                "Payment method: mada",
                "pay-91c2",
                "Monday 30 November 2026 at 12:15 PM Riyadh time",
            ],
        ),
    ],
)
def test_payment_received_says_which_fee_how_much_and_how(events, language, expected):
    event = events.payment_received("sara@example.com", method="mada")
    email = render(PAYMENT_RECEIVED, language, _about_request(events, PAYMENT_RECEIVED, language=language, event=event))

    for phrase in expected:
        assert phrase in email.text
    assert "200.00" in email.html and ("مدى" in email.html if language == "ar" else "mada" in email.html)


@pytest.mark.parametrize(
    "language, subject, why",
    [
        (
            "ar",
            "تم إلغاء طلبك رقم MR-7Q4K-2XWP لعدم سداد الرسوم في المهلة المحددة",
            "لانتهاء مهلة السداد دون سداد رسومه",
        ),
        ("en", "Request MR-7Q4K-2XWP cancelled: the fees were not paid in time", "the payment deadline passed"),
    ],
)
def test_cancellation_for_non_payment_says_why(events, language, subject, why):
    email = render(APPLICATION_CANCELLED, language, _about_request(events, APPLICATION_CANCELLED, language=language))

    assert email.subject == subject
    for body in _both(email):
        assert why in body
        assert ("الجمعة 25 ديسمبر 2026" if language == "ar" else "Friday 25 December 2026") in body


def test_a_cancellation_for_another_reason_does_not_blame_the_fees(events):
    event = events.cancelled("sara@example.com", reason="duplicate")
    for language in LANGUAGES:
        email = render(APPLICATION_CANCELLED, language, _about_request(events, "", language=language, event=event))
        assert "سداد" not in email.subject and "paid" not in email.subject
        assert "مهلة السداد" not in email.text and "payment deadline" not in email.text


@pytest.mark.parametrize(
    "language, subject, expected",
    [
        (
            "ar",
            "تمت الموافقة على طلب إعفاء ذوي الشهداء لطلبك رقم MR-7Q4K-2XWP",
            ["أُعفيت من الرسوم الإدارية", "رسوم الخدمة واجبة السداد"],
        ),
        (
            "en",
            "Your martyr's-relative exemption for request MR-7Q4K-2XWP is approved",
            ["exempted from the administrative fee", "the service fee is still to be paid"],
        ),
    ],
)
def test_an_approved_exemption_says_what_is_left_to_pay(events, language, subject, expected):
    email = render(EXEMPTION_DECIDED, language, _about_request(events, EXEMPTION_DECIDED, language=language))

    assert email.subject == subject
    for body in _both(email):
        assert all(phrase in body for phrase in expected)


@pytest.mark.parametrize(
    "language, subject, reason_line",
    [
        ("ar", "تم رفض طلب إعفاء ذوي الشهداء لطلبك رقم MR-7Q4K-2XWP", "سبب الرفض: الوثيقة المرفقة غير مقروءة"),
        (
            "en",
            "Your martyr's-relative exemption for request MR-7Q4K-2XWP is not approved",
            "Reason: الوثيقة المرفقة غير مقروءة",
        ),
    ],
)
def test_a_rejected_exemption_gives_the_reason(events, language, subject, reason_line):
    event = events.exemption_decided("sara@example.com", decision="reject", reason="الوثيقة المرفقة غير مقروءة")
    email = render(EXEMPTION_DECIDED, language, _about_request(events, "", language=language, event=event))

    assert email.subject == subject
    assert reason_line in email.text and "الوثيقة المرفقة غير مقروءة" in email.html


def test_a_rejected_exemption_without_a_reason_has_no_empty_reason_line(events):
    event = events.exemption_decided("sara@example.com", decision="reject", reason=None)
    for language in LANGUAGES:
        email = render(EXEMPTION_DECIDED, language, _about_request(events, "", language=language, event=event))
        assert "None" not in email.text and "سبب الرفض" not in email.text and "Reason:" not in email.text


@pytest.mark.parametrize(
    "language, kinds, expected",
    [
        (
            "ar",
            ("administrative", "service"),
            ["قرار الأمين العام رقم 1447/318", "الرسوم الإدارية ورسوم الخدمة", "لم تعد على طلبك رسوم مستحقة"],
        ),
        (
            "ar",
            ("service",),
            ["قرار الأمين العام رقم 1447/318", "تم إعفاؤك من رسوم الخدمة", "وإن بقيت على الطلب رسوم أخرى"],
        ),
        (
            "en",
            ("administrative", "service"),
            ["decision No. 1447/318", "the administrative fee and the service fee", "No fees are due"],
        ),
        (
            "en",
            ("administrative",),
            ["decision No. 1447/318", "exempted from the administrative fee of", "Any other fee"],
        ),
    ],
)
def test_a_waiver_names_the_decision_and_the_fees_it_waives(events, language, kinds, expected):
    event = events.waiver_granted("sara@example.com", kinds=kinds)
    email = render(WAIVER_GRANTED, language, _about_request(events, "", language=language, event=event))

    assert all(phrase in email.text for phrase in expected)
    assert "1447/318" in email.html


@pytest.mark.parametrize(
    "language, subject, phrase",
    [
        ("ar", "تهانينا! تمت الموافقة على طلبك رقم MR-7Q4K-2XWP", "رقم عضويتك هو"),
        ("en", "Congratulations: request MR-7Q4K-2XWP is approved", "Your membership number is"),
    ],
)
def test_approval_gives_the_membership_number(events, language, subject, phrase):
    email = render(APPLICATION_APPROVED, language, _about_request(events, APPLICATION_APPROVED, language=language))

    assert email.subject == subject
    for body in _both(email):
        assert phrase in body and "MEM-2026-004217" in body
        assert ("الثلاثاء 1 ديسمبر 2026" if language == "ar" else "Tuesday 1 December 2026") in body


@pytest.mark.parametrize(
    "language, subject, reason_line",
    [
        ("ar", "نتيجة مراجعة طلبك رقم MR-7Q4K-2XWP", "سبب الرفض: The qualification is not recognised."),
        ("en", "Decision on your request MR-7Q4K-2XWP", "Reason: The qualification is not recognised."),
    ],
)
def test_rejection_gives_the_reason(events, language, subject, reason_line):
    email = render(APPLICATION_REJECTED, language, _about_request(events, APPLICATION_REJECTED, language=language))

    assert email.subject == subject
    assert reason_line in email.text and "The qualification is not recognised." in email.html
    assert ("تقرر رفضه" if language == "ar" else "was rejected") in email.text


def test_a_reviewers_reason_is_escaped_in_html_and_kept_verbatim_in_text(events):
    event = events.rejected("sara@example.com", reason='<a href="x">see</a> & more')
    email = render(APPLICATION_REJECTED, "en", _about_request(events, "", language="en", event=event))

    assert '<a href="x">' not in email.html and "&lt;a href=&#34;x&#34;&gt;see&lt;/a&gt; &amp; more" in email.html
    assert '<a href="x">see</a> & more' in email.text


# --- Refunds ---------------------------------------------------------------------------------------
def _as_read(email) -> list[str]:
    """The text body, and the HTML body as its reader sees it (markup and escapes gone)."""
    return [email.text, html.unescape(re.sub(r"<[^>]+>", "", email.html))]


@pytest.mark.parametrize(
    "language, subject, expected",
    [
        (
            "ar",
            "تمت الموافقة على استرداد 625.25 ر.س من رسوم طلبك رقم MR-7Q4K-2XWP",
            [
                "تمت الموافقة على استرداد مبلغ 625.25 ر.س",
                "القاعدة المطبقة: سحبت طلبك خلال 30 يومًا من سداد رسومه",
                "50% من رسوم الخدمة",
                "إلى وسيلة الدفع التي سددت بها",
                "rf-51d0",
            ],
        ),
        (
            "en",
            "Refund of SAR 625.25 approved for request MR-7Q4K-2XWP",
            [
                "A refund of SAR 625.25",
                "Rule applied: You withdrew your request within 30 days of paying",
                "50% of the service fee",
                "paid back to the payment method you paid with",
                "rf-51d0",
            ],
        ),
    ],
)
def test_an_approved_refund_gives_the_amount_and_what_the_rule_means(events, language, subject, expected):
    email = render(REFUND_DECIDED, language, _about_request(events, REFUND_DECIDED, language=language))

    assert email.subject == subject
    for body in _as_read(email):
        assert all(phrase in body for phrase in expected)
        assert "withdrawn_within_window" not in body


@pytest.mark.parametrize(
    "language, subject, expected",
    [
        (
            "ar",
            "نتيجة المطالبة باسترداد رسوم طلبك رقم MR-7Q4K-2XWP",
            ["لا يُرد أي مبلغ", "القاعدة المطبقة: مضى أكثر من 30 يومًا على سداد الرسوم"],
        ),
        (
            "en",
            "Decision on the refund for request MR-7Q4K-2XWP",
            ["no amount of the fees", "Rule applied: More than 30 days have passed since the fee was paid"],
        ),
    ],
)
def test_a_refused_refund_names_the_rule_and_promises_nothing(events, language, subject, expected):
    event = events.refund_decided("sara@example.com", status="rejected", rule="refund_window_passed", amount_halalas=0)
    email = render(REFUND_DECIDED, language, _about_request(events, "", language=language, event=event))

    assert email.subject == subject
    for body in _as_read(email):
        assert all(phrase in body for phrase in expected)
        assert "0.00" not in body and "وسيلة الدفع" not in body and "payment method" not in body


@pytest.mark.parametrize(
    "language, reason_line", [("ar", "سبب الرفض: الخدمة قُدمت بالفعل"), ("en", "Reason: الخدمة قُدمت بالفعل")]
)
def test_a_reviewers_reason_for_a_refund_is_given(events, language, reason_line):
    event = events.refund_decided(
        "sara@example.com", status="rejected", rule="reviewer_decision", amount_halalas=0, reason="الخدمة قُدمت بالفعل"
    )
    email = render(REFUND_DECIDED, language, _about_request(events, "", language=language, event=event))

    assert reason_line in email.text and "الخدمة قُدمت بالفعل" in email.html


@pytest.mark.parametrize(
    "language, subject, expected",
    [
        (
            "ar",
            "مطالبتك باسترداد رسوم طلبك رقم MR-7Q4K-2XWP قيد المراجعة",
            ["625.25 ر.س", "قيد المراجعة", "لدى أحد المراجعين", "خلال 15 يومًا"],
        ),
        (
            "en",
            "Your refund claim for request MR-7Q4K-2XWP is under review",
            ["SAR 625.25", "is under review", "with a reviewer", "within 15 days"],
        ),
    ],
)
def test_a_refund_claim_sent_to_a_reviewer_says_when_it_will_be_decided(events, language, subject, expected):
    event = events.refund_decided("sara@example.com", status="pending_review", rule="needs_review")
    email = render(REFUND_DECIDED, language, _about_request(events, "", language=language, event=event))

    assert email.subject == subject
    for body in _as_read(email):
        assert all(phrase in body for phrase in expected)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_refund_rule_this_service_does_not_know_yet_reads_as_its_name(events, language):
    event = events.refund_decided("sara@example.com", rule="partial_goodwill")
    email = render(REFUND_DECIDED, language, _about_request(events, "", language=language, event=event))

    assert "partial_goodwill" in email.text and "partial_goodwill" in email.html


@pytest.mark.parametrize("rule", sorted(REFUND_RULES))
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_refund_rule_is_explained_in_the_email(events, rule, language):
    event = events.refund_decided("sara@example.com", rule=rule)
    email = render(REFUND_DECIDED, language, _about_request(events, "", language=language, event=event))

    assert refund_rule(rule, event.data["terms"], language) in email.text and rule not in email.text


@pytest.mark.parametrize(
    "language, subject, expected",
    [
        (
            "ar",
            "تم رد 625.25 ر.س من رسوم طلبك رقم MR-7Q4K-2XWP",
            [
                "تم رد مبلغ 625.25 ر.س",
                "إلى وسيلة الدفع التي سددت بها",
                "الخميس 3 ديسمبر 2026، الساعة 1:30 مساءً",
                "rf-51d0",
            ],
        ),
        (
            "en",
            "Refund of SAR 625.25 paid for request MR-7Q4K-2XWP",
            [
                "A refund of SAR 625.25",
                "paid back to the payment method you paid with",
                "Thursday 3 December 2026 at 1:30 PM Riyadh time",
                "rf-51d0",
            ],
        ),
    ],
)
def test_a_paid_refund_gives_the_amount_and_where_it_went(events, language, subject, expected):
    email = render(REFUND_PAID, language, _about_request(events, REFUND_PAID, language=language))

    assert email.subject == subject
    for body in _as_read(email):
        assert all(phrase in body for phrase in expected)


@pytest.mark.parametrize(
    "language, subject, expected",
    [
        (
            "ar",
            "تصعيد: مطالبة استرداد للطلب رقم MR-7Q4K-2XWP لم يُبت فيها، آخر موعد الأربعاء 16 ديسمبر 2026",
            [
                "إلى فريق المراجعة",
                "rf-51d0",
                "inv-svc",
                "625.25 ر.س",
                "الثلاثاء 1 ديسمبر 2026، الساعة 11:00 صباحًا بتوقيت الرياض",
                "الأربعاء 16 ديسمبر 2026، الساعة 11:00 صباحًا بتوقيت الرياض",
            ],
        ),
        (
            "en",
            "Escalation: refund claim for request MR-7Q4K-2XWP undecided, due Wednesday 16 December 2026",
            [
                "To the review team",
                "rf-51d0",
                "inv-svc",
                "SAR 625.25",
                "Tuesday 1 December 2026 at 11:00 AM Riyadh time",
                "Wednesday 16 December 2026 at 11:00 AM Riyadh time",
            ],
        ),
    ],
)
def test_an_escalation_tells_the_reviewers_which_claim_how_much_and_by_when(events, language, subject, expected):
    data = events.refund_escalated("sara@example.com").data  # staff mail: no applicant's name to greet
    email = render(REFUND_ESCALATED, language, data)

    assert email.subject == subject
    for body in _as_read(email):
        assert all(phrase in body for phrase in expected)
        assert "MR-7Q4K-2XWP" in body


# --- Data updates ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "language, subject, expected",
    [
        (
            "ar",
            "استلمنا طلب تحديث بيانات عضويتك رقم MEM-2026-004217",
            [
                "البيانات المطلوب تحديثها: رقم الجوال، التخصص وجهة العمل",
                "MR-7Q4K-2XWP",
                "يُحال إلى المراجعة",
                "الأحد 10 يناير 2027",
            ],
        ),
        (
            "en",
            "Data update received for membership MEM-2026-004217",
            [
                "Data to update: mobile number, specialty and employer",
                "MR-7Q4K-2XWP",
                "goes to review",
                "Sunday 10 January 2027",
            ],
        ),
    ],
)
def test_a_data_update_received_names_the_fields_in_the_recipients_language(events, language, subject, expected):
    event = events.update_submitted("sara@example.com", fields_changed=("mobile", "specialty", "employer"))
    email = render(DATA_UPDATE_RECEIVED, language, _about_request(events, "", language=language, event=event))

    assert email.subject == subject
    for body in _as_read(email):
        assert all(phrase in body for phrase in expected)


@pytest.mark.parametrize(
    "language, subject, expected",
    [
        (
            "ar",
            "تمت الموافقة على تحديث بيانات عضويتك رقم MEM-2026-004217",
            ["حلّت البيانات الجديدة محل السابقة", "الثلاثاء 12 يناير 2027", "MR-7Q4K-2XWP"],
        ),
        (
            "en",
            "Data update approved for membership MEM-2026-004217",
            ["new data now replaces the previous data", "Tuesday 12 January 2027", "MR-7Q4K-2XWP"],
        ),
    ],
)
def test_an_approved_data_update(events, language, subject, expected):
    email = render(DATA_UPDATE_APPROVED, language, _about_request(events, DATA_UPDATE_APPROVED, language=language))

    assert email.subject == subject
    for body in _as_read(email):
        assert all(phrase in body for phrase in expected)


@pytest.mark.parametrize(
    "language, subject, reason_line, unchanged",
    [
        (
            "ar",
            "نتيجة مراجعة تحديث بيانات عضويتك رقم MEM-2026-004217",
            "سبب الرفض: The employer letter is not signed.",
            "بقيت بياناتك دون تغيير",
        ),
        (
            "en",
            "Decision on the data update for membership MEM-2026-004217",
            "Reason: The employer letter is not signed.",
            "Your data is unchanged",
        ),
    ],
)
def test_a_rejected_data_update_gives_the_reason_and_changes_nothing(events, language, subject, reason_line, unchanged):
    email = render(DATA_UPDATE_REJECTED, language, _about_request(events, DATA_UPDATE_REJECTED, language=language))

    assert email.subject == subject
    assert reason_line in email.text and "The employer letter is not signed." in email.html
    assert unchanged in email.text and unchanged in email.html


# --- the licence's life -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "language, expected",
    [
        ("en", ["qualification and degree certificate", "The degree certificate is unreadable.", "no new fees"]),
        ("ar", ["المؤهل وشهادة المؤهل", "The degree certificate is unreadable.", "دون أي رسوم جديدة"]),
    ],
)
def test_a_return_says_what_to_correct_why_and_by_when(events, language, expected):
    email = render("application_returned", language, _about_request(events, "application_returned", language=language))
    for body in _both(email):
        assert all(phrase in body for phrase in expected) and "2026" in body


@pytest.mark.parametrize(
    "language, subject",
    [
        ("en", "Your licence MEM-2026-004217 expires in 30 days"),
        ("ar", "ينتهي ترخيصك رقم MEM-2026-004217 بعد 30 يومًا"),
    ],
)
def test_a_licence_reminder_says_how_long_is_left_in_the_holders_language(events, language, subject):
    email = render("licence_reminder", language, _about_request(events, "licence_reminder", language=language))
    assert email.subject == subject
    assert ("2028" in email.text) and ("renewal" in email.text or "تجديد" in email.text)


@pytest.mark.parametrize(
    "language, why",
    [("en", "not sent again with its corrections"), ("ar", "لعدم إعادة إرساله بعد التصحيح")],
)
def test_a_cancellation_for_an_unanswered_return_says_why(events, language, why):
    event = events.cancelled("x@example.com", reason="correction_deadline_passed")
    email = render("application_cancelled", language, {**event.data, "full_name": NAMES[language]})
    assert all(why in body for body in _both(email)) and "paid" not in email.text


def test_a_classification_names_both_categories_and_what_the_difference_means(events):
    email = render("application_classified", "en", _about_request(events, "application_classified", language="en"))
    assert "specialist" in email.subject and "consultant" in email.text and "refunded" in email.text


@pytest.mark.parametrize("decision, word", [("approve", "was accepted"), ("reject", "was not accepted")])
def test_a_cpd_decision_says_whether_its_hours_count(events, decision, word):
    event = events.cpd_decided(
        "x@example.com", decision=decision, reason="No certificate." if decision == "reject" else None
    )
    email = render("cpd_activity_decided", "en", {**event.data, "full_name": "Sara"})
    assert word in email.text and "7.5 hours" in email.text
    assert ("No certificate." in email.text) == (decision == "reject")


def test_an_approval_says_until_when_the_licence_is_valid(events):
    event = events.approved("x@example.com")
    data = {**event.data, "full_name": "Sara", "kind": "renewal", "valid_until": events.VALID_UNTIL}
    email = render("application_approved", "en", data)
    assert "valid until Saturday 25 November 2028" in email.text and "renewed" in email.text
