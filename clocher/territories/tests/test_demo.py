"""`clocher demo`: the living Gers, on the real geography of France (one full import, here)."""

from __future__ import annotations

import re
from io import StringIO

from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from clocher.territories.geography import shared_data_dir
from clocher.territories.lookup import commune_at
from clocher.territories.models import (
    Collectivity,
    Portal,
    PortalHost,
    Role,
    StaffRole,
    Territory,
    TerritoryKind,
)


def _run() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def _counts() -> tuple[int, ...]:
    return (
        Territory.objects.count(), Portal.objects.count(), PortalHost.objects.count(),
        Collectivity.objects.count(), get_user_model().objects.count(), StaffRole.objects.count(),
        EmailAddress.objects.count(),
    )


def test_it_installs_a_living_gers_and_a_second_run_keeps_everything(db, monkeypatch, tmp_path, settings):
    # A fast hasher: the test checks that passwords are hashed and work, not how hard they are to crack.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    real_shared_data = shared_data_dir()
    monkeypatch.setenv("CLOCHER_SHARED_DATA", str(tmp_path / "absent"))

    first = _run()

    # Without the shared data folder it says so and goes on.
    assert "Dossier des contours absent" in first
    assert Territory.objects.filter(kind=TerritoryKind.COMMUNE).count() > 34000
    assert commune_at(43.6465, 0.5855) is None

    portal = Portal.objects.get(name="Le Gers dans ma poche")
    assert (portal.short_name, portal.root.code) == ("Gers", "32")
    assert portal.publisher_name == "Conseil départemental du Gers"
    assert set(portal.hosts.values_list("hostname", flat=True)) == {"127.0.0.1", "localhost", "::1"}

    auch = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="32013")
    assert auch.epci is not None
    joined = set(Collectivity.objects.filter(portal=portal).values_list("territory__kind", "territory__code"))
    assert joined == {("commune", "32013"), ("commune", "32233"), ("departement", "32"), ("epci", auch.epci.code)}
    assert auch.collectivity.address and auch.collectivity.opening_hours and auch.collectivity.website

    roles = set(StaffRole.objects.filter(territory=auch).values_list("role", flat=True))
    assert roles == set(Role.values)
    assert StaffRole.objects.filter(territory__code="32", territory__kind="departement", role=Role.ADMIN).exists()
    assert not EmailAddress.objects.filter(verified=False).exists()
    resident = get_user_model().objects.get(email="habitant@example.org")
    assert resident.home_commune == auch

    # Passwords are printed once, work, and are stored hashed only.
    printed = dict(re.findall(r"^\s+(\S+@\S+)\s+(\S+)\s+\(", first, re.MULTILINE))
    assert len(printed) == 7
    for email, password in printed.items():
        assert authenticate(email=email, password=password) is not None
        assert get_user_model().objects.get(email=email).password != password

    monkeypatch.setenv("CLOCHER_SHARED_DATA", str(real_shared_data))
    before = _counts()
    second = _run()

    assert "déjà chargé" in second
    assert "changepassword" in second
    assert not any(password in second for password in printed.values())
    assert _counts() == before
    found = commune_at(43.6465, 0.5855)
    assert found is not None and found.code == "32013"
    assert Territory.objects.get(kind=TerritoryKind.DEPARTEMENT, code="32").boundary is not None

    third = _run()
    assert "Aucun changement" in third
    assert _counts() == before
