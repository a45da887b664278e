"""Web Push end to end against a local push service that decrypts with the subscription's own keys:
what the phone shows is what the notification says, VAPID-signed; 404/410 remove the subscription;
"later" answers are retried a few times, other refusals fail; a second run sends nothing twice; only
claimed deliveries go out. Also the VAPID keys, made once."""

from __future__ import annotations

import base64
import datetime
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from clocher.accounts.models import User
from clocher.notifications import fanout, push, sending, vapid
from clocher.notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Notification,
    PushSubscription,
    Topic,
    VapidKey,
)
from clocher.territories.models import Territory

from .push_receiver import PushReceiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[PushReceiver]:
    with PushReceiver() as started:
        # The sender trusts the receiver's own certificate authority, and its address is a push
        # service this installation accepts.
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(started.ca_path))
        settings.PUSH_SERVICE_HOSTS = ["127.0.0.1"]
        settings.VAPID_SUBJECT = "mailto:mairie@auch.example"
        yield started


def keep(subscription: dict[str, Any], user: User | None = None, commune: Territory | None = None) -> PushSubscription:
    return push.subscribe(push.check_subscription(subscription), user=user, commune=commune)


def alert(territory: Territory, key: str = "news.alert:1:started", **changes: Any) -> Notification:
    values: dict[str, Any] = {
        "key": key, "topic": Topic.ALERTS, "territory": territory, "title": "Orages violents",
        "body": "Vigilance orange jusqu'à 22 h : évitez les déplacements.", "url": "/alertes/1/",
    }
    values.update(changes)
    return Notification.objects.create(**values)


def vapid_claims(authorization: str) -> dict[str, Any]:
    token = authorization.split("t=", 1)[1].split(",", 1)[0]
    middle = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(middle + "=" * (-len(middle) % 4))))


def test_the_phone_decrypts_exactly_what_the_notification_says(
    receiver: PushReceiver, auch: Territory, resident: User,
) -> None:
    phone = keep(receiver.subscription("phone"), user=resident)
    notification = alert(auch, urgent=True)

    fanout.plan(notification)
    counts = sending.send_pending(notification)

    assert counts["pushes"] == 1
    [received] = receiver.for_subscription("phone")
    assert received.payload == {
        "title": "Orages violents", "body": "Vigilance orange jusqu'à 22 h : évitez les déplacements.",
        "url": "/alertes/1/", "tag": "news.alert:1:started", "urgent": True,
    }
    assert received.headers["content-encoding"] == "aes128gcm"
    assert received.headers["urgency"] == "high"
    assert received.headers["ttl"] == str(push.URGENT_TTL)
    assert received.vapid_valid
    claims = vapid_claims(received.headers["authorization"])
    assert claims["aud"] == receiver.url
    assert claims["sub"] == "mailto:mairie@auch.example"
    assert claims["exp"] <= time.time() + 24 * 3600
    assert f"k={vapid.public_key()}" in received.headers["authorization"]
    delivery = Delivery.objects.get(notification=notification, channel=Channel.PUSH)
    assert delivery.status == DeliveryStatus.SENT and delivery.sent_at is not None and delivery.attempts == 1
    phone.refresh_from_db()
    assert phone.last_success_at is not None


def test_an_alert_that_is_not_urgent_rings_normally_and_other_topics_keep_longer(
    receiver: PushReceiver, auch: Territory, resident: User,
) -> None:
    keep(receiver.subscription("phone"), user=resident)
    notification = alert(auch)
    fanout.plan(notification)
    sending.send_pending(notification)
    [received] = receiver.for_subscription("phone")
    assert received.headers["urgency"] == "normal"
    assert received.headers["ttl"] == str(push.ALERT_TTL)
    participation = alert(auch, topic=Topic.PARTICIPATION, key="poll:1:opened", url="/sondages/1/")
    assert push.ttl_of(participation) == push.DEFAULT_TTL


def test_a_visitor_without_account_gets_the_alerts_of_their_commune_only(
    receiver: PushReceiver, auch: Territory, marciac: Territory,
) -> None:
    keep(receiver.subscription("auch-visitor"), commune=auch)
    keep(receiver.subscription("marciac-visitor"), commune=marciac)
    notification = alert(auch)
    fanout.plan(notification)
    sending.send_pending(notification)
    assert [r.payload["title"] for r in receiver.for_subscription("auch-visitor")] == ["Orages violents"]
    assert receiver.for_subscription("marciac-visitor") == []


def test_running_the_sending_again_sends_nothing_twice(
    receiver: PushReceiver, auch: Territory, resident: User,
) -> None:
    keep(receiver.subscription("phone"), user=resident)
    keep(receiver.subscription("tablet"), user=resident)
    notification = alert(auch)
    fanout.plan(notification)
    sending.send_pending(notification)
    fanout.plan(notification)
    again = sending.send_pending(notification)
    assert again["pushes"] == 0
    assert len(receiver.received) == 2
    assert receiver.counts["decrypted"] == 2


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_says_is_gone_is_removed_with_its_deliveries(
    receiver: PushReceiver, auch: Territory, resident: User, status: int,
) -> None:
    gone = keep(receiver.subscription("old-phone"), user=resident)
    kept = keep(receiver.subscription("new-phone"), user=resident)
    receiver.answer("old-phone", status)
    first, second = alert(auch), alert(auch, key="news.alert:2:started")
    fanout.plan(first)
    fanout.plan(second)

    counts = push.send_push_deliveries(fanout.claim(Delivery.objects.filter(notification=first)))

    assert counts.gone == 1 and counts.sent == 1
    assert not PushSubscription.objects.filter(pk=gone.pk).exists()
    assert not Delivery.objects.filter(subscription_id=gone.pk).exists()  # the second alert's too
    assert PushSubscription.objects.filter(pk=kept.pk).exists()
    assert len(receiver.for_subscription("new-phone")) == 1


def test_a_push_service_that_says_later_gets_a_few_more_tries_then_a_failure(
    receiver: PushReceiver, auch: Territory, resident: User,
) -> None:
    phone = keep(receiver.subscription("phone"), user=resident)
    receiver.answer("phone", 503)
    notification = alert(auch)
    start = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        fanout.plan(notification)
        sending.send_pending(notification)  # returns: the held delivery is not taken again at once
    delivery = Delivery.objects.get(notification=notification, channel=Channel.PUSH)
    assert delivery.status == DeliveryStatus.HELD and delivery.attempts == 1
    assert delivery.send_after == start + push.RETRY_BASE
    assert "503" in delivery.error

    moment = start
    for _try in range(push.MAX_ATTEMPTS):
        moment += push.RETRY_MAX
        with time_machine.travel(moment, tick=False):
            fanout.release_held()
            sending.send_pending(notification)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == push.MAX_ATTEMPTS
    assert receiver.counts["answered 503"] == push.MAX_ATTEMPTS
    phone.refresh_from_db()
    assert phone.failures == 1


def test_a_retry_that_succeeds_is_sent_once(receiver: PushReceiver, auch: Territory, resident: User) -> None:
    keep(receiver.subscription("phone"), user=resident)
    receiver.answer("phone", 429)
    notification = alert(auch)
    fanout.plan(notification)
    sending.send_pending(notification)
    with receiver._lock:
        del receiver._answers["phone"]
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + push.RETRY_MAX, tick=False):
        fanout.release_held()
        sending.send_pending(notification)
        fanout.release_held()
        sending.send_pending(notification)
    assert len(receiver.for_subscription("phone")) == 1
    assert Delivery.objects.get(channel=Channel.PUSH).status == DeliveryStatus.SENT


def test_another_refusal_fails_the_delivery_and_counts_against_the_subscription(
    receiver: PushReceiver, auch: Territory, resident: User,
) -> None:
    phone = keep(receiver.subscription("phone"), user=resident)
    receiver.answer("phone", 403)
    notification = alert(auch)
    fanout.plan(notification)
    sending.send_pending(notification)
    delivery = Delivery.objects.get(notification=notification, channel=Channel.PUSH)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error.startswith("HTTP 403")
    phone.refresh_from_db()
    assert phone.failures == 1 and phone.last_success_at is None


def test_a_push_service_out_of_reach_is_retried_later(auch: Territory, resident: User, settings: Any) -> None:
    settings.PUSH_SERVICE_HOSTS = ["127.0.0.1"]
    with PushReceiver() as gone_away:
        subscription = gone_away.subscription("phone")
    keep(subscription, user=resident)  # its receiver has stopped: nothing answers at that port
    notification = alert(auch)
    fanout.plan(notification)
    sending.send_pending(notification)
    delivery = Delivery.objects.get(channel=Channel.PUSH)
    assert delivery.status == DeliveryStatus.HELD
    assert delivery.error.startswith("network")


def test_only_deliveries_the_caller_claimed_are_sent(receiver: PushReceiver, auch: Territory, resident: User) -> None:
    keep(receiver.subscription("phone"), user=resident)
    notification = alert(auch)
    fanout.plan(notification)
    unclaimed = list(Delivery.objects.filter(channel=Channel.PUSH).select_related("notification", "subscription"))

    counts = push.send_push_deliveries(unclaimed)

    assert counts.sent == 0 and receiver.received == []
    assert Delivery.objects.get(channel=Channel.PUSH).status == DeliveryStatus.PENDING


def test_a_long_body_is_cut_so_the_payload_fits_a_push(auch: Territory) -> None:
    notification = alert(auch, body="é" * 5000)
    payload = push.payload_of(notification)
    assert len(payload) < 3000
    assert json.loads(payload)["body"].endswith("…")


# VAPID keys --------------------------------------------------------------------------------------

def test_the_vapid_command_makes_the_keys_once_and_prints_the_public_key(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("vapid")
    first = capsys.readouterr().out.strip()
    call_command("vapid")
    second = capsys.readouterr().out.strip()
    assert first == second == VapidKey.objects.get().public_key
    assert len(vapid.b64url_decode(first)) == 65


def test_keys_from_settings_win_and_a_mismatched_public_key_is_refused(settings: Any) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    public = vapid.b64url(key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))
    settings.VAPID_PRIVATE_KEY = vapid.b64url(raw)
    settings.VAPID_PUBLIC_KEY = public
    assert vapid.public_key() == public
    assert not VapidKey.objects.exists()
    settings.VAPID_PRIVATE_KEY = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    assert vapid.public_key() == public
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    settings.VAPID_PUBLIC_KEY = vapid.b64url(other.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))
    with pytest.raises(ImproperlyConfigured):
        vapid.public_key()
    settings.VAPID_PRIVATE_KEY = "not a key"
    with pytest.raises(ImproperlyConfigured):
        vapid.public_key()
