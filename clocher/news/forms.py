"""Forms of the news: the staff's article and alert forms, attachments, residents' proposals and
moderators' decisions. They parse and re-encode images; the services validate the rules and write."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clocher.organisations.models import Organisation
from clocher.territories import images
from clocher.territories.models import Territory

from .models import Article, ArticleKind, Severity

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"
IMAGE_MAX_SIDE = 1600
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
DATETIME_INPUTS = [DATETIME_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]

PUBLISH_NOW = "now"
PUBLISH_LATER = "schedule"
PUBLISH_DRAFT = "draft"


def _datetime_field(label: Any, help_text: Any = "", required: bool = False) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, required=required, help_text=help_text, input_formats=DATETIME_INPUTS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


def _reencode(upload: UploadedFile[bytes] | None) -> images.ProcessedImage | None:
    if not upload:
        return None
    try:
        return images.reencode(upload, max_side=IMAGE_MAX_SIDE, output="JPEG")
    except images.ImageRejected as exc:
        raise forms.ValidationError(str(exc), code="invalid_image") from exc


class ArticleForm(forms.Form):
    """One phone-friendly form for an article: what it says, its image, when it shows, and the
    roadworks' dates, streets and route when it is about works."""

    kind = forms.ChoiceField(label=_("Type"), choices=ArticleKind.choices, initial=ArticleKind.NEWS)
    title = forms.CharField(label=_("Titre"), max_length=200)
    summary = forms.CharField(
        label=_("Résumé"), max_length=300, required=False,
        help_text=_("Une ou deux phrases, montrées dans les listes et sur l'accueil."),
    )
    body = forms.CharField(
        label=_("Texte"), required=False, max_length=50_000, widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Paragraphes séparés par une ligne vide. **gras**, *italique*, listes avec « - », "
                    "liens [texte](https://…)."),
    )
    image = forms.FileField(
        label=_("Image"), required=False, widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
        help_text=_("JPEG, PNG ou WebP. Réduite à 1600 pixels de côté au plus."),
    )
    image_alt = forms.CharField(
        label=_("Ce que montre l'image"), max_length=200, required=False,
        help_text=_("Obligatoire avec une image, pour les personnes qui ne la voient pas."),
    )
    remove_image = forms.BooleanField(label=_("Retirer l'image actuelle"), required=False)
    publication = forms.ChoiceField(
        label=_("Publication"), widget=forms.RadioSelect, initial=PUBLISH_NOW,
        choices=[
            (PUBLISH_NOW, _("Publier maintenant")),
            (PUBLISH_LATER, _("Programmer à la date ci-dessous")),
            (PUBLISH_DRAFT, _("Enregistrer en brouillon")),
        ],
    )
    publish_at = _datetime_field(_("Publier le"), _("Seulement pour une publication programmée."))
    expires_at = _datetime_field(_("Retirer du site le"), _("Facultatif : l'article disparaît à cette date."))
    works_starts_on = forms.DateField(
        label=_("Début des travaux"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    works_ends_on = forms.DateField(
        label=_("Fin des travaux"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    works_streets = forms.CharField(
        label=_("Rues concernées"), max_length=500, required=False,
        help_text=_("Par exemple : rue Gambetta, place de la Libération."),
    )
    works_geometry = forms.CharField(
        label=_("Tracé sur la carte (GeoJSON)"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Facultatif : un point ou une ligne en GeoJSON, longitude puis latitude, par exemple "
                    '{"type": "Point", "coordinates": [0.5855, 43.6465]}.'),
    )

    WORKS_FIELDS = ("works_starts_on", "works_ends_on", "works_streets", "works_geometry")
    MAIN_FIELDS = ("kind", "title", "summary", "body")

    def __init__(self, *args: Any, article: Article | None = None, **kwargs: Any) -> None:
        if article is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_from_article(article)
        super().__init__(*args, **kwargs)
        self.article = article
        if article is None or not article.image:
            del self.fields["remove_image"]

    def clean_image(self) -> images.ProcessedImage | None:
        return _reencode(self.cleaned_data.get("image"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("publication") == PUBLISH_LATER:
            moment = cleaned.get("publish_at")
            if moment is None:
                self.add_error("publish_at", _("Indiquez la date de publication."))
            elif moment <= timezone.now():
                self.add_error("publish_at", _("La date de publication programmée doit être dans le futur."))
        has_image = cleaned.get("image") is not None or (
            self.article is not None and self.article.image and not cleaned.get("remove_image")
        )
        if has_image and not (cleaned.get("image_alt") or "").strip():
            self.add_error("image_alt", _("Décrivez l'image en quelques mots."))
        return cleaned

    def article_data(self) -> dict[str, Any]:
        """The fields the news services take. Works fields only for works (emptied otherwise)."""
        data = {name: self.cleaned_data.get(name) for name in (*self.MAIN_FIELDS, "image_alt", "expires_at")}
        works = data["kind"] == ArticleKind.WORKS
        for name in self.WORKS_FIELDS:
            data[name] = self.cleaned_data.get(name) if works else None
        data["works_streets"] = data["works_streets"] or ""
        return data

    def publish_moment(self) -> datetime.datetime | None:
        moment: datetime.datetime | None = self.cleaned_data.get("publish_at")
        return moment


def initial_from_article(article: Article) -> dict[str, Any]:
    import json

    initial: dict[str, Any] = {
        name: getattr(article, name)
        for name in ("kind", "title", "summary", "body", "image_alt", "works_starts_on", "works_ends_on",
                     "works_streets")
    }
    initial["expires_at"] = timezone.localtime(article.expires_at) if article.expires_at else None
    initial["works_geometry"] = json.dumps(article.works_geometry) if article.works_geometry else ""
    if article.status == "scheduled":
        initial["publication"] = PUBLISH_LATER
        initial["publish_at"] = timezone.localtime(article.published_at) if article.published_at else None
    elif article.status == "published":
        initial["publication"] = PUBLISH_NOW
    else:
        initial["publication"] = PUBLISH_DRAFT
    return initial


class AttachmentForm(forms.Form):
    """A PDF to attach. The services check that it is one (its first bytes), and its size."""

    file = forms.FileField(
        label=_("Document PDF"), widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
        help_text=_("Un PDF de 10 Mo au plus : bulletin, compte rendu, arrêté…"),
    )
    title = forms.CharField(
        label=_("Titre du document"), max_length=200, required=False,
        help_text=_("Facultatif : le nom du fichier sinon."),
    )


class AlertForm(forms.Form):
    """An alert: short, with a severity and an end (30 days at most)."""

    severity = forms.ChoiceField(label=_("Gravité"), choices=Severity.choices, initial=Severity.WARNING,
                                 widget=forms.RadioSelect)
    title = forms.CharField(label=_("Titre"), max_length=140,
                            help_text=_("Par exemple : « Coupure d'eau rue Gambetta »."))
    message = forms.CharField(label=_("Message"), max_length=1000, required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))
    link = forms.URLField(label=_("Lien vers plus d'informations"), required=False, max_length=500,
                          assume_scheme="https")
    starts_at = _datetime_field(_("Début"), _("Facultatif : maintenant si vide."))
    ends_at = _datetime_field(_("Fin"), _("Obligatoire : 30 jours au plus après le début."), required=True)
    audience = forms.ModelMultipleChoiceField(
        label=_("Seulement pour"), required=False, queryset=Territory.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Facultatif : sinon tout le territoire."),
    )

    def __init__(self, *args: Any, audience: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if audience is None:
            del self.fields["audience"]
        else:
            audience_field: forms.ModelMultipleChoiceField[Territory] = self.fields["audience"]  # type: ignore[assignment]
            audience_field.queryset = audience
        if not self.is_bound:
            self.initial.setdefault(
                "ends_at", timezone.localtime(timezone.now() + datetime.timedelta(days=1)).replace(second=0, microsecond=0)
            )


class ProposalForm(forms.Form):
    """An association's proposed actualité: for which organisation and commune, and what it says."""

    organisation = forms.ModelChoiceField(label=_("Au nom de"), queryset=Organisation.objects.none(),
                                          empty_label=None)
    commune = forms.ModelChoiceField(label=_("Pour la commune"), queryset=Territory.objects.none(),
                                     empty_label=None)
    title = forms.CharField(label=_("Titre"), max_length=200)
    summary = forms.CharField(label=_("Résumé"), max_length=300, required=False)
    body = forms.CharField(label=_("Texte"), required=False, max_length=50_000,
                           widget=forms.Textarea(attrs={"rows": 8}))
    image = forms.FileField(label=_("Image"), required=False, widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
                            help_text=_("Facultatif. JPEG, PNG ou WebP."))
    image_alt = forms.CharField(label=_("Ce que montre l'image"), max_length=200, required=False,
                                help_text=_("Obligatoire avec une image."))

    def __init__(self, *args: Any, organisations: Any, communes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisation_field: forms.ModelChoiceField[Organisation] = self.fields["organisation"]  # type: ignore[assignment]
        organisation_field.queryset = organisations
        commune_field: forms.ModelChoiceField[Territory] = self.fields["commune"]  # type: ignore[assignment]
        commune_field.queryset = communes

    def clean_image(self) -> images.ProcessedImage | None:
        return _reencode(self.cleaned_data.get("image"))

    def article_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) or "" for name in ("title", "summary", "body", "image_alt")}


class DecisionForm(forms.Form):
    """A moderator's decision on a proposal; the message is required to refuse."""

    message = forms.CharField(
        label=_("Message au proposant"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire pour refuser : dites ce qui ne va pas, le proposant le lira."),
    )
