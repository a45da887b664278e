"""The declared birth date on the account page: kept, validated, exported (what minimum ages read)."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
import time_machine
from django.test import Client

from clocher.accounts.models import User

pytestmark = pytest.mark.django_db


def _post(client: Client, birth_date: str) -> Any:
    return client.post("/compte/", {"display_name": "Jeanne", "language": "fr", "birth_date": birth_date})


def test_the_account_page_offers_a_date_field(gers_client: Client, resident: User) -> None:
    gers_client.force_login(resident)
    html = gers_client.get("/compte/").content.decode()
    assert 'type="date"' in html
    assert 'name="birth_date"' in html


@time_machine.travel(datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC), tick=False)
def test_it_keeps_a_birth_date_typed_the_french_way_or_sent_by_a_date_picker(
    gers_client: Client, resident: User
) -> None:
    gers_client.force_login(resident)
    assert _post(gers_client, "1985-03-12").status_code == 302
    resident.refresh_from_db()
    assert resident.birth_date == datetime.date(1985, 3, 12)
    assert _post(gers_client, "24/12/1990").status_code == 302
    resident.refresh_from_db()
    assert resident.birth_date == datetime.date(1990, 12, 24)


@time_machine.travel(datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC), tick=False)
@pytest.mark.parametrize(("typed", "message"), [
    ("2026-03-02", "futur"),
    ("1899-12-31", "1900"),
    ("31/02/1990", "valide"),
])
def test_it_refuses_a_date_in_the_future_before_1900_or_that_does_not_exist(
    gers_client: Client, resident: User, typed: str, message: str
) -> None:
    gers_client.force_login(resident)
    response = _post(gers_client, typed)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["birth_date"])
    resident.refresh_from_db()
    assert resident.birth_date is None


@time_machine.travel(datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC), tick=False)
def test_today_and_an_empty_field_are_accepted(gers_client: Client, resident: User) -> None:
    gers_client.force_login(resident)
    assert _post(gers_client, "2026-03-01").status_code == 302
    resident.refresh_from_db()
    assert resident.birth_date == datetime.date(2026, 3, 1)
    assert _post(gers_client, "").status_code == 302
    resident.refresh_from_db()
    assert resident.birth_date is None


def test_the_birth_date_is_in_the_data_export(gers_client: Client, resident: User) -> None:
    resident.birth_date = datetime.date(1985, 3, 12)
    resident.save(update_fields=["birth_date"])
    gers_client.force_login(resident)
    data = json.loads(gers_client.get("/compte/mes-donnees.json").content)
    assert data["account"]["birth_date"] == "1985-03-12"
