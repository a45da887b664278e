from django.conf import settings


def test_a_link_switches_the_language_and_goes_back_to_the_page(gers_client):
    response = gers_client.get("/langue/", {"lang": "en", "next": "/accessibilite/"})
    assert response.status_code == 302
    assert response["Location"] == "/accessibilite/"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert cookie["samesite"] == "Lax"
    assert '<html lang="en">' in gers_client.get("/accessibilite/").content.decode()


def test_it_never_sends_anyone_to_another_site(gers_client):
    for next_url in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = gers_client.get("/langue/", {"lang": "en", "next": next_url})
        assert response["Location"] == "/", next_url


def test_an_unknown_language_is_a_clear_400(gers_client):
    response = gers_client.get("/langue/", {"lang": "xx"})
    assert response.status_code == 400
    assert "Langue inconnue" in response.content.decode()
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_anonymous_pages_carry_no_csrf_token_nor_cookie(gers_client):
    response = gers_client.get("/")
    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert not response.cookies
