"""The staff's poll form: the question, its answers one per line, dates, results and who may vote.
It validates the shape of what was typed; poll_services decides what a poll may be."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clocher.territories.models import Territory

from .models import Level
from .poll_selectors import eligibility_choices
from .poll_services import MAX_AGE, PollData
from .polls import MAX_OPTIONS, Poll, PollKind, ResultsVisibility

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
DATETIME_INPUTS = [DATETIME_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]
# Up to this many territories to choose from, checkboxes; beyond (a département's communes), a list.
CHECKBOXES_UP_TO = 12


def _datetime_field(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, input_formats=DATETIME_INPUTS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


class EligibilityForm(forms.Form):
    """Who may take part, as polls, consultations and budgets all ask it: residents of some
    territories (checkboxes, or a list beyond CHECKBOXES_UP_TO), a minimum age, a verification level.
    These three fields come last, after the subclass's own."""

    territories = forms.ModelMultipleChoiceField(
        label=_("Réservé aux habitants de"), queryset=Territory.objects.none(), required=False,
        help_text=_("Aucun : ouvert à toute personne inscrite."),
    )
    min_age = forms.IntegerField(label=_("Âge minimum"), required=False, min_value=0, max_value=MAX_AGE,
                                 help_text=_("Vide : sans condition d'âge."))
    level = forms.ChoiceField(label=_("Vérification demandée"), choices=Level.choices, initial=Level.RESIDENCE_CODE,
                              widget=forms.RadioSelect)

    def __init__(self, *args: Any, territory: Territory, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("territories", "min_age", "level"):
            self.fields[name] = self.fields.pop(name)
        field = self.fields["territories"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        choices = eligibility_choices(territory)
        field.queryset = choices
        many = choices.count() > CHECKBOXES_UP_TO
        field.widget = forms.SelectMultiple(attrs={"size": 8}) if many else forms.CheckboxSelectMultiple()
        field.widget.choices = field.choices
        if not self.is_bound and "territories" not in self.initial:
            self.initial["territories"] = [territory.pk]


class PollForm(EligibilityForm):
    title = forms.CharField(label=_("Question"), max_length=200)
    description = forms.CharField(
        label=_("Présentation"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Facultatif. Texte simple : le contexte, ce que la collectivité fera du résultat."),
    )
    options = forms.CharField(
        label=_("Réponses proposées"), widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Une réponse par ligne, de 2 à %(max)s.") % {"max": MAX_OPTIONS},
    )
    kind = forms.ChoiceField(label=_("Type"), choices=PollKind.choices, initial=PollKind.SINGLE,
                             widget=forms.RadioSelect)
    max_choices = forms.IntegerField(
        label=_("Nombre de réponses au plus (choix multiple)"), required=False, min_value=1, max_value=MAX_OPTIONS,
        help_text=_("Vide : autant que de réponses proposées."),
    )
    opens_at = _datetime_field(_("Ouverture du vote"))
    closes_at = _datetime_field(_("Clôture du vote"))
    results_visibility = forms.ChoiceField(
        label=_("Résultats visibles"), choices=ResultsVisibility.choices, initial=ResultsVisibility.AFTER_CLOSING,
        widget=forms.RadioSelect,
        help_text=_("Dans une petite commune, des résultats visibles pendant le vote laissent deviner le choix "
                    "de qui vient de voter : préférez « après la clôture »."),
    )
    def poll_data(self) -> PollData:
        data = self.cleaned_data
        return PollData(
            title=data["title"], description=data.get("description") or "",
            options=data["options"].splitlines(), kind=data["kind"], max_choices=data.get("max_choices"),
            opens_at=data["opens_at"], closes_at=data["closes_at"], results_visibility=data["results_visibility"],
            territories=list(data.get("territories") or []), min_age=data.get("min_age"), level=data["level"],
        )


def initial_of(poll: Poll) -> dict[str, Any]:
    eligibility = poll.eligibility
    return {
        "title": poll.title, "description": poll.description,
        "options": "\n".join(option.label for option in poll.options.all()),
        "kind": poll.kind, "max_choices": poll.max_choices,
        "opens_at": timezone.localtime(poll.opens_at), "closes_at": timezone.localtime(poll.closes_at),
        "results_visibility": poll.results_visibility,
        "territories": list(eligibility.territories.values_list("pk", flat=True)),
        "min_age": eligibility.min_age, "level": eligibility.level,
    }
