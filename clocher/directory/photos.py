"""Writes of a place's photos: staff add them (already re-encoded), reorder and remove them.

A photo reaches these services only as a `ProcessedImage` (decoded and saved again by Pillow, at most
2048 px, no EXIF): the forms re-encode, the services store. A place holds at most MAX_PHOTOS.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from clocher.territories.images import ProcessedImage
from clocher.territories.selectors import roles_of
from clocher.territories.services import record_audit

from .models import Place, PlacePhoto
from .services import EDIT_ROLES, PlaceRejected

MAX_PHOTOS = 5


def _check_role(actor: Any, place: Place) -> None:
    if not roles_of(actor, place.territory) & set(EDIT_ROLES):
        raise PlaceRejected(_("Vous n'avez pas les droits nécessaires sur ce territoire."))


@transaction.atomic
def add_place_photo(actor: Any, place: Place, image: ProcessedImage, *, alt: str, credit: str = "") -> PlacePhoto:
    """Adds a re-encoded photo at the end of the place's photos.

    Refuses an actor who is not admin or editor of the publishing territory, an empty text
    alternative, and a sixth photo. Writes an AuditEntry.
    """
    _check_role(actor, place)
    alt = " ".join(alt.split())[:200]
    if not alt:
        raise PlaceRejected(_("Décrivez la photo en quelques mots."), "alt")
    # Locks the place so two uploads at once cannot make a sixth photo.
    Place.objects.select_for_update().filter(pk=place.pk).first()
    if place.photos.count() >= MAX_PHOTOS:
        raise PlaceRejected(_("Un lieu a %(max)d photos au plus : retirez-en une d'abord.") % {"max": MAX_PHOTOS})
    last = place.photos.aggregate(last=Max("position"))["last"]
    photo = PlacePhoto(place=place, alt=alt, credit=" ".join(credit.split())[:200],
                       position=0 if last is None else last + 1)
    photo.image.save("photo.jpg", image.as_file(), save=False)
    photo.save()
    record_audit(place.territory, actor, "directory.photo.add",
                 _("Photo ajoutée : %(name)s") % {"name": place.name}, {"place": place.pk, "alt": alt})
    return photo


@transaction.atomic
def remove_place_photo(actor: Any, photo: PlacePhoto) -> None:
    """Removes a photo and its file. Refuses an actor who is not admin or editor of the publishing
    territory. Writes an AuditEntry; the file is deleted after the commit."""
    place = photo.place
    _check_role(actor, place)
    name = photo.image.name
    storage = photo.image.storage
    photo.delete()
    record_audit(place.territory, actor, "directory.photo.remove",
                 _("Photo retirée : %(name)s") % {"name": place.name}, {"place": place.pk, "alt": photo.alt})
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def move_place_photo(actor: Any, photo: PlacePhoto, offset: int) -> None:
    """Moves a photo one step earlier (offset -1) or later (+1) among its place's photos; the first
    one is the photo residents see first. Refuses an actor who is not admin or editor of the
    publishing territory and any other offset; moving past either end changes nothing.
    Writes an AuditEntry."""
    place = photo.place
    _check_role(actor, place)
    if offset not in (-1, 1):
        raise PlaceRejected(_("Une photo se déplace d'un rang à la fois."))
    # Locks the place so two reorderings at once cannot interleave their renumbering.
    Place.objects.select_for_update().filter(pk=place.pk).first()
    photos = list(place.photos.order_by("position", "pk"))
    index = next((i for i, p in enumerate(photos) if p.pk == photo.pk), None)
    if index is None:
        return
    target = index + offset
    if not 0 <= target < len(photos):
        return
    photos[index], photos[target] = photos[target], photos[index]
    for position, each in enumerate(photos):
        if each.position != position:
            each.position = position
            each.save(update_fields=["position"])
    record_audit(place.territory, actor, "directory.photo.move",
                 _("Photos réordonnées : %(name)s") % {"name": place.name},
                 {"place": place.pk, "order": [p.pk for p in photos]})
