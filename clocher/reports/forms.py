"""The resident's report form, in two steps that fit a phone: where, then what."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import geocoding
from .models import ReportCategory


class WhereForm(forms.Form):
    """Step 1: the point, from the map, "ma position", typed coordinates, or an address.

    An address alone is looked up in the Base Adresse Nationale (clocher.reports.geocoding); with a
    point, it only helps the agents find the spot.
    """

    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90, required=False)
    lon = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180, required=False)
    address = forms.CharField(
        label=_("Adresse ou repère"), max_length=255, required=False,
        help_text=_("Sans point sur la carte, l’adresse suffit : « 12 rue Dessoles, Auch »."),
    )

    def __init__(self, *args: Any, near: tuple[float, float] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.near = near

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        if data.get("lat") is not None and data.get("lon") is not None:
            return data
        address = data.get("address") or ""
        if not address:
            raise forms.ValidationError(
                _("Indiquez où est le problème : touchez la carte, utilisez votre position ou écrivez une adresse.")
            )
        if not geocoding.enabled():
            raise forms.ValidationError(
                _("La recherche d’adresse n’est pas disponible : placez le point sur la carte ou utilisez votre position.")
            )
        found = geocoding.geocode(address, self.near)
        if found is None:
            raise forms.ValidationError(
                _("Cette adresse n’a pas été trouvée : précisez la commune, ou placez le point sur la carte.")
            )
        data["lat"], data["lon"] = found.lat, found.lon
        data["address"] = found.label or address
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (the pattern of Django's documentation); each is checked as a file."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return single(data, initial)


class ReportForm(WhereForm):
    """Step 2: what is wrong. Files are cleaned by the view (clocher.reports.media)."""

    category = forms.TypedChoiceField(label=_("Catégorie"), coerce=int)
    # The point is known by now: the address only helps the agents find the spot.
    address = forms.CharField(label=_("Adresse ou repère (facultatif)"), max_length=255, required=False)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000, required=False
    )
    photos = MultipleFileField(label=_("Photos (5 au plus)"), required=False)
    video = forms.FileField(label=_("Vidéo (une au plus)"), required=False, widget=forms.FileInput(attrs={"accept": "video/*"}))
    name = forms.CharField(label=_("Votre nom (facultatif)"), max_length=120, required=False)
    email = forms.EmailField(label=_("Votre e-mail (facultatif, pour être tenu informé)"), required=False)
    phone = forms.CharField(label=_("Votre téléphone (facultatif)"), max_length=20, required=False)
    consent = forms.BooleanField(
        label=_("J'accepte que la collectivité utilise mes coordonnées pour traiter ce signalement."),
        required=False,
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    # A trap for robots: hidden by CSS and from screen readers; a person never fills it.
    website = forms.CharField(
        label=_("Ne pas remplir"), required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off", "aria-hidden": "true"}),
    )

    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90, widget=forms.HiddenInput)
    lon = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180, widget=forms.HiddenInput)

    def __init__(self, *args: Any, categories: list[ReportCategory], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.categories = {c.pk: c for c in categories}
        field = self.fields["category"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "—"), *((c.pk, c.name) for c in categories)]

    def chosen_category(self) -> ReportCategory:
        return self.categories[self.cleaned_data["category"]]
