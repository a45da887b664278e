"""Writes of news: staff create, edit, publish, schedule, archive articles and their PDF attachments,
and raise or end alerts.

Every service checks the actor's role again (admin or editor of the publishing territory), validates
through one set of rules (`clean_article_data`, `clean_geometry`, `check_pdf`), runs in a
transaction and writes a territories.AuditEntry. What the rules refuse raises NewsRejected with a
French message and, when there is one, the field concerned.
"""

from __future__ import annotations

import datetime
import json
import math
import secrets
from collections.abc import Iterable, Mapping
from typing import IO, Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from clocher.directory.services import render_description
from clocher.territories.content import Status
from clocher.territories.images import ProcessedImage
from clocher.territories.models import Role, Territory
from clocher.territories.selectors import roles_of
from clocher.territories.services import ActionRefused, record_audit

from .models import Alert, Article, ArticleKind, Attachment, Severity

EDIT_ROLES = (Role.ADMIN, Role.EDITOR)

TEXT_LIMITS = {"title": 200, "summary": 300, "image_alt": 200, "works_streets": 500}
BODY_MAX_LENGTH = 50_000
KNOWN_FIELDS = frozenset(
    {*TEXT_LIMITS, "kind", "body", "works_starts_on", "works_ends_on", "works_geometry", "expires_at"}
)
WORKS_FIELDS = ("works_starts_on", "works_ends_on", "works_streets", "works_geometry")

# Boxes (west, south, east, north) holding metropolitan France with Corsica and the overseas
# départements and collectivities where a French commune could publish roadworks.
FRANCE_BOXES = (
    (-5.5, 41.2, 9.9, 51.2),  # metropolitan France and Corsica
    (-61.9, 15.8, -60.9, 16.6),  # Guadeloupe
    (-61.3, 14.3, -60.7, 14.9),  # Martinique
    (-54.7, 2.1, -51.5, 5.9),  # Guyane
    (55.1, -21.5, 55.9, -20.8),  # La Réunion
    (44.9, -13.1, 45.4, -12.5),  # Mayotte
    (-56.5, 46.7, -56.1, 47.2),  # Saint-Pierre-et-Miquelon
    (-63.2, 17.8, -62.7, 18.2),  # Saint-Martin, Saint-Barthélemy
)
GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString")
GEOMETRY_MAX_POINTS = 5_000
GEOMETRY_MAX_BYTES = 200_000

# A bulletin municipal is a few megabytes; a scan of forty pages stays under ten.
PDF_MAX_BYTES = 10 * 1024 * 1024
PDF_MAGIC = b"%PDF-"
MAX_ATTACHMENTS = 20

ALERT_MAX_DURATION = datetime.timedelta(days=30)
ALERT_TITLE_MAX = 140
ALERT_MESSAGE_MAX = 1000
# A start a few minutes in the past is a phone's clock or a slow form, not a backdated alert.
ALERT_START_TOLERANCE = datetime.timedelta(minutes=10)


class NewsRejected(ActionRefused):
    """What the news rules refuse. str(exc) is a French sentence; `field` names the field concerned."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _check_role(actor: Any, territory: Territory) -> None:
    if not roles_of(actor, territory) & set(EDIT_ROLES):
        raise NewsRejected(_("Vous n'avez pas les droits nécessaires sur ce territoire."))


def _text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)):
        raise NewsRejected(_("Valeur illisible."), name)
    return " ".join(str(value).replace("\x00", "").split())


def _date(value: Any, name: str) -> datetime.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise NewsRejected(_("Date illisible (AAAA-MM-JJ attendu)."), name) from None


def _moment(value: Any, name: str) -> datetime.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value)
        except ValueError:
            raise NewsRejected(_("Date et heure illisibles."), name) from None
    if not isinstance(value, datetime.datetime):
        raise NewsRejected(_("Date et heure illisibles."), name)
    moment: datetime.datetime = value
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _in_france(lon: float, lat: float) -> bool:
    return any(west <= lon <= east and south <= lat <= north for west, south, east, north in FRANCE_BOXES)


def _position(value: Any) -> tuple[float, float]:
    if not isinstance(value, (list, tuple)) or len(value) not in (2, 3):
        raise ValueError
    lon, lat = (float(value[0]), float(value[1]))
    if isinstance(value[0], bool) or isinstance(value[1], bool) or not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValueError
    return lon, lat


def clean_geometry(value: Any) -> dict[str, Any] | None:
    """A GeoJSON geometry (Point, MultiPoint, LineString, MultiLineString) in WGS 84, within France.

    Accepts the geometry as a mapping or as JSON text, also wrapped in a Feature. Returns a clean copy
    (only "type" and "coordinates", two decimals more than a metre), None for nothing. Refuses other
    types, malformed coordinates, a line of fewer than two points, points outside France and more
    than GEOMETRY_MAX_POINTS points.
    """
    if value is None or value == "" or value == {}:
        return None
    field = "works_geometry"
    if isinstance(value, str):
        if len(value) > GEOMETRY_MAX_BYTES:
            raise NewsRejected(_("Le tracé est trop long."), field)
        try:
            value = json.loads(value)
        except ValueError:
            raise NewsRejected(_("Le tracé n'est pas du GeoJSON lisible."), field) from None
    if not isinstance(value, Mapping):
        raise NewsRejected(_("Le tracé n'est pas du GeoJSON lisible."), field)
    if value.get("type") == "Feature":
        value = value.get("geometry")
        if not isinstance(value, Mapping):
            raise NewsRejected(_("Le tracé n'est pas du GeoJSON lisible."), field)
    kind = value.get("type")
    if kind not in GEOMETRY_TYPES:
        raise NewsRejected(
            _("Le tracé doit être un point ou une ligne (Point, MultiPoint, LineString, MultiLineString)."), field
        )
    coordinates: Any = value.get("coordinates")
    try:
        if kind == "Point":
            lines = [[coordinates]]
        elif kind in ("MultiPoint", "LineString"):
            lines = [list(coordinates)]
        else:
            lines = [list(line) for line in coordinates]
        cleaned_lines = [[_position(point) for point in line] for line in lines]
    except (TypeError, ValueError):
        raise NewsRejected(_("Les coordonnées du tracé sont illisibles (longitude, latitude)."), field) from None
    points = [point for line in cleaned_lines for point in line]
    if not points or (kind != "Point" and any(not line for line in cleaned_lines)):
        raise NewsRejected(_("Le tracé est vide."), field)
    if len(points) > GEOMETRY_MAX_POINTS:
        raise NewsRejected(_("Le tracé a trop de points (%(max)d au plus).") % {"max": GEOMETRY_MAX_POINTS}, field)
    if kind in ("LineString", "MultiLineString") and any(len(line) < 2 for line in cleaned_lines):
        raise NewsRejected(_("Une ligne a au moins deux points."), field)
    if not all(_in_france(lon, lat) for lon, lat in points):
        raise NewsRejected(_("Le tracé sort de la France : vérifiez l'ordre longitude, latitude."), field)
    rounded = [[[round(lon, 6), round(lat, 6)] for lon, lat in line] for line in cleaned_lines]
    shape: Any
    if kind == "Point":
        shape = rounded[0][0]
    elif kind in ("MultiPoint", "LineString"):
        shape = rounded[0]
    else:
        shape = rounded
    return {"type": kind, "coordinates": shape}


def clean_article_data(data: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validates and normalises an article's fields; returns only what `data` holds (plus body_html
    when the body is given).

    Refuses unknown fields, a missing title (unless `partial`), an unknown kind, texts too long,
    unreadable dates, works ending before they start and an invalid geometry (clean_geometry).
    """
    unknown = set(data) - KNOWN_FIELDS
    if unknown:
        raise NewsRejected(_("Champs inconnus : %(names)s.") % {"names": ", ".join(sorted(unknown))})
    cleaned: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        if name in data:
            value = _text(data[name], name)
            if len(value) > limit:
                raise NewsRejected(_("Trop long (%(max)d caractères au plus).") % {"max": limit}, name)
            cleaned[name] = value
    if (not partial or "title" in data) and not cleaned.get("title"):
        raise NewsRejected(_("Le titre est obligatoire."), "title")
    if "kind" in data:
        kind = data["kind"] or ArticleKind.NEWS
        if kind not in ArticleKind.values:
            raise NewsRejected(_("Type d'actualité inconnu."), "kind")
        cleaned["kind"] = kind
    if "body" in data:
        body = str(data["body"] or "").replace("\x00", "").strip()
        if len(body) > BODY_MAX_LENGTH:
            raise NewsRejected(_("Trop long (%(max)d caractères au plus).") % {"max": BODY_MAX_LENGTH}, "body")
        cleaned["body"] = body
        cleaned["body_html"] = render_description(body) if body else ""
    for name in ("works_starts_on", "works_ends_on"):
        if name in data:
            cleaned[name] = _date(data[name], name)
    start, end = cleaned.get("works_starts_on"), cleaned.get("works_ends_on")
    if start is not None and end is not None and end < start:
        raise NewsRejected(_("La fin des travaux ne peut pas précéder leur début."), "works_ends_on")
    if "works_geometry" in data:
        cleaned["works_geometry"] = clean_geometry(data["works_geometry"])
    if "expires_at" in data:
        cleaned["expires_at"] = _moment(data["expires_at"], "expires_at")
    return cleaned


def _check_expiry(article: Article, expires_at: datetime.datetime | None, changed: bool) -> None:
    if expires_at is None or not changed:
        return
    if expires_at <= timezone.now():
        raise NewsRejected(_("La date d'expiration doit être dans le futur."), "expires_at")
    if article.published_at is not None and expires_at <= article.published_at:
        raise NewsRejected(_("L'article doit expirer après sa publication."), "expires_at")


def _check_works(article: Article) -> None:
    start, end = article.works_starts_on, article.works_ends_on
    if start is not None and end is not None and end < start:
        raise NewsRejected(_("La fin des travaux ne peut pas précéder leur début."), "works_ends_on")


def clean_audience(territory: Territory, audience: Iterable[Territory]) -> list[Territory]:
    """The audience deduplicated; each must be the publishing territory or part of it."""
    chosen: list[Territory] = []
    for target in audience:
        if target.pk != territory.pk and territory.pk not in target.parent_ids():
            raise NewsRejected(
                _("%(name)s ne fait pas partie de %(territory)s.") % {"name": target.name, "territory": territory.name},
                "audience",
            )
        if all(target.pk != other.pk for other in chosen):
            chosen.append(target)
    return chosen


def _store_image(article: Article, image: ProcessedImage | None, remove: bool) -> str | None:
    """Replaces or removes the article's image; returns the old file's name to delete after commit."""
    old = article.image.name or None
    if image is not None:
        article.image.save(f"image.{image.extension}", image.as_file(), save=False)
    elif remove:
        article.image = ""  # clearing the FieldFile
    else:
        return None
    return old


def _delete_after_commit(article: Article, name: str | None) -> None:
    if name and name != article.image.name:
        storage = article.image.storage
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def create_article(
    actor: Any,
    territory: Territory,
    data: Mapping[str, Any],
    *,
    image: ProcessedImage | None = None,
    audience: Iterable[Territory] = (),
) -> Article:
    """Creates a draft article published by `territory` (publish_article makes it visible).

    The image arrives re-encoded (a ProcessedImage) and needs its text alternative. Refuses an
    actor who is not admin or editor of the territory, invalid data (clean_article_data), an
    expiry in the past and an audience outside the territory. Writes an AuditEntry.
    """
    _check_role(actor, territory)
    cleaned = clean_article_data(data)
    targets = clean_audience(territory, audience)
    if image is not None and not cleaned.get("image_alt"):
        raise NewsRejected(_("Décrivez l'image en quelques mots."), "image_alt")
    article = Article(
        territory=territory, author=actor if getattr(actor, "pk", None) else None, status=Status.DRAFT, **cleaned
    )
    _check_expiry(article, article.expires_at, True)
    article.save()
    if image is not None:
        _store_image(article, image, False)
        article.save(update_fields=["image"])
    if targets:
        article.audience.set(targets)
    record_audit(
        territory, actor, "news.article.create",
        _("Actualité créée : %(title)s") % {"title": article.title},
        {"article": article.pk, "kind": article.kind},
    )
    return article


def _lock(article: Article) -> Article:
    return Article.objects.select_for_update(of=("self",)).select_related("territory").get(pk=article.pk)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


@transaction.atomic
def update_article(
    actor: Any,
    article: Article,
    data: Mapping[str, Any],
    *,
    image: ProcessedImage | None = None,
    remove_image: bool = False,
    audience: Iterable[Territory] | None = None,
) -> Article:
    """Changes the fields in `data`, the image (replaced, removed or kept) and, unless None, the
    audience of an article.

    Refuses an actor who is not admin or editor of the publishing territory, invalid data, works
    dates in the wrong order, an expiry in the past, and an image without a text alternative.
    Writes an AuditEntry with the changed fields (none when nothing changed); a replaced image file
    is deleted after the commit.
    """
    _check_role(actor, article.territory)
    cleaned = clean_article_data(data, partial=True)
    targets = clean_audience(article.territory, audience) if audience is not None else None
    article = _lock(article)
    changes: dict[str, Any] = {}
    for name, value in cleaned.items():
        old = getattr(article, name)
        if old != value:
            if name not in ("body_html", "body", "works_geometry"):
                changes[name] = [_jsonable(old), _jsonable(value)]
            elif name != "body_html":
                changes[name] = True
            setattr(article, name, value)
    _check_works(article)
    _check_expiry(article, article.expires_at, "expires_at" in changes)
    old_image = _store_image(article, image, remove_image and bool(article.image))
    if old_image is not None or image is not None:
        changes["image"] = True
    if article.image and not article.image_alt:
        raise NewsRejected(_("Décrivez l'image en quelques mots."), "image_alt")
    if changes:
        article.save()
    if targets is not None:
        current = set(article.audience.values_list("pk", flat=True))
        if current != {target.pk for target in targets}:
            article.audience.set(targets)
            changes["audience"] = sorted(target.code for target in targets)
    if changes:
        record_audit(
            article.territory, actor, "news.article.update",
            _("Actualité modifiée : %(title)s") % {"title": article.title},
            {"article": article.pk, **changes},
        )
    _delete_after_commit(article, old_image)
    return article


@transaction.atomic
def publish_article(actor: Any, article: Article, at: datetime.datetime | None = None) -> Article:
    """Publishes an article now, or schedules it for `at` (status scheduled: residents see it from
    then on, visible_now needs no worker to make it due).

    Refuses an actor who is not admin or editor of the publishing territory, an organisation's
    proposal still waiting for its moderator (accept it instead), a proposal that was refused, and
    an expiry that would come before the publication. Writes an AuditEntry and, after the commit,
    schedules tasks.announce_article for the publication (announced once per article).
    """
    _check_role(actor, article.territory)
    article = _lock(article)
    if article.review_status in ("pending", "refused"):
        raise NewsRejected(_("Cette proposition doit d'abord être acceptée par un modérateur."))
    now = timezone.now()
    old = [article.status, _jsonable(article.published_at)]
    if at is not None and at > now:
        article.status = Status.SCHEDULED
        article.published_at = at
        action, summary = "news.article.schedule", _("Actualité programmée : %(title)s")
    else:
        article.status = Status.PUBLISHED
        # Publishing again after a withdrawal keeps the first date unless it was only planned.
        if article.published_at is None or article.published_at > now or old[0] == Status.SCHEDULED:
            article.published_at = now
        action, summary = "news.article.publish", _("Actualité publiée : %(title)s")
    if article.expires_at is not None and article.expires_at <= article.published_at:
        raise NewsRejected(_("L'article doit expirer après sa publication."), "expires_at")
    article.save(update_fields=["status", "published_at", "updated_at"])
    record_audit(article.territory, actor, action, summary % {"title": article.title},
                 {"article": article.pk, "status": [old[0], article.status],
                  "published_at": [old[1], _jsonable(article.published_at)]})
    schedule_article_announcement(article)
    return article


def schedule_article_announcement(article: Article) -> None:
    """After the commit, announces the article to residents at its publication (now or its date)."""
    from . import tasks

    transaction.on_commit(lambda: tasks.schedule_article_announcement(article))


def _set_status(actor: Any, article: Article, status: str, action: str, summary: str) -> Article:
    _check_role(actor, article.territory)
    article = _lock(article)
    if article.status == status:
        return article
    old = article.status
    article.status = status
    article.save(update_fields=["status", "updated_at"])
    record_audit(article.territory, actor, action, summary % {"title": article.title},
                 {"article": article.pk, "status": [old, status]})
    return article


@transaction.atomic
def unpublish_article(actor: Any, article: Article) -> Article:
    """Takes an article back to draft (it leaves the portal, nothing is lost). Refuses an actor who
    is not admin or editor of the publishing territory. Writes an AuditEntry when the status changes."""
    return _set_status(actor, article, Status.DRAFT, "news.article.unpublish",
                       _("Actualité remise en brouillon : %(title)s"))


@transaction.atomic
def archive_article(actor: Any, article: Article) -> Article:
    """Archives an article (it leaves the portal and its feeds; nothing is deleted). Refuses an actor
    who is not admin or editor of the publishing territory. Writes an AuditEntry when the status changes."""
    return _set_status(actor, article, Status.ARCHIVED, "news.article.archive", _("Actualité archivée : %(title)s"))


# Attachments

def _size_of(upload: IO[bytes]) -> int:
    declared = getattr(upload, "size", None)
    if isinstance(declared, int):
        return declared
    upload.seek(0, 2)
    size = upload.tell()
    upload.seek(0)
    return size


def check_pdf(upload: IO[bytes]) -> bytes:
    """The upload's bytes when it is a PDF of at most PDF_MAX_BYTES; NewsRejected otherwise.

    The file must start with the `%PDF-` signature: a name ending in .pdf or a browser's content
    type proves nothing.
    """
    size = _size_of(upload)
    if size > PDF_MAX_BYTES:
        raise NewsRejected(
            _("Le fichier est trop lourd (%(max)d Mo au maximum).") % {"max": PDF_MAX_BYTES // (1024 * 1024)}, "file"
        )
    upload.seek(0)
    content = upload.read(PDF_MAX_BYTES + 1)
    if len(content) > PDF_MAX_BYTES:
        raise NewsRejected(
            _("Le fichier est trop lourd (%(max)d Mo au maximum).") % {"max": PDF_MAX_BYTES // (1024 * 1024)}, "file"
        )
    if not content.startswith(PDF_MAGIC):
        raise NewsRejected(_("Ce fichier n'est pas un PDF. Enregistrez le document en PDF puis réessayez."), "file")
    return content


def attachment_title(filename: str) -> str:
    """A readable title from an uploaded file's name: "Bulletin_mars 2026.pdf" → "Bulletin mars 2026"."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    if base.lower().endswith(".pdf"):
        base = base[:-4]
    text = " ".join(base.replace("_", " ").replace("\x00", "").split())
    return "".join(ch for ch in text if ch.isprintable())[:200]


@transaction.atomic
def add_attachment(actor: Any, article: Article, upload: IO[bytes], *, title: str = "") -> Attachment:
    """Attaches a PDF at the end of the article's attachments, stored under a random name.

    The title defaults to the sanitised file name. Refuses an actor who is not admin or editor of
    the publishing territory, anything but a PDF (check_pdf), a file over 10 MB and more than
    MAX_ATTACHMENTS attachments. Writes an AuditEntry.
    """
    _check_role(actor, article.territory)
    content = check_pdf(upload)
    name = attachment_title(str(getattr(upload, "name", "") or ""))
    title = " ".join((title or "").replace("\x00", "").split())[:200] or name or _("Document PDF")
    # Locks the article so two uploads at once keep distinct positions and the limit.
    article = _lock(article)
    if article.attachments.count() >= MAX_ATTACHMENTS:
        raise NewsRejected(_("Un article a %(max)d pièces jointes au plus.") % {"max": MAX_ATTACHMENTS}, "file")
    last = article.attachments.aggregate(last=Max("position"))["last"]
    attachment = Attachment(article=article, title=title, size=len(content),
                            position=0 if last is None else last + 1)
    # A random name: nothing of the sender's file name reaches the storage or a URL.
    stored = get_valid_filename(f"{secrets.token_hex(16)}.pdf")
    attachment.file.save(stored, ContentFile(content), save=False)
    attachment.save()
    record_audit(article.territory, actor, "news.attachment.add",
                 _("Pièce jointe ajoutée : %(title)s") % {"title": title},
                 {"article": article.pk, "attachment": attachment.pk, "size": attachment.size})
    return attachment


@transaction.atomic
def remove_attachment(actor: Any, attachment: Attachment) -> None:
    """Removes an attachment; its file is deleted after the commit. Refuses an actor who is not admin
    or editor of the publishing territory. Writes an AuditEntry."""
    article = attachment.article
    _check_role(actor, article.territory)
    name = attachment.file.name
    storage = attachment.file.storage
    attachment.delete()
    record_audit(article.territory, actor, "news.attachment.remove",
                 _("Pièce jointe retirée : %(title)s") % {"title": attachment.title},
                 {"article": article.pk, "title": attachment.title})
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def move_attachment(actor: Any, attachment: Attachment, offset: int) -> list[Attachment]:
    """Moves an attachment up (offset -1) or down (+1) the list; returns the list in its new order.

    Refuses an actor who is not admin or editor of the publishing territory. Positions are written
    again from 0, so they stay distinct whatever happened before. Writes an AuditEntry when the
    order changes.
    """
    article = attachment.article
    _check_role(actor, article.territory)
    _lock(article)
    ordered = list(article.attachments.order_by("position", "pk"))
    index = next((i for i, item in enumerate(ordered) if item.pk == attachment.pk), None)
    if index is None:
        raise NewsRejected(_("Pièce jointe introuvable."))
    target = max(0, min(len(ordered) - 1, index + (1 if offset > 0 else -1)))
    if target == index:
        return ordered
    ordered.insert(target, ordered.pop(index))
    for position, item in enumerate(ordered):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])
    record_audit(article.territory, actor, "news.attachment.move",
                 _("Pièces jointes réordonnées : %(title)s") % {"title": article.title},
                 {"article": article.pk, "order": [item.pk for item in ordered]})
    return ordered


# Alerts

def _schedule_announcement(alert: Alert) -> None:
    from . import tasks

    transaction.on_commit(lambda: tasks.schedule_announcement(alert))


@transaction.atomic
def raise_alert(
    actor: Any,
    territory: Territory,
    title: str,
    message: str,
    severity: str,
    starts_at: datetime.datetime | None = None,
    *,
    ends_at: datetime.datetime | None,
    audience: Iterable[Territory] = (),
    link: str = "",
) -> Alert:
    """Raises an alert for the residents of `territory` (and what is part of it), or of the
    `audience` territories within it, from `starts_at` (now when None or past) until `ends_at`.

    A future start schedules it (status scheduled: it shows when due). Refuses an actor who is not
    admin or editor of the territory, an empty or too long title or message, an unknown severity,
    a missing end, an end before the start, an alert longer than 30 days, a link that is not
    http(s) and an audience outside the territory. Writes an AuditEntry and, after the commit,
    schedules tasks.announce_alert (where push and e-mail fan-out will plug in).
    """
    _check_role(actor, territory)
    title = _text(title, "title")
    if not title:
        raise NewsRejected(_("Le titre de l'alerte est obligatoire."), "title")
    if len(title) > ALERT_TITLE_MAX:
        raise NewsRejected(_("Trop long (%(max)d caractères au plus).") % {"max": ALERT_TITLE_MAX}, "title")
    message = str(message or "").replace("\x00", "").strip()
    if len(message) > ALERT_MESSAGE_MAX:
        raise NewsRejected(_("Trop long (%(max)d caractères au plus).") % {"max": ALERT_MESSAGE_MAX}, "message")
    if severity not in Severity.values:
        raise NewsRejected(_("Gravité inconnue."), "severity")
    link = _text(link, "link")
    if link and not link.lower().startswith(("https://", "http://")):
        raise NewsRejected(_("Le lien doit commencer par http:// ou https://."), "link")
    if len(link) > 500:
        raise NewsRejected(_("Trop long (%(max)d caractères au plus).") % {"max": 500}, "link")
    now = timezone.now()
    start = _moment(starts_at, "starts_at") or now
    end = _moment(ends_at, "ends_at")
    if start < now - ALERT_START_TOLERANCE:
        raise NewsRejected(_("Le début de l'alerte ne peut pas être dans le passé."), "starts_at")
    start = max(start, now)
    if end is None:
        raise NewsRejected(_("Indiquez quand l'alerte prend fin."), "ends_at")
    if end <= start:
        raise NewsRejected(_("La fin de l'alerte doit venir après son début."), "ends_at")
    if end - start > ALERT_MAX_DURATION:
        raise NewsRejected(_("Une alerte dure 30 jours au plus."), "ends_at")
    targets = clean_audience(territory, audience)
    alert = Alert.objects.create(
        territory=territory, title=title, message=message, severity=severity, link=link,
        status=Status.SCHEDULED if start > now else Status.PUBLISHED, published_at=start, expires_at=end,
        author=actor if getattr(actor, "pk", None) else None,
    )
    if targets:
        alert.audience.set(targets)
    record_audit(territory, actor, "news.alert.raise", _("Alerte lancée : %(title)s") % {"title": title},
                 {"alert": alert.pk, "severity": severity, "starts_at": start.isoformat(),
                  "ends_at": end.isoformat(), "audience": [target.code for target in targets]})
    _schedule_announcement(alert)
    return alert


@transaction.atomic
def end_alert(actor: Any, alert: Alert) -> Alert:
    """Ends an alert now (its expiry becomes now; a scheduled one never shows). Refuses an actor who
    is not admin or editor of the publishing territory and an alert already over. Writes an AuditEntry."""
    _check_role(actor, alert.territory)
    alert = Alert.objects.select_for_update(of=("self",)).select_related("territory").get(pk=alert.pk)
    now = timezone.now()
    if alert.expires_at is not None and alert.expires_at <= now:
        raise NewsRejected(_("Cette alerte est déjà terminée."))
    alert.expires_at = now
    alert.save(update_fields=["expires_at", "updated_at"])
    record_audit(alert.territory, actor, "news.alert.end", _("Alerte terminée : %(title)s") % {"title": alert.title},
                 {"alert": alert.pk})
    return alert
