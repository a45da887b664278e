"""Shared test personas.

Two portals, as healthchecks does with its projects: the Gers (Alice, admin of Auch; Bob, editor of
Auch; Dora, admin of the Gers département; Mona, moderator of Auch; Erin, manager of the Foyer rural
d'Auch association) and the Orne (Charlie, admin of Alençon), who must never see each other's data. Marciac is Auch's sibling commune in the Gers: a role on Auch grants nothing
there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from clocher.accounts.models import User
from clocher.territories.models import (
    Collectivity,
    Portal,
    PortalHost,
    Postcode,
    Role,
    StaffRole,
    Territory,
    TerritoryKind,
)

GERS_HOST = "gers.test"
ORNE_HOST = "orne.test"
PASSWORD = "correct-horse-battery-staple"


def make_territory(kind: str, code: str, name: str, **extra: Any) -> Territory:
    postcodes = extra.pop("postcodes", [])
    territory = Territory.objects.create(kind=kind, code=code, name=name, **extra)
    for postcode in postcodes:
        Postcode.objects.create(territory=territory, code=postcode)
    return territory


def make_user(email: str, **extra: Any) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, **extra)
    # allauth requires a verified address before anyone signs in.
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def grant(user: User, territory: Territory, role: str) -> StaffRole:
    return StaffRole.objects.create(user=user, territory=territory, role=role)


def pytest_configure(config: pytest.Config) -> None:
    # Parallel workers share one Redis in CI, and cache.clear() empties a whole Redis database:
    # each worker gets a database of its own (Redis has 16; CI runs 2 workers).
    import os
    from urllib.parse import urlsplit

    from django.conf import settings

    cache = settings.CACHES["default"]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw") and cache["BACKEND"].endswith("RedisCache"):
        location = urlsplit(cache["LOCATION"])
        database = (int(location.path.strip("/") or 0) + int(worker[2:])) % 16
        cache["LOCATION"] = location._replace(path=f"/{database}").geturl()
    # Pages name their static files without a manifest, as `make test` asks (STATIC_MANIFEST=0): a
    # plain `pytest` must not depend on whether `collectstatic` ran (the bench runs it into var/).
    if "STATIC_MANIFEST" not in os.environ:
        settings.STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Every persona has a password: the production hasher's deliberate slowness (a second per
    # user on CI) bought nothing in tests and took half the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_outside_services(settings: Any) -> None:
    """Tests never reach a service on the internet; those that need one start it locally."""
    settings.GEOCODER_URL = ""


@pytest.fixture(autouse=True)
def _allow_test_hosts(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["*"]


@pytest.fixture(autouse=True)
def _french_after_each_test() -> Iterator[None]:
    # LocaleMiddleware leaves a request's language active in the test's thread: a test that switched
    # to English would leave the next one speaking English.
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_commune_lookup() -> None:
    # The point lookup keeps boundaries in memory per process; each test brings its own.
    from clocher.territories import lookup

    lookup.invalidate()


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # Pages, rate limits and counters live in the cache; ids are reused from one test to the next.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_portals() -> None:
    # Each process remembers portals by host name for a few seconds; each test brings its own.
    from clocher.territories.selectors import forget_portals

    forget_portals()


@pytest.fixture
def occitanie(db: None) -> Territory:
    return make_territory(TerritoryKind.REGION, "76", "Occitanie")


@pytest.fixture
def gers(occitanie: Territory) -> Territory:
    return make_territory(TerritoryKind.DEPARTEMENT, "32", "Gers", region=occitanie, population=191377)


@pytest.fixture
def grand_auch(gers: Territory, occitanie: Territory) -> Territory:
    return make_territory(
        TerritoryKind.EPCI, "200066926", "CA Grand Auch Cœur de Gascogne",
        siren="200066926", epci_kind="CA", population=40000,
    )


@pytest.fixture
def bastides(gers: Territory) -> Territory:
    return make_territory(
        TerritoryKind.EPCI, "200034460", "CC Bastides et Vallons du Gers",
        siren="200034460", epci_kind="CC", population=16000,
    )


@pytest.fixture
def auch(gers: Territory, occitanie: Territory, grand_auch: Territory) -> Territory:
    return make_territory(
        TerritoryKind.COMMUNE, "32013", "Auch", region=occitanie, departement=gers,
        epci=grand_auch, population=22428, postcodes=["32000"], siren="213200132",
        center_lat=43.6465, center_lon=0.5855,
    )


@pytest.fixture
def marciac(gers: Territory, occitanie: Territory, bastides: Territory) -> Territory:
    return make_territory(
        TerritoryKind.COMMUNE, "32233", "Marciac", region=occitanie, departement=gers,
        epci=bastides, population=1213, postcodes=["32230"], siren="213202336",
    )


@pytest.fixture
def gers_portal(gers: Territory, auch: Territory, marciac: Territory) -> Portal:
    portal = Portal.objects.create(
        name="Le Gers dans ma poche", short_name="Gers", root=gers,
        publisher_name="Conseil départemental du Gers",
    )
    PortalHost.objects.create(portal=portal, hostname=GERS_HOST)
    Collectivity.objects.create(territory=auch, portal=portal, phone="05 62 61 21 00")
    return portal


@pytest.fixture
def normandie(db: None) -> Territory:
    return make_territory(TerritoryKind.REGION, "28", "Normandie")


@pytest.fixture
def orne(normandie: Territory) -> Territory:
    return make_territory(TerritoryKind.DEPARTEMENT, "61", "Orne", region=normandie, population=276903)


@pytest.fixture
def cu_alencon(orne: Territory) -> Territory:
    return make_territory(
        TerritoryKind.EPCI, "246100663", "CU d'Alençon", siren="246100663", epci_kind="CU",
    )


@pytest.fixture
def alencon(orne: Territory, normandie: Territory, cu_alencon: Territory) -> Territory:
    return make_territory(
        TerritoryKind.COMMUNE, "61001", "Alençon", region=normandie, departement=orne,
        epci=cu_alencon, population=25848, postcodes=["61000"],
    )


@pytest.fixture
def orne_portal(orne: Territory, alencon: Territory) -> Portal:
    portal = Portal.objects.create(name="L'Orne dans ma poche", short_name="Orne", root=orne)
    PortalHost.objects.create(portal=portal, hostname=ORNE_HOST)
    Collectivity.objects.create(territory=alencon, portal=portal)
    return portal


@pytest.fixture
def alice(auch: Territory) -> User:
    user = make_user("alice@example.org", display_name="Alice")
    grant(user, auch, Role.ADMIN)
    return user


@pytest.fixture
def bob(auch: Territory) -> User:
    user = make_user("bob@example.org", display_name="Bob")
    grant(user, auch, Role.EDITOR)
    return user


@pytest.fixture
def dora(gers: Territory) -> User:
    user = make_user("dora@example.org", display_name="Dora")
    grant(user, gers, Role.ADMIN)
    return user


@pytest.fixture
def charlie(alencon: Territory) -> User:
    user = make_user("charlie@example.org", display_name="Charlie")
    grant(user, alencon, Role.ADMIN)
    return user


@pytest.fixture
def resident(auch: Territory) -> User:
    return make_user("resident@example.org", home_commune=auch)


@pytest.fixture
def mona(auch: Territory) -> User:
    """The moderator of Auch: she accepts or refuses what associations propose there."""
    user = make_user("mona@example.org", display_name="Mona")
    grant(user, auch, Role.MODERATOR)
    return user


@pytest.fixture
def foyer_rural(auch: Territory) -> Any:
    """An association registered by Auch and acting in Auch."""
    from clocher.organisations.models import Organisation

    organisation = Organisation.objects.create(
        name="Foyer rural d'Auch", territory=auch, email="foyer@example.org"
    )
    organisation.communes.add(auch)
    return organisation


@pytest.fixture
def erin(foyer_rural: Any) -> User:
    """A member of the Foyer rural d'Auch, who proposes its events and news."""
    from clocher.organisations.models import MemberRole, Membership

    user = make_user("erin@example.org", display_name="Erin")
    Membership.objects.create(organisation=foyer_rural, user=user, role=MemberRole.MANAGER)
    return user


@pytest.fixture
def gers_client(gers_portal: Portal) -> Client:
    """A browser on the Gers portal."""
    return Client(HTTP_HOST=GERS_HOST)


@pytest.fixture
def orne_client(orne_portal: Portal) -> Client:
    return Client(HTTP_HOST=ORNE_HOST)
