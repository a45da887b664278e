"""A role on Auch opens none of the agenda's staff pages on Marciac (its sibling commune) nor on
Alençon (another portal), and an event of another territory is a 404 even under Auch's own URL.

EVENT_URLS lists every staff URL of clocher/backoffice/events.py: each answers 404, on GET and on
POST, and nothing changes.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from clocher.agenda.models import Event
from clocher.agenda.services import create_event, create_proposed_event
from clocher.organisations.models import Organisation
from clocher.territories.content import Status
from clocher.territories.models import AuditEntry, Collectivity, Role, Territory
from conftest import GERS_HOST, ORNE_HOST, grant, make_user

from .conftest import with_totp

PARIS = ZoneInfo("Europe/Paris")
EVENT_DATA = {"title": "Piraté", "categories": "fete", "date": "2030-01-01", "start_time": "10:00", "publish": "1"}


def _an_event(territory: Territory) -> dict[str, int]:
    event = Event.objects.filter(territory=territory, review_status="").order_by("pk").first()
    assert event is not None
    return {"event_id": event.pk}


def _a_proposal(territory: Territory) -> dict[str, int]:
    event = Event.objects.filter(territory=territory, review_status="pending").order_by("pk").first()
    assert event is not None
    return {"event_id": event.pk}


def _no_extra(territory: Territory) -> dict[str, int]:
    return {}


@dataclass(frozen=True)
class EventUrl:
    name: str
    more_kwargs: Callable[[Territory], dict[str, int]] = _no_extra
    data: dict[str, str] = field(default_factory=dict)

    def url(self, territory: Territory) -> str:
        return reverse(f"backoffice:{self.name}", kwargs={"territory_id": territory.pk, **self.more_kwargs(territory)})


EVENT_URLS = [
    EventUrl("events"),
    EventUrl("event_create", data=EVENT_DATA),
    EventUrl("event_edit", _an_event, EVENT_DATA),
    EventUrl("event_duplicate", _an_event),
    EventUrl("event_cancel", _an_event, {"note": "Piraté"}),
    EventUrl("event_postpone", _an_event, {"note": "Piraté"}),
    EventUrl("event_restore", _an_event),
    EventUrl("event_publish", _an_event),
    EventUrl("event_archive", _an_event),
    EventUrl("event_proposals"),
    EventUrl("event_proposal", _a_proposal, {"decision": "accept", "message": "Piraté"}),
]


def _state() -> list[Any]:
    return [
        sorted(Event.objects.values_list("pk", "title", "status", "event_status", "status_note", "review_status")),
        AuditEntry.objects.count(),
    ]


@pytest.fixture
def targets(marc, charlie, joined_marciac, alencon, orne_portal) -> list[tuple[Territory, str]]:
    """Marciac's and Alençon's events and proposals, each territory with the host it is asked on."""
    for territory, admin in ((joined_marciac, marc), (alencon, charlie)):
        create_event(admin, territory, {"title": f"Fête de {territory.name}",
                                        "starts_at": datetime.datetime(2030, 6, 1, 20, tzinfo=PARIS)},
                     ["fete"], status=Status.PUBLISHED)
        club = Organisation.objects.create(name=f"Club de {territory.name}", territory=territory)
        club.communes.add(territory)
        create_proposed_event(admin, territory, club, {"title": f"Loto de {territory.name}",
                                                      "starts_at": datetime.datetime(2030, 6, 2, 15, tzinfo=PARIS)},
                              ["fete"])
    return [(joined_marciac, GERS_HOST), (alencon, GERS_HOST), (alencon, ORNE_HOST)]


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("event_url", EVENT_URLS, ids=lambda u: u.name)
def test_a_role_on_auch_grants_nothing_on_a_sibling_or_another_portal(role, event_url, auch, targets):
    user = make_user(f"{role}@example.org")
    grant(user, auch, role)
    if role == Role.ADMIN:
        with_totp(user)
    before = _state()
    for territory, host in targets:
        client = Client(HTTP_HOST=host)
        client.force_login(user)
        url = event_url.url(territory)
        assert client.get(url).status_code == 404, (url, host, "GET")
        assert client.post(url, event_url.data).status_code == 404, (url, host, "POST")
    assert _state() == before


@pytest.mark.parametrize("event_url", EVENT_URLS, ids=lambda u: u.name)
def test_the_same_pages_open_for_the_territorys_own_admin(event_url, marc, targets):
    # Proves the 404s above come from the missing role, not from a wrong URL.
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(marc)
    assert client.get(event_url.url(targets[0][0])).status_code == 200


@pytest.mark.parametrize("event_url", [u for u in EVENT_URLS if u.more_kwargs is not _no_extra], ids=lambda u: u.name)
def test_another_territorys_event_under_auchs_own_url_is_a_404(event_url, alice, auch, gers_portal, targets):
    # Alice administers Auch: the territory in the URL is hers, the event is Marciac's or Alençon's.
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(alice)  # the second factor comes with the fixture (tests/conftest.py)
    before = _state()
    for territory, _host in targets:
        url = reverse(f"backoffice:{event_url.name}", kwargs={"territory_id": auch.pk, **event_url.more_kwargs(territory)})
        assert client.get(url).status_code == 404, url
        assert client.post(url, event_url.data).status_code == 404, url
    assert _state() == before


def test_a_departement_admin_gets_nothing_on_a_commune_that_does_not_delegate(dora, joined_marciac, targets):
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(dora)
    url = reverse("backoffice:events", kwargs={"territory_id": joined_marciac.pk})
    assert client.get(url).status_code == 404
    Collectivity.objects.filter(territory=joined_marciac).update(delegates_to_parent=True)
    assert client.get(url).status_code == 200
