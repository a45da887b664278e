import pytest

from clocher.core.text import fold


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Saint-Cricq", "saint cricq"),
        ("saint cricq", "saint cricq"),
        ("  SAINT   CRICQ ", "saint cricq"),
        ("L'Isle-Jourdain", "l isle jourdain"),
        ("Éauze", "eauze"),
        ("Cœur de Gascogne", "coeur de gascogne"),
    ],
)
def test_it_folds_names_however_they_are_typed(typed, folded):
    assert fold(typed) == folded
