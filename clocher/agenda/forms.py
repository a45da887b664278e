"""Forms of the agenda: an event as staff and organisations write it, from a phone.

A person types a date, a start and an end time (or ticks "all day"), and picks how it repeats
(weekly on some days, monthly on the nth weekday, until a date or for a number of times); the
form turns that into what an Event holds (aware datetimes in Europe/Paris, an RRULE, excluded
dates as ISO local datetimes). `event_data()` and `category_codes()` are what the services take;
the services validate again and their refusals (EventRejected) land on the field they concern.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from clocher.directory.models import Access, Place
from clocher.organisations.models import Organisation
from clocher.territories import images
from clocher.territories.models import Territory

from .models import Event
from .taxonomy import category_choices

PARIS = ZoneInfo("Europe/Paris")
IMAGE_MAX_SIDE = 2048
IMAGE_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"
MAX_COUNT = 500
MAX_EXDATES = 100

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_CHOICES = [
    ("MO", _("lundi")), ("TU", _("mardi")), ("WE", _("mercredi")), ("TH", _("jeudi")),
    ("FR", _("vendredi")), ("SA", _("samedi")), ("SU", _("dimanche")),
]
REPEAT_NONE, REPEAT_WEEKLY, REPEAT_MONTHLY, REPEAT_MONTHLY_LAST, REPEAT_CUSTOM = (
    "", "weekly", "monthly", "monthly-last", "custom"
)
REPEAT_CHOICES = [
    (REPEAT_NONE, _("Une seule fois")),
    (REPEAT_WEEKLY, _("Chaque semaine, les jours cochés ci-dessous")),
    (REPEAT_MONTHLY, _("Chaque mois, le même jour de la semaine (par exemple le 2e samedi)")),
    (REPEAT_MONTHLY_LAST, _("Chaque mois, le dernier jour de la semaine (par exemple le dernier vendredi)")),
]
YES_NO_UNKNOWN = [("", _("Non renseigné")), ("yes", _("Oui, gratuit")), ("no", _("Non, payant"))]

# Where a refusal of the services about an Event field is shown on this form.
FIELD_OF = {
    "starts_at": "date", "ends_at": "end_time", "all_day": "all_day", "rrule": "repeat",
    "rdates": "exdates", "exdates": "exdates", "categories": "categories", "image": "image",
}

# Fields in the order the template shows them, each group in its own fieldset.
WHEN_FIELDS = ("date", "all_day", "start_time", "end_time", "end_date")
REPEAT_FIELDS = ("repeat", "weekdays", "interval", "until", "count", "exdates")
WHERE_FIELDS = ("place", "location_name", "address")
MORE_FIELDS = (
    "lat", "lon", "image", "image_alt", "is_free", "price", "booking_url", "wheelchair", "hearing", "sight",
    "mental", "accessibility_note",
)
# Event fields the form writes as they are.
PLAIN_FIELDS = (
    "title", "description", "location_name", "address", "lat", "lon", "price", "booking_url",
    "wheelchair", "hearing", "sight", "mental", "accessibility_note", "image_alt",
)


def _access_field(label: Any) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=Access.choices, required=False)


class PlaceChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        commune = getattr(obj, "commune", None)
        return f"{obj.name} ({commune.name})" if commune is not None else str(obj.name)


def parse_dates(text: str) -> list[datetime.date]:
    """Dates typed one per line or separated by commas, as 25/12/2026 or 2026-12-25."""
    found: list[datetime.date] = []
    for item in re.split(r"[\s,;]+", text.strip()):
        if not item:
            continue
        day = _read_date(item)
        if day is None:
            raise forms.ValidationError(
                _("« %(value)s » n'est pas une date : écrivez-la comme 25/12/2026."),
                code="invalid", params={"value": item[:20]},
            )
        if day not in found:
            found.append(day)
    return sorted(found)


def _read_date(text: str) -> datetime.date | None:
    french = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})", text)
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if french:
        day, month, year = (int(part) for part in french.groups())
        year += 2000 if year < 100 else 0
    elif iso:
        year, month, day = (int(part) for part in iso.groups())
    else:
        return None
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def nth_weekday(day: datetime.date) -> int:
    """Which one of its weekday in its month `day` is: 1 for the first Saturday, 2 for the second..."""
    return (day.day - 1) // 7 + 1


def is_last_weekday(day: datetime.date) -> bool:
    return (day + datetime.timedelta(days=7)).month != day.month


def build_rrule(
    repeat: str, start: datetime.date, *, weekdays: Iterable[str] = (), interval: int = 1,
    until: datetime.date | None = None, count: int | None = None,
) -> str:
    """The RRULE value for what the form says; "" for an event that happens once.

    UNTIL is the end of that day in Paris written in UTC, as RFC 5545 asks when DTSTART has a
    time zone, so the last day is included whatever the start time.
    """
    if repeat == REPEAT_NONE:
        return ""
    weekday = WEEKDAYS[start.weekday()]
    parts: list[str]
    if repeat == REPEAT_WEEKLY:
        days = [code for code in WEEKDAYS if code in set(weekdays)] or [weekday]
        parts = ["FREQ=WEEKLY"]
        if interval > 1:
            parts.append(f"INTERVAL={interval}")
        parts.append("BYDAY=" + ",".join(days))
    elif repeat in (REPEAT_MONTHLY, REPEAT_MONTHLY_LAST):
        nth = -1 if repeat == REPEAT_MONTHLY_LAST else nth_weekday(start)
        parts = ["FREQ=MONTHLY"]
        if interval > 1:
            parts.append(f"INTERVAL={interval}")
        parts.append(f"BYDAY={nth}{weekday}")
    else:
        raise ValueError(repeat)
    if until is not None:
        end_of_day = datetime.datetime.combine(until, datetime.time(23, 59, 59), tzinfo=PARIS)
        parts.append("UNTIL=" + end_of_day.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ"))
    elif count is not None:
        parts.append(f"COUNT={count}")
    return ";".join(parts)


def read_rrule(rrule: str) -> dict[str, Any] | None:
    """The form's repeat fields for an RRULE this form could have written; None for any other."""
    if not rrule:
        return {"repeat": REPEAT_NONE}
    try:
        parts = dict(part.split("=", 1) for part in rrule.upper().split(";") if part)
    except ValueError:
        return None
    if set(parts) - {"FREQ", "INTERVAL", "BYDAY", "UNTIL", "COUNT"} or "BYDAY" not in parts:
        return None
    initial: dict[str, Any] = {}
    try:
        initial["interval"] = int(parts.get("INTERVAL", "1"))
        if "COUNT" in parts:
            initial["count"] = int(parts["COUNT"])
    except ValueError:
        return None
    if "UNTIL" in parts:
        match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?", parts["UNTIL"])
        if match is None:
            return None
        year, month, day, hour, minute, second, utc = match.groups()
        try:
            moment = datetime.datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                tzinfo=datetime.UTC if utc else PARIS,
            )
        except ValueError:
            return None
        initial["until"] = moment.astimezone(PARIS).date()
    days = parts["BYDAY"].split(",")
    if parts["FREQ"] == "WEEKLY" and all(day in WEEKDAYS for day in days):
        initial.update(repeat=REPEAT_WEEKLY, weekdays=days)
        return initial
    match = re.fullmatch(r"([+-]?\d)(MO|TU|WE|TH|FR|SA|SU)", parts["BYDAY"])
    if parts["FREQ"] == "MONTHLY" and match:
        initial["repeat"] = REPEAT_MONTHLY_LAST if match.group(1) == "-1" else REPEAT_MONTHLY
        return initial
    return None


class EventForm(forms.Form):
    """An event as an organisation proposes it, and the base of the staff form.

    `places` are the directory places the event may take place at (those of the territory, or of
    the organisation's communes). `is_valid()` checks what a form can check alone; the services
    check the rest and `add_rejection` shows their refusals on the fields.
    """

    title = forms.CharField(
        label=_("Titre"), max_length=200,
        help_text=_("Ce que les habitants liront d'abord, par exemple « Loto du foyer rural »."),
    )
    categories = forms.MultipleChoiceField(
        label=_("Catégories"), choices=category_choices, widget=forms.CheckboxSelectMultiple,
        help_text=_("Cochez au moins une catégorie : les habitants filtrent l'agenda avec."),
    )
    date = forms.DateField(
        label=_("Date"), input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Le premier jour, pour un événement qui se répète."),
    )
    all_day = forms.BooleanField(label=_("Toute la journée"), required=False)
    start_time = forms.TimeField(
        label=_("Heure de début"), required=False, input_formats=["%H:%M", "%Hh%M", "%H"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Sauf si l'événement dure toute la journée."),
    )
    end_time = forms.TimeField(
        label=_("Heure de fin"), required=False, input_formats=["%H:%M", "%Hh%M", "%H"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Facultative. Une heure de fin plus tôt que le début veut dire le lendemain."),
    )
    end_date = forms.DateField(
        label=_("Dernier jour (sur plusieurs jours)"), required=False, input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Seulement pour un événement qui dure plusieurs jours d'affilée, comme une fête de trois jours."),
    )
    repeat = forms.ChoiceField(label=_("Répétition"), choices=REPEAT_CHOICES, required=False)
    weekdays = forms.MultipleChoiceField(
        label=_("Jours de la semaine"), choices=WEEKDAY_CHOICES, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Pour une répétition chaque semaine ; sans jour coché, le jour de la date."),
    )
    interval = forms.IntegerField(
        label=_("Toutes les combien de semaines ou de mois"), required=False, min_value=1, max_value=12,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("1 : chaque semaine ou chaque mois ; 2 : une semaine ou un mois sur deux."),
    )
    until = forms.DateField(
        label=_("Jusqu'au"), required=False, input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Le dernier jour de la répétition (compris). Vide : sans fin prévue."),
    )
    count = forms.IntegerField(
        label=_("Ou nombre de fois"), required=False, min_value=1, max_value=MAX_COUNT,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("À la place de « jusqu'au » : combien de fois en tout."),
    )
    exdates = forms.CharField(
        label=_("Dates exclues"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Les jours où il n'a pas lieu, séparés par des virgules, par exemple « 25/12/2026, 01/01/2027 »."),
    )
    place = PlaceChoiceField(
        label=_("Lieu de l'annuaire"), queryset=Place.objects.none(), required=False,
        empty_label=_("Aucun : j'écris le lieu ci-dessous"),
        help_text=_("La salle des fêtes, une église, un stade... s'il est dans l'annuaire de la commune."),
    )
    location_name = forms.CharField(
        label=_("Nom du lieu"), max_length=200, required=False,
        help_text=_("Si le lieu n'est pas dans la liste, par exemple « Place de la mairie »."),
    )
    address = forms.CharField(
        label=_("Adresse"), max_length=255, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    lat = forms.FloatField(
        label=_("Latitude"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("Facultative, en degrés décimaux, par exemple 43.6465 : l'événement apparaît alors sur la carte."),
    )
    lon = forms.FloatField(
        label=_("Longitude"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("Par exemple 0.5855."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Une ligne vide sépare les paragraphes ; **gras**, *italique*, listes avec « - » et "
            "liens sont acceptés."
        ),
    )
    image = forms.FileField(
        label=_("Image"), required=False, widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
        help_text=_("JPEG, PNG ou WebP ; une affiche ou une photo."),
    )
    image_alt = forms.CharField(
        label=_("Ce que montre l'image"), max_length=200, required=False,
        help_text=_("Obligatoire avec une image, pour les personnes qui ne la voient pas."),
    )
    is_free = forms.TypedChoiceField(
        label=_("Gratuit"), required=False, choices=YES_NO_UNKNOWN, empty_value=None,
        coerce=lambda value: value == "yes",
    )
    price = forms.CharField(
        label=_("Tarifs"), max_length=200, required=False,
        help_text=_("Par exemple « 5 €, gratuit pour les moins de 12 ans »."),
    )
    booking_url = forms.CharField(
        label=_("Lien de réservation"), max_length=500, required=False,
        widget=forms.URLInput(attrs={"autocomplete": "url"}),
        help_text=_("L'adresse complète, par exemple https://www.exemple.fr/billets"),
    )
    wheelchair = _access_field(_("Accès en fauteuil roulant"))
    hearing = _access_field(_("Accueil des personnes sourdes ou malentendantes"))
    sight = _access_field(_("Accueil des personnes aveugles ou malvoyantes"))
    mental = _access_field(_("Accueil des personnes en situation de handicap mental"))
    accessibility_note = forms.CharField(
        label=_("Accessibilité (précisions)"), max_length=300, required=False,
        help_text=_("Par exemple « boucle magnétique, places réservées au premier rang »."),
    )

    def __init__(
        self, *args: Any, places: QuerySet[Place] | None = None, event: Event | None = None, **kwargs: Any
    ) -> None:
        self.event = event
        self.custom_rrule = ""
        if event is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_from_event(event)
        super().__init__(*args, **kwargs)
        place_field = self.fields["place"]
        assert isinstance(place_field, forms.ModelChoiceField)
        place_field.queryset = (
            places.select_related("commune").order_by("name", "pk") if places is not None else Place.objects.none()
        )
        if event is not None and event.rrule and read_rrule(event.rrule) is None:
            # Written elsewhere (an import, the admin): offered as it is rather than lost on save.
            self.custom_rrule = event.rrule
            repeat = self.fields["repeat"]
            assert isinstance(repeat, forms.ChoiceField)
            repeat.choices = [
                *REPEAT_CHOICES, (REPEAT_CUSTOM, _("Garder la règle actuelle (%(rule)s)") % {"rule": event.rrule})
            ]
        if event is not None and event.image:
            self.fields["remove_image"] = forms.BooleanField(label=_("Retirer l'image actuelle"), required=False)

    # Groups for the template.

    def when_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in WHEN_FIELDS]

    def repeat_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in REPEAT_FIELDS]

    def where_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in WHERE_FIELDS]

    def more_fields(self) -> list[forms.BoundField]:
        names = list(MORE_FIELDS)
        if "remove_image" in self.fields:
            names.insert(names.index("image") + 1, "remove_image")
        return [self[name] for name in names]

    # Cleaning.

    def clean_title(self) -> str:
        title = " ".join(str(self.cleaned_data["title"]).split())
        if not title:
            raise forms.ValidationError(_("Donnez un titre à l'événement."), code="required")
        return title

    def clean_image(self) -> images.ProcessedImage | None:
        upload: UploadedFile[bytes] | None = self.cleaned_data.get("image")
        if not upload:
            return None
        try:
            return images.reencode(upload, max_side=IMAGE_MAX_SIDE, output="JPEG")
        except images.ImageRejected as exc:
            raise forms.ValidationError(str(exc), code="invalid_image") from exc

    def clean_exdates(self) -> list[datetime.date]:
        days = parse_dates(self.cleaned_data.get("exdates") or "")
        if len(days) > MAX_EXDATES:
            raise forms.ValidationError(
                _("%(count)d dates exclues au plus."), code="too_many", params={"count": MAX_EXDATES}
            )
        return days

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        day: datetime.date | None = cleaned.get("date")
        all_day = bool(cleaned.get("all_day"))
        start_time: datetime.time | None = cleaned.get("start_time")
        end_time: datetime.time | None = cleaned.get("end_time")
        end_date: datetime.date | None = cleaned.get("end_date")
        if day is not None:
            if not all_day and start_time is None and "start_time" not in self.errors:
                self.add_error("start_time", forms.ValidationError(
                    _("Indiquez l'heure de début, ou cochez « Toute la journée »."), code="required"
                ))
            if end_date is not None and end_date < day:
                self.add_error("end_date", forms.ValidationError(
                    _("Le dernier jour ne peut pas précéder la date de début."), code="invalid"
                ))
            if end_date is not None and end_date > day and not all_day and end_time is None:
                self.add_error("end_time", forms.ValidationError(
                    _("Indiquez l'heure de fin du dernier jour, ou cochez « Toute la journée »."), code="required"
                ))
            self._clean_repeat(cleaned, day)
        if cleaned.get("image") is not None and not " ".join(str(cleaned.get("image_alt", "")).split()):
            self.add_error("image_alt", forms.ValidationError(
                _("Décrivez l'image en quelques mots."), code="required"
            ))
        if (cleaned.get("lat") is None) != (cleaned.get("lon") is None):
            self.add_error("lon" if cleaned.get("lat") is not None else "lat", forms.ValidationError(
                _("Donnez la latitude et la longitude, ou aucune des deux."), code="required"
            ))
        return cleaned

    def _clean_repeat(self, cleaned: dict[str, Any], day: datetime.date) -> None:
        repeat = cleaned.get("repeat") or REPEAT_NONE
        until: datetime.date | None = cleaned.get("until")
        weekdays: list[str] = list(cleaned.get("weekdays") or [])
        if repeat == REPEAT_NONE:
            if cleaned.get("exdates"):
                self.add_error("exdates", forms.ValidationError(
                    _("Des dates exclues n'ont de sens que pour un événement qui se répète."), code="invalid"
                ))
            return
        if repeat == REPEAT_CUSTOM:
            return
        if until is not None and cleaned.get("count") is not None:
            self.add_error("count", forms.ValidationError(
                _("Choisissez « jusqu'au » ou un nombre de fois, pas les deux."), code="invalid"
            ))
        if until is not None and until < day:
            self.add_error("until", forms.ValidationError(
                _("La répétition ne peut pas s'arrêter avant la date de début."), code="invalid"
            ))
        if repeat == REPEAT_WEEKLY and weekdays and WEEKDAYS[day.weekday()] not in weekdays:
            self.add_error("weekdays", forms.ValidationError(
                _("La date de début est un %(day)s : cochez ce jour aussi, ou changez la date."),
                code="invalid", params={"day": dict(WEEKDAY_CHOICES)[WEEKDAYS[day.weekday()]]},
            ))
        if repeat == REPEAT_MONTHLY_LAST and not is_last_weekday(day):
            self.add_error("repeat", forms.ValidationError(
                _("La date de début n'est pas le dernier de son jour de la semaine dans le mois : "
                  "choisissez « le même jour de la semaine » ou changez la date."),
                code="invalid",
            ))
        for excluded in cleaned.get("exdates") or []:
            if excluded <= day:
                self.add_error("exdates", forms.ValidationError(
                    _("Une date exclue doit venir après la date de début."), code="invalid"
                ))
                break

    # What the services take.

    def event_data(self) -> dict[str, Any]:
        """The cleaned fields as Event field names, as the services take them (categories apart)."""
        cleaned = self.cleaned_data
        data: dict[str, Any] = {name: cleaned.get(name) for name in PLAIN_FIELDS}
        for name, value in list(data.items()):
            if value is None and name not in ("lat", "lon"):
                data[name] = ""
        data["is_free"] = cleaned.get("is_free")
        data["place"] = cleaned.get("place")
        day: datetime.date = cleaned["date"]
        all_day = bool(cleaned.get("all_day"))
        last_day: datetime.date = cleaned.get("end_date") or day
        start_time: datetime.time | None = cleaned.get("start_time")
        end_time: datetime.time | None = cleaned.get("end_time")
        if all_day:
            # iCalendar's all-day end is exclusive: the midnight after the last day.
            starts_at = _local(day, datetime.time(0, 0))
            ends_at: datetime.datetime | None = _local(last_day + datetime.timedelta(days=1), datetime.time(0, 0))
            start_time = datetime.time(0, 0)
        else:
            assert start_time is not None
            starts_at = _local(day, start_time)
            ends_at = None
            if end_time is not None:
                ends_at = _local(last_day, end_time)
                if ends_at <= starts_at and last_day == day:
                    ends_at = _local(day + datetime.timedelta(days=1), end_time)
        data.update(starts_at=starts_at, ends_at=ends_at, all_day=all_day)
        repeat = cleaned.get("repeat") or REPEAT_NONE
        if repeat == REPEAT_CUSTOM:
            data["rrule"] = self.custom_rrule
        else:
            data["rrule"] = build_rrule(
                repeat, day, weekdays=cleaned.get("weekdays") or [], interval=cleaned.get("interval") or 1,
                until=cleaned.get("until"), count=cleaned.get("count"),
            )
        data["exdates"] = [
            datetime.datetime.combine(excluded, start_time).isoformat()
            for excluded in (cleaned.get("exdates") or []) if data["rrule"]
        ]
        # Extra dates are not typed here; an event written elsewhere keeps its own.
        data["rdates"] = list(self.event.rdates) if self.event is not None else []
        return data

    def category_codes(self) -> list[str]:
        return list(self.cleaned_data.get("categories") or [])

    def new_image(self) -> images.ProcessedImage | None:
        image: images.ProcessedImage | None = self.cleaned_data.get("image")
        return image

    def removes_image(self) -> bool:
        return bool(self.cleaned_data.get("remove_image"))

    def add_rejection(self, exc: Exception) -> None:
        """Shows a refusal of the services (EventRejected) on the fields it names, else on top."""
        errors: Mapping[str, Any] = getattr(exc, "errors", None) or {}
        field = getattr(exc, "field", None)
        if not errors and field:
            errors = {field: str(exc)}
        shown = False
        for name, message in errors.items():
            target = FIELD_OF.get(name, name)
            if target in self.fields:
                self.add_error(target, str(message))
                shown = True
            else:
                self.add_error(None, str(message))
                shown = True
        if not shown:
            self.add_error(None, str(exc))


def _local(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(day, time, tzinfo=PARIS)


def initial_from_event(event: Event) -> dict[str, Any]:
    """What the form shows for an existing event (dates and times in Paris)."""
    initial: dict[str, Any] = {name: getattr(event, name) for name in PLAIN_FIELDS}
    starts = timezone.localtime(event.starts_at, PARIS)
    initial.update(date=starts.date(), all_day=event.all_day, is_free={True: "yes", False: "no", None: ""}[
        event.is_free
    ], place=event.place_id, categories=[link.category for link in event.categories.all()])
    if event.all_day:
        if event.ends_at is not None:
            last = timezone.localtime(event.ends_at, PARIS).date() - datetime.timedelta(days=1)
            if last > starts.date():
                initial["end_date"] = last
    else:
        initial["start_time"] = starts.time().replace(second=0, microsecond=0)
        if event.ends_at is not None:
            ends = timezone.localtime(event.ends_at, PARIS)
            initial["end_time"] = ends.time().replace(second=0, microsecond=0)
            # An end the next morning is written as an earlier end time, not as a second day.
            if ends.date() > starts.date() and not (
                ends.date() == starts.date() + datetime.timedelta(days=1) and ends.time() <= starts.time()
            ):
                initial["end_date"] = ends.date()
    repeat = read_rrule(event.rrule)
    if repeat is None:
        initial["repeat"] = REPEAT_CUSTOM
    else:
        initial.update(repeat)
    initial["exdates"] = ", ".join(day.strftime("%d/%m/%Y") for day in initial_from_event_exdates(event))
    return initial


NTH = {1: _("1er"), 2: _("2e"), 3: _("3e"), 4: _("4e"), 5: _("5e"), -1: _("dernier")}


def describe_when(event: Event) -> str:
    """When an event happens, in French words: its first date and times, then how it repeats."""
    starts = timezone.localtime(event.starts_at, PARIS)
    ends = timezone.localtime(event.ends_at, PARIS) if event.ends_at is not None else None
    if event.all_day:
        last = (ends - datetime.timedelta(days=1)).date() if ends is not None else starts.date()
        if last > starts.date():
            text = str(_("du %(first)s au %(last)s")) % {
                "first": date_format(starts, "l j F Y"), "last": date_format(last, "l j F Y"),
            }
        else:
            text = str(_("%(day)s, toute la journée")) % {"day": date_format(starts, "l j F Y")}
    elif ends is None:
        text = str(_("%(day)s à %(time)s")) % {"day": date_format(starts, "l j F Y"), "time": f"{starts:%H:%M}"}
    elif ends.date() == starts.date() or (ends - starts) < datetime.timedelta(hours=24):
        text = str(_("%(day)s de %(start)s à %(end)s")) % {
            "day": date_format(starts, "l j F Y"), "start": f"{starts:%H:%M}", "end": f"{ends:%H:%M}",
        }
    else:
        text = str(_("du %(first)s à %(start)s au %(last)s à %(end)s")) % {
            "first": date_format(starts, "l j F Y"), "start": f"{starts:%H:%M}",
            "last": date_format(ends, "l j F Y"), "end": f"{ends:%H:%M}",
        }
    repeat = read_rrule(event.rrule)
    if event.rrule and repeat is None:
        text += " · " + str(_("se répète (règle %(rule)s)")) % {"rule": event.rrule}
    elif repeat is not None and repeat["repeat"] != REPEAT_NONE:
        interval = repeat.get("interval", 1)
        if repeat["repeat"] == REPEAT_WEEKLY:
            names = dict(WEEKDAY_CHOICES)
            days = ", ".join(str(names[day]) for day in repeat["weekdays"])
            text += " · " + (
                str(_("chaque semaine : %(days)s")) if interval == 1
                else str(_("toutes les %(n)d semaines : %(days)s"))
            ) % {"days": days, "n": interval}
        else:
            nth = -1 if repeat["repeat"] == REPEAT_MONTHLY_LAST else nth_weekday(starts.date())
            text += " · " + (
                str(_("chaque mois, le %(nth)s %(day)s")) if interval == 1
                else str(_("tous les %(n)d mois, le %(nth)s %(day)s"))
            ) % {"nth": NTH.get(nth, nth), "day": date_format(starts, "l"), "n": interval}
        if repeat.get("until"):
            text += " " + str(_("jusqu'au %(date)s")) % {"date": date_format(repeat["until"], "j F Y")}
        elif repeat.get("count"):
            text += " " + str(_("(%(count)d fois)")) % {"count": repeat["count"]}
    excluded = initial_from_event_exdates(event)
    if excluded:
        text += " · " + str(_("sauf le %(dates)s")) % {"dates": ", ".join(date_format(day, "j F Y") for day in excluded)}
    return text


def initial_from_event_exdates(event: Event) -> list[datetime.date]:
    days: set[datetime.date] = set()
    for value in event.exdates or []:
        try:
            days.add(datetime.datetime.fromisoformat(str(value)).date())
        except ValueError:
            continue
    return sorted(days)


class StaffEventForm(EventForm):
    """The event form in /gestion/: the same fields, for whom (an EPCI's or a département's
    communes, when few enough to tick on a phone), and when to publish."""

    audience = forms.ModelMultipleChoiceField(
        label=_("Seulement pour"), required=False, queryset=Territory.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Facultatif : sans choix, l'événement est pour tout le territoire."),
    )

    publish_at = forms.DateTimeField(
        label=_("Publier plus tard (facultatif)"), required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Vide : « Publier » le montre tout de suite. Sinon, il apparaît à cette date et heure."),
    )

    def __init__(self, *args: Any, audience: QuerySet[Territory] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if audience is None:
            del self.fields["audience"]
            return
        audience_field = self.fields["audience"]
        assert isinstance(audience_field, forms.ModelMultipleChoiceField)
        audience_field.queryset = audience
        event = kwargs.get("event")
        if event is not None and not self.is_bound:
            self.initial["audience"] = list(event.audience.values_list("pk", flat=True))

    def chosen_audience(self) -> list[Territory] | None:
        """The territories ticked, or None when the form offers no choice (keep what is stored)."""
        if "audience" not in self.fields:
            return None
        return list(self.cleaned_data.get("audience") or [])

    def clean_publish_at(self) -> datetime.datetime | None:
        moment: datetime.datetime | None = self.cleaned_data.get("publish_at")
        if moment is None:
            return None
        if timezone.is_naive(moment):
            moment = moment.replace(tzinfo=PARIS)
        if moment <= timezone.now():
            return None
        return moment


class EventProposalForm(EventForm):
    """An organisation's proposal: which of its organisations speaks, and to which commune."""

    organisation = forms.ModelChoiceField(
        label=_("Au nom de"), queryset=Organisation.objects.none(), empty_label=None,
    )
    commune = forms.ModelChoiceField(
        label=_("Commune"), queryset=Territory.objects.none(), empty_label=_("Choisissez la commune"),
        help_text=_("La commune où l'événement a lieu : ses modérateurs reçoivent la proposition."),
    )
    field_order = ["organisation", "commune", "title"]

    def __init__(
        self, *args: Any, organisations: QuerySet[Organisation], communes: QuerySet[Territory], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        organisation = self.fields["organisation"]
        commune = self.fields["commune"]
        assert isinstance(organisation, forms.ModelChoiceField) and isinstance(commune, forms.ModelChoiceField)
        organisation.queryset = organisations
        commune.queryset = communes


class PublishForm(forms.Form):
    """Publish now, or at a later date and time (Paris)."""

    publish_at = forms.DateTimeField(
        label=_("Date et heure de publication"), required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Vide : publié tout de suite."),
    )

    def clean_publish_at(self) -> datetime.datetime | None:
        moment: datetime.datetime | None = self.cleaned_data.get("publish_at")
        if moment is None:
            return None
        if timezone.is_naive(moment):
            moment = moment.replace(tzinfo=PARIS)
        if moment <= timezone.now():
            return None
        return moment


class NoteForm(forms.Form):
    """A note for residents when an event is cancelled or postponed."""

    note = forms.CharField(
        label=_("Message aux habitants (facultatif)"), required=False, max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Par exemple « en raison de la météo » ou « reporté au printemps, date à venir »."),
    )


class DecisionForm(forms.Form):
    """A moderator's decision on an organisation's proposal; the message is required to refuse."""

    message = forms.CharField(
        label=_("Message à l'association"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire pour refuser : dites ce qu'il faut corriger, l'association le lira."),
    )
