"""Fixtures shared by the report tests: media in a temporary folder, real boundaries, a catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from clocher.reports.models import Competence, ReportCategory
from clocher.territories.models import Territory

from .geo import with_boundaries


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def bounded(auch: Territory, marciac: Territory) -> list[Territory]:
    """Auch and Marciac with their real boundaries: the commune lookup finds them."""
    return with_boundaries(auch, marciac)


@pytest.fixture
def lighting(auch: Territory, bounded: list[Territory]) -> ReportCategory:
    return ReportCategory.objects.create(
        territory=auch, code="eclairage-public", name="Éclairage public", competence=Competence.COMMUNE
    )


@pytest.fixture
def marciac_lighting(marciac: Territory) -> ReportCategory:
    return ReportCategory.objects.create(
        territory=marciac, code="eclairage-public", name="Éclairage public", competence=Competence.COMMUNE
    )


@pytest.fixture
def waste(grand_auch: Territory) -> ReportCategory:
    return ReportCategory.objects.create(
        territory=grand_auch, code="dechets", name="Déchets", competence=Competence.EPCI
    )


@pytest.fixture
def departmental_road(gers: Territory) -> ReportCategory:
    return ReportCategory.objects.create(
        territory=gers, code="route-departementale", name="Route départementale",
        competence=Competence.DEPARTEMENT,
    )
