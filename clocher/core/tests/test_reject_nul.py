import pytest


@pytest.mark.parametrize(
    "url",
    [
        "/communes/%00/",
        "/territoires/epci/%00/",
        "/gestion/invitation/%00/",
        "/api/v1/territories?q=%00",
        "/api/v1/territories/commune/%00",
        "/ma-commune/?q=au%00ch",
    ],
)
def test_a_nul_in_an_address_is_a_clear_400(gers_client, url):
    response = gers_client.get(url)
    assert response.status_code == 400
    assert "caractère nul" in response.content.decode()


def test_a_nul_in_a_form_field_is_a_clear_400_and_changes_nothing(gers_client, resident, auch, marciac):
    gers_client.force_login(resident)
    response = gers_client.post("/ma-commune/choisir/", {"code": "32\x00233"})
    assert response.status_code == 400
    resident.refresh_from_db()
    assert resident.home_commune == auch


def test_a_cookie_with_a_nul_is_ignored_not_an_error(gers_client, auch):
    gers_client.cookies["commune"] = "320\x0013"
    response = gers_client.get("/")
    assert response.status_code == 200
    assert "Choisissez votre commune" in response.content.decode()
