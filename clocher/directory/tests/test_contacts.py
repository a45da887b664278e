"""Useful contacts: the national numbers the data migration fills, and contacts_for."""

from __future__ import annotations

from importlib import import_module

from django.apps import apps as global_apps
from pytest_django import DjangoAssertNumQueries

from clocher.directory.contacts import contacts_for
from clocher.directory.models import ContactTheme, UsefulContact
from clocher.territories.models import Territory
from clocher.territories.selectors import ancestors

fill_migration = import_module("clocher.directory.migrations.0002_fill_national_contacts")


def test_the_national_numbers_are_there_for_every_portal(db: None) -> None:
    national = {c.phone: c for c in UsefulContact.objects.filter(territory=None)}

    for phone in ("15", "17", "18", "112", "114", "115", "119", "3919", "3114", "116 117", "116 006"):
        assert phone in national
    assert national["3919"].theme == ContactTheme.VIOLENCES
    assert national["119"].theme == ContactTheme.ENFANCE
    assert national["15"].name == "SAMU"
    assert all(c.description for c in national.values())
    assert {c.theme for c in national.values()} <= set(ContactTheme.values)


def test_filling_again_updates_in_place(db: None) -> None:
    UsefulContact.objects.filter(territory=None, phone="15").update(name="Ancien nom")
    count = UsefulContact.objects.count()

    fill_migration.fill(global_apps, None)

    assert UsefulContact.objects.count() == count
    assert UsefulContact.objects.get(territory=None, phone="15").name == "SAMU"


def test_it_groups_national_and_local_contacts_by_theme_emergencies_first(
    auch: Territory, marciac: Territory, gers: Territory, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    ccas = UsefulContact.objects.create(
        territory=auch, theme=ContactTheme.SOCIAL, name="CCAS d'Auch", phone="+33562612100",
    )
    UsefulContact.objects.create(territory=gers, theme=ContactTheme.SENIORS, name="Allô seniors 32", phone="+33562677777")
    UsefulContact.objects.create(territory=marciac, theme=ContactTheme.EAU, name="Eau de Marciac", phone="+33562090000")

    with django_assert_num_queries(1):
        groups = contacts_for(ancestors(auch))

    themes = list(groups)
    assert themes[0] == ContactTheme.URGENCES
    assert groups[ContactTheme.URGENCES][0].phone == "15"
    social = groups[ContactTheme.SOCIAL]
    assert social[0].phone == "115"
    assert social[-1] == ccas
    assert [c.name for c in groups[ContactTheme.SENIORS]][-1] == "Allô seniors 32"
    assert ContactTheme.EAU not in groups


def test_another_territorys_contacts_are_not_shown(auch: Territory, alencon: Territory) -> None:
    UsefulContact.objects.create(territory=alencon, theme=ContactTheme.DECHETS, name="Déchetterie", phone="+33233000000")

    groups = contacts_for([auch])

    assert ContactTheme.DECHETS not in groups
    assert all(c.territory_id is None for contacts in groups.values() for c in contacts)
