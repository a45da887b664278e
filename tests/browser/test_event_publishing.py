"""An editor publishes an event from a phone in at most five screens, signing in with the second
factor on the way; then duplicates it and cancels the copy. Every page goes through axe-core."""

import datetime
import re
import time
from urllib.parse import urlsplit

from django.utils import timezone
from playwright.sync_api import expect

from clocher.accounts.tests.conftest import activate_totp, totp_code
from clocher.agenda.models import Event, EventStatus
from clocher.territories.content import Status
from conftest import PASSWORD

from .conftest import check, visit

AUTHENTICATE = "/comptes/2fa/authenticate/"


def _code_for_now(secret):
    """The authenticator app's code, not about to expire: allauth accepts only the current one."""
    left_in_period = 30 - time.time() % 30
    if left_in_period < 5:
        time.sleep(left_in_period + 0.1)
    return totp_code(secret)


def _tap(page, locator):
    with page.expect_navigation():
        locator.click()
    check(page)


def _count_screens(page):
    """The pages the main frame loads from now on, redirects not counted (one screen each)."""
    screens = []
    page.on("load", lambda: screens.append(urlsplit(page.url).path))
    return screens


def test_an_editor_publishes_an_event_from_a_phone_in_five_screens(page, bob, auch):
    secret = activate_totp(bob)
    # Signed out, the staff home asks to sign in, with the authenticator's code, then comes back.
    visit(page, "/gestion/")
    page.get_by_label(re.compile(r"^(Courriel|(Adresse )?e-mail)", re.IGNORECASE)).fill(bob.email)
    page.get_by_label(re.compile(r"^Mot de passe\s*:?$")).fill(PASSWORD)
    _tap(page, page.locator("main form").get_by_role("button", name=re.compile("connexion|connecter", re.IGNORECASE)))
    assert urlsplit(page.url).path == AUTHENTICATE
    page.get_by_label(re.compile("code", re.IGNORECASE)).fill(_code_for_now(secret))
    screens = _count_screens(page)
    _tap(page, page.locator("main form").get_by_role("button", name="Connexion"))
    assert urlsplit(page.url).path == "/gestion/"

    # From the staff home: the commune, its agenda, a new event, published.
    _tap(page, page.get_by_role("link", name="Auch", exact=True))
    _tap(page, page.get_by_role("link", name="Gérer l'agenda"))
    _tap(page, page.get_by_role("link", name="Nouvel événement"))
    day = timezone.localdate() + datetime.timedelta(days=10)
    page.get_by_label(re.compile("^Titre")).fill("Loto de Noël")
    page.get_by_label("Fête et festival").check()
    page.get_by_label(re.compile("^Date( |$)")).fill(day.isoformat())
    page.get_by_label(re.compile("^Heure de début")).fill("20:30")
    page.get_by_label(re.compile("^Nom du lieu")).fill("Salle des fêtes")
    _tap(page, page.get_by_role("button", name="Publier", exact=True))

    expect(page.get_by_role("heading", level=1)).to_have_text("Loto de Noël")
    expect(page.locator("main")).to_contain_text("« Loto de Noël » est publié.")
    # The staff home, the commune, its agenda, the form, the published event.
    assert len(screens) == 5, screens
    event = Event.objects.get(title="Loto de Noël")
    assert event.status == Status.PUBLISHED and event.territory == auch
    assert timezone.localtime(event.starts_at).date() == day

    # Next year's loto: a copy in one tap, then it is cancelled with a note for residents.
    _tap(page, page.get_by_role("link", name="Dupliquer"))
    _tap(page, page.get_by_role("button", name="Dupliquer l'événement"))
    copy = Event.objects.exclude(pk=event.pk).get()
    assert urlsplit(page.url).path == f"/gestion/{auch.pk}/agenda/{copy.pk}/"
    expect(page.locator("main")).to_contain_text("Brouillon")
    _tap(page, page.get_by_role("link", name="Annuler l'événement"))
    page.get_by_label(re.compile("^Message aux habitants")).fill("Salle indisponible")
    _tap(page, page.get_by_role("button", name="Annuler l'événement"))
    copy.refresh_from_db()
    assert copy.event_status == EventStatus.CANCELLED and copy.status_note == "Salle indisponible"
    _tap(page, page.get_by_role("link", name="Tout l'agenda"))
    expect(page.get_by_role("link", name="Loto de Noël")).to_have_count(2)


def test_the_weekly_market_is_typed_on_a_phone_and_a_mistake_shows_on_its_field(page, bob, auch):
    secret = activate_totp(bob)
    visit(page, f"/gestion/{auch.pk}/agenda/nouveau/")
    page.get_by_label(re.compile(r"^(Courriel|(Adresse )?e-mail)", re.IGNORECASE)).fill(bob.email)
    page.get_by_label(re.compile(r"^Mot de passe\s*:?$")).fill(PASSWORD)
    _tap(page, page.locator("main form").get_by_role("button", name=re.compile("connexion|connecter", re.IGNORECASE)))
    page.get_by_label(re.compile("code", re.IGNORECASE)).fill(_code_for_now(secret))
    _tap(page, page.locator("main form").get_by_role("button", name="Connexion"))

    start = timezone.localdate() + datetime.timedelta(days=(5 - timezone.localdate().weekday()) % 7 or 7)  # a Saturday
    page.get_by_label(re.compile("^Titre")).fill("Marché du samedi")
    page.get_by_label("Marché et brocante").check()
    page.get_by_label(re.compile("^Date( |$)")).fill(start.isoformat())
    page.get_by_label(re.compile("^Heure de début")).fill("08:00")
    page.get_by_label(re.compile("^Heure de fin")).fill("13:00")
    page.locator("summary", has_text="Se répète").click()
    page.get_by_label(re.compile("^Répétition")).select_option("weekly")
    page.get_by_label("dimanche").check()  # not the start's day: the form says so
    _tap(page, page.get_by_role("button", name="Publier", exact=True))
    expect(page.locator("#id_weekdays_error")).to_contain_text("cochez ce jour aussi")
    page.get_by_label("dimanche").uncheck()
    page.get_by_label("samedi").check()
    page.get_by_label(re.compile("^Ou nombre de fois")).fill("6")
    _tap(page, page.get_by_role("button", name="Publier", exact=True))
    event = Event.objects.get(title="Marché du samedi")
    assert event.rrule == "FREQ=WEEKLY;COUNT=6;BYDAY=SA"
    assert event.occurrences.count() == 6
