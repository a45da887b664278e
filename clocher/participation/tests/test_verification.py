"""Verifying residence: a resident enters their code once; staff verify at the counter; a role on
Auch opens none of these staff pages on Marciac (its sibling) nor on Alençon (another portal)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from clocher.accounts.models import User
from clocher.participation import services
from clocher.participation.models import Level, ResidenceCode, Verification
from clocher.territories.models import AuditEntry, Collectivity, Portal, Role, Territory
from conftest import GERS_HOST, ORNE_HOST, grant, make_user

pytestmark = pytest.mark.django_db
VERIFY = "/participation/verifier/"


def _with_totp(user: User) -> User:
    TOTP.activate(user, generate_totp_secret())
    return user


def _codes(territory: Territory, commune: Territory, count: int = 3, days: int = 30) -> list[str]:
    staff = make_user(f"staff{ResidenceCode.objects.count()}@example.org")
    grant(staff, territory, Role.EDITOR)
    return services.issue_residence_codes(staff, territory, commune, count=count, valid_days=days).codes


# The resident's code

def test_a_resident_verifies_their_home_commune_with_a_code(gers_client: Client, resident: User, auch: Territory) -> None:
    code = _codes(auch, auch)[0]
    gers_client.force_login(resident)
    page = gers_client.get(VERIFY).content.decode()
    assert "Votre commune est Auch. Votre domicile n'y est pas encore vérifié." in page
    response = gers_client.post(VERIFY, {"code": f" {code[:5].lower()}-{code[5:]} "}, follow=True)
    html = response.content.decode()
    assert "Merci : votre domicile à Auch est vérifié." in html
    assert "Votre domicile à Auch est vérifié par un code." in html
    verification = Verification.objects.get(user=resident)
    assert (verification.commune, verification.level) == (auch, Level.RESIDENCE_CODE)
    used = verification.code
    assert used is not None
    assert used.used_by == resident and used.used_at is not None


def test_a_code_serves_once(resident: User, auch: Territory) -> None:
    code = _codes(auch, auch)[0]
    services.redeem_residence_code(resident, code)
    neighbour = make_user("voisin@example.org", home_commune=auch)
    with pytest.raises(services.VerificationRefused, match="pas valable"):
        services.redeem_residence_code(neighbour, code)
    assert not Verification.objects.filter(user=neighbour).exists()


def test_a_resident_already_verified_keeps_the_code_for_someone_else(resident: User, auch: Territory) -> None:
    first, second = _codes(auch, auch)[:2]
    services.redeem_residence_code(resident, first)
    with pytest.raises(services.VerificationRefused, match="déjà vérifié"):
        services.redeem_residence_code(resident, second)
    assert ResidenceCode.objects.filter(used_at__isnull=True).count() == 2


def test_another_communes_code_is_refused_and_the_home_commune_is_kept(
    resident: User, auch: Territory, marciac: Territory, gers: Territory
) -> None:
    code = _codes(gers, marciac)[0]
    with pytest.raises(services.VerificationRefused, match="Ce code est celui de Marciac, et votre commune est Auch"):
        services.redeem_residence_code(resident, code)
    resident.refresh_from_db()
    assert resident.home_commune == auch
    assert ResidenceCode.objects.filter(used_at__isnull=True).count() == 3


def test_without_a_home_commune_it_asks_to_choose_one_first(gers_client: Client, resident: User, auch: Territory) -> None:
    code = _codes(auch, auch)[0]
    resident.home_commune = None
    resident.save()
    with pytest.raises(services.VerificationRefused, match="Choisissez d'abord votre commune"):
        services.redeem_residence_code(resident, code)
    gers_client.force_login(resident)
    assert 'href="/compte/#ma-commune"' in gers_client.get(VERIFY).content.decode()


def test_an_expired_or_revoked_code_is_refused(resident: User, auch: Territory, alice: User) -> None:
    with time_machine.travel(datetime.datetime(2026, 1, 1, 12, tzinfo=datetime.UTC), tick=False):
        old = _codes(auch, auch, days=1)[0]
    with (
        time_machine.travel(datetime.datetime(2026, 1, 3, 12, tzinfo=datetime.UTC), tick=False),
        pytest.raises(services.VerificationRefused, match="expiré"),
    ):
        services.redeem_residence_code(resident, old)
    issued = services.issue_residence_codes(alice, auch, auch, count=1)
    services.revoke_batch(alice, auch, issued.batch)
    with pytest.raises(services.VerificationRefused, match="pas valable"):
        services.redeem_residence_code(resident, issued.codes[0])
    assert not Verification.objects.exists()


@pytest.mark.parametrize("typed", ["", "ABC", "0000000000", "2345678923456789"])
def test_nonsense_is_a_form_error_not_a_500(gers_client: Client, resident: User, auch: Territory, typed: str) -> None:
    gers_client.force_login(resident)
    response = gers_client.post(VERIFY, {"code": typed})
    assert response.status_code == 400
    assert response.context["form"].errors["code"]


def test_five_tries_an_hour_per_account(gers_client: Client, resident: User, auch: Territory) -> None:
    code = _codes(auch, auch)[0]
    gers_client.force_login(resident)
    for _ in range(5):
        assert gers_client.post(VERIFY, {"code": "ZZZZZ-ZZZZZ"}).status_code == 400
    response = gers_client.post(VERIFY, {"code": code})
    assert response.status_code == 429
    assert "réessayez dans une heure" in response.content.decode()
    assert not Verification.objects.exists()
    # Another address does not help the same account.
    other = Client(HTTP_HOST=GERS_HOST, REMOTE_ADDR="192.0.2.99")
    other.force_login(resident)
    assert other.post(VERIFY, {"code": code}).status_code == 429


def test_five_tries_an_hour_per_address_across_accounts(gers_client: Client, resident: User, auch: Territory) -> None:
    code = _codes(auch, auch)[0]
    for n in range(5):
        client = Client(HTTP_HOST=GERS_HOST)
        client.force_login(make_user(f"guess{n}@example.org", home_commune=auch))
        assert client.post(VERIFY, {"code": "ZZZZZ-ZZZZZ"}).status_code == 400
    gers_client.force_login(resident)
    assert gers_client.post(VERIFY, {"code": code}).status_code == 429


def test_an_anonymous_visitor_is_sent_to_sign_in(gers_client: Client) -> None:
    response = gers_client.post(VERIFY, {"code": "ZZZZZ-ZZZZZ"})
    assert response.status_code == 302 and response["Location"].startswith("/comptes/login/")


# The counter

def _counter(territory: Territory) -> str:
    return f"/gestion/{territory.pk}/participation/guichet/"


def test_staff_find_a_resident_by_exact_email_or_name_only(gers_client: Client, bob: User, auch: Territory, resident: User) -> None:
    resident.display_name = "Jeanne Martin"
    resident.save()
    gers_client.force_login(bob)
    for query in ("RESIDENT@example.org", "jeanne  martin"):
        response = gers_client.get(_counter(auch), {"q": query})
        assert [person for person, _ in response.context["rows"]] == [resident]
    for query in ("resident@", "Jeanne", "example.org"):
        assert gers_client.get(_counter(auch), {"q": query}).context["rows"] == []


def test_staff_do_not_find_residents_of_another_commune(
    gers_client: Client, bob: User, auch: Territory, marciac: Territory
) -> None:
    make_user("marcien@example.org", home_commune=marciac)
    gers_client.force_login(bob)
    assert gers_client.get(_counter(auch), {"q": "marcien@example.org"}).context["rows"] == []


def test_staff_verify_a_resident_at_the_counter_then_remove_it(
    gers_client: Client, bob: User, auch: Territory, resident: User
) -> None:
    gers_client.force_login(bob)
    url = f"{_counter(auch)}{resident.pk}/verifier/"
    # Without the box ticked, nothing happens.
    gers_client.post(url, {"q": resident.email})
    assert not Verification.objects.exists()
    response = gers_client.post(url, {"q": resident.email, "seen_proof": "on"})
    assert response.status_code == 302
    assert response["Location"] == f"{_counter(auch)}?q=resident%40example.org"
    verification = Verification.objects.get(user=resident)
    assert (verification.level, verification.verified_by, verification.verified_through) == (Level.IN_PERSON, bob, auch)
    entry = AuditEntry.objects.get(action="participation.verified_in_person")
    assert entry.actor == bob and entry.territory == auch and "resident@example.org" in entry.summary
    # Twice is refused, not duplicated.
    gers_client.post(url, {"seen_proof": "on"})
    assert Verification.objects.count() == 1
    gers_client.post(f"{_counter(auch)}verifications/{verification.pk}/retirer/")
    assert not Verification.objects.exists()
    assert AuditEntry.objects.filter(action="participation.verification_removed", actor=bob).exists()


def test_the_departements_admin_verifies_a_resident_of_a_commune_inside(dora: User, gers: Territory, resident: User) -> None:
    verification = services.verify_in_person(dora, gers, resident)
    assert verification.verified_through == gers


# Sibling and other-portal staff get a 404 on every page, and nothing changes

@pytest.fixture
def marciac_with_everything(gers_portal: Portal, marciac: Territory, gers: Territory) -> dict[str, Any]:
    """Marciac joined, with a batch, a resident verified at the counter, and its own admin."""
    Collectivity.objects.create(territory=marciac, portal=gers_portal)
    marc = _with_totp(make_user("marc@example.org"))
    grant(marc, marciac, Role.ADMIN)
    batch = services.issue_residence_codes(marc, marciac, marciac, count=2).batch
    marcien = make_user("marcien@example.org", home_commune=marciac)
    verification = services.verify_in_person(marc, marciac, marcien)
    return {"batch": batch, "resident": marcien, "verification": verification}


def _staff_urls(territory: Territory, things: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    base = f"/gestion/{territory.pk}/participation/"
    return [
        (base + "codes/", {"commune": str(territory.pk), "count": "5", "valid_days": "30"}),
        (base + f"codes/{things['batch'].pk}/annuler/", {}),
        (base + "guichet/", {}),
        (base + f"guichet/{things['resident'].pk}/verifier/", {"seen_proof": "on"}),
        (base + f"guichet/verifications/{things['verification'].pk}/retirer/", {}),
    ]


def _state() -> tuple[Any, ...]:
    return (
        ResidenceCode.objects.count(), list(ResidenceCode.objects.values_list("batch__revoked_at", flat=True)),
        list(Verification.objects.values_list("pk", "level")), AuditEntry.objects.count(),
    )


def test_every_staff_page_is_a_404_for_auchs_staff_on_marciac(
    marciac_with_everything: dict[str, Any], marciac: Territory, auch: Territory, alice: User, bob: User, mona: User
) -> None:
    _with_totp(alice)
    before = _state()
    for person in (alice, bob, mona):
        client = Client(HTTP_HOST=GERS_HOST)
        client.force_login(person)
        for url, data in _staff_urls(marciac, marciac_with_everything):
            assert client.get(url).status_code == 404, (person, url)
            assert client.post(url, data).status_code == 404, (person, url)
    assert _state() == before


def test_auchs_admin_cannot_reach_marciacs_batch_or_resident_through_auch(
    marciac_with_everything: dict[str, Any], auch: Territory, alice: User
) -> None:
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(_with_totp(alice))
    before = _state()
    for url, data in _staff_urls(auch, marciac_with_everything)[1:]:
        if url.endswith("/guichet/"):
            continue
        assert client.post(url, data).status_code == 404, url
    assert _state() == before


def test_every_staff_page_is_a_404_for_the_ornes_admin_and_on_another_portal(
    marciac_with_everything: dict[str, Any], marciac: Territory, charlie: User, orne_portal: Portal
) -> None:
    _with_totp(charlie)
    before = _state()
    for host in (GERS_HOST, ORNE_HOST):
        client = Client(HTTP_HOST=host)
        client.force_login(charlie)
        for url, data in _staff_urls(marciac, marciac_with_everything):
            assert client.get(url).status_code == 404, url
            assert client.post(url, data).status_code == 404, url
    assert _state() == before


def test_marciacs_admin_opens_them(marciac_with_everything: dict[str, Any], marciac: Territory) -> None:
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(User.objects.get(email="marc@example.org"))
    for url, _data in _staff_urls(marciac, marciac_with_everything):
        assert client.get(url).status_code in (200, 302), url
