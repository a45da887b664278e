"""Residence codes: their alphabet, their digests, the staff page that prints them as a PDF."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.utils import timezone

from clocher.accounts.models import User
from clocher.participation import codes, services
from clocher.participation.models import ResidenceCode, ResidenceCodeBatch
from clocher.territories.models import AuditEntry, Portal, Role, Territory
from conftest import grant, make_user

pytestmark = pytest.mark.django_db


def _with_totp(user: User) -> User:
    """Admins must have a second factor before any /gestion/ page."""
    TOTP.activate(user, generate_totp_secret())
    return user


def _url(territory: Territory) -> str:
    return f"/gestion/{territory.pk}/participation/codes/"


# The codes themselves

def test_a_code_has_ten_signs_none_of_them_0_o_1_or_i() -> None:
    drawn = {codes.new_code() for _ in range(500)}
    assert len(drawn) == 500
    for code in drawn:
        assert re.fullmatch(r"[2-9A-HJ-NP-Z]{10}", code)


def test_what_a_resident_types_is_read_with_spaces_dashes_and_small_letters() -> None:
    assert codes.normalise(" 7kq3m-xr2pd ") == "7KQ3MXR2PD"
    assert codes.normalise("7KQ3M XR2PD") == "7KQ3MXR2PD"
    assert codes.normalise("7KQ3M-XR2P") is None  # too short
    assert codes.normalise("7KQ3M-XR2P0") is None  # 0 is not in the alphabet
    assert codes.normalise("") is None


def test_the_digest_is_keyed_by_the_secret_key(settings: object) -> None:
    first = codes.digest("7KQ3MXR2PD")
    assert first == codes.digest("7KQ3MXR2PD") and "7KQ3MXR2PD" not in first
    settings.SECRET_KEY = "another-installation-another-key-0123456789abcdefghijklmnop"  # type: ignore[attr-defined]
    assert codes.digest("7KQ3MXR2PD") != first


def test_the_pdf_puts_three_slips_on_each_a4_page() -> None:
    slips = [
        codes.Slip("Vœuil-et-Giget", codes.new_code(), "https://gers.test/participation/verifier/",
                   datetime.date(2026, 6, 1), n, 7, "1")
        for n in range(1, 8)
    ]
    pdf = codes.render_pdf(slips)
    assert pdf.startswith(b"%PDF-")
    assert re.findall(rb"/Count (\d+)", pdf) == [b"3"]  # 7 slips: 3 + 3 + 1
    assert b"/MediaBox [0 0 595.28 841.89]" in pdf


# The service

def test_it_stores_only_digests_and_writes_the_journal(alice: User, auch: Territory) -> None:
    issued = services.issue_residence_codes(alice, auch, auch, count=25, valid_days=30)
    assert len(issued.codes) == len(set(issued.codes)) == 25
    stored = set(ResidenceCode.objects.filter(batch=issued.batch).values_list("digest", flat=True))
    assert stored == {codes.digest(code) for code in issued.codes}
    assert not stored & set(issued.codes)
    entry = AuditEntry.objects.get(territory=auch, action="participation.codes_issued")
    assert entry.actor == alice and entry.changes["count"] == 25


@time_machine.travel(datetime.datetime(2026, 3, 1, 10, tzinfo=datetime.UTC), tick=False)
def test_codes_are_valid_to_the_end_of_their_last_day(alice: User, auch: Territory) -> None:
    batch = services.issue_residence_codes(alice, auch, auch, count=1, valid_days=30).batch
    last = timezone.localtime(batch.expires_at)
    assert (last.date(), last.hour, last.minute) == (datetime.date(2026, 3, 31), 23, 59)


@pytest.mark.parametrize(("count", "days"), [(0, 30), (2001, 30), (10, 0), (10, 366)])
def test_it_refuses_a_count_or_a_validity_out_of_bounds(alice: User, auch: Territory, count: int, days: int) -> None:
    with pytest.raises(services.VerificationRefused):
        services.issue_residence_codes(alice, auch, auch, count=count, valid_days=days)
    assert not ResidenceCodeBatch.objects.exists()


def test_an_agent_or_a_moderator_may_not_make_codes(auch: Territory, mona: User) -> None:
    agent = make_user("agent@example.org")
    grant(agent, auch, Role.AGENT)
    for person in (agent, mona):
        with pytest.raises(services.VerificationRefused):
            services.issue_residence_codes(person, auch, auch, count=1)


def test_auchs_admin_may_not_make_codes_for_marciac(alice: User, auch: Territory, marciac: Territory) -> None:
    with pytest.raises(services.VerificationRefused):
        services.issue_residence_codes(alice, auch, marciac, count=1)


def test_the_departements_admin_makes_codes_for_a_commune_inside(dora: User, gers: Territory, marciac: Territory) -> None:
    batch = services.issue_residence_codes(dora, gers, marciac, count=3).batch
    assert (batch.commune, batch.issued_through, batch.created_by) == (marciac, gers, dora)


# The staff page

def test_the_page_offers_the_communes_of_the_territory(
    gers_client: Client, dora: User, gers: Territory, auch: Territory, marciac: Territory
) -> None:
    gers_client.force_login(_with_totp(dora))
    response = gers_client.get(_url(gers))
    assert response.status_code == 200
    assert list(response.context["form"].fields["commune"].queryset) == [auch, marciac]


def test_posting_the_form_downloads_the_pdf_and_lists_the_batch(gers_client: Client, bob: User, auch: Territory) -> None:
    gers_client.force_login(bob)
    response = gers_client.post(_url(auch), {"commune": auch.pk, "count": "12", "valid_days": "60"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    batch = ResidenceCodeBatch.objects.get()
    assert response["Content-Disposition"] == f'attachment; filename="codes-32013-lot-{batch.pk}.pdf"'
    assert response.content.startswith(b"%PDF-")
    assert batch.codes.count() == 12
    html = gers_client.get(_url(auch)).content.decode()
    assert f"Lot n° {batch.pk} · Auch" in html
    assert "0 codes utilisés sur 12" in html


@pytest.mark.parametrize("count", ["0", "2001", "beaucoup", ""])
def test_a_bad_count_is_a_form_error_not_a_batch(gers_client: Client, bob: User, auch: Territory, count: str) -> None:
    gers_client.force_login(bob)
    response = gers_client.post(_url(auch), {"commune": auch.pk, "count": count, "valid_days": "60"})
    assert response.status_code == 400
    assert response.context["form"].errors["count"]
    assert not ResidenceCodeBatch.objects.exists()


def test_a_commune_outside_the_territory_is_a_form_error(
    gers_client: Client, bob: User, auch: Territory, marciac: Territory
) -> None:
    gers_client.force_login(bob)
    response = gers_client.post(_url(auch), {"commune": marciac.pk, "count": "5", "valid_days": "60"})
    assert response.status_code == 400
    assert response.context["form"].errors["commune"]
    assert not ResidenceCodeBatch.objects.exists()


def test_revoking_a_batch_voids_its_unused_codes(gers_client: Client, bob: User, auch: Territory) -> None:
    batch = services.issue_residence_codes(bob, auch, auch, count=2).batch
    gers_client.force_login(bob)
    response = gers_client.post(f"/gestion/{auch.pk}/participation/codes/{batch.pk}/annuler/")
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.revoked_at is not None
    assert AuditEntry.objects.filter(territory=auch, action="participation.codes_revoked").exists()


def test_an_agent_gets_a_404(gers_client: Client, auch: Territory, gers_portal: Portal) -> None:
    agent = make_user("agent@example.org")
    grant(agent, auch, Role.AGENT)
    gers_client.force_login(agent)
    assert gers_client.get(_url(auch)).status_code == 404
    assert gers_client.post(_url(auch), {"commune": auch.pk, "count": "5", "valid_days": "60"}).status_code == 404
    assert not ResidenceCodeBatch.objects.exists()
