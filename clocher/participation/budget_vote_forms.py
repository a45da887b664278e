"""Reading a budget ballot from a form, the same for the resident's page and a paper ballot entered by
staff: checkboxes `project` (approval kinds), number fields `points-<pk>` (cumulative), selects
`rank-<pk>` (ranking). It reads what was typed; budget_vote.check_ballot decides what is allowed."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .budget_vote import LABEL_MAX
from .budgets import BallotKind, Budget, Project

# Far above any budget's points (a small integer), far below the column's limit.
MAX_TYPED = 1_000_000


def _whole(text: str) -> int | None:
    text = text.strip()
    if not text:
        return 0
    if not text.isascii() or not text.isdigit() or len(text) > 7:
        return None
    value = int(text)
    return value if value <= MAX_TYPED else None


def marks_from(data: QueryDict, budget: Budget, projects: Iterable[Project]) -> tuple[dict[int, int], list[str]]:
    """The marks (project pk → 1, points or rank) the form holds, and a sentence per value that
    is not one (a word in a points field...). Unknown projects are kept for check_ballot to name."""
    marks: dict[int, int] = {}
    errors: list[str] = []
    kind = budget.ballot_kind
    if kind in (BallotKind.APPROVAL, BallotKind.APPROVAL_BUDGET):
        for value in data.getlist("project"):
            number = _whole(value)
            if not number:
                errors.append(_("Un projet choisi ne fait pas partie de ce vote : rechargez la page."))
                continue
            marks[number] = 1
        return marks, list(dict.fromkeys(errors))  # a sentence once, however many values are wrong
    field = "points" if kind == BallotKind.CUMULATIVE else "rank"
    for project in projects:
        raw = data.get(f"{field}-{project.pk}", "")
        number = _whole(raw)
        if number is None:
            errors.append(
                (_("Les points de « %(title)s » doivent être un nombre entier, 0 ou plus (vous avez écrit « %(value)s »).")
                 if field == "points" else
                 _("Le rang de « %(title)s » doit être un nombre entier (vous avez choisi « %(value)s »)."))
                % {"title": project.title, "value": raw[:20]}
            )
        elif number:
            marks[project.pk] = number
    return marks, errors


def invalid_marks(data: QueryDict, budget: Budget, projects: Iterable[Project]) -> set[int]:
    """The projects whose points or rank field holds something that is not a whole number, so
    that the page marks those fields invalid (aria-invalid) beside the sentences of `marks_from`."""
    if budget.ballot_kind in (BallotKind.APPROVAL, BallotKind.APPROVAL_BUDGET):
        return set()
    field = "points" if budget.ballot_kind == BallotKind.CUMULATIVE else "rank"
    return {project.pk for project in projects if _whole(data.get(f"{field}-{project.pk}", "")) is None}


class PaperBallotForm(forms.Form):
    """The reference written on a paper ballot; its choices are read by `marks_from`."""

    label = forms.CharField(
        label=gettext_lazy("Référence du bulletin"), max_length=LABEL_MAX,
        help_text=gettext_lazy("Le numéro écrit sur la feuille, pour la retrouver : « Mairie-012 »."),
    )
