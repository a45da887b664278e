"""Opening hours in OpenStreetMap `opening_hours` syntax: is it open, until when, the week, market days.

Parsing and evaluation are opening-hours-py's (a maintained Rust implementation of the OSM
specification). Every place here is in France: expressions are evaluated in Europe/Paris with the
French public holidays, so "PH off" closes a mairie on 14 July. Times given in another zone are
converted first; the answers are Europe/Paris datetimes.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.translation import gettext as _
from opening_hours import OpeningHours, State

PARIS = ZoneInfo("Europe/Paris")
COUNTRY = "FR"
# A change further away than this counts as "never": evaluating "Su off" on a place closed for good
# would otherwise walk the calendar to year 9999.
MAX_INTERVAL_DAYS = 400
MAX_LENGTH = 500
_CACHE_SIZE = 4096


class InvalidHours(ValueError):
    """Opening hours that do not follow the syntax. str(exc) is a French sentence."""


@dataclass(frozen=True)
class OpeningState:
    """What a resident reads next to a place's name."""

    is_open: bool | None  # None: no hours given, or the hours say "unknown"
    label: str
    next_change: datetime.datetime | None


@lru_cache(maxsize=_CACHE_SIZE)
def _parse(text: str) -> OpeningHours:
    # Places share few distinct expressions ("Mo-Sa 09:00-19:00"...): parsing each once per process
    # keeps a list of hundreds of places cheap. OpeningHours objects are immutable.
    return OpeningHours(text, timezone=PARIS, country=COUNTRY, max_interval_days=MAX_INTERVAL_DAYS)


def parse_hours(text: str) -> OpeningHours:
    """The parsed expression, or InvalidHours with a French message saying what is wrong."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise InvalidHours(_("Les horaires sont vides."))
    if len(cleaned) > MAX_LENGTH:
        raise InvalidHours(_("Les horaires sont trop longs (%(max)d caractères au plus).") % {"max": MAX_LENGTH})
    try:
        return _parse(cleaned)
    except Exception as error:  # noqa: BLE001 (the library raises its own ParserError, SyntaxError...)
        raise InvalidHours(
            _(
                "Horaires illisibles : suivez la syntaxe OpenStreetMap, "
                "par exemple « Mo-Fr 09:00-12:00,14:00-18:00; PH off »."
            )
        ) from error


def _maybe(text: str) -> OpeningHours | None:
    if not (text or "").strip():
        return None
    try:
        return parse_hours(text)
    except InvalidHours:
        return None


def _paris(at: datetime.datetime) -> datetime.datetime:
    if at.tzinfo is None:
        raise ValueError("Naive datetime: opening hours need an aware one.")
    return at.astimezone(PARIS)


def _hhmm(moment: datetime.datetime) -> str:
    return moment.strftime("%H:%M")


def _when(moment: datetime.datetime, now: datetime.datetime) -> str:
    """'à 14:00', 'demain à 09:00', 'lundi à 09:00' or 'le 5 août à 08:00', as French says it."""
    days = (moment.date() - now.date()).days
    time_text = _hhmm(moment)
    if days <= 0:
        return _("à %(time)s") % {"time": time_text}
    if days == 1:
        return _("demain à %(time)s") % {"time": time_text}
    if days < 7:
        return _("%(day)s à %(time)s") % {"day": formats.date_format(moment, "l").lower(), "time": time_text}
    return _("le %(date)s à %(time)s") % {"date": formats.date_format(moment, "j F"), "time": time_text}


def opening_state(hours_text: str, at: datetime.datetime) -> OpeningState:
    """Open or closed at `at`, and the sentence to show: "Ouvert · ferme à 19:00"."""
    hours = _maybe(hours_text)
    if hours is None:
        return OpeningState(is_open=None, label=_("Horaires non renseignés"), next_change=None)
    now = _paris(at)
    state, _comment = hours.state(now)
    change = hours.next_change(now)
    if change is not None:
        change = change.astimezone(PARIS)
    if state == State.OPEN:
        if change is None:
            return OpeningState(True, _("Ouvert 24 h/24"), None)
        return OpeningState(True, _("Ouvert · ferme %(when)s") % {"when": _when(change, now)}, change)
    if state == State.CLOSED:
        if change is None:
            return OpeningState(False, _("Fermé"), None)
        return OpeningState(False, _("Fermé · ouvre %(when)s") % {"when": _when(change, now)}, change)
    return OpeningState(None, _("Horaires à confirmer"), change)


def is_open_at(hours_text: str, at: datetime.datetime) -> bool:
    """True only when the hours say open at that moment (unknown or unreadable hours are not open)."""
    hours = _maybe(hours_text)
    return hours is not None and bool(hours.is_open(_paris(at)))


def week_schedule(
    hours_text: str, start: datetime.date
) -> list[tuple[datetime.date, list[tuple[datetime.time, datetime.time]]]]:
    """The seven days from `start`, each with its opening intervals (empty: closed or unknown).

    An interval running past midnight is cut at midnight and continues on the next day; an interval
    ending at midnight ends at 00:00 (read "until midnight").
    """
    days = [start + datetime.timedelta(days=offset) for offset in range(7)]
    schedule: dict[datetime.date, list[tuple[datetime.time, datetime.time]]] = {day: [] for day in days}
    hours = _maybe(hours_text)
    if hours is None:
        return [(day, []) for day in days]
    begin = datetime.datetime.combine(start, datetime.time(), PARIS)
    end = datetime.datetime.combine(start + datetime.timedelta(days=7), datetime.time(), PARIS)
    for opened, closed, state, _comment in hours.intervals(begin, end):
        if state != State.OPEN:
            continue
        cursor = opened.astimezone(PARIS)
        stop = (closed or end).astimezone(PARIS)
        while cursor < stop:
            midnight = datetime.datetime.combine(
                cursor.date() + datetime.timedelta(days=1), datetime.time(), PARIS
            )
            piece_end = min(stop, midnight)
            if cursor.date() in schedule:
                schedule[cursor.date()].append((cursor.time(), piece_end.time()))
            cursor = piece_end
    return [(day, schedule[day]) for day in days]


def next_openings(
    hours_text: str, at: datetime.datetime, count: int
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The next `count` opening periods from `at` (one already running counts): a market's next days."""
    hours = _maybe(hours_text)
    if hours is None or count <= 0:
        return []
    now = _paris(at)
    found: list[tuple[datetime.datetime, datetime.datetime]] = []
    horizon = now + datetime.timedelta(days=MAX_INTERVAL_DAYS)
    for opened, closed, state, _comment in hours.intervals(now, horizon):
        if state != State.OPEN:
            continue
        if closed is None:
            # Open without end (24/7): one period, as far as the horizon.
            found.append((opened.astimezone(PARIS), horizon))
            break
        found.append((opened.astimezone(PARIS), closed.astimezone(PARIS)))
        if len(found) >= count:
            break
    return found
