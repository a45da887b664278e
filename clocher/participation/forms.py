"""Forms of the resident's and the staff's verification pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from clocher.territories.models import Territory

from .services import DEFAULT_VALID_DAYS, MAX_BATCH, MAX_VALID_DAYS


class ResidenceCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code reçu de votre mairie"), max_length=40,
        help_text=_("10 caractères, par exemple 7KQ3M-XR2PD. Les tirets et les espaces sont facultatifs."),
        widget=forms.TextInput(attrs={
            "autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false",
            "inputmode": "text",
        }),
    )


class CodeBatchForm(forms.Form):
    commune = forms.ModelChoiceField(queryset=Territory.objects.none(), label=_("Commune"), empty_label=None)
    count = forms.IntegerField(
        label=_("Nombre de codes"), min_value=1, max_value=MAX_BATCH, initial=100,
        help_text=_("De 1 à %(max)s. Trois codes par page A4, à découper.") % {"max": MAX_BATCH},
    )
    valid_days = forms.IntegerField(
        label=_("Durée de validité (jours)"), min_value=1, max_value=MAX_VALID_DAYS, initial=DEFAULT_VALID_DAYS,
    )

    def __init__(self, *args: Any, communes: QuerySet[Territory], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["commune"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = communes


class ResidentSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Adresse e-mail ou nom affiché de la personne"), max_length=254,
        help_text=_("L'adresse ou le nom exact : la recherche ne propose pas de noms approchants."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class InPersonForm(forms.Form):
    seen_proof = forms.BooleanField(
        label=_("J'ai vu la personne et un justificatif de domicile à son nom dans cette commune."),
    )
