"""can_take_part: each missing condition gives its own French sentence, and levels are ordered."""

from __future__ import annotations

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import AnonymousUser

from clocher.accounts.models import User
from clocher.participation.eligibility import age_on, can_take_part
from clocher.participation.models import Eligibility, Level, Verification
from clocher.territories.models import Territory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 1)


def _rules(*territories: Territory, min_age: int | None = None, level: str = Level.EMAIL) -> Eligibility:
    eligibility = Eligibility.objects.create(min_age=min_age, level=level)
    eligibility.territories.set(territories)
    return eligibility


def _verify(user: User, commune: Territory, level: str) -> Verification:
    return Verification.objects.create(user=user, commune=commune, level=level)


def test_a_resident_of_auch_may_take_part_in_what_is_open_to_auch_its_epci_or_the_gers(
    resident: User, auch: Territory, grand_auch: Territory, gers: Territory
) -> None:
    for territory in (auch, grand_auch, gers):
        assert can_take_part(resident, _rules(territory), on=DAY) == (True, [])


def test_a_resident_of_auch_may_not_take_part_in_marciacs(resident: User, marciac: Territory, bastides: Territory) -> None:
    ok, reasons = can_take_part(resident, _rules(marciac, bastides), on=DAY)
    assert not ok
    assert reasons == [
        "Cette participation est réservée aux habitants de : CC Bastides et Vallons du Gers, Marciac ; "
        "votre commune, Auch, n'en fait pas partie."
    ]


def test_without_a_home_commune_it_says_to_choose_one(resident: User, auch: Territory) -> None:
    resident.home_commune = None
    resident.save()
    ok, reasons = can_take_part(resident, _rules(auch), on=DAY)
    assert not ok
    assert reasons == ["Vous n'avez pas indiqué votre commune : choisissez-la dans « Mon compte »."]
    # No territory and the e-mail level: nothing asks for a commune.
    assert can_take_part(resident, _rules(), on=DAY) == (True, [])


def test_a_minimum_age_needs_a_birth_date_and_counts_full_years(resident: User, auch: Territory) -> None:
    rules = _rules(auch, min_age=16)
    ok, reasons = can_take_part(resident, rules, on=DAY)
    assert reasons == [
        "Cette participation est ouverte à partir de 16 ans : indiquez votre date de naissance dans « Mon compte »."
    ]
    resident.birth_date = datetime.date(2010, 3, 2)  # 16 tomorrow
    ok, reasons = can_take_part(resident, rules, on=DAY)
    assert (ok, reasons) == (False, ["Cette participation est ouverte à partir de 16 ans."])
    resident.birth_date = datetime.date(2010, 3, 1)  # 16 today
    assert can_take_part(resident, rules, on=DAY).ok


def test_someone_born_on_29_february_is_a_year_older_on_1_march() -> None:
    born = datetime.date(2008, 2, 29)
    assert age_on(born, datetime.date(2026, 2, 28)) == 17
    assert age_on(born, datetime.date(2026, 3, 1)) == 18


def test_the_email_level_needs_a_verified_address(resident: User, auch: Territory) -> None:
    EmailAddress.objects.filter(user=resident).update(verified=False)
    ok, reasons = can_take_part(resident, _rules(auch), on=DAY)
    assert not ok
    assert reasons == ["Vérifiez votre adresse e-mail : ouvrez le lien du message que nous vous avons envoyé."]


def test_the_code_level_is_met_by_a_code_or_by_the_counter_not_by_email(resident: User, auch: Territory) -> None:
    rules = _rules(auch, level=Level.RESIDENCE_CODE)
    ok, reasons = can_take_part(resident, rules, on=DAY)
    assert reasons == [
        "Votre domicile à Auch doit être vérifié : saisissez le code reçu de votre mairie, ou passez à son guichet."
    ]
    verification = _verify(resident, auch, Level.RESIDENCE_CODE)
    assert can_take_part(resident, rules, on=DAY).ok
    verification.delete()
    _verify(resident, auch, Level.IN_PERSON)
    assert can_take_part(resident, rules, on=DAY).ok


def test_the_counter_level_is_not_met_by_a_code(resident: User, auch: Territory) -> None:
    rules = _rules(auch, level=Level.IN_PERSON)
    _verify(resident, auch, Level.RESIDENCE_CODE)
    ok, reasons = can_take_part(resident, rules, on=DAY)
    assert reasons == [
        "Votre domicile à Auch doit être vérifié au guichet de votre mairie, avec un justificatif de domicile."
    ]
    _verify(resident, auch, Level.IN_PERSON)
    assert can_take_part(resident, rules, on=DAY).ok


def test_a_counter_verification_also_meets_the_email_level(resident: User, auch: Territory) -> None:
    EmailAddress.objects.filter(user=resident).update(verified=False)
    _verify(resident, auch, Level.IN_PERSON)
    assert can_take_part(resident, _rules(auch), on=DAY).ok


def test_a_verification_counts_only_for_the_current_home_commune(
    resident: User, auch: Territory, marciac: Territory, gers: Territory
) -> None:
    _verify(resident, auch, Level.IN_PERSON)
    resident.home_commune = marciac  # moved to Marciac: Auch's verification proves nothing there
    resident.save()
    ok, reasons = can_take_part(resident, _rules(gers, level=Level.RESIDENCE_CODE), on=DAY)
    assert reasons == [
        "Votre domicile à Marciac doit être vérifié : saisissez le code reçu de votre mairie, ou passez à son guichet."
    ]


def test_it_gives_every_missing_condition_at_once(resident: User, marciac: Territory) -> None:
    EmailAddress.objects.filter(user=resident).update(verified=False)
    ok, reasons = can_take_part(resident, _rules(marciac, min_age=18, level=Level.RESIDENCE_CODE), on=DAY)
    assert not ok
    assert len(reasons) == 3
    assert "Marciac" in reasons[0] and "18 ans" in reasons[1] and "Auch doit être vérifié" in reasons[2]


def test_an_anonymous_visitor_is_asked_to_sign_in(auch: Territory) -> None:
    assert can_take_part(AnonymousUser(), _rules(auch), on=DAY) == (False, ["Connectez-vous pour participer."])
