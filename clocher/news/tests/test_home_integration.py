"""The news on the resident's home page: the alert banner above the feed, the articles in it."""

from __future__ import annotations

import pytest

from .conftest import alert, publish

pytestmark = pytest.mark.django_db


def test_the_home_of_auch_shows_the_alert_first_and_the_news(gers_client, bob, dora, gers, auch):
    publish(bob, auch, "Marché de Noël")
    alert(dora, gers, "Crue du Gers", severity="danger")
    gers_client.cookies["commune"] = auch.code
    page = gers_client.get("/").content.decode()
    assert "Marché de Noël" in page
    assert "Crue du Gers" in page
    assert page.index("Crue du Gers") < page.index("Marché de Noël")
