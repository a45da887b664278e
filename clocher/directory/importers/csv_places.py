"""Places from a CSV file with the documented column set (docs/imports.md).

UTF-8 with or without a byte-order mark, fields separated by `;` (what a French spreadsheet writes)
or `,`, one header line. Each row is identified by its `id_externe` within the source
("csv:<territory code>" unless another is given), so importing the file again updates in place.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from . import ImportFailed, ImportReport, find_commune, find_territory, store

MAX_FILE_BYTES = 100 * 1024 * 1024

# CSV column → Place field.
COLUMNS: dict[str, str] = {
    "nom": "name",
    "adresse": "street",
    "code_postal": "postcode",
    "localite": "city",
    "latitude": "lat",
    "longitude": "lon",
    "telephone": "phone",
    "email": "email",
    "site": "website",
    "horaires": "opening_hours",
    "description": "description",
}
OTHER_COLUMNS = ("categories", "commune_insee", "id_externe")
REQUIRED_COLUMNS = ("id_externe", "nom")


def _decode(raw: bytes) -> str:
    try:
        # utf-8-sig drops the byte-order mark spreadsheets write, and reads plain UTF-8 too.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ImportFailed(
            _("Le fichier n'est pas en UTF-8 (ligne %(line)d) : enregistrez-le en « CSV UTF-8 ».")
            % {"line": line}
        ) from error


def _delimiter(header: str) -> str:
    return ";" if header.count(";") >= header.count(",") else ","


def import_places_csv(path: Path, *, territory_code: str, source: str | None = None) -> ImportReport:
    """Imports the places of one CSV file, published by the territory of `territory_code`.

    ImportFailed when the territory is unknown, the file unreadable, not UTF-8, or without the
    required columns; any row that cannot become a place is rejected with its line and reason.
    """
    territory = find_territory(territory_code)
    source = (source or f"csv:{territory.code}").strip()
    if not source or len(source) > 40:
        raise ImportFailed(_("Le nom de la source doit faire de 1 à 40 caractères."))
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ImportFailed(_("Fichier trop grand."))
        text = _decode(path.read_bytes())
    except OSError as error:
        raise ImportFailed(_("Fichier illisible : %(error)s") % {"error": error.strerror or error}) from error
    header = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(header))
    report = ImportReport()
    try:
        columns = [c.strip().lower() for c in next(reader)]
    except StopIteration:
        raise ImportFailed(_("Le fichier est vide.")) from None
    except csv.Error as error:
        raise ImportFailed(_("CSV illisible : %(error)s") % {"error": error}) from error
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ImportFailed(_("Colonnes obligatoires absentes : %(columns)s") % {"columns": ", ".join(missing)})
    unknown = [c for c in columns if c and c not in COLUMNS and c not in OTHER_COLUMNS]
    if unknown:
        report.warn(_("en-tête"), _("colonnes ignorées : %(columns)s") % {"columns": ", ".join(unknown)})
    seen: set[str] = set()
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            report.reject(_("ligne %(n)d") % {"n": reader.line_num}, _("CSV illisible : %(error)s") % {"error": error})
            break
        where = _("ligne %(n)d") % {"n": reader.line_num}
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(columns):
            report.warn(where, _("plus de valeurs que de colonnes ; les dernières sont ignorées"))
        row = {column: (values[i].strip() if i < len(values) else "") for i, column in enumerate(columns)}
        _import_row(report, where, row, territory=territory, source=source, seen=seen)
    return report


def _import_row(
    report: ImportReport, where: str, row: dict[str, str], *, territory: Any, source: str, seen: set[str]
) -> None:
    external_id = row["id_externe"]
    if not external_id:
        report.reject(where, _("id_externe manquant"))
        return
    if external_id in seen:
        report.reject(where, _("id_externe « %(id)s » en double dans le fichier") % {"id": external_id[:60]})
        return
    seen.add(external_id)
    data: dict[str, Any] = {field: row[column] for column, field in COLUMNS.items() if column in row}
    code = row.get("commune_insee", "")
    if code:
        commune = find_commune(code)
        if commune is None:
            report.reject(where, _("commune_insee « %(code)s » inconnue") % {"code": code[:10]})
            return
        data["commune"] = commune
    categories = [slug.strip().lower() for slug in row.get("categories", "").split("|") if slug.strip()]
    store(
        report, where, territory=territory, source=source, external_id=external_id,
        data=data, categories=categories,
    )
