"""Forms of the directory: a place as staff and proposers write it, and its photos.

The forms parse what a phone sends (lists typed as "a, b, c", empty numbers) into the dict that
`services.clean_place_data` validates; the services write. A place's form is short first (what a
visitor needs), then optional details in a <details> section.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from clocher.territories import images
from clocher.territories.models import Territory, TerritoryKind
from clocher.territories.selectors import communes_within

from .models import Access, Place
from .photos import MAX_PHOTOS as MAX_PHOTOS
from .services import PlaceRejected, clean_place_data
from .taxonomy import BY_SLUG, CATEGORIES

PHOTO_MAX_SIDE = 2048
IMAGE_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"

# Stored as ISO 639 codes so that pages and the API can name them in any language.
LANGUAGE_CHOICES = [
    ("fr", _("Français")),
    ("en", _("Anglais")),
    ("es", _("Espagnol")),
    ("de", _("Allemand")),
    ("it", _("Italien")),
    ("nl", _("Néerlandais")),
    ("pt", _("Portugais")),
    ("oc", _("Occitan")),
    ("fsl", _("Langue des signes française")),
]
BUYING_WAY_CHOICES = [
    ("farm-shop", _("Vente à la ferme")),
    ("market", _("Sur les marchés")),
    ("basket", _("Paniers, AMAP")),
    ("delivery", _("Livraison")),
    ("shop", _("En magasin")),
]
YES_NO_UNKNOWN = [("", _("Non renseigné")), ("yes", _("Oui")), ("no", _("Non"))]

# The fields of the short form, in the order they are shown; the rest go in the details.
MAIN_FIELDS = ("name", "street", "postcode", "city", "phone", "opening_hours", "description")
DETAIL_FIELDS = (
    "email", "website", "lat", "lon", "wheelchair", "hearing", "sight", "mental", "languages",
    "price_range", "tags", "products", "buying_ways", "labels", "capacity", "stars", "cuisine",
    "pets_allowed",
)
LIST_FIELDS = ("languages", "tags", "products", "buying_ways", "labels", "cuisine")

HOURS_HELP = _(
    "Les jours s'écrivent en abrégé anglais : Mo (lundi), Tu, We, Th, Fr, Sa, Su (dimanche) ; "
    "PH veut dire jours fériés. Exemples : « Mo-Fr 09:00-12:00,14:00-18:00 » (du lundi au vendredi, "
    "le matin et l'après-midi) ; « Tu-Sa 10:00-19:00; Su,PH off » (fermé le dimanche et les jours "
    "fériés) ; « Sa 07:30-13:00 » (un marché le samedi matin) ; « We[1] 08:00-12:00 » (le premier "
    "mercredi du mois) ; « 24/7 » (toujours ouvert). Laissez vide si vous ne savez pas."
)


class CommaListField(forms.CharField):
    """A list typed as words separated by commas: "miel, confitures" becomes ["miel", "confitures"]."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        seen: list[str] = []
        for item in str(text).split(","):
            item = " ".join(item.split())
            if item and item not in seen:
                seen.append(item)
        return seen

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        return value


def _access_field(label: Any) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=Access.choices, required=False)


class PlaceForm(forms.Form):
    """A place's information, as staff write it in /gestion/ and proposers on the public site.

    `is_valid()` runs the directory's own validation (`clean_place_data`), so the messages on the
    form are those the services would give; `place_data()` and `category_slugs()` are what the services take.
    """

    name = forms.CharField(label=_("Nom du lieu"), max_length=200)
    categories = forms.MultipleChoiceField(
        label=_("Catégories"), choices=[(c.slug, c.label) for c in CATEGORIES],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Cochez au moins une catégorie."),
    )
    street = forms.CharField(
        label=_("Adresse"), max_length=255, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
        help_text=_("Le numéro et la rue, par exemple « 12 rue Gambetta »."),
    )
    postcode = forms.CharField(
        label=_("Code postal"), max_length=5, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    city = forms.CharField(label=_("Localité"), max_length=120, required=False)
    phone = forms.CharField(
        label=_("Téléphone"), max_length=30, required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text=_("Par exemple 05 62 61 21 00."),
    )
    opening_hours = forms.CharField(
        label=_("Horaires d'ouverture"), max_length=500, required=False,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "autocapitalize": "off"}),
        help_text=HOURS_HELP,
    )
    description = forms.CharField(
        label=_("Description"), required=False, max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Quelques lignes pour les visiteurs. Une ligne vide sépare les paragraphes ; "
            "**gras**, *italique*, listes avec « - » et liens sont acceptés."
        ),
    )

    # Optional details.
    email = forms.EmailField(
        label=_("E-mail"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    website = forms.CharField(
        label=_("Site internet"), max_length=500, required=False,
        widget=forms.URLInput(attrs={"autocomplete": "url"}),
        help_text=_("L'adresse complète, par exemple https://www.exemple.fr"),
    )
    lat = forms.FloatField(
        label=_("Latitude"), required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("En degrés décimaux, par exemple 43.6465. Sans position, le lieu est situé dans la commune."),
    )
    lon = forms.FloatField(
        label=_("Longitude"), required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("En degrés décimaux, par exemple 0.5855."),
    )
    wheelchair = _access_field(_("Accès en fauteuil roulant"))
    hearing = _access_field(_("Accueil des personnes sourdes ou malentendantes"))
    sight = _access_field(_("Accueil des personnes aveugles ou malvoyantes"))
    mental = _access_field(_("Accueil des personnes en situation de handicap mental"))
    languages = forms.MultipleChoiceField(
        label=_("Langues parlées"), choices=LANGUAGE_CHOICES, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    price_range = forms.TypedChoiceField(
        label=_("Gamme de prix"), required=False, coerce=int, empty_value=None,
        choices=[("", _("Non renseignée")), (1, _("€ : petits prix")), (2, _("€€ : prix moyens")),
                 (3, _("€€€ : plutôt cher")), (4, _("€€€€ : haut de gamme"))],
    )
    tags = CommaListField(
        label=_("Mots-clés"), required=False, max_length=500,
        help_text=_("Séparés par des virgules, par exemple « terrasse, wifi »."),
    )
    products = CommaListField(
        label=_("Produits (producteurs)"), required=False, max_length=500,
        help_text=_("Séparés par des virgules, par exemple « foie gras, miel, légumes »."),
    )
    buying_ways = forms.MultipleChoiceField(
        label=_("Où acheter (producteurs)"), choices=BUYING_WAY_CHOICES, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    labels = CommaListField(
        label=_("Labels"), required=False, max_length=500,
        help_text=_("Séparés par des virgules, par exemple « AB, Label Rouge, Bienvenue à la ferme »."),
    )
    capacity = forms.IntegerField(
        label=_("Capacité (personnes)"), required=False, min_value=0, max_value=100_000,
    )
    stars = forms.IntegerField(label=_("Classement (étoiles)"), required=False, min_value=0, max_value=5)
    cuisine = CommaListField(
        label=_("Cuisine (restaurants)"), required=False, max_length=300,
        help_text=_("Séparée par des virgules, par exemple « gasconne, végétarienne »."),
    )
    pets_allowed = forms.TypedChoiceField(
        label=_("Animaux acceptés"), required=False, choices=YES_NO_UNKNOWN, empty_value=None,
        coerce=lambda value: value == "yes",
    )

    def __init__(self, *args: Any, place: Place | None = None, **kwargs: Any) -> None:
        if place is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_from_place(place)
        super().__init__(*args, **kwargs)

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in MAIN_FIELDS]

    def detail_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in DETAIL_FIELDS]

    def category_groups(self) -> list[tuple[str, list[Any]]]:
        """The category checkboxes grouped as the taxonomy groups them, for one fieldset each."""
        groups: dict[str, list[Any]] = {}
        for checkbox in self["categories"]:
            groups.setdefault(str(BY_SLUG[checkbox.data["value"]].group), []).append(checkbox)
        return list(groups.items())

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        if self.errors:
            # Still check each readable field with the directory's rules, so that a phone typed
            # wrong shows its error now rather than after the missing category is fixed.
            data = self.place_data()
            groups = [("lat", "lon")] + [(name,) for name in data if name not in ("lat", "lon")]
            for group in groups:
                if any(name in self.errors for name in group):
                    continue
                try:
                    clean_place_data({name: data[name] for name in group}, partial=True)
                except PlaceRejected as exc:
                    self.add_error(exc.field if exc.field in self.fields else group[0], str(exc))
            return cleaned
        try:
            clean_place_data(
                {**self.place_data(), "categories": self.category_slugs()}
            )
        except PlaceRejected as exc:
            field = getattr(exc, "field", None)
            self.add_error(field if field in self.fields else None, str(exc))
        return cleaned

    def place_data(self) -> dict[str, Any]:
        """The fields as the services take them (categories apart)."""
        data = {name: self.cleaned_data.get(name) for name in (*MAIN_FIELDS, *DETAIL_FIELDS)}
        for name in LIST_FIELDS:
            data[name] = list(data[name] or [])
        return data

    def category_slugs(self) -> list[str]:
        return list(self.cleaned_data.get("categories") or [])


def initial_from_place(place: Place) -> dict[str, Any]:
    """What the form shows for an existing place."""
    initial: dict[str, Any] = {
        name: getattr(place, name) for name in (*MAIN_FIELDS, *DETAIL_FIELDS)
    }
    initial["pets_allowed"] = {True: "yes", False: "no", None: ""}[place.pets_allowed]
    initial["categories"] = [link.category for link in place.category_links.all()]
    initial["commune"] = place.commune_id
    return initial


class StaffPlaceForm(PlaceForm):
    """The place form in /gestion/. A commune's places stand in the commune itself; an EPCI or a
    département publishing for its communes says which one, unless the position tells it."""

    def __init__(self, *args: Any, territory: Territory, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if territory.kind != TerritoryKind.COMMUNE:
            self.fields["commune"] = forms.ModelChoiceField(
                label=_("Commune"), required=False, queryset=communes_within(territory).only("pk", "name"),
                empty_label=_("Trouvée d'après la position"),
                help_text=_("Obligatoire si vous ne donnez ni latitude ni longitude."),
            )

    def main_fields(self) -> list[forms.BoundField]:
        fields = super().main_fields()
        if "commune" in self.fields:
            fields.insert(MAIN_FIELDS.index("city") + 1, self["commune"])
        return fields

    def place_data(self) -> dict[str, Any]:
        data = super().place_data()
        if self.cleaned_data.get("commune") is not None:
            data["commune"] = self.cleaned_data["commune"]
        return data


class ProposalForm(PlaceForm):
    """A proposal: the place's information and the commune it is in (a commune of the portal)."""

    commune = forms.ModelChoiceField(
        label=_("Commune"), queryset=Territory.objects.none(), empty_label=_("Choisissez la commune"),
    )
    field_order = ["commune", "name"]

    def __init__(self, *args: Any, communes: QuerySet[Territory], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["commune"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = communes


class PhotoForm(forms.Form):
    """One photo with its text alternative. The upload is re-encoded here: at most 2048 px, no EXIF."""

    image = forms.FileField(
        label=_("Photo"), help_text=_("JPEG, PNG ou WebP. Réduite à 2048 pixels de côté au plus."),
        widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    alt = forms.CharField(
        label=_("Ce que montre la photo"), max_length=200,
        help_text=_("Pour les personnes qui ne la voient pas, par exemple « La terrasse au bord du Gers »."),
    )
    credit = forms.CharField(label=_("Crédit (auteur de la photo)"), max_length=200, required=False)

    def clean_image(self) -> images.ProcessedImage:
        upload: UploadedFile[bytes] = self.cleaned_data["image"]
        try:
            return images.reencode(upload, max_side=PHOTO_MAX_SIDE, output="JPEG")
        except images.ImageRejected as exc:
            raise forms.ValidationError(str(exc), code="invalid_image") from exc

    def clean_alt(self) -> str:
        alt = " ".join(str(self.cleaned_data["alt"]).split())
        if not alt:
            raise forms.ValidationError(_("Décrivez la photo en quelques mots."), code="required")
        return alt


class DecisionForm(forms.Form):
    """A moderator's decision on a proposal; the message is required to refuse."""

    message = forms.CharField(
        label=_("Message au proposant"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire pour refuser : dites ce qui ne va pas, le proposant le lira."),
    )
