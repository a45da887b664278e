"""The resident's consultation pages without JavaScript: the list of a commune, the presentation,
pages that save the draft, going back, the review with its "modifier" links, sending once, the
results; another portal's consultation and another person's draft are out of reach; CSRF holds."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client

from clocher.accounts.models import User
from clocher.participation import consultation_services as services
from clocher.participation import consultation_views
from clocher.participation.consultations import (
    Consultation,
    ConsultationDraft,
    Response,
)
from clocher.participation.models import Level, Participation, Verification
from clocher.territories.models import Territory
from conftest import make_user

from .test_consultations import NOW, build, option, questions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def consultation(bob: User, auch: Territory, gers_portal: Any) -> Consultation:
    return build(bob, auch, territories=[auch], level=Level.RESIDENCE_CODE)


@pytest.fixture
def verified(resident: User, auch: Territory) -> User:
    Verification.objects.create(user=resident, commune=auch, level=Level.RESIDENCE_CODE)
    return resident


def page_url(consultation: Consultation, number: int) -> str:
    return f"/consultations/{consultation.pk}/page-{number}/"


def test_the_commune_lists_its_consultations_and_says_which_were_answered(
        gers_client: Client, consultation: Consultation, verified: User, django_assert_max_num_queries: Any) -> None:
    gers_client.force_login(verified)
    with django_assert_max_num_queries(12):
        page = gers_client.get("/communes/32013/consultations/").content.decode()
    assert "Le réaménagement de la place de la mairie" in page and "réponses anonymes" in page
    assert "Vous avez répondu." not in page


def test_a_resident_answers_page_by_page_goes_back_reviews_and_sends_once(
        gers_client: Client, consultation: Consultation, verified: User) -> None:
    qs = questions(consultation)
    single, multiple, scale, ranking, text = (qs[k] for k in ("single", "multiple", "scale", "ranking", "long_text"))
    gers_client.force_login(verified)
    detail = gers_client.get(f"/consultations/{consultation.pk}/").content.decode()
    assert f'href="{page_url(consultation, 1)}"' in detail
    first = gers_client.get(page_url(consultation, 1)).content.decode()
    assert f'name="q{single.pk}"' in first and f'name="q{scale.pk}"' not in first
    assert "Enregistrer et continuer" in first and 'value="back"' not in first

    # A required question left empty: the page says it, links to it, keeps what was ticked.
    response = gers_client.post(page_url(consultation, 1), {f"q{single.pk}": option(single, "Oui"), "go": "next"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and f'href="#q{multiple.pk}"' in html and "obligatoire" in html
    assert f'value="{option(single, "Oui")}" id="q{single.pk}-{option(single, "Oui")}" checked' in html
    assert f'aria-describedby="q{multiple.pk}-erreur"' in html

    response = gers_client.post(page_url(consultation, 1), {
        f"q{single.pk}": option(single, "Oui"), f"q{multiple.pk}": [option(multiple, "Marché")], "go": "next",
    })
    assert response.status_code == 302 and response["Location"] == page_url(consultation, 2)
    second = gers_client.get(page_url(consultation, 2)).content.decode()
    assert f'name="q{scale.pk}"' in second and "Pas du tout" in second and 'value="back"' in second
    # Back, without answering the required scale: allowed, and the first page shows what was saved.
    response = gers_client.post(page_url(consultation, 2), {"go": "back"})
    assert response["Location"] == page_url(consultation, 1)
    assert " checked" in gers_client.get(page_url(consultation, 1)).content.decode()
    gers_client.post(page_url(consultation, 2), {f"q{scale.pk}": "4", "go": "next"})

    # A ranking with a rank used twice is refused, as typed.
    ids = [o.pk for o in ranking.options.all()]
    response = gers_client.post(page_url(consultation, 3), {
        f"q{ranking.pk}-{ids[0]}": "1", f"q{ranking.pk}-{ids[1]}": "1", f"q{ranking.pk}-{ids[2]}": "2", "go": "next",
    })
    assert response.status_code == 400 and "rang différent" in response.content.decode()
    response = gers_client.post(page_url(consultation, 3), {
        f"q{ranking.pk}-{ids[0]}": "3", f"q{ranking.pk}-{ids[1]}": "1", f"q{ranking.pk}-{ids[2]}": "2",
        f"q{text.pk}": "<script>alert(1)</script>", "go": "next",
    })
    assert response["Location"] == f"/consultations/{consultation.pk}/relecture/"

    review = gers_client.get(f"/consultations/{consultation.pk}/relecture/").content.decode()
    assert "1. Bancs ; 2. Fontaine ; 3. Arbres" in review
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in review and "<script>alert(1)" not in review
    assert f'{page_url(consultation, 2)}#q{scale.pk}' in review  # "modifier"
    response = gers_client.post(f"/consultations/{consultation.pk}/relecture/", follow=True)
    assert "Merci pour vos réponses" in response.content.decode()
    assert Response.objects.filter(consultation=consultation).count() == 1
    assert not ConsultationDraft.objects.exists()

    # Twice: the pages send back to the presentation, which says it.
    again = gers_client.post(f"/consultations/{consultation.pk}/relecture/")
    assert again.status_code == 302
    assert gers_client.post(page_url(consultation, 1), {"go": "next"}).status_code == 302
    page = gers_client.get(f"/consultations/{consultation.pk}/").content.decode()
    assert "Vous avez déjà répondu à cette consultation." in page and "Reprendre" not in page
    assert Response.objects.count() == 1 and Participation.objects.count() == 1


def test_the_presentation_offers_to_resume_the_saved_progress(gers_client: Client, consultation: Consultation,
                                                              verified: User) -> None:
    qs = questions(consultation)
    services.save_page(verified, consultation, 1, {
        str(qs["single"].pk): option(qs["single"], "Non"), str(qs["multiple"].pk): [option(qs["multiple"], "Marché")],
    })
    gers_client.force_login(verified)
    page = gers_client.get(f"/consultations/{consultation.pk}/").content.decode()
    # "Reprendre" leads to the next page with something to answer: page 2 holds only the parking
    # question, hidden to someone who does not drive.
    assert "Reprendre mes réponses" in page and f'href="{page_url(consultation, 3)}"' in page
    # Going forward skips it too, and so does a direct visit.
    response = gers_client.post(page_url(consultation, 1), {
        f"q{qs['single'].pk}": option(qs["single"], "Non"), f"q{qs['multiple'].pk}": option(qs["multiple"], "Marché"),
        "go": "next",
    })
    assert response["Location"] == page_url(consultation, 3)
    assert gers_client.get(page_url(consultation, 2))["Location"] == page_url(consultation, 3)


def test_the_reasons_to_not_answer_come_with_links_and_the_pages_are_closed_to_them(
        gers_client: Client, consultation: Consultation, resident: User) -> None:
    gers_client.force_login(resident)  # not verified
    page = gers_client.get(f"/consultations/{consultation.pk}/").content.decode()
    assert "doit être vérifié" in page and "Vérifier mon domicile" in page and "Répondre</a>" not in page
    assert gers_client.get(page_url(consultation, 1))["Location"] == f"/consultations/{consultation.pk}/"
    anonymous = Client(HTTP_HOST=gers_client.defaults["HTTP_HOST"])
    assert anonymous.get(page_url(consultation, 1))["Location"].startswith("/comptes/login/")


def test_another_portal_a_draft_and_a_missing_page_are_404(orne_client: Client, gers_client: Client, bob: User,
                                                           auch: Territory, consultation: Consultation,
                                                           verified: User) -> None:
    draft = build(bob, auch, publish=False)
    orne_client.force_login(verified)
    for url in (f"/consultations/{consultation.pk}/", page_url(consultation, 1),
                f"/consultations/{consultation.pk}/relecture/", f"/consultations/{consultation.pk}/resultats/"):
        assert orne_client.get(url).status_code == 404, url
    gers_client.force_login(verified)
    assert gers_client.get(f"/consultations/{draft.pk}/").status_code == 404
    assert gers_client.get(page_url(consultation, 9)).status_code == 404


def test_someone_else_never_sees_a_persons_draft(gers_client: Client, consultation: Consultation, verified: User,
                                                 auch: Territory) -> None:
    qs = questions(consultation)
    services.save_page(verified, consultation, 1, {
        str(qs["single"].pk): option(qs["single"], "Oui"), str(qs["multiple"].pk): [option(qs["multiple"], "Terrasse")],
    })
    neighbour = make_user("voisin@example.org", home_commune=auch)
    Verification.objects.create(user=neighbour, commune=auch, level=Level.RESIDENCE_CODE)
    gers_client.force_login(neighbour)
    page = gers_client.get(page_url(consultation, 1)).content.decode()
    assert " checked" not in page
    assert "Reprendre" not in gers_client.get(f"/consultations/{consultation.pk}/").content.decode()
    assert gers_client.get(f"/consultations/{consultation.pk}/relecture/")["Location"] == page_url(consultation, 1)


def test_pages_and_sending_need_the_csrf_token(consultation: Consultation, verified: User, gers_portal: Any) -> None:
    strict = Client(HTTP_HOST="gers.test", enforce_csrf_checks=True)
    strict.force_login(verified)
    assert strict.post(page_url(consultation, 1), {"go": "next"}).status_code == 403
    assert strict.post(f"/consultations/{consultation.pk}/relecture/").status_code == 403
    assert not ConsultationDraft.objects.exists()


def test_an_unreadable_answer_is_a_form_error_not_a_500(gers_client: Client, consultation: Consultation,
                                                        verified: User) -> None:
    qs = questions(consultation)
    gers_client.force_login(verified)
    response = gers_client.post(page_url(consultation, 1), {
        f"q{qs['single'].pk}": "pas-un-nombre", f"q{qs['multiple'].pk}": "999999", "go": "next",
    })
    assert response.status_code == 400
    assert response.content.decode().count("ne fait pas partie de la question") >= 2
    assert not ConsultationDraft.objects.exists()


def test_saving_is_limited_per_hour(gers_client: Client, consultation: Consultation, verified: User,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consultation_views, "SAVES_PER_HOUR", 2)
    qs = questions(consultation)
    gers_client.force_login(verified)
    data = {f"q{qs['single'].pk}": option(qs["single"], "Oui"), f"q{qs['multiple'].pk}": option(qs["multiple"], "Marché"),
            "go": "next"}
    assert gers_client.post(page_url(consultation, 1), data).status_code == 302
    assert gers_client.post(page_url(consultation, 1), data).status_code == 302
    refused = gers_client.post(page_url(consultation, 1), data)
    assert refused.status_code == 429 and "réessayez dans une heure" in refused.content.decode()


def test_results_follow_the_visibility_and_never_show_written_answers(
        gers_client: Client, bob: User, auch: Territory, consultation: Consultation, verified: User) -> None:
    url = f"/consultations/{consultation.pk}/resultats/"
    assert "seront publiés à la clôture" in gers_client.get(url).content.decode()
    qs = questions(consultation)
    services.save_page(verified, consultation, 1, {
        str(qs["single"].pk): option(qs["single"], "Non"), str(qs["multiple"].pk): [option(qs["multiple"], "Marché")],
    })
    services.save_page(verified, consultation, 3, {str(qs["long_text"].pk): "Un secret de famille"})
    services.submit_response(verified, consultation)
    services.close_consultation(bob, consultation)
    html = gers_client.get(url).content.decode()
    assert "1 réponse envoyée." in html and '<svg class="poll-bar"' in html
    assert "Un secret de famille" not in html and "ne sont pas publiées" in html
    staff_only = build(bob, auch, results_visibility="staff")
    assert "réservés à l'équipe" in gers_client.get(f"/consultations/{staff_only.pk}/resultats/").content.decode()
