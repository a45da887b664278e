"""An association proposes an event from a phone; the commune's moderator, signed in with her
second factor, accepts it; it is then on the event's page with the association as organiser, and
in the home feed of a resident of Auch.
A refused proposal is corrected and sent again. Every page goes through axe-core."""

import datetime
import re
import time
from urllib.parse import urlsplit

from django.utils import timezone
from playwright.sync_api import expect

from clocher.accounts.tests.conftest import activate_totp, totp_code
from clocher.agenda.models import Event
from clocher.organisations.models import ReviewStatus
from clocher.territories.content import Status
from conftest import PASSWORD

from .conftest import check, sign_in, visit

AUTHENTICATE = "/comptes/2fa/authenticate/"


def _code_for_now(secret):
    left_in_period = 30 - time.time() % 30
    if left_in_period < 5:
        time.sleep(left_in_period + 0.1)
    return totp_code(secret)


def _tap(page, locator):
    with page.expect_navigation():
        locator.click()
    check(page)


def _sign_in_with_code(page, user, secret, path):
    """Open a staff page signed out: sign in, give the authenticator's code, land on the page."""
    visit(page, path)
    page.get_by_label(re.compile(r"^(Courriel|(Adresse )?e-mail)", re.IGNORECASE)).fill(user.email)
    page.get_by_label(re.compile(r"^Mot de passe\s*:?$")).fill(PASSWORD)
    _tap(page, page.locator("main form").get_by_role("button", name=re.compile("connexion|connecter", re.IGNORECASE)))
    assert urlsplit(page.url).path == AUTHENTICATE
    page.get_by_label(re.compile("code", re.IGNORECASE)).fill(_code_for_now(secret))
    _tap(page, page.locator("main form").get_by_role("button", name="Connexion"))
    assert urlsplit(page.url).path == path


def _propose(page, title, day):
    visit(page, "/agenda/proposer/")
    expect(page.get_by_label(re.compile("^Au nom de"))).to_have_value(str(Event._meta.apps.get_model(
        "organisations", "Organisation").objects.get().pk))
    page.get_by_label(re.compile("^Commune")).select_option(label="Auch")
    page.get_by_label(re.compile("^Titre")).fill(title)
    page.get_by_label("Vie associative").check()
    page.get_by_label(re.compile("^Date( |$)")).fill(day.isoformat())
    page.get_by_label(re.compile("^Heure de début")).fill("14:30")
    page.get_by_label(re.compile("^Nom du lieu")).fill("Salle du Garros")
    _tap(page, page.get_by_role("button", name="Envoyer la proposition"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes propositions d'événements")


def test_an_association_proposes_an_event_and_the_moderator_publishes_it(
    page, context, erin, mona, resident, auch, foyer_rural
):
    day = timezone.localdate() + datetime.timedelta(days=12)
    sign_in(page, erin.email, PASSWORD)
    check(page)
    _propose(page, "Loto du foyer rural", day)
    expect(page.locator("main")).to_contain_text("En attente de modération")
    event = Event.objects.get()
    assert (event.organisation, event.review_status, event.status) == (foyer_rural, ReviewStatus.PENDING, Status.DRAFT)

    context.clear_cookies()
    secret = activate_totp(mona)
    _sign_in_with_code(page, mona, secret, "/gestion/")
    _tap(page, page.get_by_role("link", name="Auch", exact=True))
    _tap(page, page.get_by_role("link", name="Propositions d'événements"))
    _tap(page, page.get_by_role("link", name="Loto du foyer rural"))
    expect(page.locator("main")).to_contain_text("Foyer rural d'Auch")
    expect(page.locator("main")).to_contain_text("Salle du Garros")
    page.get_by_label(re.compile("^Message")).fill("Bonne soirée !")
    _tap(page, page.get_by_role("button", name="Accepter et publier"))
    expect(page.locator("main")).to_contain_text("La proposition est acceptée")
    event.refresh_from_db()
    assert event.status == Status.PUBLISHED and event.review_status == ReviewStatus.ACCEPTED

    # Residents see it, organised by the association.
    context.clear_cookies()
    visit(page, f"/agenda/{event.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Loto du foyer rural")
    expect(page.locator("main")).to_contain_text("Foyer rural d'Auch")

    # And a resident of Auch finds it in the home feed.
    sign_in(page, resident.email, PASSWORD)
    check(page)
    visit(page, "/")
    expect(page.locator("main")).to_contain_text("Loto du foyer rural")


def test_a_refused_proposal_is_corrected_and_sent_again(page, context, erin, mona, auch, foyer_rural):
    from clocher.agenda.services import refuse_event

    day = timezone.localdate() + datetime.timedelta(days=20)
    sign_in(page, erin.email, PASSWORD)
    check(page)
    _propose(page, "Atelier couture", day)
    refuse_event(mona, Event.objects.get(), "Indiquez l'heure de fin, s'il vous plaît.")

    visit(page, "/agenda/mes-propositions/")
    expect(page.locator("main")).to_contain_text("Indiquez l'heure de fin, s'il vous plaît.")
    _tap(page, page.get_by_role("link", name="Corriger « Atelier couture » et le proposer à nouveau"))
    page.get_by_label(re.compile("^Heure de fin")).fill("17:00")
    _tap(page, page.get_by_role("button", name="Envoyer à nouveau à la commune"))
    event = Event.objects.get()
    assert event.review_status == ReviewStatus.PENDING
    assert timezone.localtime(event.ends_at).time() == datetime.time(17)
