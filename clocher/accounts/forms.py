from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import User


class ProfileForm(forms.ModelForm[User]):
    language = forms.ChoiceField(label=_("Langue"), choices=settings.LANGUAGES)

    class Meta:
        model = User
        fields = ["display_name", "language", "birth_date"]
        labels = {"display_name": _("Nom affiché"), "birth_date": _("Date de naissance (facultative)")}
        help_texts = {
            "display_name": _("Le nom que voient les autres, par exemple sur vos contributions."),
            "birth_date": _(
                "Certaines consultations et certains budgets participatifs sont ouverts à partir d'un âge "
                "minimum. Elle n'est montrée à personne. Format : jj/mm/aaaa."
            ),
        }
        # A native date picker on phones; the format is the one the <input type="date"> sends.
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d")}


class CommuneSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Nom ou code postal de la commune"), max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class CommuneCodeForm(forms.Form):
    """The commune a button acts on, by its INSEE code."""

    code = forms.RegexField(regex=r"^[0-9][0-9AB][0-9]{3}$", max_length=5)


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Votre mot de passe"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("Je comprends que mon compte et mes données seront supprimés définitivement."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("Ce mot de passe est incorrect."), code="password")
        return password
