"""Residence codes: making them, recognising what a resident types, and printing them as a PDF.

A code is 10 characters from a 32-sign alphabet without 0, O, 1 and I (which a resident cannot tell
apart on paper): 50 bits, printed as two groups of five. Guessing one online is out of reach at
5 tries an hour; the database holds only an HMAC of each code under the secret key, so a stolen
copy of it without the key gives no code away. The PDF is built in memory, sent once, never stored.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _
from fpdf import FPDF

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 10
# Separators and spaces people type or copy along with the code.
_IGNORED = str.maketrans("", "", " -_.\u00a0\u202f\t")


def new_code() -> str:
    """A fresh random code, as stored in no place but the PDF."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise(typed: str) -> str | None:
    """The code a resident typed, upper-cased and without separators; None if it cannot be one."""
    code = typed.translate(_IGNORED).upper()
    if len(code) != CODE_LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code


def digest(code: str) -> str:
    """The keyed digest stored for a code (HMAC-SHA256 under SECRET_KEY)."""
    key = hashlib.sha256(b"clocher.participation.residence-code:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def display(code: str) -> str:
    """The code as printed: two groups of five, easier to read out and to type."""
    return f"{code[:5]}-{code[5:]}"


@dataclass(frozen=True)
class Slip:
    """What one slip of paper says."""

    commune: str
    code: str
    url: str
    expires_on: datetime.date
    number: int
    total: int
    reference: str


def _latin1(text: str) -> str:
    """Text the PDF's built-in fonts can draw (Latin-1): œ and typographic quotes spelt out, other
    signs stripped of their accents. The built-in fonts keep the file small and need no font file."""
    text = (
        text.replace("œ", "oe").replace("Œ", "OE").replace("’", "'").replace("‘", "'")
        .replace("“", '"').replace("”", '"').replace("–", "-").replace("—", "-").replace("\u202f", " ")
        .replace("…", "...")
    )
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if c.encode("latin-1", "ignore")).encode("latin-1", "ignore").decode("latin-1")
    return text


# Three slips to an A4 page: each is 210 × 99 mm, the size of a DL envelope, cut along the dashes.
SLIPS_PER_PAGE = 3
_SLIP_HEIGHT = 99.0
_MARGIN = 15.0


def render_pdf(slips: Sequence[Slip]) -> bytes:
    """An A4 PDF with one slip per code, three to a page, ready to print, cut and mail."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(_latin1(_("Codes de vérification du domicile")))
    pdf.set_creator("Clocher")
    pdf.set_lang("fr")
    width = 210.0 - 2 * _MARGIN
    for index, slip in enumerate(slips):
        position = index % SLIPS_PER_PAGE
        if position == 0:
            pdf.add_page()
        top = position * _SLIP_HEIGHT
        if position > 0:
            pdf.set_draw_color(150, 150, 150)
            pdf.set_dash_pattern(dash=2, gap=2)
            pdf.line(5, top, 205, top)
            pdf.set_dash_pattern()
        pdf.set_xy(_MARGIN, top + 10)
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(width, 7, _latin1(_("Commune de %(name)s") % {"name": slip.commune}), new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(_MARGIN)
        pdf.set_font("Helvetica", "", 10.5)
        pdf.multi_cell(width, 5, _latin1(_(
            "Ce code personnel prouve que vous habitez %(name)s. Il permet de participer aux consultations, "
            "votes et budgets participatifs réservés aux habitants. Il ne sert qu'une seule fois : "
            "ne le communiquez à personne."
        ) % {"name": slip.commune}), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
        pdf.set_x(_MARGIN)
        pdf.multi_cell(width, 5, _latin1(_(
            "1. Connectez-vous à votre compte, ou créez-le.\n"
            "2. Dans « Mon compte », choisissez %(name)s comme votre commune.\n"
            "3. Ouvrez l'adresse ci-dessous et saisissez le code."
        ) % {"name": slip.commune}), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
        pdf.set_x(_MARGIN)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(width, 6, _latin1(slip.url), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_x(_MARGIN)
        pdf.set_font("Courier", "B", 24)
        pdf.cell(width, 12, display(slip.code), border=1, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_x(_MARGIN)
        pdf.set_font("Helvetica", "", 10)
        expires = formats.date_format(slip.expires_on, "DATE_FORMAT")
        pdf.cell(width, 5, _latin1(_("Valable jusqu'au %(date)s inclus.") % {"date": expires}),
                 new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(_MARGIN)
        pdf.set_font("Helvetica", "", 8)
        pdf.set_text_color(90, 90, 90)
        pdf.cell(width, 5, _latin1(_("Lot %(reference)s · code %(number)s sur %(total)s") % {
            "reference": slip.reference, "number": slip.number, "total": slip.total,
        }), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    return bytes(pdf.output())
