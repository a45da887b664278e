"""Consultations: staff write them and their questions, frozen once answers may exist; a resident
saves answers page by page and sends them once; conditions decide what is shown and counted; an
anonymous response leads back to nobody; results and personal data say what they should."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine

from clocher.accounts.models import User
from clocher.participation import consultation_selectors as selectors
from clocher.participation import consultation_services as services
from clocher.participation.consultations import (
    Answer,
    Consultation,
    ConsultationDraft,
    Question,
    QuestionKind,
    Response,
)
from clocher.participation.feed import consultation_feed
from clocher.participation.models import Level, Participation, Verification
from clocher.participation.services import ParticipationRefused
from clocher.territories.models import AuditEntry, Territory
from conftest import make_user

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 5, 4, 10, 0, tzinfo=datetime.UTC)


def consultation_data(**changes: Any) -> services.ConsultationData:
    values: dict[str, Any] = {
        "title": "Le réaménagement de la place de la mairie",
        "opens_at": NOW - datetime.timedelta(days=1),
        "closes_at": NOW + datetime.timedelta(days=14),
        "description": "Dites-nous comment vous utilisez la place aujourd'hui.",
    }
    values.update(changes)
    return services.ConsultationData(**values)


def q(kind: str, label: str, **changes: Any) -> services.QuestionData:
    return services.QuestionData(kind=kind, label=label, **changes)


def build(actor: User, territory: Territory, *, publish: bool = True, **changes: Any) -> Consultation:
    """A two-page consultation: page 1 asks whether the person drives (single) and their uses
    (multiple, required); page 2 asks, only to drivers, how many parking places are needed (scale,
    required), then ranks three ideas and takes a comment."""
    with time_machine.travel(NOW - datetime.timedelta(days=2), tick=False):
        consultation = services.create_consultation(actor, territory, consultation_data(**changes))
        drives = services.add_question(actor, consultation, q(QuestionKind.SINGLE, "Venez-vous en voiture ?",
                                                              options=["Oui", "Non"], required=True))
        services.add_question(actor, consultation, q(QuestionKind.MULTIPLE, "Que faites-vous sur la place ?",
                                                     options=["Marché", "Terrasse", "Passage"], required=True,
                                                     max_choices=2))
        yes = drives.options.get(label="Oui")
        services.add_question(actor, consultation, q(QuestionKind.SCALE, "Faut-il plus de places de parking ?",
                                                     scale_min=1, scale_max=5, scale_min_label="Pas du tout",
                                                     scale_max_label="Tout à fait", required=True,
                                                     condition_options=[yes.pk]))
        services.add_question(actor, consultation, q(QuestionKind.RANKING, "Classez ces idées",
                                                     options=["Arbres", "Bancs", "Fontaine"], new_page=True))
        services.add_question(actor, consultation, q(QuestionKind.LONG_TEXT, "Un commentaire ?"))
        if publish:
            consultation = services.publish_consultation(actor, consultation)
    return consultation


def questions(consultation: Consultation) -> dict[str, Question]:
    return {question.kind: question for question in consultation.questions.all()}


def option(question: Question, label: str) -> int:
    return int(question.options.get(label=label).pk)


@pytest.fixture(autouse=True)
def _now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def auch_resident(resident: User, auch: Territory) -> User:
    Verification.objects.create(user=resident, commune=auch, level=Level.RESIDENCE_CODE)
    return resident


def answer_all(user: User, consultation: Consultation, *, drives: bool = True) -> None:
    qs = questions(consultation)
    services.save_page(user, consultation, 1, {
        str(qs["single"].pk): option(qs["single"], "Oui" if drives else "Non"),
        str(qs["multiple"].pk): [option(qs["multiple"], "Marché")],
    })
    number = 2
    if drives:
        services.save_page(user, consultation, 2, {str(qs["scale"].pk): 4})
        number = 3
    ranking = qs["ranking"]
    services.save_page(user, consultation, number, {
        str(ranking.pk): [option(ranking, "Fontaine"), option(ranking, "Arbres"), option(ranking, "Bancs")],
        str(qs["long_text"].pk): "  Plus d'ombre, s'il vous plaît.  ",
    })


# Anonymity

def test_a_response_and_its_answers_have_random_keys_and_an_anonymous_one_no_user_nor_time(
        bob: User, auch: Territory, auch_resident: User) -> None:
    for model in (Response, Answer):
        assert model._meta.pk.get_internal_type() == "UUIDField"
        related = {f.related_model for f in model._meta.get_fields() if f.is_relation}
        assert Participation not in related
    consultation = build(bob, auch)
    answer_all(auch_resident, consultation)
    services.submit_response(auch_resident, consultation)
    response = Response.objects.get(consultation=consultation)
    assert response.user_id is None and response.submitted_at is None
    assert Participation.objects.filter(user=auch_resident, object_id=consultation.pk).count() == 1


def test_a_signed_response_keeps_the_person_and_the_time(bob: User, auch: Territory, auch_resident: User) -> None:
    consultation = build(bob, auch, signed=True)
    answer_all(auch_resident, consultation)
    services.submit_response(auch_resident, consultation)
    response = Response.objects.get(consultation=consultation)
    assert response.user_id == auch_resident.pk and response.submitted_at == NOW


# Staff: writing a consultation and its questions

def test_creating_publishing_and_closing_write_journal_lines(bob: User, auch: Territory) -> None:
    consultation = build(bob, auch)
    services.close_consultation(bob, consultation)
    consultation.refresh_from_db()
    assert consultation.closes_at == NOW and consultation.closed_early_at == NOW
    actions = list(AuditEntry.objects.filter(territory=auch).values_list("action", flat=True))
    assert "participation.consultation_created" in actions
    assert actions.count("participation.consultation_question_added") == 5
    assert "participation.consultation_published" in actions
    assert "participation.consultation_closed" in actions


def test_someone_without_an_editing_role_there_is_refused(charlie: User, mona: User, bob: User,
                                                          auch: Territory) -> None:
    for outsider in (charlie, mona):
        with pytest.raises(services.ConsultationRefused):
            services.create_consultation(outsider, auch, consultation_data())
    consultation = build(bob, auch, publish=False)
    for outsider in (charlie, mona):
        with pytest.raises(services.ConsultationRefused):
            services.add_question(outsider, consultation, q(QuestionKind.SHORT_TEXT, "Votre quartier ?"))
        with pytest.raises(services.ConsultationRefused):
            services.publish_consultation(outsider, consultation)
    assert consultation.questions.count() == 5


def test_a_consultation_without_questions_cannot_be_published(bob: User, auch: Territory) -> None:
    consultation = services.create_consultation(bob, auch, consultation_data())
    with pytest.raises(services.ConsultationRefused, match="au moins une question"):
        services.publish_consultation(bob, consultation)


@pytest.mark.parametrize(("data", "message"), [
    (q(QuestionKind.SINGLE, "Une seule réponse", options=["Seule"]), "deux réponses"),
    (q(QuestionKind.MULTIPLE, "Doublon", options=["Oui", "oui"]), "identiques"),
    (q(QuestionKind.MULTIPLE, "Trop", options=["A", "B"], max_choices=3), "choix au plus"),
    (q(QuestionKind.SCALE, "Sans bornes"), "deux bornes"),
    (q(QuestionKind.SCALE, "À l'envers", scale_min=5, scale_max=1), "un plus grand"),
    (q(QuestionKind.SCALE, "Trop longue", scale_min=0, scale_max=20), "un plus grand"),
    (q(QuestionKind.SHORT_TEXT, "   "), "Écrivez la question"),
    (q("essay", "Inconnu"), "Type de question inconnu"),
])
def test_a_question_its_kind_does_not_allow_is_refused(bob: User, auch: Territory, data: services.QuestionData,
                                                       message: str) -> None:
    consultation = services.create_consultation(bob, auch, consultation_data())
    with pytest.raises(services.ConsultationRefused, match=message):
        services.add_question(bob, consultation, data)
    assert not consultation.questions.exists()


def test_a_condition_must_use_options_of_one_earlier_choice_question(bob: User, auch: Territory) -> None:
    consultation = build(bob, auch, publish=False)
    qs = questions(consultation)
    mixed = [option(qs["single"], "Oui"), option(qs["multiple"], "Marché")]
    with pytest.raises(services.ConsultationRefused, match="une seule question"):
        services.add_question(bob, consultation, q(QuestionKind.SHORT_TEXT, "Pourquoi ?", condition_options=mixed))
    ranking_option = option(qs["ranking"], "Arbres")
    with pytest.raises(services.ConsultationRefused, match="question à choix"):
        services.add_question(bob, consultation, q(QuestionKind.SHORT_TEXT, "Pourquoi ?",
                                                   condition_options=[ranking_option]))
    # A question cannot depend on a later one.
    multiple = qs["multiple"]
    with pytest.raises(services.ConsultationRefused, match="placée avant"):
        services.update_question(bob, qs["single"], q(QuestionKind.SINGLE, "Venez-vous en voiture ?",
                                                      options=["Oui", "Non"],
                                                      condition_options=[option(multiple, "Marché")]))
    other = build(bob, auch, publish=False)
    with pytest.raises(services.ConsultationRefused, match="une seule question"):
        services.add_question(bob, consultation, q(QuestionKind.SHORT_TEXT, "Pourquoi ?",
                                                   condition_options=[option(questions(other)["single"], "Oui")]))


def test_questions_move_but_never_before_what_they_depend_on(bob: User, auch: Territory) -> None:
    consultation = build(bob, auch, publish=False)
    qs = questions(consultation)
    with pytest.raises(services.ConsultationRefused, match="doit rester après"):
        services.move_question(bob, qs["scale"], "up")  # passes "multiple": allowed
        services.move_question(bob, qs["scale"], "up")  # would pass "single", which it depends on
    order = list(consultation.questions.values_list("kind", flat=True))
    assert order == ["single", "scale", "multiple", "ranking", "long_text"]
    services.move_question(bob, qs["long_text"], "down")  # the last stays last
    assert list(consultation.questions.values_list("position", flat=True)) == [0, 1, 2, 3, 4]


def test_a_question_others_depend_on_cannot_be_deleted_nor_lose_that_option(bob: User, auch: Territory) -> None:
    consultation = build(bob, auch, publish=False)
    qs = questions(consultation)
    with pytest.raises(services.ConsultationRefused, match="changez d'abord sa condition"):
        services.delete_question(bob, qs["single"])
    with pytest.raises(services.ConsultationRefused, match="changez d'abord sa condition"):
        services.update_question(bob, qs["single"], q(QuestionKind.SINGLE, "Venez-vous en voiture ?",
                                                      options=["Non", "Parfois"]))
    with pytest.raises(services.ConsultationRefused, match="rester une question à choix"):
        services.update_question(bob, qs["single"], q(QuestionKind.SHORT_TEXT, "Venez-vous en voiture ?"))
    # Renaming around a kept option keeps the condition on it.
    services.update_question(bob, qs["single"], q(QuestionKind.SINGLE, "Venez-vous en voiture ?",
                                                  options=["Oui", "Parfois", "Jamais"]))
    assert list(qs["scale"].condition_options.values_list("label", flat=True)) == ["Oui"]
    services.delete_question(bob, qs["long_text"])
    assert consultation.questions.count() == 4


def test_once_open_questions_keep_their_shape_and_only_their_wording_changes(bob: User, auch: Territory) -> None:
    consultation = build(bob, auch)
    qs = questions(consultation)
    for action in (
        lambda: services.add_question(bob, consultation, q(QuestionKind.SHORT_TEXT, "Encore une ?")),
        lambda: services.delete_question(bob, qs["long_text"]),
        lambda: services.move_question(bob, qs["long_text"], "up"),
        lambda: services.update_question(bob, qs["multiple"], q(QuestionKind.MULTIPLE, "Que faites-vous ?",
                                                                options=["Marché", "Terrasse"], required=True,
                                                                max_choices=2)),
        lambda: services.update_question(bob, qs["single"], q(QuestionKind.SINGLE, "Venez-vous en voiture ?",
                                                              options=["Oui", "Non"], required=False)),
    ):
        with pytest.raises(services.ConsultationRefused, match="a commencé"):
            action()
    services.update_question(bob, qs["multiple"], q(QuestionKind.MULTIPLE, "Que faites-vous sur la place ?",
                                                    options=["Le marché", "Terrasse", "Passage"], required=True,
                                                    max_choices=2, help_text="Deux au plus."))
    multiple = Question.objects.get(pk=qs["multiple"].pk)
    assert multiple.help_text == "Deux au plus."
    assert [o.label for o in multiple.options.all()] == ["Le marché", "Terrasse", "Passage"]
    with pytest.raises(services.ConsultationRefused, match="a commencé"):
        services.update_consultation(bob, consultation, consultation_data(signed=True))


# Answering: pages, conditions, required questions

def test_the_pages_break_at_staff_breaks_and_at_each_conditional_question(bob: User, auch: Territory) -> None:
    consultation = build(bob, auch)
    pages = selectors.pages_of(selectors.questions_of(consultation))
    assert [[question.kind for question in page] for page in pages] == [
        ["single", "multiple"], ["scale"], ["ranking", "long_text"],
    ]


def test_a_conditional_question_is_shown_only_for_its_answers(bob: User, auch: Territory) -> None:
    consultation = build(bob, auch)
    qs = questions(consultation)
    all_questions = selectors.questions_of(consultation)
    yes = {str(qs["single"].pk): option(qs["single"], "Oui")}
    no = {str(qs["single"].pk): option(qs["single"], "Non")}
    assert qs["scale"].pk in {x.pk for x in selectors.shown_questions(all_questions, yes)}
    assert qs["scale"].pk not in {x.pk for x in selectors.shown_questions(all_questions, no)}
    assert qs["scale"].pk not in {x.pk for x in selectors.shown_questions(all_questions, {})}


def test_each_kind_refuses_what_it_does_not_allow_and_nothing_is_saved(bob: User, auch: Territory,
                                                                       auch_resident: User) -> None:
    consultation = build(bob, auch)
    qs = questions(consultation)
    single, multiple = qs["single"], qs["multiple"]
    cases: list[tuple[dict[str, object], str]] = [
        ({str(single.pk): 999999, str(multiple.pk): [option(multiple, "Marché")]}, "ne fait pas partie"),
        ({str(single.pk): option(single, "Oui"), str(multiple.pk): [option(multiple, "Marché"),
                                                                     option(multiple, "Terrasse"),
                                                                     option(multiple, "Passage")]}, "2 réponses au plus"),
        ({str(single.pk): option(single, "Oui")}, "obligatoire"),
        ({str(single.pk): option(single, "Oui"), str(multiple.pk): [option(single, "Non")]}, "ne fait pas partie"),
    ]
    for values, message in cases:
        with pytest.raises(services.AnswersInvalid, match=message):
            services.save_page(auch_resident, consultation, 1, values)
    assert not ConsultationDraft.objects.exists()


def test_scale_ranking_and_text_answers_are_checked(bob: User, auch: Territory) -> None:
    consultation = build(bob, auch)
    qs = questions(consultation)
    scale, ranking, text = qs["scale"], qs["ranking"], qs["long_text"]
    assert services.check_value(scale, 5) == 5
    for wrong in (0, 6, "3", True):
        with pytest.raises(ValueError, match="de 1 à 5"):
            services.check_value(scale, wrong)
    ids = [option.pk for option in ranking.options.all()]
    assert services.check_value(ranking, list(reversed(ids))) == list(reversed(ids))
    for wrong_ranking in ([ids[0], ids[0], ids[1]], ids[:2], [*ids[:2], 999999]):
        with pytest.raises(ValueError, match="rang différent"):
            services.check_value(ranking, wrong_ranking)
    assert services.check_value(text, " \x00Bonjour\r\nà tous ") == "Bonjour\nà tous"
    with pytest.raises(ValueError, match="5000 caractères"):
        services.check_value(text, "x" * 5001)
    assert services.check_value(text, "   ") is None


def test_a_required_question_counts_only_when_shown(bob: User, auch: Territory, auch_resident: User) -> None:
    consultation = build(bob, auch)
    answer_all(auch_resident, consultation, drives=False)  # the required scale is never shown
    services.submit_response(auch_resident, consultation)
    response = Response.objects.get(consultation=consultation)
    assert not response.answers.filter(question__kind=QuestionKind.SCALE).exists()


def test_answers_to_a_question_no_longer_shown_are_dropped_at_submission(bob: User, auch: Territory,
                                                                         auch_resident: User) -> None:
    consultation = build(bob, auch)
    qs = questions(consultation)
    answer_all(auch_resident, consultation, drives=True)
    # The person goes back and says they do not drive: the parking answer stays in the draft...
    services.save_page(auch_resident, consultation, 1, {
        str(qs["single"].pk): option(qs["single"], "Non"), str(qs["multiple"].pk): [option(qs["multiple"], "Marché")],
    })
    assert str(qs["scale"].pk) in ConsultationDraft.objects.get().answers
    # ...but is not sent.
    services.submit_response(auch_resident, consultation)
    assert not Answer.objects.filter(question=qs["scale"]).exists()
    assert Answer.objects.filter(question=qs["single"]).get().option_id == option(qs["single"], "Non")
    assert not ConsultationDraft.objects.exists()


def test_a_missing_required_answer_refuses_the_submission_and_stores_nothing(bob: User, auch: Territory,
                                                                           auch_resident: User) -> None:
    consultation = build(bob, auch)
    qs = questions(consultation)
    services.save_page(auch_resident, consultation, 1, {str(qs["single"].pk): option(qs["single"], "Oui")},
                       enforce_required=False)
    with pytest.raises(services.AnswersInvalid) as refused:
        services.submit_response(auch_resident, consultation)
    assert set(refused.value.errors) == {qs["multiple"].pk, qs["scale"].pk}
    assert not Participation.objects.exists() and not Response.objects.exists()
    assert ConsultationDraft.objects.exists()


def test_one_response_per_person(bob: User, auch: Territory, auch_resident: User) -> None:
    consultation = build(bob, auch)
    answer_all(auch_resident, consultation)
    services.submit_response(auch_resident, consultation)
    with pytest.raises(ParticipationRefused, match="déjà répondu"):
        services.submit_response(auch_resident, consultation)
    with pytest.raises(ParticipationRefused, match="déjà répondu"):
        answer_all(auch_resident, consultation)
    assert Response.objects.count() == 1 and Participation.objects.count() == 1
    assert Answer.objects.count() == 1 + 1 + 1 + 3 + 1


def test_the_unique_participation_decides_when_two_sends_race(bob: User, auch: Territory, auch_resident: User,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    consultation = build(bob, auch)
    answer_all(auch_resident, consultation)
    # The other request got there between our check and our insert.
    monkeypatch.setattr(services, "_refusals", lambda *args: [])
    services.submit_response(auch_resident, consultation)
    answer_all(auch_resident, consultation)
    with pytest.raises(ParticipationRefused, match="déjà participé"):
        services.submit_response(auch_resident, consultation)
    assert Response.objects.count() == 1
    assert not ConsultationDraft.objects.exists()  # a useless draft is not kept


def test_an_ineligible_person_saves_nothing(bob: User, auch: Territory, marciac: Territory) -> None:
    consultation = build(bob, auch, territories=[auch], level=Level.RESIDENCE_CODE)
    outsider = make_user("marciac@example.org", home_commune=marciac)
    unverified = make_user("pas-verifie@example.org", home_commune=auch)
    for person in (outsider, unverified):
        with pytest.raises(ParticipationRefused):
            answer_all(person, consultation)
    assert not ConsultationDraft.objects.exists()


def test_nothing_is_saved_before_the_opening_nor_after_the_closing(bob: User, auch: Territory,
                                                                   auch_resident: User) -> None:
    upcoming = build(bob, auch, opens_at=NOW + datetime.timedelta(days=1))
    with pytest.raises(ParticipationRefused, match="pas encore ouverte"):
        answer_all(auch_resident, upcoming)
    consultation = build(bob, auch)
    answer_all(auch_resident, consultation)
    services.close_consultation(bob, consultation)
    consultation.refresh_from_db()
    with pytest.raises(ParticipationRefused, match="close"):
        services.submit_response(auch_resident, consultation)
    assert not Response.objects.exists() and not Participation.objects.exists()


# Results and personal data

def test_results_count_choices_average_scales_and_rank_by_borda(bob: User, auch: Territory) -> None:
    consultation = build(bob, auch, signed=False)
    qs = questions(consultation)
    people = []
    for index, (drives, note, first) in enumerate([(True, 5, "Fontaine"), (True, 2, "Arbres"), (False, None, "Fontaine")]):
        person = make_user(f"habitant{index}@example.org", home_commune=auch)
        people.append(person)
        services.save_page(person, consultation, 1, {
            str(qs["single"].pk): option(qs["single"], "Oui" if drives else "Non"),
            str(qs["multiple"].pk): [option(qs["multiple"], "Marché"), option(qs["multiple"], "Terrasse")]
            if index == 0 else [option(qs["multiple"], "Marché")],
        })
        if note is not None:
            services.save_page(person, consultation, 2, {str(qs["scale"].pk): note})
        others = [label for label in ("Arbres", "Bancs", "Fontaine") if label != first]
        services.save_page(person, consultation, 3, {
            str(qs["ranking"].pk): [option(qs["ranking"], label) for label in (first, *others)],
            str(qs["long_text"].pk): "=HYPERLINK(\"http://example.org\")" if index == 0 else "",
        })
        services.submit_response(person, consultation)
    found = selectors.results(consultation, with_texts=True)
    assert found.responses == 3
    by_kind = {item.question.kind: item for item in found.questions}
    assert [(o.label, o.count, o.percent) for o in by_kind["single"].options] == [("Oui", 2, 66.7), ("Non", 1, 33.3)]
    assert [(o.label, o.count) for o in by_kind["multiple"].options] == [("Marché", 3), ("Terrasse", 1), ("Passage", 0)]
    scale = by_kind["scale"].scale
    assert scale is not None and by_kind["scale"].answered == 2
    assert (scale.mean, scale.median) == (3.5, 3.5)
    assert [step.count for step in scale.steps] == [0, 1, 0, 0, 1]
    ranking = by_kind["ranking"].ranking
    # Fontaine first twice (2 + 2 points) and third once (0); Arbres 1 + 2 + 1; Bancs 0 + 0 + 0.
    # Borda on 3 options: 2 points for a first place, 1 for a second, 0 for a third. Fontaine is
    # first, third, first (4 points); Arbres second, first, second (4); Bancs third, second, third (1).
    # A tie keeps the options' order.
    assert [(r.label, r.points, r.average_rank, r.percent) for r in ranking] == [
        ("Arbres", 4, 1.67, 66.7), ("Fontaine", 4, 1.67, 66.7), ("Bancs", 1, 2.67, 16.7),
    ]
    assert by_kind["long_text"].texts == ['=HYPERLINK("http://example.org")']
    assert selectors.results(consultation).questions[-1].texts == []  # not without with_texts


def test_personal_data_has_drafts_and_signed_responses_never_anonymous_ones(bob: User, auch: Territory,
                                                                           auch_resident: User) -> None:
    anonymous = build(bob, auch, title="Anonyme")
    signed = build(bob, auch, title="Signée", signed=True)
    in_progress = build(bob, auch, title="En cours")
    answer_all(auch_resident, anonymous)
    services.submit_response(auch_resident, anonymous)
    answer_all(auch_resident, signed)
    services.submit_response(auch_resident, signed)
    qs = questions(in_progress)
    services.save_page(auch_resident, in_progress, 1, {
        str(qs["single"].pk): option(qs["single"], "Non"), str(qs["multiple"].pk): [option(qs["multiple"], "Marché")],
    })
    data = selectors.personal_data(auch_resident)
    assert [d["consultation"]["title"] for d in data["consultation_drafts"]] == ["En cours"]
    assert data["consultation_drafts"][0]["answers"] == [
        {"question": "Venez-vous en voiture ?", "answer": "Non"},
        {"question": "Que faites-vous sur la place ?", "answer": "Marché"},
    ]
    assert [r["consultation"]["title"] for r in data["consultation_responses"]] == ["Signée"]
    answers = {a["question"]: a["answer"] for a in data["consultation_responses"][0]["answers"]}
    assert answers["Classez ces idées"] == "1. Fontaine ; 2. Arbres ; 3. Bancs"
    assert answers["Faut-il plus de places de parking ?"] == "4"
    assert selectors.personal_data(bob) == {"consultation_drafts": [], "consultation_responses": []}


def test_a_response_without_any_answer_is_refused(bob: User, auch: Territory, auch_resident: User) -> None:
    with time_machine.travel(NOW - datetime.timedelta(days=2), tick=False):
        consultation = services.create_consultation(bob, auch, consultation_data())
        services.add_question(bob, consultation, q(QuestionKind.SHORT_TEXT, "Votre quartier ?"))
        services.publish_consultation(bob, consultation)
    services.save_page(auch_resident, consultation, 1, {})
    with pytest.raises(ParticipationRefused, match="au moins une question"):
        services.submit_response(auch_resident, consultation)
    assert not Participation.objects.exists() and not Response.objects.exists()


def test_the_home_feed_lists_open_consultations_of_the_residents_territories(
        bob: User, auch: Territory, marciac: Territory, grand_auch: Territory,
        django_assert_num_queries: Any) -> None:
    build(bob, auch, title="Ouverte à Auch", territories=[auch])
    build(bob, auch, title="Pas encore", opens_at=NOW + datetime.timedelta(days=1))
    build(bob, auch, publish=False, title="Brouillon")
    with django_assert_num_queries(1):
        items = consultation_feed([auch, grand_auch], 10, None)
    assert [item.title for item in items] == ["Ouverte à Auch"]
    assert items[0].url.startswith("/consultations/") and items[0].kind == "Consultation"
    assert consultation_feed([marciac], 10, None) == []
