"""Forms of the staff interface. They validate and re-encode; the territories services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from clocher.core.modules import registry
from clocher.territories import images
from clocher.territories.models import Collectivity, Role
from clocher.territories.services import COLLECTIVITY_TEXT_FIELDS

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"


class CollectivityForm(forms.ModelForm[Collectivity]):
    """The collectivity's information. Images are re-encoded in clean_*; nothing is saved here."""

    website = forms.URLField(
        label=_("Site internet"), required=False, assume_scheme="https", max_length=200,
        widget=forms.URLInput(attrs={"autocomplete": "url"}),
    )
    logo_upload = forms.FileField(
        label=_("Nouveau logo"), required=False,
        help_text=_("JPEG, PNG ou WebP. Réduit à 512 pixels de côté au plus."),
        widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    remove_logo = forms.BooleanField(label=_("Retirer le logo actuel"), required=False)
    banner_upload = forms.FileField(
        label=_("Nouvelle bannière"), required=False,
        help_text=_("Une photo large, JPEG, PNG ou WebP. Réduite à 2048 pixels de côté au plus."),
        widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    remove_banner = forms.BooleanField(label=_("Retirer la bannière actuelle"), required=False)

    class Meta:
        model = Collectivity
        fields = COLLECTIVITY_TEXT_FIELDS
        help_texts = {
            "description": _(
                "Quelques lignes pour présenter la collectivité. Texte simple, ou un peu de HTML : "
                "balises p, br, strong, em, listes ul, ol, li et liens a href."
            ),
            "banner_alt": _(
                "Ce que montre la bannière, pour les personnes qui ne la voient pas. "
                "Laissez vide si elle est purement décorative."
            ),
            "address": _("Adresse postale de la mairie."),
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "address": forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
            "opening_hours": forms.Textarea(attrs={"rows": 4}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def _reencode(self, name: str, process: Any) -> images.ProcessedImage | None:
        upload: UploadedFile[bytes] | None = self.cleaned_data.get(name)
        if not upload:
            return None
        try:
            result: images.ProcessedImage = process(upload)
        except images.ImageRejected as exc:
            raise forms.ValidationError(str(exc), code="invalid_image") from exc
        return result

    def clean_logo_upload(self) -> images.ProcessedImage | None:
        return self._reencode("logo_upload", images.reencode_logo)

    def clean_banner_upload(self) -> images.ProcessedImage | None:
        return self._reencode("banner_upload", images.reencode_banner)

    def text_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name, "") for name in COLLECTIVITY_TEXT_FIELDS}

    def image_changes(self) -> dict[str, images.ProcessedImage | None]:
        """What to do with each image: a new re-encoded one, None to remove it, absent to keep it."""
        changes: dict[str, images.ProcessedImage | None] = {}
        for name in ("logo", "banner"):
            new = self.cleaned_data.get(f"{name}_upload")
            if new is not None:
                changes[name] = new
            elif self.cleaned_data.get(f"remove_{name}"):
                changes[name] = None
        return changes


class ModulesForm(forms.Form):
    """One checkbox per registered module a collectivity may turn off."""

    def __init__(self, *args: Any, enabled: set[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for module in registry.switchable():
            self.fields[module.name] = forms.BooleanField(
                label=module.label, required=False, initial=module.name in enabled,
                help_text=module.description,
            )


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse e-mail de la personne"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label=_("Rôle"), choices=Role.choices, initial=Role.EDITOR,
        help_text=_(
            "Administrateur : réglages, modules et équipe. Rédacteur : publie et modifie la fiche. "
            "Agent : traite les signalements. Modérateur : valide les contributions. "
            "Contrôleur : vérifie les cartes."
        ),
    )
