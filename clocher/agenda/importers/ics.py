"""Import of an iCalendar file or URL (`clocher import ics FILE_OR_URL --territory CODE`).

One event per UID, its RECURRENCE-ID overrides with it; idempotent: the source is named after the
location, each event after its UID, and an unchanged event is left alone. Events of this source
that the file no longer holds are unpublished (not deleted). A VEVENT that cannot become an event
is rejected with its reason; nothing in the file may crash the run.
"""

from __future__ import annotations

import hashlib
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from clocher.directory.importers import ImportFailed, ImportReport, find_territory
from clocher.organisations.models import Organisation
from clocher.territories.models import Territory

from ..ics import CalendarUnreadable, ImportedEvent, parse_calendar
from ..services import EventRejected, unpublish_missing, upsert_imported_event

logger = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
TIMEOUT_SECONDS = 10
SOURCE_MAX_LENGTH = 40
# Fields an event may lose, with a warning, rather than being refused: a point in no known
# commune should not hide the concert.
OPTIONAL_FIELDS = {
    "lat": ("lat", "lon"), "lon": ("lat", "lon"), "booking_url": ("booking_url",),
    "description": ("description",), "location_name": ("location_name",), "ends_at": ("ends_at",),
    "event_status": ("event_status",),
}

Fetch = Callable[[str], bytes]


def default_source(location: str | Path) -> str:
    """The source name of a location: stable, short, and the same for the same file or URL."""
    return "ics:" + hashlib.sha1(str(location).strip().encode(), usedforsecurity=False).hexdigest()[:12]


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    # urllib would follow a redirect to ftp://; a calendar is only fetched over http(s).
    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        if not newurl.lower().startswith(("http://", "https://")):
            raise ImportFailed(_("Redirection refusée vers %(url)s.") % {"url": newurl[:200]})
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _download(url: str) -> bytes:
    """The default fetch, for operators on the command line; the imports app passes its own, which
    also refuses private networks."""
    request = urllib.request.Request(url, headers={"User-Agent": "Clocher (agenda import)"})  # noqa: S310  # http(s) only, checked by the caller
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            data: bytes = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise ImportFailed(_("Le serveur a répondu %(code)s pour %(url)s.") % {"code": error.code, "url": url}) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise ImportFailed(
            _("Impossible de joindre %(url)s (%(error)s).") % {"url": url, "error": str(error)[:120]}
        ) from None
    return data


def read_location(location: str | Path, fetch: Fetch | None = None) -> bytes:
    """The bytes of a file path or an http(s) URL, at most 5 MB; ImportFailed with a French
    message otherwise."""
    text = str(location).strip()
    if "://" in text:
        if not text.lower().startswith(("http://", "https://")):
            raise ImportFailed(_("Seules les adresses http:// et https:// sont acceptées."))
        data = (fetch or _download)(text)
    else:
        path = Path(text)
        if not path.is_file():
            raise ImportFailed(_("Fichier introuvable : %(path)s.") % {"path": text})
        if path.stat().st_size > MAX_BYTES:
            raise ImportFailed(_("Fichier trop volumineux (5 Mo au plus)."))
        try:
            data = path.read_bytes()
        except OSError as error:
            raise ImportFailed(_("Fichier illisible : %(error)s.") % {"error": str(error)[:120]}) from None
    if len(data) > MAX_BYTES:
        raise ImportFailed(_("Fichier trop volumineux (5 Mo au plus)."))
    return data


def _store(
    report: ImportReport, item: ImportedEvent, *, territory: Any, source: str, organisation: Organisation | None
) -> None:
    where = item.uid[:80]
    fields = dict(item.data)
    while True:
        try:
            with transaction.atomic():
                _event, outcome = upsert_imported_event(
                    territory, fields, item.categories, source=source, external_id=item.uid,
                    ical=item.ical, organisation=organisation,
                )
        except EventRejected as error:
            dropped = OPTIONAL_FIELDS.get(error.field or "", ())
            if dropped and any(name in fields for name in dropped):
                report.warn(where, _("%(field)s ignoré : %(reason)s") % {"field": error.field, "reason": error.message})
                for name in dropped:
                    fields.pop(name, None)
                continue
            reason = error.message if not error.field else f"{error.field} : {error.message}"
            report.reject(where, reason)
            return
        except DatabaseError as error:
            logger.warning("Import of %s refused by the database: %s", where, error)
            report.reject(where, _("refusé par la base de données : %(error)s") % {"error": str(error)[:200]})
            return
        report.count(outcome)
        return


def import_ics(
    location: str | Path,
    *,
    territory_code: str = "",
    territory: Territory | None = None,
    source: str | None = None,
    organisation: Organisation | None = None,
    fetch: Fetch | None = None,
) -> ImportReport:
    """Imports the events of an iCalendar file or URL, published by `territory` (or the territory
    of that code, for the command line: codes are ambiguous across kinds, so code that holds the
    territory itself passes it).

    Raises ImportFailed when the run cannot start (unknown territory, unreadable location, a
    source name over 40 characters, data that is no calendar). Each event is upserted by UID;
    rejected ones are listed with their reason. Events of the source absent from this run are
    unpublished (a warning says how many); a VEVENT rejected this time keeps its earlier version.
    """
    if territory is None:
        territory = find_territory(territory_code)
    source = (source or default_source(location)).strip()
    if not source or len(source) > SOURCE_MAX_LENGTH:
        raise ImportFailed(_("Nom de source vide ou trop long (40 caractères au plus)."))
    data = read_location(location, fetch)
    try:
        items = parse_calendar(data)
    except CalendarUnreadable as error:
        raise ImportFailed(str(error)) from None
    report = ImportReport()
    seen: set[str] = set()
    for item in items:
        seen.add(item.uid)
        if item.problem:
            report.reject(item.uid[:80], item.problem)
            continue
        for warning in item.warnings:
            report.warn(item.uid[:80], warning)
        _store(report, item, territory=territory, source=source, organisation=organisation)
    unpublished = unpublish_missing(source, seen)
    if unpublished:
        report.warn(source, _("%(n)d événements absents du calendrier ont été dépubliés.") % {"n": unpublished})
    return report
