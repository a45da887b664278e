""""Download my data" for participation: verifications, what the person took part in (never what they
chose), their projects, comments and supports."""

from __future__ import annotations

import json

import pytest
import time_machine

from clocher.accounts.models import User
from clocher.participation import poll_services
from clocher.participation.budgets import Project, ProjectComment, ProjectSupport
from clocher.participation.models import Level
from clocher.participation.selectors import personal_data
from clocher.territories.models import Territory

from .test_feed import budget
from .test_polls import NOW, auch_resident, open_poll, option_ids

pytestmark = pytest.mark.django_db
__all__ = ["auch_resident"]


def test_participation_data_says_where_the_person_took_part_but_not_what_they_chose(
    bob: User, auch: Territory, auch_resident: User,
) -> None:
    poll = open_poll(bob, auch, title="Nom de la médiathèque", territories=[auch], level=Level.RESIDENCE_CODE)
    chosen = poll.options.get(pk=option_ids(poll)[1])
    with time_machine.travel(NOW, tick=False):
        poll_services.vote(auch_resident, poll, [str(chosen.pk)])
    pb = budget(auch, "Budget d'Auch", auch)
    mine = Project.objects.create(budget=pb, code="1", author=auch_resident, title="Un banc", description="Place",
                                  estimated_cost=800)
    other = Project.objects.create(budget=pb, code="2", author=bob, title="Un arbre", description="Parc",
                                   estimated_cost=300)
    ProjectComment.objects.create(project=other, author=auch_resident, author_name="Rita", text="Oui !")
    ProjectSupport.objects.create(project=other, user=auch_resident)
    ProjectSupport.objects.create(project=mine, user=bob)

    data = personal_data(auch_resident)
    json.dumps(data)  # serialisable as the download is
    assert [v["level"] for v in data["residence_verifications"]] == [Level.RESIDENCE_CODE]
    assert data["took_part_in"] == [{"kind": "poll", "title": "Nom de la médiathèque", "at": NOW.isoformat()}]
    assert chosen.label not in json.dumps(data, ensure_ascii=False)
    assert [p["title"] for p in data["budget_projects"]] == ["Un banc"]
    assert [c["text"] for c in data["budget_comments"]] == ["Oui !"]
    assert [s["project"] for s in data["budget_supports"]] == ["Un arbre"]
    assert "consultation_drafts" in data and "consultation_responses" in data
