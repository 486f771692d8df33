"""How names and rules read in an e-mail, in Arabic or English: fee kinds, payment methods,
exemptions, membership data fields, and what each refund rule means. Pure, and the only place where
these are worded: the templates use them as filters (`emails.py` registers them)."""

from __future__ import annotations

from collections.abc import Mapping

from .formatting import percent, time_left

# --- Names --------------------------------------------------------------------------------------------
_FEE_KINDS = {
    "ar": {
        "administrative": "الرسوم الإدارية",
        "service": "رسوم الخدمة",
        "renewal": "رسوم التجديد",
        "classification_difference": "فرق رسوم التصنيف",
    },
    "en": {
        "administrative": "administrative fee",
        "service": "service fee",
        "renewal": "renewal fee",
        "classification_difference": "classification fee difference",
    },
}
_PAYMENT_METHODS = {
    "ar": {"sadad": "سداد", "mada": "مدى", "credit_card": "بطاقة ائتمانية", "apple_pay": "Apple Pay"},
    "en": {"sadad": "SADAD", "mada": "mada", "credit_card": "credit card", "apple_pay": "Apple Pay"},
}
_EXEMPTIONS = {
    "ar": {"martyr_relative": "إعفاء ذوي الشهداء"},
    "en": {"martyr_relative": "martyr's-relative exemption"},
}


def _language(language: str) -> str:
    return "ar" if language == "ar" else "en"


def fee_kind(kind: str, language: str) -> str:
    """ "الرسوم الإدارية" / "administrative fee" (a kind outside the contract is an error)."""
    return _FEE_KINDS[_language(language)][kind]


def fee_kinds(kinds: list[str], language: str) -> str:
    """Several fee kinds in one phrase: "الرسوم الإدارية ورسوم الخدمة", "the administrative fee and the
    service fee"."""
    if not kinds:
        raise ValueError("no fee kinds to name")
    if language == "ar":
        names = [fee_kind(kind, language) for kind in kinds]
        return names[0] if len(names) == 1 else "، ".join(names[:-1]) + " و" + names[-1]
    names = [f"the {fee_kind(kind, language)}" for kind in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def payment_method(method: str, language: str) -> str:
    return _PAYMENT_METHODS[_language(language)][method]


def exemption(kind: str, language: str) -> str:
    """The exemption's name; one this service does not know yet reads as a plain fee exemption."""
    generic = "الإعفاء من الرسوم" if language == "ar" else "fee exemption"
    return _EXEMPTIONS[_language(language)].get(kind, generic)


# --- Membership data ----------------------------------------------------------------------------------
# The fields a data update may change (applications' `domain/updates.UPDATABLE`, named in
# `applications.data_update_submitted` `fields_changed`).
_PROFILE_FIELDS = {
    "ar": {
        "email": "البريد الإلكتروني",
        "mobile": "رقم الجوال",
        "address": "العنوان",
        "specialty": "التخصص",
        "qualification": "المؤهل",
        "employer": "جهة العمل",
    },
    "en": {
        "email": "e-mail address",
        "mobile": "mobile number",
        "address": "address",
        "specialty": "specialty",
        "qualification": "qualification",
        "employer": "employer",
    },
}


def profile_field(name: str, language: str) -> str:
    """A membership data field as the recipient reads it; one this service does not know yet keeps its
    own name (an e-mail about a new field is still sent)."""
    return _PROFILE_FIELDS[_language(language)].get(name, name)


def profile_fields(names: list[str], language: str) -> str:
    """Several fields in one phrase: "البريد الإلكتروني ورقم الجوال", "e-mail address and mobile number"."""
    if not names:
        raise ValueError("no fields to name")
    words = [profile_field(name, language) for name in names]
    if len(words) == 1:
        return words[0]
    if language == "ar":
        return "، ".join(words[:-1]) + " و" + words[-1]
    return ", ".join(words[:-1]) + " and " + words[-1]


# --- Professional classifications, and what a return for corrections names ----------------------------
_CATEGORIES = {
    "ar": {
        "technician": "فني",
        "specialist": "أخصائي",
        "general_practitioner": "طبيب عام",
        "resident": "طبيب مقيم",
        "pharmacist": "صيدلي",
        "registrar": "نائب",
        "consultant": "استشاري",
    },
    "en": {
        "technician": "technician",
        "specialist": "specialist",
        "general_practitioner": "general practitioner",
        "resident": "resident",
        "pharmacist": "pharmacist",
        "registrar": "registrar",
        "consultant": "consultant",
    },
}
# The request's fields and the document kinds a reviewer may name in a return (applications'
# `domain/review.RETURNABLE`).
_RETURN_ITEMS = {
    "ar": {
        "category": "التصنيف المهني",
        "specialty": "التخصص",
        "qualification": "المؤهل",
        "dataflow_reference": "رقم مرجع داتافلو",
        "degree": "شهادة المؤهل",
        "identity": "جواز السفر أو الهوية الوطنية",
        "specialty_certificate": "شهادة التخصص",
        "exemption_proof": "إثبات الإعفاء",
        "cpd_certificate": "شهادة التعليم المهني المستمر",
        "supporting": "المستندات الداعمة",
    },
    "en": {
        "category": "professional category",
        "specialty": "specialty",
        "qualification": "qualification",
        "dataflow_reference": "Dataflow reference",
        "degree": "degree certificate",
        "identity": "passport or national ID",
        "specialty_certificate": "specialty certificate",
        "exemption_proof": "proof of exemption",
        "cpd_certificate": "CPD certificate",
        "supporting": "supporting documents",
    },
}


def category(name: str, language: str) -> str:
    """A professional classification as the recipient reads it; an unknown one keeps its own name."""
    return _CATEGORIES[_language(language)].get(name, name)


def return_items(names: list[str], language: str) -> str:
    """What a return names, in one phrase: "المؤهل وشهادة المؤهل", "qualification and degree certificate"."""
    if not names:
        raise ValueError("no items to name")
    words = [_RETURN_ITEMS[_language(language)].get(name, name) for name in names]
    if len(words) == 1:
        return words[0]
    if language == "ar":
        return "، ".join(words[:-1]) + " و" + words[-1]
    return ", ".join(words[:-1]) + " and " + words[-1]


# --- Refund rules -------------------------------------------------------------------------------------
# What the rule billing's refund policy names in `billing.refund_decided` means, said to the applicant
# (R7-R9): one sentence each, in each language. The figures are not written here: they are the
# `terms` the event carries (billing's settings when it decided), so the e-mail says what the rule
# said: {window} (BILLING_REFUND_WINDOW), {share} (BILLING_REFUND_SHARE), {decision_sla}
# (BILLING_REFUND_DECISION_SLA).
REFUND_RULES = {
    "withdrawn_within_window": {
        "ar": "سحبت طلبك خلال {window} من سداد رسومه وقبل بدء مراجعته، فيُرد إليك {share} من رسوم الخدمة.",
        "en": "You withdrew your request within {window} of paying and before its review started, so {share} of "
        "the service fee is refunded.",
    },
    "classification_lowered": {
        "ar": "صُنّف طلبك في فئة رسومها أقل مما سددت، فيُرد إليك الفرق.",
        "en": "Your request was classified in a category whose fee is lower than what you paid, so the difference "
        "is refunded.",
    },
    "refund_window_passed": {
        "ar": "مضى أكثر من {window} على سداد الرسوم، ولا تُرد الرسوم بعد انقضاء هذه المدة.",
        "en": "More than {window} have passed since the fee was paid; fees are not refunded after that period.",
    },
    "administrative_fee_not_refundable": {
        "ar": "الرسوم الإدارية لا تُرد في أي حال.",
        "en": "The administrative fee is never refunded.",
    },
    "request_decided": {
        "ar": "صدر قرار في الطلب (بالموافقة أو بالرفض)، ولا تُرد الرسوم بعد صدور القرار.",
        "en": "The request has already been decided (approved or rejected); fees are not refunded after a decision.",
    },
    "review_started": {
        "ar": "بدأت مراجعة الطلب، ولا تُرد رسوم خدمة بدأ تقديمها.",
        "en": "The review of the request had already started; fees for a service already rendered are not refunded.",
    },
    "needs_review": {
        "ar": "مطالبتك لدى أحد المراجعين، ويُبت فيها خلال {decision_sla} من تقديمها.",
        "en": "Your claim is with a reviewer, and will be decided within {decision_sla} of being made.",
    },
    "duplicate_payment": {
        "ar": "سُددت الفاتورة أكثر من مرة، فيُرد إليك المبلغ المكرر كاملًا.",
        "en": "The invoice was paid more than once, so the duplicate payment is refunded in full.",
    },
    "payment_after_cancellation": {
        "ar": "وصلت الدفعة بعد إلغاء الطلب، فتُرد إليك كاملة.",
        "en": "The payment arrived after the request had been cancelled, so it is refunded in full.",
    },
    "exemption_after_payment": {
        "ar": "أُعفيت من هذه الرسوم بعد سدادها، فيُرد إليك ما سددته كاملًا.",
        "en": "You were exempted from this fee after paying it, so the payment is refunded in full.",
    },
    # Not a policy rule: what billing records when a reviewer decided a `needs_review` claim.
    "reviewer_decision": {
        "ar": "راجع أحد المراجعين مطالبتك وبتّ فيها.",
        "en": "A reviewer examined your claim and decided it.",
    },
    "waiver_after_payment": {
        "ar": "صدر قرار بالإعفاء من هذه الرسوم بعد سدادها، فيُرد إليك ما سددته كاملًا.",
        "en": "The fee was waived by decision after you paid it, so the payment is refunded in full.",
    },
}


def refund_rule(rule: str, terms: Mapping[str, str], language: str) -> str:
    """What a refund rule means, with the `terms` it was decided under ({window, share,
    decision_sla}, as `billing.refund_decided` carries them); a rule this service does not know yet
    reads as its own name, so the decision still reaches the applicant (and the missing wording shows)."""
    wording = REFUND_RULES.get(rule, {}).get(_language(language))
    if wording is None:
        return rule
    return wording.format(
        window=time_left(terms["window"], language),
        share=percent(terms["share"]),
        decision_sla=time_left(terms["decision_sla"], language),
    )
