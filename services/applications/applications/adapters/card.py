"""The registration card, a one-page PDF (ReportLab): the holder's name, membership number,
classification, specialty and valid-until date in Arabic (right to left) and English, and a QR code
of the public verification link.

ReportLab draws glyphs as given, without OpenType shaping, so Arabic text is shaped first
(arabic-reshaper: each letter in its joined form) and put in visual order (python-bidi); the font
is Amiri (Debian's fonts-hosny-amiri), which has Arabic and Latin; APPLICATIONS_CARD_FONT_DIR names
another directory holding Amiri-Regular.ttf and Amiri-Bold.ttf."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import arabic_reshaper
from bidi import get_display
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor, white
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from mumaris_shared.config import env

FONT_DIRS = ("/usr/share/fonts/opentype/fonts-hosny-amiri", "/usr/share/fonts/truetype/fonts-hosny-amiri")
WIDTH, HEIGHT = 148 * mm, 105 * mm  # A6, landscape
GREEN, INK, MUTED = HexColor("#0b5d4b"), HexColor("#1f2a27"), HexColor("#6b7a75")

CLASSIFICATIONS = {
    "technician": ("Technician", "فني"),
    "specialist": ("Specialist", "أخصائي"),
    "general_practitioner": ("General practitioner", "طبيب عام"),
    "resident": ("Resident", "طبيب مقيم"),
    "pharmacist": ("Pharmacist", "صيدلي"),
    "registrar": ("Registrar", "نائب"),
    "consultant": ("Consultant", "استشاري"),
}
STATUSES = {
    "active": ("Active", "ساري"),
    "expiring": ("Due for renewal", "قارب على الانتهاء"),
    "expired": ("Expired", "منتهٍ"),
}
MONTHS_AR = (
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
)


@dataclass(frozen=True)
class Card:
    full_name: str
    membership_number: str
    classification: str
    specialty: str
    valid_until: datetime
    licence_status: str
    verify_url: str


def shaped(text: str) -> str:
    """Text as ReportLab must draw it: Arabic letters joined and in visual (right-to-left) order;
    Latin text comes out as it went in (a name or a specialty may be written in either)."""
    return get_display(arabic_reshaper.reshape(text))


@cache
def _fonts() -> tuple[str, str]:
    for directory in (env("APPLICATIONS_CARD_FONT_DIR"), *FONT_DIRS):
        if directory and (Path(directory) / "Amiri-Regular.ttf").exists():
            pdfmetrics.registerFont(TTFont("Amiri", str(Path(directory) / "Amiri-Regular.ttf")))
            pdfmetrics.registerFont(TTFont("Amiri-Bold", str(Path(directory) / "Amiri-Bold.ttf")))
            return "Amiri", "Amiri-Bold"
    raise RuntimeError("the Amiri font is missing: install fonts-hosny-amiri (ops/install.sh does)")


def render_card(card: Card) -> bytes:
    regular, bold = _fonts()
    out = io.BytesIO()
    pdf = Canvas(out, pagesize=(WIDTH, HEIGHT))
    pdf.setTitle(f"Mumaris registration card {card.membership_number}")
    pdf.setAuthor("Mumaris")

    pdf.setFillColor(GREEN)
    pdf.rect(0, HEIGHT - 18 * mm, WIDTH, 18 * mm, stroke=0, fill=1)
    pdf.setFillColor(white)
    pdf.setFont(bold, 13)
    pdf.drawString(7 * mm, HEIGHT - 9 * mm, "Mumaris — Registration card")
    pdf.drawRightString(WIDTH - 7 * mm, HEIGHT - 9 * mm, shaped("ممارس — بطاقة التسجيل المهني"))
    pdf.setFont(regular, 8.5)
    pdf.drawString(7 * mm, HEIGHT - 14.5 * mm, "Saudi Commission for Health Specialties")
    pdf.drawRightString(WIDTH - 7 * mm, HEIGHT - 14.5 * mm, shaped("الهيئة السعودية للتخصصات الصحية"))

    english_class, arabic_class = CLASSIFICATIONS[card.classification]
    english_status, arabic_status = STATUSES[card.licence_status]
    until = card.valid_until
    rows = (
        ("Name", "الاسم", card.full_name, card.full_name),
        ("Membership number", "رقم العضوية", card.membership_number, card.membership_number),
        ("Classification", "التصنيف المهني", english_class, arabic_class),
        ("Specialty", "التخصص", card.specialty, card.specialty),
        (
            "Valid until",
            "صالحة حتى",
            f"{until.day} {until:%B} {until.year}",
            f"{until.day} {MONTHS_AR[until.month - 1]} {until.year}",
        ),
        ("Licence", "الترخيص", english_status, arabic_status),
    )
    top, step = HEIGHT - 25 * mm, 10.5 * mm
    for index, (label_en, label_ar, value_en, value_ar) in enumerate(rows):
        y = top - index * step
        pdf.setFillColor(MUTED)
        pdf.setFont(regular, 7)
        pdf.drawString(7 * mm, y, label_en)
        pdf.drawRightString(WIDTH - 7 * mm, y, shaped(label_ar))
        pdf.setFillColor(INK)
        pdf.setFont(bold, 10.5)
        pdf.drawString(7 * mm, y - 4.2 * mm, shaped(value_en))
        pdf.drawRightString(WIDTH - 7 * mm, y - 4.2 * mm, shaped(value_ar))

    qr_size = 30 * mm
    widget = QrCodeWidget(card.verify_url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(qr_size, qr_size, transform=[qr_size / (x1 - x0), 0, 0, qr_size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, (WIDTH - qr_size) / 2, 6 * mm)
    pdf.setFillColor(MUTED)
    pdf.setFont(regular, 6.5)
    pdf.drawCentredString(WIDTH / 2, 3.5 * mm, card.verify_url)
    pdf.showPage()
    pdf.save()
    return out.getvalue()
