"""E-mails as their recipient reads them: a subject, a plain-text body and an HTML body, in Arabic
(right to left) or English. Pure: event data and a language in, text out.

Templates (Jinja2) live in `notifications/templates/`:
    layout.<lang>.txt, layout.<lang>.html        the frame every e-mail in that language shares
    <template>/subject.<lang>.txt                 one line
    <template>/body.<lang>.txt, body.<lang>.html  the message itself

Language: a recipient whose language is missing or not one we write in (`contracts.LANGUAGES`) gets
Arabic, the Commission's own language. Every e-mail exists in every language (a unit test holds it),
so there is no fallback from one template to another: a missing one is a bug to fix, not to hide."""
from __future__ import annotations

from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape

from mumaris_shared.contracts import LANGUAGES

DEFAULT_LANGUAGE = "ar"

VERIFICATION_CODE = "verification_code"
WELCOME = "welcome"
TEMPLATES = (VERIFICATION_CODE, WELCOME)


@dataclass(frozen=True)
class Email:
    language: str
    subject: str
    text: str
    html: str


def language_of(requested: str | None) -> str:
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE


def render(template: str, language: str | None, data: dict) -> Email:
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


def minutes(count: int, language: str) -> str:
    """A number of minutes as written in running text ("10 دقائق", "1 minute")."""
    if language == "ar":
        # Arabic counts: 1 and 2 have their own forms, 3-10 take the plural, 11 and above the singular.
        if count == 1:
            return "دقيقة واحدة"
        if count == 2:
            return "دقيقتين"
        return f"{count} دقائق" if 3 <= count <= 10 else f"{count} دقيقة"
    return f"{count} minute" if count == 1 else f"{count} minutes"


@pass_context
def _minutes_filter(context, count: int) -> str:
    return minutes(int(count), context["language"])


_environment = Environment(
    loader=PackageLoader("notifications", "templates"),
    # HTML templates escape what they insert (a full name is whatever the person typed); text does not.
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters["minutes"] = _minutes_filter
