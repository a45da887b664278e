"""The device page and the subscription endpoints push.js posts to: a resident's subscription is
theirs, a visitor's follows a commune of this portal; bad input is a 400 with a message, abuse a 429,
no CSRF token a 403; subscribing again updates; the service worker shows pushes and opens them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from clocher.accounts.models import User
from clocher.notifications import push, vapid
from clocher.notifications.models import PushSubscription
from clocher.territories.models import Territory
from conftest import GERS_HOST

from .push_receiver import PushReceiver

pytestmark = pytest.mark.django_db
SUBSCRIBE = "/notifications/appareil/abonnement/"
UNSUBSCRIBE = "/notifications/appareil/desabonnement/"


@pytest.fixture(scope="module")
def service() -> Any:
    with PushReceiver() as started:
        yield started


@pytest.fixture(autouse=True)
def _local_push_service(settings: Any) -> None:
    settings.PUSH_SERVICE_HOSTS = ["127.0.0.1"]


def post(client: Client, url: str, data: Any) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


def test_a_resident_subscribes_this_device(gers_client: Client, resident: User, service: PushReceiver) -> None:
    gers_client.force_login(resident)
    response = post(gers_client, SUBSCRIBE, service.subscription("phone"))
    assert response.status_code == 200
    assert response.json()["message"] == "Cet appareil recevra vos notifications."
    subscription = PushSubscription.objects.get()
    assert subscription.user == resident and subscription.commune is None


def test_a_visitor_subscribes_to_a_communes_alerts(gers_client: Client, auch: Territory, service: PushReceiver) -> None:
    response = post(gers_client, SUBSCRIBE, {**service.subscription("visitor"), "commune": auch.code})
    assert response.status_code == 200
    assert "Auch" in response.json()["message"]
    subscription = PushSubscription.objects.get()
    assert subscription.user is None and subscription.commune == auch


def test_a_visitor_needs_a_commune_of_this_portal(
    gers_client: Client, alencon: Territory, service: PushReceiver,
) -> None:
    for extra in ({}, {"commune": alencon.code}, {"commune": "x" * 500}, {"commune": ["32013"]}):
        response = post(gers_client, SUBSCRIBE, {**service.subscription("visitor"), **extra})
        assert response.status_code == 400
        assert response.json()["error"] == "Choisissez d'abord une commune de ce territoire."
    assert not PushSubscription.objects.exists()


def test_subscribing_the_same_endpoint_again_updates_it(
    gers_client: Client, auch: Territory, resident: User, service: PushReceiver,
) -> None:
    first = service.subscription("shared-phone")
    post(gers_client, SUBSCRIBE, {**first, "commune": auch.code})
    renewed = {**service.subscription("shared-phone"), "endpoint": first["endpoint"]}
    gers_client.force_login(resident)
    assert post(gers_client, SUBSCRIBE, renewed).status_code == 200
    subscription = PushSubscription.objects.get()
    assert subscription.user == resident and subscription.commune is None
    assert subscription.p256dh == renewed["keys"]["p256dh"]


@pytest.mark.parametrize(("change", "message"), [
    ({"endpoint": "http://127.0.0.1/push/x"}, "L'adresse de l'abonnement doit être une adresse https."),
    ({"endpoint": "https://intranet.mairie.local/push"}, "Ce service de notifications n'est pas pris en charge."),
    ({"endpoint": "https://127.0.0.1/" + "a" * 1000}, "L'adresse de l'abonnement est trop longue."),
    ({"endpoint": "https://user:pw@127.0.0.1/push"}, "L'adresse de l'abonnement doit être une adresse https."),
    ({"endpoint": 42}, "L'abonnement envoyé n'a pas d'adresse."),
    ({"keys": None}, "L'abonnement envoyé n'a pas de clés."),
    ({"keys": {"p256dh": "BAAA", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, "Les clés de l'abonnement n'ont pas la bonne taille."),
    ({"keys": {"p256dh": "!!!", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, "Les clés de l'abonnement ne sont pas valides."),
    ({"keys": {"p256dh": "B" + "A" * 86, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, "Les clés de l'abonnement ne sont pas valides."),
])
def test_a_bad_subscription_is_a_400_with_its_reason(
    gers_client: Client, resident: User, service: PushReceiver, change: dict[str, Any], message: str,
) -> None:
    gers_client.force_login(resident)
    response = post(gers_client, SUBSCRIBE, {**service.subscription("phone"), **change})
    assert response.status_code == 400
    assert response.json()["error"] == message
    assert not PushSubscription.objects.exists()


def test_a_body_that_is_not_json_or_too_long_is_a_400(gers_client: Client, resident: User) -> None:
    gers_client.force_login(resident)
    assert gers_client.post(SUBSCRIBE, "endpoint=x", content_type="text/plain").status_code == 400
    assert gers_client.post(SUBSCRIBE, "[" * 5000, content_type="application/json").status_code == 400
    assert post(gers_client, UNSUBSCRIBE, ["x"]).status_code == 400


def test_subscribing_without_the_csrf_token_is_refused(gers_portal: Any, resident: User, service: PushReceiver) -> None:
    client = Client(HTTP_HOST=GERS_HOST, enforce_csrf_checks=True)
    client.force_login(resident)
    assert post(client, SUBSCRIBE, service.subscription("phone")).status_code == 403
    assert not PushSubscription.objects.exists()


def test_too_many_changes_from_one_address_are_refused(
    gers_client: Client, auch: Territory, service: PushReceiver,
) -> None:
    for index in range(20):
        post(gers_client, SUBSCRIBE, {**service.subscription(f"phone-{index}"), "commune": auch.code})
    response = post(gers_client, SUBSCRIBE, {**service.subscription("one-more"), "commune": auch.code})
    assert response.status_code == 429
    assert PushSubscription.objects.count() == 20


def test_unsubscribing_forgets_the_device(gers_client: Client, resident: User, service: PushReceiver) -> None:
    gers_client.force_login(resident)
    subscription = service.subscription("phone")
    post(gers_client, SUBSCRIBE, subscription)
    response = post(gers_client, UNSUBSCRIBE, {"endpoint": subscription["endpoint"]})
    assert response.status_code == 200
    assert not PushSubscription.objects.exists()
    assert push.unsubscribe(subscription["endpoint"]) is False


def test_the_page_offers_the_button_and_says_what_to_do_without_javascript(
    gers_client: Client, resident: User,
) -> None:
    gers_client.force_login(resident)
    page = gers_client.get("/notifications/appareil/").content.decode()
    assert "Recevoir les notifications sur cet appareil" in page
    assert "Ajouter" in page and "écran d’accueil" in page  # the iPhone's steps, shown by push.js
    assert "<noscript>" in page and "ont besoin de JavaScript" in page
    assert "js/push.js" in page


def test_a_visitor_is_asked_for_a_commune_first(gers_client: Client, auch: Territory, alencon: Territory) -> None:
    page = gers_client.get("/notifications/appareil/").content.decode()
    assert "choisissez d’abord votre commune" in page
    assert "data-push-subscribe" not in page
    page = gers_client.get(f"/notifications/appareil/?commune={auch.code}").content.decode()
    assert 'data-commune="32013"' in page and "les alertes de Auch" in page
    assert gers_client.get(f"/notifications/appareil/?commune={alencon.code}").status_code == 404


def test_the_key_endpoint_gives_the_vapid_public_key(gers_client: Client) -> None:
    key = gers_client.get("/notifications/appareil/cle.json").json()["publicKey"]
    assert key == vapid.public_key() and key.startswith("B")


def test_the_service_worker_shows_pushes_and_opens_same_origin_pages_only(gers_client: Client) -> None:
    worker = gers_client.get("/sw.js").content.decode()
    assert 'addEventListener("push"' in worker and "showNotification" in worker
    assert 'addEventListener("notificationclick"' in worker
    assert "target.origin !== self.location.origin" in worker
    assert "/icons/192.png" in worker
