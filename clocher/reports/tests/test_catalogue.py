"""The starting catalogue of report categories, per level of collectivity."""

from django.core.management import call_command

from clocher.reports.catalogue import install_default_catalogue
from clocher.reports.models import Competence, ReportCategory


def test_each_level_gets_the_matters_it_handles(gers, grand_auch, auch):
    for territory in (gers, grand_auch, auch):
        install_default_catalogue(territory)
    assert ReportCategory.objects.get(territory=gers, code="route-departementale").competence == Competence.DEPARTEMENT
    assert ReportCategory.objects.get(territory=grand_auch, code="collecte-dechets").competence == Competence.EPCI
    assert ReportCategory.objects.get(territory=auch, code="eclairage-public").competence == Competence.COMMUNE


def test_installing_again_adds_only_what_is_missing_and_keeps_staff_changes(auch):
    install_default_catalogue(auch)
    ReportCategory.objects.filter(territory=auch, code="tags").update(name="Tags", is_active=False)
    ReportCategory.objects.filter(territory=auch, code="proprete").delete()
    assert install_default_catalogue(auch) == 1
    tags = ReportCategory.objects.get(territory=auch, code="tags")
    assert (tags.name, tags.is_active) == ("Tags", False)


def test_a_region_has_no_categories(occitanie):
    assert install_default_catalogue(occitanie) == 0


def test_the_command_takes_codes_and_says_what_it_added(gers, grand_auch, auch, capsys):
    call_command("report_categories", "32", "200066926", "32013")
    out = capsys.readouterr().out
    assert "Gers : 2 catégorie(s) ajoutée(s)." in out and "Auch : 6 catégorie(s) ajoutée(s)." in out
