"""Daily and weekly digests (`clocher notifications digest daily|weekly`): one e-mail per person
listing, by topic, what waited for that digest; marked sent with the claim so a rerun sends
nothing; a refused e-mail keeps everything for the next run; and `release` sends held pushes."""

from __future__ import annotations

import datetime
import smtplib
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command
from django.core.management.base import CommandError

from clocher.accounts.models import User
from clocher.notifications import digests, emails
from clocher.notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    EmailFrequency,
    Notification,
    PushSubscription,
    Topic,
    TopicPreference,
)
from clocher.territories.models import Portal, Territory
from conftest import make_user

pytestmark = pytest.mark.django_db


def waiting(user: User, territory: Territory, key: str, topic: str = Topic.NEWS,
            frequency: str = EmailFrequency.WEEKLY, title: str = "") -> Delivery:
    notification = Notification.objects.create(key=key, topic=topic, territory=territory, title=title or key,
                                               url=f"/{key}/")
    return Delivery.objects.create(notification=notification, channel=Channel.EMAIL, user=user,
                                   status=DeliveryStatus.DIGEST, frequency=frequency)


def digest(frequency: str) -> str:
    out = StringIO()
    call_command("notifications", "digest", frequency, stdout=out)
    return out.getvalue()


def test_the_weekly_digest_lists_the_weeks_news_by_topic_in_one_email(
    gers_portal: Portal, resident: User, auch: Territory,
) -> None:
    waiting(resident, auch, "fete", title="Fête de la musique")
    waiting(resident, auch, "travaux", title="Travaux rue Dessoles")
    waiting(resident, auch, "concert", topic=Topic.EVENTS, title="Concert à la cathédrale")
    waiting(resident, auch, "daily-one", frequency=EmailFrequency.DAILY, title="Pas cette fois")
    assert "1 résumé(s) envoyé(s)." in digest("weekly")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "[Gers] Votre résumé de la semaine"
    body = message.body
    assert body.index("== Actualités ==") < body.index("Fête de la musique") < body.index("== Événements ==")
    assert body.index("== Événements ==") < body.index("Concert à la cathédrale")
    assert "Travaux rue Dessoles" in body
    assert "http://gers.test/fete/" in body
    assert "Pas cette fois" not in body
    assert isinstance(message, EmailMultiAlternatives)
    assert "Fête de la musique" in str(message.alternatives[0][0])
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert set(Delivery.objects.filter(frequency=EmailFrequency.WEEKLY).values_list("status", flat=True)) == {
        DeliveryStatus.SENT}
    assert Delivery.objects.get(frequency=EmailFrequency.DAILY).status == DeliveryStatus.DIGEST


def test_each_person_gets_their_own_digest_and_a_rerun_sends_nothing(
    gers_portal: Portal, resident: User, auch: Territory,
) -> None:
    neighbour = make_user("voisin@example.org", home_commune=auch)
    waiting(resident, auch, "a")
    waiting(neighbour, auch, "b")
    assert digests.send_digests(EmailFrequency.WEEKLY) == 2
    assert sorted(message.to[0] for message in mail.outbox) == sorted([resident.email, neighbour.email])
    assert digests.send_digests(EmailFrequency.WEEKLY) == 0
    assert len(mail.outbox) == 2


def test_the_digests_unsubscribe_link_stops_the_digests_topics(
    gers_client: Any, resident: User, auch: Territory,
) -> None:
    waiting(resident, auch, "a")
    waiting(resident, auch, "b", topic=Topic.EVENTS)
    digests.send_digests(EmailFrequency.WEEKLY)
    link = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>").removeprefix("http://gers.test")
    assert gers_client.post(link, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert set(TopicPreference.objects.filter(user=resident).values_list("topic", "email")) == {
        (Topic.NEWS, EmailFrequency.OFF), (Topic.EVENTS, EmailFrequency.OFF)}


def test_a_refused_digest_waits_for_the_next_run(
    gers_portal: Portal, resident: User, auch: Territory, monkeypatch: pytest.MonkeyPatch,
) -> None:
    waiting(resident, auch, "a")
    original = emails.build_message

    def refusing(**kwargs: Any) -> Any:
        message = original(**kwargs)

        def send(fail_silently: bool = False) -> int:
            raise smtplib.SMTPServerDisconnected("gone")

        message.send = send  # type: ignore[method-assign,assignment]  # a mail server that hangs up
        return message

    monkeypatch.setattr(digests, "build_message", refusing)
    assert digests.send_digests(EmailFrequency.WEEKLY) == 0
    assert Delivery.objects.get().status == DeliveryStatus.DIGEST
    monkeypatch.setattr(digests, "build_message", original)
    assert digests.send_digests(EmailFrequency.WEEKLY) == 1
    assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_a_topic_turned_off_since_is_left_out(gers_portal: Portal, resident: User, auch: Territory) -> None:
    waiting(resident, auch, "a", title="Garde")
    waiting(resident, auch, "b", topic=Topic.EVENTS, title="Retirée")
    TopicPreference.objects.create(user=resident, topic=Topic.EVENTS, email=EmailFrequency.OFF)
    digests.send_digests(EmailFrequency.WEEKLY)
    assert "Garde" in mail.outbox[0].body
    assert "Retirée" not in mail.outbox[0].body
    assert Delivery.objects.get(notification__key="b").status == DeliveryStatus.FAILED


def test_a_long_digest_counts_what_it_leaves_to_the_inbox(gers_portal: Portal, resident: User, auch: Territory) -> None:
    for n in range(digests.PER_TOPIC + 3):
        waiting(resident, auch, f"n{n}")
    digests.send_digests(EmailFrequency.WEEKLY)
    assert "Et 3 autres, dans votre boîte de réception : http://gers.test/notifications/boite/" in mail.outbox[0].body


def test_an_unknown_frequency_is_refused() -> None:
    with pytest.raises(CommandError):
        call_command("notifications", "digest", "hourly")
    with pytest.raises(ValueError):
        digests.send_digests(EmailFrequency.IMMEDIATE)


def test_release_sends_pushes_whose_quiet_hours_are_over(
    resident: User, auch: Territory, monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[int] = []

    def fake_push(batch: Any) -> None:  # the push sender has its own tests against a real receiver
        sent.extend(d.pk for d in batch)
        Delivery.objects.filter(pk__in=[d.pk for d in batch]).update(status=DeliveryStatus.SENT)

    monkeypatch.setattr("clocher.notifications.push.send_push_deliveries", fake_push)
    subscription = PushSubscription.objects.create(user=resident, endpoint="https://push.test/a", p256dh="k", auth="a")
    notification = Notification.objects.create(key="k", topic=Topic.NEWS, territory=auch, title="t", url="/")
    now = datetime.datetime.now(datetime.UTC)
    over = Delivery.objects.create(notification=notification, channel=Channel.PUSH, user=resident,
                                   subscription=subscription, status=DeliveryStatus.HELD,
                                   send_after=now - datetime.timedelta(minutes=1))
    other = PushSubscription.objects.create(user=resident, endpoint="https://push.test/b", p256dh="k", auth="a")
    later = Delivery.objects.create(notification=notification, channel=Channel.PUSH, user=resident,
                                    subscription=other, status=DeliveryStatus.HELD,
                                    send_after=now + datetime.timedelta(hours=1))
    out = StringIO()
    call_command("notifications", "release", stdout=out)
    assert "1 notification(s) libérée(s) ; 1 push" in out.getvalue()
    assert sent == [over.pk]
    later.refresh_from_db()
    assert later.status == DeliveryStatus.HELD


def test_from_announcement_to_inbox_and_weekly_digest(gers_client: Any, resident: User, auch: Territory) -> None:
    from clocher.notifications import fanout

    notification = Notification.objects.create(key="news:9", topic=Topic.NEWS, territory=auch,
                                               title="La médiathèque rouvre", url="/actualites/9/")
    fanout.plan(notification)  # by default news go to the inbox and the weekly digest
    assert gers_client.login(email=resident.email, password="correct-horse-battery-staple")
    assert "La médiathèque rouvre" in gers_client.get("/notifications/boite/").content.decode()
    digests.send_digests(EmailFrequency.WEEKLY)
    assert "http://gers.test/actualites/9/" in mail.outbox[0].body
