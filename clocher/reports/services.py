"""Writes on reports: a resident submits or supports one, agents handle it.

Every write runs in a transaction, writes a ReportEvent (the report's history) and schedules telling
the reporter with transaction.on_commit (a notification to an account, else an e-mail to the address
left), so nobody is told about a change that rolled back.
Rate limiting is the caller's job (the view knows the address and the account): it asks
`reports_left(key)` before and calls `count_report(key)` after a submission.
"""

from __future__ import annotations

import math
import re
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from clocher.territories.models import Portal

from .models import (
    CLOSED_STATUSES,
    EventKind,
    Report,
    ReportCategory,
    ReportEvent,
    ReportStatus,
)
from .routing import ReportRefused, commune_in_portal, responsible_for
from .selectors import can_handle

__all__ = [
    "REPORTS_PER_HOUR",
    "TRANSITIONS",
    "ReportRefused",
    "add_note",
    "assign",
    "change_status",
    "count_report",
    "post_update",
    "reports_left",
    "submit_report",
    "support_report",
]

REPORTS_PER_HOUR = 10
DESCRIPTION_MAX = 4000
# How long an anonymous supporter is remembered: long enough for a report's usual life.
SUPPORT_MEMORY_SECONDS = 90 * 86400

S = ReportStatus
# What an agent may do from each status. A closed report can only be reopened.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS, S.RESOLVED, S.REJECTED, S.DUPLICATE}),
    S.ACKNOWLEDGED: frozenset({S.IN_PROGRESS, S.RESOLVED, S.REJECTED, S.DUPLICATE}),
    S.IN_PROGRESS: frozenset({S.RESOLVED, S.REJECTED}),
    S.RESOLVED: frozenset({S.IN_PROGRESS}),
    S.REJECTED: frozenset({S.IN_PROGRESS}),
    S.DUPLICATE: frozenset({S.IN_PROGRESS}),
}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PHONE = re.compile(r"^\+?[0-9 .()-]{6,20}$")


# Rate limit helpers, for the views

def _rate_key(key: str) -> str:
    return f"reports:submitted:{key}"


def reports_left(key: str) -> int:
    """How many reports this key (an address or an account, chosen by the view) may still send
    this hour."""
    return max(0, REPORTS_PER_HOUR - int(cache.get(_rate_key(key), 0)))


def count_report(key: str) -> None:
    """Counts one report against this key for the hour that follows its first one."""
    cache_key = _rate_key(key)
    cache.add(cache_key, 0, timeout=3600)
    try:
        cache.incr(cache_key)
    except ValueError:  # the key expired between add and incr
        cache.set(cache_key, 1, timeout=3600)


# Cleaning

def plain_text(text: str, *, limit: int = DESCRIPTION_MAX, field: str = "description") -> str:
    """The text without markup or control characters, stripped; refuses one longer than `limit`."""
    cleaned = _CONTROL.sub("", strip_tags(text or "")).replace("\r\n", "\n").strip()
    if len(cleaned) > limit:
        raise ReportRefused(
            _("Ce texte est trop long : %(limit)s caractères au plus.") % {"limit": limit}, field
        )
    return cleaned


def _check_point(lat: Any, lon: Any) -> tuple[float, float]:
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        raise ReportRefused(_("Indiquez le lieu sur la carte."), "location") from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ReportRefused(_("Indiquez le lieu sur la carte."), "location")
    return lat, lon


def _contact(name: str, email: str, phone: str, consent: bool) -> tuple[str, str, str]:
    name = plain_text(name, limit=120, field="name")
    email = (email or "").strip()
    phone = (phone or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ReportRefused(_("Saisissez une adresse e-mail valide."), "email") from None
        if len(email) > 254:
            raise ReportRefused(_("Saisissez une adresse e-mail valide."), "email")
    if phone and not _PHONE.match(phone):
        raise ReportRefused(_("Saisissez un numéro de téléphone valide."), "phone")
    if (name or email or phone) and not consent:
        # Contact details are personal data: kept only with the reporter's agreement.
        raise ReportRefused(
            _("Acceptez que vos coordonnées soient transmises à la collectivité, ou retirez-les."),
            "consent",
        )
    return name, email, phone


def _existing(idempotency_key: str) -> Report | None:
    return Report.objects.filter(idempotency_key=idempotency_key).first()


def _same_submission(existing: Report, category: ReportCategory) -> Report:
    # A retry repeats the same category; another one means a key reused by mistake, or guessed to
    # read someone else's report (categories belong to one collectivity, so to one portal).
    if existing.category_id != category.pk:
        raise ReportRefused(_("Cette clé d'idempotence a déjà servi pour un autre signalement."), "idempotency_key")
    return existing


def earlier_submission(idempotency_key: str, category: ReportCategory) -> Report | None:
    """The report an earlier copy of this submission made, if any: for a caller whose own
    transaction lost the race on the key (ReportRefused if the key served another category)."""
    idempotency_key = (idempotency_key or "").strip()
    existing = _existing(idempotency_key) if idempotency_key else None
    return _same_submission(existing, category) if existing is not None else None


# Residents

def submit_report(
    *,
    portal: Portal,
    category: ReportCategory,
    lat: float,
    lon: float,
    description: str,
    reporter: Any = None,
    name: str = "",
    email: str = "",
    phone: str = "",
    consent: bool = True,
    idempotency_key: str = "",
    channel: str = "web",
    address: str = "",
) -> tuple[Report, bool]:
    """Creates a report at the point, routed to the collectivity that handles its category there.

    Returns (report, created). A repeated `idempotency_key` (an offline retry) returns the first
    report with created False, even when two copies race: the unique constraint decides and the
    loser fetches the winner. Refuses (ReportRefused, with the field): a point outside the portal
    or in no commune, a category not offered there, a description over 4000 characters (markup is
    removed: it is stored as plain text), an invalid e-mail or phone, contact details without
    consent, an idempotency key over 64 characters or already used for another category. Writes the `created` event. Schedules nothing:
    agents find new reports in their queue. Media are attached separately (clocher.reports.media).
    Rate limits are the caller's (reports_left / count_report).
    """
    idempotency_key = (idempotency_key or "").strip()
    if len(idempotency_key) > 64:
        raise ReportRefused(_("Clé d'idempotence invalide."), "idempotency_key")
    if idempotency_key:
        existing = _existing(idempotency_key)
        if existing is not None:
            return _same_submission(existing, category), False
    lat, lon = _check_point(lat, lon)
    commune = commune_in_portal(portal, lat, lon)
    territory = responsible_for(category, commune)
    text = plain_text(description)
    reporter_name, reporter_email, reporter_phone = _contact(name, email, phone, consent)
    is_person = getattr(reporter, "is_authenticated", False)
    try:
        with transaction.atomic():
            report = Report.objects.create(
                territory=territory,
                commune_id=commune.pk,
                category=category,
                description=text,
                lat=lat,
                lon=lon,
                address=plain_text(address, limit=255, field="address"),
                reporter=reporter if is_person else None,
                reporter_name=reporter_name,
                reporter_email=reporter_email,
                reporter_phone=reporter_phone,
                consent_at=timezone.now() if consent else None,
                idempotency_key=idempotency_key,
                channel=(channel or "")[:40],
            )
            ReportEvent.objects.create(
                report=report, kind=EventKind.CREATED, status=ReportStatus.NEW,
                actor=reporter if is_person else None,
            )
    except IntegrityError as conflict:
        # Another request with the same key committed between our look-up and our insert.
        if not idempotency_key:
            raise
        try:
            existing = _existing(idempotency_key)
        except DatabaseError:
            # The caller's own transaction is spoilt (SQLite): it looks again once it is over
            # (earlier_submission), as the web form does.
            raise conflict from None
        if existing is None:
            raise
        return _same_submission(existing, category), False
    return report, True


def support_report(report: Report, user_or_key: Any) -> bool:
    """Adds one supporter ("me too") to an open report, once per person.

    `user_or_key` is an authenticated user (remembered for good, by their `supported` event) or a
    string the view derives for an anonymous visitor (remembered in the cache for 90 days).
    Returns False when that person had already supported it. Refuses (ReportRefused) a closed
    report. Writes an internal `supported` event; schedules nothing.
    """
    is_person = getattr(user_or_key, "is_authenticated", False)
    with transaction.atomic():
        locked = Report.objects.select_for_update(of=("self",)).get(pk=report.pk)
        if not locked.is_open:
            raise ReportRefused(_("Ce signalement est clos : il ne peut plus être soutenu."))
        if is_person:
            if ReportEvent.objects.filter(
                report=locked, kind=EventKind.SUPPORTED, actor=user_or_key
            ).exists():
                return False
        elif not cache.add(f"reports:supported:{locked.pk}:{user_or_key}", 1, SUPPORT_MEMORY_SECONDS):
            return False
        Report.objects.filter(pk=locked.pk).update(supporters=F("supporters") + 1, updated_at=timezone.now())
        ReportEvent.objects.create(
            report=locked, kind=EventKind.SUPPORTED, is_public=False,
            actor=user_or_key if is_person else None,
        )
    report.refresh_from_db(fields=["supporters", "updated_at"])
    return True


# Agents

def _check_handler(actor: Any, report: Report) -> None:
    if not can_handle(actor, report.territory):
        raise ReportRefused(_("Vous n'avez pas les droits nécessaires sur ce signalement."))


def _lock(report: Report) -> Report:
    # One row lock per write, the report's only: events are inserted, never updated.
    return (
        Report.objects.select_for_update(of=("self",)).select_related("territory")
        .defer("territory__boundary").get(pk=report.pk)
    )


def _copy_back(report: Report, locked: Report) -> None:
    for field in ("status", "public_reason", "duplicate_of_id", "assignee_id", "acknowledged_at",
                  "resolved_at", "updated_at"):
        setattr(report, field, getattr(locked, field))


def change_status(
    actor: Any,
    report: Report,
    status: str,
    *,
    public_reason: str = "",
    duplicate_of: Report | None = None,
) -> ReportEvent:
    """Moves a report along the workflow (TRANSITIONS) on behalf of an agent, editor or admin of
    its collectivity.

    Leaving `new` sets acknowledged_at; closing (resolved, rejected, duplicate) sets resolved_at,
    the moment it was closed; reopening (a closed report back to in_progress) clears it, with the
    reason and the duplicate link. Refuses (ReportRefused): an actor without the role, a transition
    not in TRANSITIONS, a rejection without a public reason (500 characters at most), a duplicate
    without the report it repeats or with one of another collectivity, itself or a report that is
    a duplicate of this one. Writes a public `status` event; schedules the reporter's e-mail.
    """
    _check_handler(actor, report)
    reason = plain_text(public_reason, limit=500, field="public_reason")
    with transaction.atomic():
        locked = _lock(report)
        allowed = TRANSITIONS.get(locked.status, frozenset())
        if status not in allowed:
            raise ReportRefused(
                _("Un signalement « %(current)s » ne peut pas passer à « %(wanted)s ».") % {
                    "current": ReportStatus(locked.status).label,
                    "wanted": ReportStatus(status).label if status in ReportStatus.values else status,
                },
                "status",
            )
        if status == ReportStatus.REJECTED and not reason:
            raise ReportRefused(_("Expliquez publiquement pourquoi le signalement est rejeté."), "public_reason")
        if status == ReportStatus.DUPLICATE:
            if duplicate_of is None:
                raise ReportRefused(_("Indiquez le signalement dont celui-ci est le doublon."), "duplicate_of")
            if (
                duplicate_of.pk == locked.pk
                or duplicate_of.territory_id != locked.territory_id
                or duplicate_of.duplicate_of_id == locked.pk
            ):
                raise ReportRefused(
                    _("Le signalement d'origine doit être un autre signalement de la même collectivité."),
                    "duplicate_of",
                )
        now = timezone.now()
        if locked.status == ReportStatus.NEW and locked.acknowledged_at is None:
            locked.acknowledged_at = now
        if status in CLOSED_STATUSES:
            locked.resolved_at = now
            locked.public_reason = reason
            locked.duplicate_of = duplicate_of if status == ReportStatus.DUPLICATE else None
        else:
            locked.resolved_at = None
            locked.public_reason = reason
            locked.duplicate_of = None
        locked.status = status
        locked.save(update_fields=[
            "status", "acknowledged_at", "resolved_at", "public_reason", "duplicate_of", "updated_at",
        ])
        event = ReportEvent.objects.create(
            report=locked, kind=EventKind.STATUS, status=status, text=reason, actor=actor,
        )
        transaction.on_commit(lambda: _mail_reporter(event.pk))
    _copy_back(report, locked)
    return event


def assign(actor: Any, report: Report, agent: Any) -> ReportEvent:
    """Gives the report to an agent (or to nobody, with None).

    Refuses (ReportRefused) an actor without the agent, editor or admin role on the report's
    collectivity, and an agent who does not hold one there. Writes an internal `assigned` event;
    schedules nothing.
    """
    _check_handler(actor, report)
    if agent is not None and not can_handle(agent, report.territory):
        raise ReportRefused(
            _("Cette personne ne traite pas les signalements de cette collectivité."), "assignee"
        )
    with transaction.atomic():
        locked = _lock(report)
        locked.assignee = agent
        locked.save(update_fields=["assignee", "updated_at"])
        label = (getattr(agent, "display_name", "") or getattr(agent, "email", "")) if agent else ""
        event = ReportEvent.objects.create(
            report=locked, kind=EventKind.ASSIGNED, is_public=False, text=label, actor=actor,
        )
    _copy_back(report, locked)
    return event


def add_note(actor: Any, report: Report, text: str) -> ReportEvent:
    """Adds an internal note, seen by the collectivity's agents only.

    Refuses (ReportRefused) an actor without the role, and an empty or over-long (4000) text.
    Writes an internal `note` event; schedules nothing.
    """
    _check_handler(actor, report)
    cleaned = plain_text(text, field="text")
    if not cleaned:
        raise ReportRefused(_("Écrivez la note."), "text")
    with transaction.atomic():
        locked = _lock(report)
        return ReportEvent.objects.create(
            report=locked, kind=EventKind.NOTE, is_public=False, text=cleaned, actor=actor,
        )


def post_update(actor: Any, report: Report, text: str) -> ReportEvent:
    """Publishes an update on the report's timeline (an "after" photo is attached to the event
    returned, by clocher.reports.media).

    Refuses (ReportRefused) an actor without the role, and an empty or over-long (4000) text.
    Writes a public `update` event; schedules the reporter's e-mail.
    """
    _check_handler(actor, report)
    cleaned = plain_text(text, field="text")
    if not cleaned:
        raise ReportRefused(_("Écrivez l'information à publier."), "text")
    with transaction.atomic():
        locked = _lock(report)
        locked.save(update_fields=["updated_at"])
        event = ReportEvent.objects.create(
            report=locked, kind=EventKind.PUBLIC_UPDATE, text=cleaned, actor=actor,
        )
        transaction.on_commit(lambda: _mail_reporter(event.pk))
    report.updated_at = locked.updated_at
    return event


def _mail_reporter(event_id: int) -> None:
    """Tells the reporter what changed: through the notifications app when they reported with an
    account (their preferences decide the channels: no second, direct e-mail), else in French at
    the address they gave (clocher.reports.notifications says why)."""
    event = ReportEvent.objects.select_related(
        "report", "report__category", "report__territory", "report__reporter"
    ).defer("report__territory__boundary").get(pk=event_id)
    report = event.report
    if report.reporter_id is not None:
        from .notifications import announce_to_reporter

        announce_to_reporter(event)
        return
    recipient = report.reporter_email
    if not recipient:
        return
    values = {
        "pk": report.pk,
        "category": report.category.name,
        "territory": report.territory.name,
        "status": ReportStatus(report.status).label,
        "text": event.text,
    }
    if event.kind == EventKind.STATUS:
        subject = _("Votre signalement n° %(pk)s : %(status)s") % values
        body = _(
            "Bonjour,\n\n"
            "Votre signalement n° %(pk)s (« %(category)s ») est maintenant : %(status)s.\n"
        ) % values
        if event.text:
            body += _("\nMotif donné par %(territory)s : %(text)s\n") % values
    else:
        subject = _("Votre signalement n° %(pk)s : une information de %(territory)s") % values
        body = _(
            "Bonjour,\n\n"
            "%(territory)s a publié une information sur votre signalement n° %(pk)s "
            "(« %(category)s ») :\n\n%(text)s\n"
        ) % values
    body += _("\nMerci de votre signalement.\n")
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
