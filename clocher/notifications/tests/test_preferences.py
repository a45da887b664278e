"""The preferences page (/notifications/): what a resident follows and on which channels; defaults
shown before any choice, everything saved at once, bad input refused with nothing stored,
following and unfollowing communes of the portal only, and "download my data"."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import Client

from clocher.accounts.models import User
from clocher.core.modules import registry
from clocher.notifications import categories
from clocher.notifications.models import (
    EmailFrequency,
    NotificationSettings,
    Topic,
    TopicPreference,
)
from clocher.notifications.selectors import preferences_of
from clocher.notifications.topics import DEFAULTS
from clocher.territories.models import Territory
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_registered_categories() -> Any:
    """These tests register their own category providers: the agenda's is set aside meanwhile."""
    kept = dict(categories._providers)
    categories._providers.clear()
    yield
    categories._providers.clear()
    categories._providers.update(kept)


def signed_in(client: Client, user: User) -> Client:
    assert client.login(email=user.email, password=PASSWORD)
    return client


def choices(**changes: Any) -> dict[str, Any]:
    """The form as the page sends it with the defaults, then `changes`."""
    data: dict[str, Any] = {"follow_home": "on", "quiet_start": "", "quiet_end": ""}
    for topic, wanted in DEFAULTS.items():
        if wanted.push:
            data[f"{topic}_push"] = "on"
        if wanted.inbox:
            data[f"{topic}_inbox"] = "on"
        data[f"{topic}_email"] = wanted.email
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def test_the_page_needs_an_account(gers_client: Client) -> None:
    response = gers_client.get("/notifications/")
    assert response.status_code == 302
    assert "/comptes/login/" in response["Location"]


def test_it_shows_the_defaults_before_any_choice(gers_client: Client, resident: User) -> None:
    response = signed_in(gers_client, resident).get("/notifications/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Auch" in page
    form = response.context["form"]
    assert form["alerts_push"].value() is True
    assert form["news_email"].value() == EmailFrequency.WEEKLY
    assert form["menus_inbox"].value() is False
    assert form["follow_home"].value() is True
    # One fieldset per topic, its legend naming it.
    assert page.count("<legend>") >= len(Topic.values)


def test_it_saves_every_choice_at_once(gers_client: Client, resident: User) -> None:
    data = choices(news_email=EmailFrequency.DAILY, alerts_push=None, menus_inbox="on",
                   follow_home=None, quiet_start="22:00", quiet_end="07:00")
    response = signed_in(gers_client, resident).post("/notifications/", data)
    assert response.status_code == 302
    wanted = preferences_of(resident)
    assert wanted[Topic.NEWS].email == EmailFrequency.DAILY
    assert wanted[Topic.ALERTS].push is False
    assert wanted[Topic.MENUS].inbox is True
    saved = NotificationSettings.objects.get(user=resident)
    assert saved.follow_home is False
    assert (saved.quiet_start, saved.quiet_end) == (datetime.time(22), datetime.time(7))
    assert TopicPreference.objects.filter(user=resident).count() == len(Topic.values)


@pytest.mark.parametrize(("changes", "field"), [
    ({"quiet_start": "22:00"}, "quiet_end"),
    ({"quiet_start": "22:00", "quiet_end": "22:00"}, "quiet_end"),
    ({"quiet_start": "25:99", "quiet_end": "07:00"}, "quiet_start"),
    ({"news_email": "hourly"}, "news_email"),
])
def test_bad_input_is_refused_and_nothing_is_stored(
    gers_client: Client, resident: User, changes: dict[str, str], field: str,
) -> None:
    response = signed_in(gers_client, resident).post("/notifications/", choices(**changes))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert 'role="alert"' in response.content.decode()
    assert not TopicPreference.objects.exists()
    assert not NotificationSettings.objects.exists()


def test_events_can_be_narrowed_to_registered_categories(gers_client: Client, resident: User) -> None:
    categories.register_event_categories("test", lambda: [("concert", "Concerts"), ("marche", "Marchés")])
    try:
        client = signed_in(gers_client, resident)
        assert "Concerts" in client.get("/notifications/").content.decode()
        client.post("/notifications/", choices(events_categories=["concert"]))
        assert preferences_of(resident)[Topic.EVENTS].categories == ("concert",)
        response = client.post("/notifications/", choices(events_categories=["inconnue"]))
        assert response.status_code == 400
        assert preferences_of(resident)[Topic.EVENTS].categories == ("concert",)
    finally:
        categories.unregister_event_categories("test")


def test_without_a_category_provider_the_page_offers_none_and_keeps_what_was_chosen(
    gers_client: Client, resident: User,
) -> None:
    TopicPreference.objects.create(user=resident, topic=Topic.EVENTS, categories=["concert"])
    client = signed_in(gers_client, resident)
    assert "events_categories" not in client.get("/notifications/").context["form"].fields
    client.post("/notifications/", choices())
    assert preferences_of(resident)[Topic.EVENTS].categories == ("concert",)


def test_a_resident_follows_and_unfollows_a_commune_of_the_portal(
    gers_client: Client, resident: User, marciac: Territory,
) -> None:
    client = signed_in(gers_client, resident)
    found = client.get("/notifications/", {"q": "Marciac"})
    assert "Suivre Marciac" in found.content.decode()
    response = client.post("/notifications/suivre/", {"code": marciac.code})
    assert response.status_code == 302
    assert response["Location"].endswith("/notifications/#communes")
    assert list(resident.followed_communes.all()) == [marciac]
    assert "Ne plus suivre Marciac" in client.get("/notifications/").content.decode()
    client.post("/notifications/ne-plus-suivre/", {"code": marciac.code})
    assert not resident.followed_communes.exists()


def test_another_portals_commune_cannot_be_followed(
    gers_client: Client, resident: User, alencon: Territory, orne_portal: Any,
) -> None:
    client = signed_in(gers_client, resident)
    assert client.post("/notifications/suivre/", {"code": alencon.code}).status_code == 404
    assert client.post("/notifications/suivre/", {"code": "pas un code"}).status_code == 400
    assert client.post("/notifications/ne-plus-suivre/", {"code": alencon.code}).status_code == 404
    assert not resident.followed_communes.exists()


def test_the_home_commune_is_not_followed_twice(gers_client: Client, resident: User, auch: Territory) -> None:
    client = signed_in(gers_client, resident)
    client.post("/notifications/suivre/", {"code": auch.code})
    assert not resident.followed_communes.exists()


def test_download_my_data_holds_the_notification_choices(gers_client: Client, resident: User) -> None:
    assert "notifications" in registry.names()
    client = signed_in(gers_client, resident)
    client.post("/notifications/", choices(news_email=EmailFrequency.OFF, quiet_start="21:30", quiet_end="06:00"))
    data = json.loads(client.get("/compte/mes-donnees.json").content)
    mine = data["modules"]["notifications"]
    assert mine["topics"]["news"]["email"] == "off"
    assert mine["settings"]["quiet_start"] == "21:30:00"
    assert mine["inbox"] == []
