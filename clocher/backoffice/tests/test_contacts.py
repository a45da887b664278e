"""The staff pages of useful contacts: editors and admins add, change and delete their territory's numbers."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from clocher.backoffice.contacts import clean_contact_phone
from clocher.directory.models import ContactTheme, UsefulContact
from clocher.territories.models import AuditEntry, Role
from conftest import GERS_HOST, grant, make_user


def client_for(user) -> Client:
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(user)
    return client


def url(name, territory, **extra):
    return reverse(f"backoffice:{name}", kwargs={"territory_id": territory.pk, **extra})


def form_data(**overrides):
    data = {"theme": ContactTheme.SOCIAL, "name": "CCAS d'Auch", "phone": "05 62 61 21 00",
            "description": "Aide sociale", "hours": "Du lundi au vendredi", "position": "0"}
    data.update(overrides)
    return data


@pytest.fixture
def ccas(auch):
    return UsefulContact.objects.create(territory=auch, theme=ContactTheme.SOCIAL, name="CCAS", phone="+33562612100")


def test_an_editor_adds_a_contact_stored_in_e164_and_written_in_the_journal(bob, auch, gers_portal):
    response = client_for(bob).post(url("contact_create", auch), form_data())

    assert response.status_code == 302
    contact = UsefulContact.objects.get(territory=auch)
    assert (contact.name, contact.phone, contact.theme) == ("CCAS d'Auch", "+33562612100", "social")
    entry = AuditEntry.objects.get(territory=auch, action="contact.create")
    assert entry.actor == bob


@pytest.mark.parametrize("typed, stored", [("3919", "3919"), ("116 117", "116 117"), ("+44 20 7946 0958", "+442079460958")])
def test_short_national_numbers_are_kept_as_dialled(typed, stored):
    assert clean_contact_phone(typed) == stored


@pytest.mark.parametrize("phone", ["1234", "abc", "05 62", "+3919", ""])
def test_it_refuses_a_number_that_does_not_exist_with_a_form_error(bob, auch, gers_portal, phone):
    response = client_for(bob).post(url("contact_create", auch), form_data(phone=phone))

    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert not UsefulContact.objects.filter(territory=auch).exists()


def test_it_refuses_an_unknown_theme(bob, auch, gers_portal):
    response = client_for(bob).post(url("contact_create", auch), form_data(theme="pirate"))

    assert response.status_code == 200
    assert "theme" in response.context["form"].errors


def test_an_admin_edits_a_contact_and_the_journal_keeps_what_changed(alice, auch, gers_portal, ccas):
    response = client_for(alice).post(url("contact_edit", auch, contact_id=ccas.pk), form_data(name="CCAS", phone="3919"))

    assert response.status_code == 302
    ccas.refresh_from_db()
    assert ccas.phone == "3919"
    entry = AuditEntry.objects.get(territory=auch, action="contact.update")
    assert entry.changes == {"phone": ["+33562612100", "3919"], "description": ["", "Aide sociale"],
                             "hours": ["", "Du lundi au vendredi"]}


def test_deleting_asks_first_then_deletes_and_writes_the_journal(bob, auch, gers_portal, ccas):
    client = client_for(bob)
    delete_url = url("contact_delete", auch, contact_id=ccas.pk)

    assert client.get(delete_url).status_code == 200
    assert UsefulContact.objects.filter(pk=ccas.pk).exists()
    assert client.post(delete_url).status_code == 302
    assert not UsefulContact.objects.filter(pk=ccas.pk).exists()
    assert AuditEntry.objects.get(territory=auch, action="contact.delete").changes["phone"] == "+33562612100"


def test_the_list_shows_own_contacts_editable_and_national_ones_read_only(bob, auch, gers_portal, ccas):
    response = client_for(bob).get(url("contacts", auch))

    page = response.content.decode()
    assert response.status_code == 200
    assert url("contact_edit", auch, contact_id=ccas.pk) in page
    assert "SAMU" in page
    samu = UsefulContact.objects.get(territory=None, phone="15")
    assert url("contact_edit", auch, contact_id=samu.pk) not in page
    assert url("contacts", auch) in client_for(bob).get(url("territory", auch)).content.decode()


def test_a_national_number_cannot_be_changed_or_deleted_here(alice, auch, gers_portal):
    samu = UsefulContact.objects.get(territory=None, phone="15")
    client = client_for(alice)

    assert client.post(url("contact_edit", auch, contact_id=samu.pk), form_data()).status_code == 404
    assert client.post(url("contact_delete", auch, contact_id=samu.pk)).status_code == 404
    samu.refresh_from_db()
    assert samu.name == "SAMU"


def test_a_moderator_cannot_manage_contacts(auch, gers_portal):
    moderator = make_user("moderatrice@example.org")
    grant(moderator, auch, Role.MODERATOR)

    assert client_for(moderator).get(url("contacts", auch)).status_code == 404
    assert client_for(moderator).post(url("contact_create", auch), form_data()).status_code == 404
    assert not UsefulContact.objects.filter(territory=auch).exists()


def test_the_phone_field_brings_up_the_telephone_keypad(bob, auch, gers_portal):
    page = client_for(bob).get(url("contact_create", auch)).content.decode()

    assert 'type="tel"' in page
    assert 'autocomplete="tel"' in page
