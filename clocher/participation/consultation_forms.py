"""Forms of consultations: the staff's consultation and question forms, and the reading of a page of
answers a resident posted. They validate the shape of what was typed; consultation_services decides
what a consultation, a question and an answer may be."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .consultation_selectors import chosen_options
from .consultation_services import (
    MAX_SCALE_STEPS,
    SCALE_BOUNDS,
    ConsultationData,
    QuestionData,
)
from .consultations import (
    CHOICE_KINDS,
    LONG_TEXT_MAX,
    MAX_OPTIONS,
    SHORT_TEXT_MAX,
    Consultation,
    Question,
    QuestionKind,
    ResultsVisibility,
)
from .poll_forms import DATETIME_FORMAT, DATETIME_INPUTS, EligibilityForm


def _datetime_field(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, input_formats=DATETIME_INPUTS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


SIGNED_CHOICES = [
    ("0", gettext_lazy("Anonymes : personne, pas même l'équipe, ne peut relier une réponse à son auteur")),
    ("1", gettext_lazy("Signées : l'équipe voit le nom et l'adresse e-mail de chaque répondant, dans l'export des réponses")),
]


class ConsultationForm(EligibilityForm):
    title = forms.CharField(label=gettext_lazy("Titre"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Présentation"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("Facultatif. Texte simple : le contexte, ce que la collectivité fera des réponses."),
    )
    opens_at = _datetime_field(gettext_lazy("Ouverture"))
    closes_at = _datetime_field(gettext_lazy("Clôture"))
    signed = forms.TypedChoiceField(label=gettext_lazy("Réponses"), choices=SIGNED_CHOICES, coerce=lambda v: v == "1",
                                    initial="0", widget=forms.RadioSelect)
    results_visibility = forms.ChoiceField(
        label=gettext_lazy("Résultats visibles"), choices=ResultsVisibility.choices,
        initial=ResultsVisibility.AFTER_CLOSING, widget=forms.RadioSelect,
        help_text=gettext_lazy("Les réponses écrites (textes libres) ne sont jamais publiées : l'équipe seule les lit."),
    )
    def consultation_data(self) -> ConsultationData:
        data = self.cleaned_data
        return ConsultationData(
            title=data["title"], description=data.get("description") or "",
            opens_at=data["opens_at"], closes_at=data["closes_at"], signed=bool(data["signed"]),
            results_visibility=data["results_visibility"], territories=list(data.get("territories") or []),
            min_age=data.get("min_age"), level=data["level"],
        )


def consultation_initial(consultation: Consultation) -> dict[str, Any]:
    eligibility = consultation.eligibility
    return {
        "title": consultation.title, "description": consultation.description,
        "opens_at": timezone.localtime(consultation.opens_at), "closes_at": timezone.localtime(consultation.closes_at),
        "signed": "1" if consultation.signed else "0", "results_visibility": consultation.results_visibility,
        "territories": list(eligibility.territories.values_list("pk", flat=True)),
        "min_age": eligibility.min_age, "level": eligibility.level,
    }


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Type de question"), choices=QuestionKind.choices)
    label = forms.CharField(label=gettext_lazy("Question"), max_length=300)
    help_text = forms.CharField(label=gettext_lazy("Aide"), required=False, max_length=1000,
                                widget=forms.Textarea(attrs={"rows": 2}),
                                help_text=gettext_lazy("Facultatif : une précision affichée sous la question."))
    required = forms.BooleanField(label=gettext_lazy("Réponse obligatoire"), required=False)
    new_page = forms.BooleanField(
        label=gettext_lazy("Commencer une nouvelle page avec cette question"), required=False,
        help_text=gettext_lazy("Une question affichée sous condition commence toujours une page."),
    )
    options = forms.CharField(
        label=gettext_lazy("Réponses proposées"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("Choix et classement : une réponse par ligne, de 2 à %(max)s.") % {"max": MAX_OPTIONS},
    )
    max_choices = forms.IntegerField(
        label=gettext_lazy("Nombre de réponses au plus (choix multiple)"), required=False, min_value=1,
        max_value=MAX_OPTIONS, help_text=gettext_lazy("Vide : autant que de réponses proposées."),
    )
    scale_min = forms.IntegerField(label=gettext_lazy("Échelle : de"), required=False, initial=1,
                                   min_value=SCALE_BOUNDS[0], max_value=SCALE_BOUNDS[1])
    scale_max = forms.IntegerField(
        label=gettext_lazy("Échelle : à"), required=False, initial=5, min_value=SCALE_BOUNDS[0],
        max_value=SCALE_BOUNDS[1],
        help_text=gettext_lazy("%(steps)s valeurs au plus, de 0 à 10 par exemple.") % {"steps": MAX_SCALE_STEPS},
    )
    scale_min_label = forms.CharField(label=gettext_lazy("Libellé du minimum"), required=False, max_length=60,
                                      help_text=gettext_lazy("Par exemple : « Pas du tout d'accord »."))
    scale_max_label = forms.CharField(label=gettext_lazy("Libellé du maximum"), required=False, max_length=60,
                                      help_text=gettext_lazy("Par exemple : « Tout à fait d'accord »."))
    condition_options = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Afficher cette question seulement si"), required=False, coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Cochez une ou plusieurs réponses d'une même question précédente : la question "
                               "s'affiche à qui a choisi l'une d'elles. Rien de coché : toujours affichée."),
    )

    def __init__(self, *args: Any, earlier: Sequence[Question], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Grouped by question: the template shows each group as a fieldset named by its question.
        self.condition_groups = [
            (question, list(question.options.all())) for question in earlier if question.kind in CHOICE_KINDS
        ]
        field = self.fields["condition_options"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(option.pk, option.label) for _q, options in self.condition_groups for option in options]

    def question_data(self) -> QuestionData:
        data = self.cleaned_data
        return QuestionData(
            kind=data["kind"], label=data["label"], help_text=data.get("help_text") or "",
            required=bool(data.get("required")), new_page=bool(data.get("new_page")),
            options=(data.get("options") or "").splitlines(), max_choices=data.get("max_choices"),
            scale_min=data.get("scale_min"), scale_max=data.get("scale_max"),
            scale_min_label=data.get("scale_min_label") or "", scale_max_label=data.get("scale_max_label") or "",
            condition_options=list(data.get("condition_options") or []),
        )


def question_initial(question: Question) -> dict[str, Any]:
    return {
        "kind": question.kind, "label": question.label, "help_text": question.help_text,
        "required": question.required, "new_page": question.new_page,
        "options": "\n".join(option.label for option in question.options.all()),
        "max_choices": question.max_choices, "scale_min": question.scale_min, "scale_max": question.scale_max,
        "scale_min_label": question.scale_min_label, "scale_max_label": question.scale_max_label,
        "condition_options": list(question.condition_options.values_list("pk", flat=True)),
    }


# A resident's page of answers

class PostedData(Protocol):
    def get(self, key: str, default: Any = ...) -> Any: ...
    def getlist(self, key: str) -> list[Any]: ...


def field_name(question: Question) -> str:
    return f"q{question.pk}"


def rank_name(question: Question, option_pk: int) -> str:
    return f"q{question.pk}-{option_pk}"


def read_page(questions: Sequence[Question], data: PostedData) -> tuple[dict[str, object], dict[int, str]]:
    """The answers a page posted, in the stored shape (see consultation_selectors), keyed by
    question id; and the errors of what could not be read (a value no form sends, an incomplete
    or inconsistent ranking). Whether an answer is allowed is the service's to decide."""
    values: dict[str, object] = {}
    errors: dict[int, str] = {}
    unknown = _("Cette réponse ne fait pas partie de la question.")
    for question in questions:
        key, name = str(question.pk), field_name(question)
        try:
            if question.kind in (QuestionKind.SINGLE, QuestionKind.SCALE):
                raw = str(data.get(name, "") or "").strip()
                values[key] = int(raw) if raw else None
            elif question.kind == QuestionKind.MULTIPLE:
                values[key] = sorted({int(v) for v in data.getlist(name) if str(v).strip()})
            elif question.kind == QuestionKind.RANKING:
                values[key] = _read_ranking(question, data)
            else:
                values[key] = str(data.get(name, "") or "")
        except Unreadable as exc:
            errors[question.pk] = str(exc)
        except ValueError:  # not a number: no form of ours sends that
            errors[question.pk] = unknown
    return values, errors


class Unreadable(ValueError):
    """A ranking that cannot be read as one; str(exc) says why, in French."""


def _read_ranking(question: Question, data: PostedData) -> list[int] | None:
    options = [option.pk for option in question.options.all()]
    raw = {pk: str(data.get(rank_name(question, pk), "") or "").strip() for pk in options}
    if not any(raw.values()):
        return None
    wrong = Unreadable(_("Donnez à chaque proposition un rang différent, de 1 à %(count)s.") % {"count": len(options)})
    if not all(raw.values()):
        raise Unreadable(_("Classez toutes les propositions, de 1 à %(count)s, ou aucune.") % {"count": len(options)})
    try:
        ranks = {pk: int(value) for pk, value in raw.items()}
    except ValueError:
        raise wrong from None
    if sorted(ranks.values()) != list(range(1, len(options) + 1)):
        raise wrong
    return sorted(options, key=lambda pk: ranks[pk])


@dataclass
class AnswerField:
    """One question as a page shows it: what is checked, ranked or written so far, and its error."""

    question: Question
    name: str
    options: list[Any]
    error: str = ""
    checked: set[int] = field(default_factory=set)
    ranks: dict[int, str] = field(default_factory=dict)
    text: str = ""
    steps: list[int] = field(default_factory=list)
    rank_choices: list[str] = field(default_factory=list)

    @property
    def rank_rows(self) -> list[tuple[Any, str]]:
        """Each option with the rank it holds so far ("" for none), for a ranking's selects."""
        return [(option, self.ranks.get(option.pk, "")) for option in self.options]

    @property
    def maxlength(self) -> int:
        return LONG_TEXT_MAX if self.question.kind == QuestionKind.LONG_TEXT else SHORT_TEXT_MAX

    @property
    def described_by(self) -> str:
        ids = []
        if self.question.help_text:
            ids.append(f"{self.name}-aide")
        if self.error:
            ids.append(f"{self.name}-erreur")
        return " ".join(ids)


def answer_fields(questions: Sequence[Question], values: Mapping[str, object], errors: Mapping[int, str],
                  data: PostedData | None = None) -> list[AnswerField]:
    """The page's questions ready for the template, filled from `values` (the draft, or what was
    just posted), or for a ranking that could not be read, from the posted `data` as typed."""
    fields: list[AnswerField] = []
    for question in questions:
        options = list(question.options.all())
        value = values.get(str(question.pk))
        item = AnswerField(question=question, name=field_name(question), options=options,
                           error=errors.get(question.pk, ""))
        if question.kind in CHOICE_KINDS or question.kind == QuestionKind.SCALE:
            item.checked = chosen_options(value)
        if question.kind == QuestionKind.SCALE and question.scale_min is not None and question.scale_max is not None:
            item.steps = list(range(question.scale_min, question.scale_max + 1))
        if question.kind == QuestionKind.RANKING:
            item.rank_choices = [str(rank) for rank in range(1, len(options) + 1)]
            if isinstance(value, list):
                item.ranks = {pk: str(rank) for rank, pk in enumerate(value, start=1)}
            elif data is not None:
                item.ranks = {o.pk: str(data.get(rank_name(question, o.pk), "") or "") for o in options}
        if isinstance(value, str):
            item.text = value
        fields.append(item)
    return fields

