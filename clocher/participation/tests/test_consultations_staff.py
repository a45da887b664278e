"""Staff consultation pages in /gestion/: writing a consultation and its questions without
JavaScript, publishing, closing, the results dashboard, and the CSV and XLSX exports (formulas
neutralised, names only when signed); other territories and other roles get 404s."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from typing import Any

import pytest
import time_machine
from django.test import Client

from clocher.accounts.models import User
from clocher.participation import consultation_services as services
from clocher.participation.consultations import (
    Consultation,
    ConsultationStatus,
    Question,
)
from clocher.territories.models import Role, Territory
from conftest import grant, make_user

from .test_consultations import NOW, build, option, questions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def base(territory: Territory) -> str:
    return f"/gestion/{territory.pk}/participation/consultations/"


def respond(consultation: Consultation, user: User, *, comment: str = "", drives: bool = True) -> None:
    qs = questions(consultation)
    services.save_page(user, consultation, 1, {
        str(qs["single"].pk): option(qs["single"], "Oui" if drives else "Non"),
        str(qs["multiple"].pk): [option(qs["multiple"], "Marché"), option(qs["multiple"], "Passage")],
    })
    if drives:
        services.save_page(user, consultation, 2, {str(qs["scale"].pk): 3})
    ranking = qs["ranking"]
    services.save_page(user, consultation, 3, {
        str(ranking.pk): [o.pk for o in ranking.options.all()], str(qs["long_text"].pk): comment,
    })
    services.submit_response(user, consultation)


def test_staff_write_a_consultation_and_its_questions_with_plain_forms(gers_client: Client, bob: User,
                                                                       auch: Territory) -> None:
    gers_client.force_login(bob)
    assert gers_client.get(base(auch)).status_code == 200
    response = gers_client.post(base(auch) + "nouvelle/", {
        "title": "Les horaires de la médiathèque", "opens_at": "2026-05-05T09:00", "closes_at": "2026-05-20T18:00",
        "signed": "0", "results_visibility": "after_closing", "territories": [auch.pk], "level": "email",
    })
    consultation = Consultation.objects.get()
    edit = f"{base(auch)}{consultation.pk}/"
    assert response["Location"] == edit
    page = gers_client.get(edit).content.decode()
    assert "Pas encore de question" in page and 'name="type"' in page

    new_question = edit + "questions/nouvelle/"
    assert 'value="scale" selected' in gers_client.get(new_question + "?type=scale").content.decode()
    gers_client.post(new_question, {"kind": "single", "label": "Venez-vous le samedi ?", "options": "Oui\nNon",
                                    "required": "on"})
    first = Question.objects.get()
    yes = first.options.get(label="Oui")
    # The condition offers the earlier question's options, grouped under it.
    form = gers_client.get(new_question + "?type=short_text").content.decode()
    assert "« Venez-vous le samedi ? » a pour réponse" in form and f'value="{yes.pk}"' in form
    response = gers_client.post(new_question, {"kind": "short_text", "label": "À quelle heure ?",
                                               "condition_options": [yes.pk]})
    assert response.status_code == 302
    second = Question.objects.exclude(pk=first.pk).get()
    assert second.condition_question == first and list(second.condition_options.all()) == [yes]
    # A refusal lands on the field at fault.
    response = gers_client.post(new_question, {"kind": "ranking", "label": "Classez", "options": "Seule"})
    assert response.status_code == 400 and "Proposez au moins deux réponses." in response.content.decode()
    # Moving the conditional question above its condition is refused, with a message.
    response = gers_client.post(edit + f"questions/{second.pk}/deplacer/", {"direction": "up"}, follow=True)
    assert "doit rester après" in response.content.decode()
    gers_client.post(edit + f"questions/{second.pk}/", {"kind": "short_text", "label": "À quelle heure ?"})
    second.refresh_from_db()
    assert second.condition_question is None
    gers_client.post(edit + f"questions/{second.pk}/deplacer/", {"direction": "up"})
    assert list(consultation.questions.values_list("pk", flat=True)) == [second.pk, first.pk]
    gers_client.post(edit + f"questions/{second.pk}/supprimer/")
    assert list(consultation.questions.values_list("pk", flat=True)) == [first.pk]

    response = gers_client.post(edit + "publier/", follow=True)
    assert "est publiée" in response.content.decode()
    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.PUBLISHED


def test_publishing_without_questions_says_why(gers_client: Client, bob: User, auch: Territory) -> None:
    consultation = services.create_consultation(bob, auch, services.ConsultationData(
        title="Vide", opens_at=NOW, closes_at=NOW.replace(month=6)))
    gers_client.force_login(bob)
    response = gers_client.post(f"{base(auch)}{consultation.pk}/publier/", follow=True)
    assert "Ajoutez au moins une question avant de publier." in response.content.decode()


def test_other_territories_and_roles_get_404s(gers_client: Client, orne_client: Client, bob: User, mona: User,
                                              gers: Territory, alencon: Territory, auch: Territory) -> None:
    consultation = build(bob, auch)
    question = consultation.questions.first()
    assert question is not None
    urls = [
        f"{base(auch)}{consultation.pk}/", f"{base(auch)}{consultation.pk}/resultats/",
        f"{base(auch)}{consultation.pk}/reponses.csv", f"{base(auch)}{consultation.pk}/reponses.xlsx",
        f"{base(auch)}{consultation.pk}/questions/{question.pk}/",
    ]
    gers_client.force_login(mona)  # a moderator of Auch
    for url in urls:
        assert gers_client.get(url).status_code == 404, url
    # Editors rather than admins, whom the second factor would stop first.
    orne_client.force_login(grant(make_user("orne@example.org"), alencon, Role.EDITOR).user)
    for url in urls:
        assert orne_client.get(url).status_code == 404, url
    # The département's editor, through their own territory, does not reach Auch's consultation.
    gers_client.force_login(grant(make_user("gers@example.org"), gers, Role.EDITOR).user)
    assert gers_client.get(f"{base(gers)}{consultation.pk}/").status_code == 404
    # Another consultation's question through this one's address.
    other = build(bob, auch, publish=False)
    gers_client.force_login(bob)
    other_question = other.questions.first()
    assert other_question is not None
    assert gers_client.get(f"{base(auch)}{consultation.pk}/questions/{other_question.pk}/").status_code == 404
    assert gers_client.post(f"{base(auch)}{consultation.pk}/questions/{other_question.pk}/supprimer/").status_code == 404
    assert other.questions.count() == 5


def test_the_dashboard_shows_charts_numbers_and_escaped_texts(gers_client: Client, bob: User, auch: Territory,
                                                              django_assert_max_num_queries: Any) -> None:
    consultation = build(bob, auch)
    for index in range(3):
        respond(consultation, make_user(f"h{index}@example.org", home_commune=auch),
                comment="<b>Plus d'ombre</b>" if index == 0 else "", drives=index != 2)
    gers_client.force_login(bob)
    with django_assert_max_num_queries(30):
        html = gers_client.get(f"{base(auch)}{consultation.pk}/resultats/").content.decode()
    assert "3 réponses envoyées." in html
    assert html.count('<svg class="poll-bar"') == 2 + 3 + 5 + 3
    assert re.search(r"Moyenne : 3 · médiane : 3", html)
    assert "&lt;b&gt;Plus d&#x27;ombre&lt;/b&gt;" in html and "<b>Plus" not in html
    assert "Réponses anonymes" in html


def test_the_csv_export_has_one_row_per_response_and_neutralises_formulas(gers_client: Client, bob: User,
                                                                           auch: Territory) -> None:
    consultation = build(bob, auch)
    respond(consultation, make_user("a@example.org", home_commune=auch, display_name="Anne"),
            comment='=HYPERLINK("http://evil.example","clic")')
    respond(consultation, make_user("b@example.org", home_commune=auch), drives=False)
    gers_client.force_login(bob)
    response = gers_client.get(f"{base(auch)}{consultation.pk}/reponses.csv")
    assert response["Content-Disposition"] == f'attachment; filename="consultation-{consultation.pk}-reponses.csv"'
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["Réponse n°", "Venez-vous en voiture ?", "Que faites-vous sur la place ?",
                       "Faut-il plus de places de parking ?", "Classez ces idées", "Un commentaire ?"]
    assert len(rows) == 3
    by_answer = {row[1]: row for row in rows[1:]}
    assert by_answer["Oui"][2:] == ["Marché ; Passage", "3", "1. Arbres ; 2. Bancs ; 3. Fontaine",
                                    "'=HYPERLINK(\"http://evil.example\",\"clic\")"]
    assert by_answer["Non"][3] == ""  # not shown, not answered
    assert "Anne" not in text and "a@example.org" not in text  # anonymous


def test_a_signed_export_names_the_respondents(gers_client: Client, bob: User, auch: Territory) -> None:
    consultation = build(bob, auch, signed=True)
    respond(consultation, make_user("anne@example.org", home_commune=auch, display_name="Anne Martin"))
    gers_client.force_login(bob)
    rows = list(csv.reader(io.StringIO(
        gers_client.get(f"{base(auch)}{consultation.pk}/reponses.csv").content.decode().lstrip("\ufeff")),
        delimiter=";"))
    assert rows[0][:4] == ["Réponse n°", "Nom", "Adresse e-mail", "Envoyée le"]
    assert rows[1][1:4] == ["Anne Martin", "anne@example.org", "2026-05-04 12:00"]


def _xlsx_cells(data: bytes) -> list[str]:
    """The sheet's strings, read back from the .xlsx's XML (shared strings and inline strings)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert "xl/workbook.xml" in names and "xl/worksheets/sheet1.xml" in names
        shared = archive.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in names else ""
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # no formula anywhere
    return re.findall(r"<t[^>]*>([^<]*)</t>", shared)


def test_the_xlsx_export_opens_and_holds_the_same_table_without_formulas(gers_client: Client, bob: User,
                                                                          auch: Territory) -> None:
    consultation = build(bob, auch)
    respond(consultation, make_user("a@example.org", home_commune=auch), comment="=1+2")
    gers_client.force_login(bob)
    response = gers_client.get(f"{base(auch)}{consultation.pk}/reponses.xlsx")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    cells = _xlsx_cells(response.content)
    assert "Venez-vous en voiture ?" in cells and "Marché ; Passage" in cells
    assert "=1+2" in cells  # kept as the text it is, never run


def test_closing_early_and_frozen_questions_are_said_on_the_page(gers_client: Client, bob: User,
                                                                 auch: Territory) -> None:
    consultation = build(bob, auch)
    gers_client.force_login(bob)
    page = gers_client.get(f"{base(auch)}{consultation.pk}/").content.decode()
    assert "seulement reformulées" in page and "Ajouter une question" not in page and "Monter" not in page
    question = questions(consultation)["single"]
    response = gers_client.post(f"{base(auch)}{consultation.pk}/questions/{question.pk}/", {
        "kind": "single", "label": "Venez-vous en voiture ?", "options": "Oui\nNon\nParfois", "required": "on",
    })
    assert response.status_code == 400 and "a commencé" in response.content.decode()
    response = gers_client.post(f"{base(auch)}{consultation.pk}/clore/", follow=True)
    assert "est close" in response.content.decode()
    with time_machine.travel(NOW.replace(hour=11), tick=False):
        page = gers_client.get(f"{base(auch)}{consultation.pk}/").content.decode()
    assert "Close le" in page
