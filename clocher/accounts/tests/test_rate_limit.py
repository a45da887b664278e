"""Guessing passwords: after five failures within five minutes, sign-in is refused (ACCOUNT_RATE_LIMITS)."""

from __future__ import annotations

import time_machine
from django.test import Client

from clocher.accounts.models import User
from conftest import PASSWORD


def _refused(response: object) -> bool:
    status = getattr(response, "status_code", 0)
    if status == 429:
        return True
    context = getattr(response, "context", None)
    return status == 200 and context is not None and bool(context["form"].errors)


def test_it_refuses_the_sixth_attempt_within_five_minutes_even_with_the_right_password(
    gers_client: Client, resident: User
) -> None:
    for _ in range(5):
        response = gers_client.post("/comptes/login/", {"login": resident.email, "password": "mauvais"})
        assert response.status_code == 200
    sixth = gers_client.post("/comptes/login/", {"login": resident.email, "password": PASSWORD})
    assert _refused(sixth)
    assert gers_client.get("/compte/").status_code == 302


def test_it_lets_the_right_password_in_after_four_failures(gers_client: Client, resident: User) -> None:
    for _ in range(4):
        gers_client.post("/comptes/login/", {"login": resident.email, "password": "mauvais"})
    response = gers_client.post("/comptes/login/", {"login": resident.email, "password": PASSWORD})
    assert response.status_code == 302
    assert gers_client.get("/compte/").status_code == 200


def test_it_accepts_sign_in_again_once_the_five_minutes_are_over(gers_client: Client, resident: User) -> None:
    with time_machine.travel("2030-01-01 10:00 +0100", tick=False) as traveller:
        for _ in range(5):
            gers_client.post("/comptes/login/", {"login": resident.email, "password": "mauvais"})
        assert _refused(gers_client.post("/comptes/login/", {"login": resident.email, "password": PASSWORD}))
        traveller.shift(6 * 60)
        response = gers_client.post("/comptes/login/", {"login": resident.email, "password": PASSWORD})
    assert response.status_code == 302


def test_behind_the_proxy_one_guesser_does_not_lock_everyone_out(
    gers_client: Client, resident: User, settings: object
) -> None:
    # settings.py sets this when BEHIND_PROXY is on: the client is the last X-Forwarded-For hop.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1  # type: ignore[attr-defined]
    for number in range(6):
        gers_client.post(
            "/comptes/login/", {"login": f"inconnu{number}@example.org", "password": "x"},
            REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7",
        )
    resident_browser = Client(
        HTTP_HOST=gers_client.defaults["HTTP_HOST"], REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )
    response = resident_browser.post("/comptes/login/", {"login": resident.email, "password": PASSWORD})
    assert response.status_code == 302
