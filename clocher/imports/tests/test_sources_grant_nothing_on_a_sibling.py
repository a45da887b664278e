"""A role on Auch opens none of the sources pages of Marciac (its sibling commune) nor of Alençon
(another portal), and a source of Marciac is a 404 even through Auch's own URLs.

SOURCE_URLS lists every /gestion/ page of the sources: a new one is added there, and these tests
then prove, for every role, on GET and on POST, that it answers 404 and that nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clocher.imports.models import ImportSource, SourceKind
from clocher.territories.models import AuditEntry, Role, Territory
from conftest import GERS_HOST, ORNE_HOST, grant, make_user

from .conftest import with_totp

pytestmark = pytest.mark.usefixtures("public_internet")


def _no_extra(territory: Territory) -> dict[str, int]:
    return {}


def _a_source(territory: Territory) -> dict[str, int]:
    source = ImportSource.objects.filter(territory=territory).order_by("pk").first()
    assert source is not None
    return {"source_id": source.pk}


SOURCE_DATA = {"kind": SourceKind.ICS, "url": "https://pirate.example.org/a.ics", "interval_hours": "1"}


@dataclass(frozen=True)
class StaffUrl:
    """A staff page: its URL name, the other URL arguments on a territory, a POST that would change it."""

    name: str
    more_kwargs: Callable[[Territory], dict[str, int]] = _no_extra
    data: dict[str, str] = field(default_factory=dict)
    # Whether its GET answers 200 (the action URLs only accept POST).
    has_page: bool = True

    def url(self, territory: Territory, kwargs_from: Territory | None = None) -> str:
        extra = self.more_kwargs(kwargs_from or territory)
        return reverse(f"backoffice:{self.name}", kwargs={"territory_id": territory.pk, **extra})


SOURCE_URLS = [
    StaffUrl("sources", data=SOURCE_DATA),
    StaffUrl("source", more_kwargs=_a_source),
    StaffUrl("source_sync", more_kwargs=_a_source, has_page=False),
    StaffUrl("source_disable", more_kwargs=_a_source, has_page=False),
    StaffUrl("source_enable", more_kwargs=_a_source, has_page=False),
    StaffUrl("source_delete", more_kwargs=_a_source),
]


def _state() -> list[Any]:
    return [
        sorted(ImportSource.objects.values_list("pk", "territory_id", "url", "enabled", "last_run_at")),
        AuditEntry.objects.count(),
    ]


@pytest.fixture
def targets(
    auch: Territory, marc: Any, charlie: Any, joined_marciac: Territory, alencon: Territory, orne_portal: Any
) -> list[tuple[Territory, str]]:
    """The territories a role on Auch must not reach, each with the host it is asked on."""
    for territory in (auch, joined_marciac, alencon):
        ImportSource.objects.create(
            territory=territory, kind=SourceKind.ICS, url=f"https://{territory.code}.example.org/agenda.ics",
        )
    return [(joined_marciac, GERS_HOST), (alencon, GERS_HOST), (alencon, ORNE_HOST)]


@pytest.fixture(autouse=True)
def no_download(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

    def refuse(url: str) -> bytes:
        raise AssertionError("nothing may be downloaded for a territory the user has no role on")

    monkeypatch.setattr("clocher.imports.services.safe_fetch", refuse)


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("staff_url", SOURCE_URLS, ids=lambda u: u.name)
def test_a_role_on_auch_grants_nothing_on_a_sibling_or_another_portal(
    role: str, staff_url: StaffUrl, auch: Territory, targets: list[tuple[Territory, str]]
) -> None:
    user = make_user(f"{role}@example.org")
    grant(user, auch, role)
    if role == Role.ADMIN:
        with_totp(user)
    before = _state()
    for territory, host in targets:
        client = Client(HTTP_HOST=host)
        client.force_login(user)
        url = staff_url.url(territory)
        assert client.get(url).status_code == 404, (url, host, "GET")
        assert client.post(url, staff_url.data).status_code == 404, (url, host, "POST")
    assert _state() == before


@pytest.mark.parametrize("staff_url", [u for u in SOURCE_URLS if u.more_kwargs is _a_source], ids=lambda u: u.name)
def test_a_sibling_s_source_is_a_404_through_auch_s_own_urls(
    staff_url: StaffUrl, alice: Any, auch: Territory, targets: list[tuple[Territory, str]]
) -> None:
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(alice)
    before = _state()
    for territory, _host in targets:
        url = staff_url.url(auch, kwargs_from=territory)
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    assert _state() == before


@pytest.mark.parametrize("staff_url", [u for u in SOURCE_URLS if u.has_page], ids=lambda u: u.name)
def test_the_same_pages_open_for_the_territory_s_own_admin(
    staff_url: StaffUrl, marc: Any, targets: list[tuple[Territory, str]]
) -> None:
    # Proves the 404s above come from the missing role, not from a wrong URL.
    marciac = targets[0][0]
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(marc)
    assert client.get(staff_url.url(marciac)).status_code == 200
