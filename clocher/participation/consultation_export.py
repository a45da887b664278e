"""A consultation's responses as a table, for a spreadsheet: CSV and XLSX, the same rows.

One row per response, one column per question; a multiple choice lists its answers separated by
" ; ", a ranking lists "1. …" to "n. …". A signed consultation adds the respondent's name and the
time they sent; an anonymous one has neither, and its rows come in the order of their random keys,
which says nothing of who answered when. Text typed by residents can start with "=" or "+": the CSV
neutralises it (core.text.spreadsheet_cell) and the XLSX writes every answer as a string, never as
a formula.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import xlsxwriter  # type: ignore[import-untyped]  # ships no type hints; four calls used here
from django.utils import timezone
from django.utils.translation import gettext as _

from clocher.core.text import spreadsheet_cell

from .consultation_selectors import (
    display_value,
    questions_of,
    response_values,
    responses_with_answers,
)
from .consultations import Consultation


def table(consultation: Consultation) -> tuple[list[str], list[list[str | int]]]:
    """The header and the rows: a response number, then the name and time when signed, then one
    cell per question (empty when not shown or not answered)."""
    questions = questions_of(consultation)
    header: list[str] = [_("Réponse n°")]
    if consultation.signed:
        header += [_("Nom"), _("Adresse e-mail"), _("Envoyée le")]
    header += [question.label for question in questions]
    responses = list(responses_with_answers(consultation))
    values = response_values(responses)
    rows: list[list[str | int]] = []
    for number, response in enumerate(responses, start=1):
        row: list[str | int] = [number]
        if consultation.signed:
            user: Any = response.user
            row += [
                (getattr(user, "display_name", "") or "") if user is not None else _("(compte supprimé)"),
                (getattr(user, "email", "") or "") if user is not None else "",
                timezone.localtime(response.submitted_at).strftime("%Y-%m-%d %H:%M") if response.submitted_at else "",
            ]
        answers = values[response.pk]
        row += [display_value(question, answers.get(str(question.pk))) for question in questions]
        rows.append(row)
    return header, rows


def as_csv(consultation: Consultation) -> str:
    """The table as CSV: a BOM so spreadsheets read UTF-8, semicolons as French spreadsheets
    expect, every text cell guarded against formulas."""
    header, rows = table(consultation)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";")
    writer.writerow([spreadsheet_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([cell if isinstance(cell, int) else spreadsheet_cell(cell) for cell in row])
    return out.getvalue()


def as_xlsx(consultation: Consultation) -> bytes:
    """The table as an .xlsx workbook of one sheet, built in memory; strings are written as
    strings (no formula, no URL turned into a link)."""
    header, rows = table(consultation)
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {
        "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
    })
    sheet = workbook.add_worksheet(_("Réponses")[:31])
    bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    for column, title in enumerate(header):
        sheet.write_string(0, column, title, bold)
        sheet.set_column(column, column, 12 if column == 0 else 30)
    for line, row in enumerate(rows, start=1):
        for column, cell in enumerate(row):
            if isinstance(cell, int):
                sheet.write_number(line, column, cell)
            else:
                sheet.write_string(line, column, cell, wrap)
    sheet.freeze_panes(1, 1)
    workbook.close()
    return out.getvalue()
