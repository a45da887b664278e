"""Sign up, confirm the address, sign in and out, reset a password: allauth's pages, in French, on a portal."""

from __future__ import annotations

import re

from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from clocher.accounts.models import User
from conftest import PASSWORD

NEW_PASSWORD = "une-autre-phrase-de-passe-solide"


def _link(body: str, marker: str) -> str:
    match = re.search(rf"https?://gers\.test(/\S*{marker}\S*)", body)
    assert match, body
    return match.group(1)


def test_it_signs_up_confirms_the_address_and_signs_in(gers_client: Client) -> None:
    page = gers_client.get("/comptes/signup/")
    assert page.status_code == 200
    assert "Inscription" in page.content.decode()

    response = gers_client.post("/comptes/signup/", {
        "email": "Nouvelle@Example.org", "password1": PASSWORD, "password2": PASSWORD,
    })
    assert response.status_code == 302
    user = User.objects.get(email="nouvelle@example.org")
    # Verification is mandatory: the account cannot be used before the link is followed.
    assert gers_client.get("/compte/").status_code == 302
    assert len(mail.outbox) == 1
    link = _link(str(mail.outbox[0].body), "confirm-email")

    assert gers_client.get(link).status_code == 200
    confirmed = gers_client.post(link)
    assert confirmed.status_code == 302
    assert EmailAddress.objects.get(user=user).verified

    gers_client.post("/comptes/logout/")
    assert gers_client.get("/compte/").status_code == 302
    signed_in = gers_client.post("/comptes/login/", {"login": "nouvelle@example.org", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/compte/"
    assert gers_client.get("/compte/").status_code == 200


def test_it_refuses_to_sign_in_before_the_address_is_confirmed(gers_client: Client) -> None:
    gers_client.post("/comptes/signup/", {
        "email": "pressee@example.org", "password1": PASSWORD, "password2": PASSWORD,
    })
    gers_client.post("/comptes/logout/")
    response = gers_client.post("/comptes/login/", {"login": "pressee@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert "confirm-email" in response["Location"]
    assert gers_client.get("/compte/").status_code == 302


def test_it_shows_the_sign_in_page_in_french_inside_the_site_layout(gers_client: Client) -> None:
    html = gers_client.get("/comptes/login/").content.decode()
    assert "Connexion" in html
    assert '<html lang="fr">' in html
    assert 'class="site-header"' in html  # the site's own layout
    assert '<label for="id_login"' in html
    assert '<label for="id_password"' in html
    # The Content-Security-Policy forbids inline scripts and styles.
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "style=" not in html


def test_it_refuses_a_wrong_password(gers_client: Client, resident: User) -> None:
    response = gers_client.post("/comptes/login/", {"login": resident.email, "password": "pas-le-bon"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert gers_client.get("/compte/").status_code == 302


def test_it_resets_a_forgotten_password_by_e_mail(gers_client: Client, resident: User) -> None:
    response = gers_client.post("/comptes/password/reset/", {"email": resident.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = _link(str(mail.outbox[0].body), "password/reset/key")

    # allauth moves the key out of the address before showing the form.
    form_page = gers_client.get(link, follow=True)
    assert form_page.status_code == 200
    form_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    done = gers_client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302

    resident.refresh_from_db()
    assert resident.check_password(NEW_PASSWORD)


def test_it_signs_out(gers_client: Client, resident: User) -> None:
    gers_client.force_login(resident)
    assert gers_client.get("/compte/").status_code == 200
    gers_client.post("/comptes/logout/")
    assert gers_client.get("/compte/").status_code == 302


def test_a_wrong_password_is_announced_to_screen_readers(gers_client, resident):
    html = gers_client.post("/comptes/login/", {"login": resident.email, "password": "non"}).content.decode()
    alert = html.index('role="alert"')
    assert "incorrects" in html[alert:alert + 300]
    assert alert < html.index('id="id_password"')
