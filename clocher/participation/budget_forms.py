"""Forms of participatory budgets: the staff's budget form, a project (resident or staff), a
comment, staff's review, moderation and follow-up. They validate the shape of what was typed and
re-encode photos (territories.images.reencode: JPEG, no metadata, bombs refused); budget_services
decides what the rules allow."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clocher.territories import images
from clocher.territories.models import Territory

from .budget_services import (
    MAX_AMOUNT,
    MAX_COMMENT,
    MAX_DESCRIPTION,
    MAX_PHOTOS,
    MAX_POINTS,
    MAX_PROJECTS,
    MAX_REASON,
    MAX_UPDATE,
    PHOTO_MAX_SIDE,
    BudgetData,
    PhotoData,
    ProjectData,
)
from .budgets import BallotKind, Budget, CountingRule, Progress, ProjectStatus
from .poll_forms import DATETIME_FORMAT, DATETIME_INPUTS, EligibilityForm

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"


def _datetime_field(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, input_formats=DATETIME_INPUTS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


class BudgetForm(EligibilityForm):
    title = forms.CharField(label=_("Titre"), max_length=200)
    description = forms.CharField(
        label=_("Présentation"), required=False, max_length=MAX_DESCRIPTION, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Texte simple : l'objet du budget, les projets attendus, ce qui n'est pas recevable."),
    )
    amount = forms.IntegerField(label=_("Enveloppe (en euros)"), min_value=1, max_value=MAX_AMOUNT,
                                help_text=_("Un nombre entier d'euros, sans espace ni symbole."))
    proposals_opens_at = _datetime_field(_("Ouverture du dépôt des projets"))
    proposals_closes_at = _datetime_field(_("Clôture du dépôt des projets"))
    vote_opens_at = _datetime_field(_("Ouverture du vote"))
    vote_closes_at = _datetime_field(_("Clôture du vote"))
    ballot_kind = forms.ChoiceField(label=_("Type de vote"), choices=BallotKind.choices,
                                    initial=BallotKind.APPROVAL_BUDGET, widget=forms.RadioSelect)
    min_projects = forms.IntegerField(label=_("Nombre de projets à choisir au moins"), min_value=1,
                                      max_value=MAX_PROJECTS, initial=1)
    max_projects = forms.IntegerField(
        label=_("Nombre de projets à choisir au plus"), required=False, min_value=1, max_value=MAX_PROJECTS,
        help_text=_("Pour l'approbation et le classement ; vide : sans limite."),
    )
    points = forms.IntegerField(label=_("Points à répartir"), required=False, min_value=1, max_value=MAX_POINTS,
                                help_text=_("Pour le vote par points seulement."))
    rule = forms.ChoiceField(label=_("Règle de dépouillement"), choices=CountingRule.choices,
                             initial=CountingRule.GREEDY, widget=forms.RadioSelect)
    def budget_data(self) -> BudgetData:
        data = self.cleaned_data
        return BudgetData(
            title=data["title"], description=data.get("description") or "", amount=data["amount"],
            proposals_opens_at=data["proposals_opens_at"], proposals_closes_at=data["proposals_closes_at"],
            vote_opens_at=data["vote_opens_at"], vote_closes_at=data["vote_closes_at"],
            ballot_kind=data["ballot_kind"], min_projects=data["min_projects"],
            max_projects=data.get("max_projects"), points=data.get("points"), rule=data["rule"],
            territories=list(data.get("territories") or []), min_age=data.get("min_age"), level=data["level"],
        )


def budget_initial(budget: Budget) -> dict[str, Any]:
    eligibility = budget.eligibility
    return {
        "title": budget.title, "description": budget.description, "amount": budget.amount,
        "proposals_opens_at": timezone.localtime(budget.proposals_opens_at),
        "proposals_closes_at": timezone.localtime(budget.proposals_closes_at),
        "vote_opens_at": timezone.localtime(budget.vote_opens_at),
        "vote_closes_at": timezone.localtime(budget.vote_closes_at),
        "ballot_kind": budget.ballot_kind, "min_projects": budget.min_projects,
        "max_projects": budget.max_projects, "points": budget.points, "rule": budget.rule,
        "territories": list(eligibility.territories.values_list("pk", flat=True)),
        "min_age": eligibility.min_age, "level": eligibility.level,
    }


def _reencode(upload: UploadedFile[bytes]) -> images.ProcessedImage:
    try:
        return images.reencode(upload, max_side=PHOTO_MAX_SIDE, output="JPEG")
    except images.ImageRejected as exc:
        raise forms.ValidationError(str(exc), code="invalid_image") from exc


class PhotosMixin(forms.Form):
    """Up to MAX_PHOTOS photos, each with what it shows; `photo_slots` of them are offered."""

    photo_slots = MAX_PHOTOS

    def add_photo_fields(self, slots: int) -> None:
        self.photo_slots = slots
        for n in range(1, slots + 1):
            self.fields[f"photo_{n}"] = forms.FileField(
                label=_("Photo %(n)s") % {"n": n}, required=False,
                help_text=_("Facultatif. JPEG, PNG ou WebP, 15 Mo au plus. Les données cachées (lieu de la prise "
                            "de vue, appareil) sont retirées."),
                widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
            )
            self.fields[f"alt_{n}"] = forms.CharField(
                label=_("Ce que montre la photo %(n)s") % {"n": n}, required=False, max_length=200,
                help_text=_("Pour les personnes qui ne voient pas l'image, par exemple « Le terrain vague derrière "
                            "l'école »."),
            )

    def photo_pairs(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"photo_{n}"], self[f"alt_{n}"]) for n in range(1, self.photo_slots + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for n in range(1, self.photo_slots + 1):
            upload = data.get(f"photo_{n}")
            if upload:
                try:
                    data[f"photo_{n}"] = _reencode(upload)
                except forms.ValidationError as exc:
                    self.add_error(f"photo_{n}", exc)
            elif data.get(f"alt_{n}"):
                self.add_error(f"photo_{n}", _("Choisissez la photo que ce texte décrit, ou effacez le texte."))
        return data

    def photos(self) -> list[PhotoData]:
        found: list[PhotoData] = []
        for n in range(1, self.photo_slots + 1):
            image = self.cleaned_data.get(f"photo_{n}")
            if isinstance(image, images.ProcessedImage):
                found.append(PhotoData(image, self.cleaned_data.get(f"alt_{n}") or ""))
        return found


class ProjectForm(PhotosMixin):
    title = forms.CharField(label=_("Titre du projet"), max_length=200,
                            help_text=_("Court et parlant, par exemple « Un abri vélo devant la gare »."))
    description = forms.CharField(
        label=_("Description"), max_length=MAX_DESCRIPTION, widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Ce que le projet apporte, pour qui, et comment il pourrait se faire."),
    )
    estimated_cost = forms.IntegerField(
        label=_("Coût estimé (en euros)"), min_value=1,
        help_text=_("Un ordre de grandeur en euros entiers ; la collectivité le vérifiera."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    commune = forms.ModelChoiceField(label=_("Commune"), queryset=Territory.objects.none(), empty_label=None)
    address = forms.CharField(label=_("Lieu précis"), required=False, max_length=200,
                              help_text=_("Facultatif : une adresse, un quartier, un lieu-dit."))

    def __init__(self, *args: Any, communes: QuerySet[Territory], photo_slots: int = MAX_PHOTOS,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["commune"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = communes
        self.add_photo_fields(photo_slots)

    def project_data(self) -> ProjectData:
        data = self.cleaned_data
        return ProjectData(
            title=data["title"], description=data["description"], estimated_cost=data["estimated_cost"],
            commune=data["commune"], address=data.get("address") or "", photos=self.photos(),
        )


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Votre commentaire"), max_length=MAX_COMMENT,
                           widget=forms.Textarea(attrs={"rows": 4}),
                           help_text=_("Public, avec votre nom affiché. %(max)s caractères au plus.")
                           % {"max": MAX_COMMENT})


class ReviewForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Décision"), widget=forms.RadioSelect,
        choices=[(ProjectStatus.ELIGIBLE.value, ProjectStatus.ELIGIBLE.label),
                 (ProjectStatus.INELIGIBLE.value, ProjectStatus.INELIGIBLE.label),
                 (ProjectStatus.SUBMITTED.value, _("À étudier (pas encore de décision)"))],
    )
    final_cost = forms.IntegerField(
        label=_("Coût retenu (en euros)"), required=False, min_value=0,
        help_text=_("Le coût sur lequel on vote. Vide pour un projet recevable : le coût estimé."),
    )
    reason = forms.CharField(
        label=_("Motif public"), required=False, max_length=MAX_REASON, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire pour un projet non recevable ; publié avec la décision."),
    )


class HideForm(forms.Form):
    reason = forms.CharField(label=_("Motif du masquage"), max_length=200,
                             help_text=_("Inscrit au journal ; l'auteur du projet le voit."))


class UpdateForm(PhotosMixin):
    text = forms.CharField(label=_("Nouvelles du projet"), max_length=MAX_UPDATE,
                           widget=forms.Textarea(attrs={"rows": 5}))
    progress = forms.ChoiceField(label=_("Avancement"), choices=Progress.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_photo_fields(MAX_PHOTOS)
