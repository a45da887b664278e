"""Forms of organisations. They parse and re-encode uploads; the services validate again and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from clocher.territories import images
from clocher.territories.models import Territory

from .models import MemberRole, OrganisationKind

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"
DETAIL_FIELDS = ("kind", "name", "description", "email", "phone", "website", "address", "official_id")


class OrganisationForm(forms.Form):
    """An organisation's details, the communes it acts in and its logo (re-encoded in clean)."""

    kind = forms.ChoiceField(label=_("Type"), choices=OrganisationKind.choices, initial=OrganisationKind.ASSOCIATION)
    name = forms.CharField(label=_("Nom"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    description = forms.CharField(
        label=_("Présentation"), required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Ce que fait l'association ou l'entreprise. **gras**, *italique*, listes et liens acceptés."),
    )
    email = forms.EmailField(label=_("E-mail de contact"), required=False,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(label=_("Téléphone"), required=False, max_length=40,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}))
    website = forms.URLField(label=_("Site internet"), required=False, max_length=500, assume_scheme="https",
                             widget=forms.URLInput(attrs={"autocomplete": "url"}))
    address = forms.CharField(label=_("Adresse"), required=False, max_length=255,
                              widget=forms.TextInput(attrs={"autocomplete": "street-address"}))
    official_id = forms.CharField(label=_("N° RNA ou SIRET"), required=False, max_length=20,
                                  help_text=_("Facultatif. Par exemple W321000123 pour une association."))
    communes = forms.ModelMultipleChoiceField(
        label=_("Communes où elle agit"), queryset=Territory.objects.none(),
        help_text=_("Ses membres pourront proposer des lieux, des événements et des actualités à ces communes."),
    )
    logo_upload = forms.FileField(
        label=_("Logo"), required=False,
        help_text=_("JPEG, PNG ou WebP. Réduit à 512 pixels de côté au plus."),
        widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    remove_logo = forms.BooleanField(label=_("Retirer le logo actuel"), required=False)

    def __init__(self, *args: Any, communes: QuerySet[Territory], with_logo: bool = True,
                 has_logo: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["communes"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = communes
        if not with_logo:
            del self.fields["logo_upload"]
        if not has_logo:
            self.fields.pop("remove_logo", None)

    def clean_logo_upload(self) -> images.ProcessedImage | None:
        upload: UploadedFile[bytes] | None = self.cleaned_data.get("logo_upload")
        if not upload:
            return None
        try:
            return images.reencode_logo(upload)
        except images.ImageRejected as exc:
            raise forms.ValidationError(str(exc), code="invalid_image") from exc

    def details(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) or "" for name in DETAIL_FIELDS}

    def chosen_communes(self) -> list[Territory]:
        return list(self.cleaned_data.get("communes") or [])


class RequestForm(OrganisationForm):
    """A resident's request: the commune of its seat (whose moderators decide) comes first."""

    seat = forms.ModelChoiceField(
        label=_("Commune du siège"), queryset=Territory.objects.none(), empty_label=_("Choisissez la commune"),
        help_text=_("La commune qui examinera la demande."),
    )
    field_order = ["kind", "name", "seat", "communes"]

    def __init__(self, *args: Any, communes: QuerySet[Territory], **kwargs: Any) -> None:
        super().__init__(*args, communes=communes, with_logo=False, **kwargs)
        seat = self.fields["seat"]
        assert isinstance(seat, forms.ModelChoiceField)
        seat.queryset = communes
        others = self.fields["communes"]
        others.label = _("Autres communes où elle agit")
        others.required = False

    def chosen_communes(self) -> list[Territory]:
        seat = self.cleaned_data.get("seat")
        others = [commune for commune in super().chosen_communes() if commune != seat]
        return ([seat] if seat is not None else []) + others


class MemberForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse e-mail de la personne"), widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text=_("Elle doit déjà avoir un compte sur le portail, avec cette adresse confirmée."),
    )
    role = forms.ChoiceField(label=_("Rôle"), choices=MemberRole.choices, initial=MemberRole.MEMBER)


class DecisionForm(forms.Form):
    message = forms.CharField(
        label=_("Message au demandeur"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Obligatoire pour refuser : il le lira sur sa page et par e-mail."),
    )


class SearchForm(forms.Form):
    """The public list's filters: all optional, a bad value is simply ignored."""

    q = forms.CharField(label=_("Nom"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search"}))
    commune = forms.ModelChoiceField(label=_("Commune"), queryset=Territory.objects.none(), required=False,
                                     empty_label=_("Toutes les communes"))
    kind = forms.ChoiceField(label=_("Type"), required=False,
                             choices=[("", _("Associations et entreprises")), *OrganisationKind.choices])

    def __init__(self, *args: Any, communes: QuerySet[Territory], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["commune"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = communes
