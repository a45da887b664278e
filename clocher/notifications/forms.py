"""The preferences page's form: follow my commune, quiet hours, and per topic its channels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .categories import event_categories
from .models import EmailFrequency, NotificationSettings, Topic
from .topics import Wanted

TOPIC_HELP = {
    Topic.ALERTS: _("Intempéries, coupures, travaux urgents : les alertes de vos communes."),
    Topic.NEWS: _("Les actualités publiées par vos communes, leur intercommunalité et le département."),
    Topic.EVENTS: _("Les événements de l'agenda de vos communes."),
    Topic.MENUS: _("Les menus des cantines scolaires de vos communes."),
    Topic.PARTICIPATION: _("L'ouverture d'un sondage, d'une consultation, d'un vote ; les résultats publiés."),
    Topic.MY_REPORTS: _("Les suites données aux problèmes que vous avez signalés."),
}


@dataclass(frozen=True)
class TopicFields:
    """The fields of one topic's fieldset, for the template."""

    topic: str
    label: Any
    help: Any
    push: forms.BoundField
    inbox: forms.BoundField
    email: forms.BoundField
    categories: forms.BoundField | None


class PreferencesForm(forms.Form):
    follow_home = forms.BooleanField(
        label=_("Recevoir les notifications de ma commune"), required=False,
        help_text=_("Votre commune est celle choisie dans votre compte. Décochez pour ne suivre que les communes ci-dessous."),
    )
    quiet_start = forms.TimeField(
        label=_("Début des heures calmes"), required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Format : hh:mm, par exemple 22:00."),
    )
    quiet_end = forms.TimeField(
        label=_("Fin des heures calmes"), required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Format : hh:mm, par exemple 07:00."),
    )

    def __init__(self, *args: Any, current: NotificationSettings, preferences: dict[str, Wanted], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.preferences = preferences
        self.categories = event_categories()
        self.initial.update({
            "follow_home": current.follow_home, "quiet_start": current.quiet_start, "quiet_end": current.quiet_end,
        })
        for topic in Topic.values:
            wanted = preferences[topic]
            self.fields[f"{topic}_push"] = forms.BooleanField(
                label=_("Notification sur l'appareil"), required=False, initial=wanted.push,
            )
            self.fields[f"{topic}_inbox"] = forms.BooleanField(
                label=_("Boîte de réception"), required=False, initial=wanted.inbox,
            )
            self.fields[f"{topic}_email"] = forms.ChoiceField(
                label=_("E-mail"), choices=EmailFrequency.choices, initial=wanted.email,
            )
            if topic == Topic.EVENTS and self.categories:
                self.fields["events_categories"] = forms.MultipleChoiceField(
                    label=_("Seulement ces catégories"), required=False, choices=self.categories,
                    initial=list(wanted.categories), widget=forms.CheckboxSelectMultiple,
                    help_text=_("Aucune case cochée : tous les événements."),
                )

    def topic_fields(self) -> list[TopicFields]:
        return [
            TopicFields(
                topic=topic, label=label, help=TOPIC_HELP[Topic(topic)],
                push=self[f"{topic}_push"], inbox=self[f"{topic}_inbox"], email=self[f"{topic}_email"],
                categories=self["events_categories"] if topic == Topic.EVENTS and self.categories else None,
            )
            for topic, label in Topic.choices
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("quiet_start"), cleaned.get("quiet_end")
        if (start is None) != (end is None) and not self.has_error("quiet_start") and not self.has_error("quiet_end"):
            self.add_error("quiet_end" if end is None else "quiet_start",
                           _("Donnez le début et la fin des heures calmes, ou aucun des deux."))
        elif start is not None and start == end:
            self.add_error("quiet_end", _("Les heures calmes doivent commencer et finir à des heures différentes."))
        return cleaned

    def wanted(self) -> dict[str, Wanted]:
        """Each topic's choice, as the form was sent."""
        chosen: dict[str, Wanted] = {}
        for topic in Topic.values:
            categories = self.preferences[topic].categories
            if topic == Topic.EVENTS and self.categories:
                categories = tuple(self.cleaned_data.get("events_categories") or ())
            chosen[topic] = Wanted(
                push=self.cleaned_data[f"{topic}_push"], inbox=self.cleaned_data[f"{topic}_inbox"],
                email=self.cleaned_data[f"{topic}_email"], categories=categories,
            )
        return chosen
