"""Every e-mail, rendered in Arabic (right to left) and English, as text and HTML."""
import pytest
from jinja2 import UndefinedError

from mumaris_shared.contracts import LANGUAGES
from notifications.domain.emails import TEMPLATES, VERIFICATION_CODE, WELCOME, minutes, render

pytestmark = pytest.mark.unit

CODE = {"full_name": "سارة القحطاني", "code": "482913", "valid_minutes": 10}


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
def test_every_email_exists_in_every_language(template, language):
    email = render(template, language, CODE)

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


@pytest.mark.parametrize("count, arabic, english", [
    (1, "دقيقة واحدة", "1 minute"), (2, "دقيقتين", "2 minutes"), (3, "3 دقائق", "3 minutes"),
    (10, "10 دقائق", "10 minutes"), (11, "11 دقيقة", "11 minutes"), (15, "15 دقيقة", "15 minutes"),
])
def test_minutes_are_counted_as_each_language_counts_them(count, arabic, english):
    assert minutes(count, "ar") == arabic
    assert minutes(count, "en") == english
