"""An intercommunality's editor may address an event to some of its communes only."""

from __future__ import annotations

import time_machine

from clocher.agenda.models import Event
from clocher.territories.models import Role
from conftest import grant, make_user

from .test_events import client_for, form_data, paris, url


def test_an_epci_editor_addresses_an_event_to_one_commune_and_can_change_it(grand_auch, auch, gers_portal):
    editor = make_user("epci@example.org")
    grant(editor, grand_auch, Role.EDITOR)
    client = client_for(editor)
    with time_machine.travel(paris(2026, 11, 24, 10), tick=False):
        page = client.get(url("event_create", grand_auch)).content.decode()
        assert "id_audience" in page and "Auch" in page
        response = client.post(url("event_create", grand_auch), {**form_data(), "audience": [auch.pk], "publish": "1"})
        assert response.status_code == 302, response.content.decode()[:2000]
        event = Event.objects.get()
        assert list(event.audience.all()) == [auch]
        client.post(url("event_edit", grand_auch, event_id=event.pk), {**form_data(), "audience": []})
    assert not event.audience.exists()


def test_a_commune_has_nothing_to_choose(bob, auch, gers_portal):
    page = client_for(bob).get(url("event_create", auch)).content.decode()
    assert "id_audience" not in page


def test_a_commune_outside_the_epci_cannot_be_posted(grand_auch, auch, marciac, gers_portal):
    editor = make_user("epci@example.org")
    grant(editor, grand_auch, Role.EDITOR)
    with time_machine.travel(paris(2026, 11, 24, 10), tick=False):
        response = client_for(editor).post(
            url("event_create", grand_auch), {**form_data(), "audience": [marciac.pk], "publish": "1"}
        )
    assert response.status_code == 200
    assert not Event.objects.exists()
