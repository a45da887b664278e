"""Who a notification reaches and on which channel (fanout.plan), and that nothing is planned or sent
twice: a département's alert reaches who follows one of its communes; preferences, categories and
quiet hours decide the channels; a second run plans nothing; two senders never claim the same row."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db.models import QuerySet

from clocher.accounts.models import User
from clocher.notifications import fanout
from clocher.notifications.announce import Announcement, announce
from clocher.notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    EmailFrequency,
    Notification,
    NotificationSettings,
    PushSubscription,
    Topic,
    TopicPreference,
)
from clocher.territories.models import Territory
from conftest import make_user

pytestmark = pytest.mark.django_db
NOON = datetime.datetime(2026, 11, 24, 11, 0, tzinfo=datetime.UTC)  # 12:00 in Paris


def subscribe(user: User | None, name: str, commune: Territory | None = None) -> PushSubscription:
    return PushSubscription.objects.create(user=user, commune=commune, endpoint=f"https://push.test/{name}",
                                           p256dh="key", auth="auth")


def notify(territory: Territory, topic: str = Topic.ALERTS, key: str = "n:1", **changes: Any) -> Notification:
    values: dict[str, Any] = {"key": key, "topic": topic, "title": "Orages", "url": "/alertes/1/", "territory": territory}
    values.update(changes)
    return Notification.objects.create(**values)


def rows(notification: Notification, channel: str) -> QuerySet[Delivery]:
    return Delivery.objects.filter(notification=notification, channel=channel)


def test_a_departements_alert_reaches_who_follows_one_of_its_communes(
    gers: Territory, auch: Territory, marciac: Territory, alencon: Territory, resident: User,
) -> None:
    follower = make_user("suit-marciac@example.org", home_commune=alencon)
    follower.followed_communes.add(marciac)
    orne = make_user("orne@example.org", home_commune=alencon)
    quiet = make_user("ne-suit-plus@example.org", home_commune=auch)
    NotificationSettings.objects.create(user=quiet, follow_home=False)
    phone = subscribe(resident, "phone")
    laptop = subscribe(resident, "laptop")
    visitor = subscribe(None, "visitor", commune=marciac)
    subscribe(None, "orne-visitor", commune=alencon)
    notification = notify(gers)

    fanout.plan(notification, NOON)

    assert set(rows(notification, Channel.INBOX).values_list("user_id", flat=True)) == {resident.pk, follower.pk}
    assert orne.pk not in set(Delivery.objects.values_list("user_id", flat=True))
    assert set(rows(notification, Channel.PUSH).values_list("subscription_id", flat=True)) == {
        phone.pk, laptop.pk, visitor.pk,
    }
    assert not rows(notification, Channel.EMAIL).exists()  # alerts: no e-mail by default
    assert notification.__class__.objects.get(pk=notification.pk).fanned_out_at == NOON


def test_planning_twice_plans_nothing_new(auch: Territory, resident: User) -> None:
    subscribe(resident, "phone")
    notification = notify(auch)
    fanout.plan(notification, NOON)
    before = Delivery.objects.count()
    fanout.plan(notification, NOON)
    assert Delivery.objects.count() == before == 2


def test_preferences_and_categories_choose_the_channels(auch: Territory, resident: User) -> None:
    subscribe(resident, "phone")
    TopicPreference.objects.create(user=resident, topic=Topic.EVENTS, push=True, inbox=False,
                                   email=EmailFrequency.WEEKLY, categories=["concert"])
    concert = notify(auch, Topic.EVENTS, "e:1", category="concert")
    fair = notify(auch, Topic.EVENTS, "e:2", category="brocante")
    fanout.plan(concert, NOON)
    fanout.plan(fair, NOON)
    assert not rows(concert, Channel.INBOX).exists()
    assert rows(concert, Channel.PUSH).get().status == DeliveryStatus.PENDING
    digest = rows(concert, Channel.EMAIL).get()
    assert (digest.status, digest.frequency) == (DeliveryStatus.DIGEST, EmailFrequency.WEEKLY)
    assert not Delivery.objects.filter(notification=fair).exists()


def test_quiet_hours_hold_pushes_but_not_urgent_ones(auch: Territory, resident: User) -> None:
    subscribe(resident, "phone")
    NotificationSettings.objects.create(user=resident, quiet_start=datetime.time(11, 30),
                                        quiet_end=datetime.time(13, 0))
    calm = notify(auch, key="calm")
    urgent = notify(auch, key="urgent", urgent=True)
    fanout.plan(calm, NOON)
    fanout.plan(urgent, NOON)
    held = rows(calm, Channel.PUSH).get()
    assert held.status == DeliveryStatus.HELD
    assert held.send_after == datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.UTC)  # 13:00 in Paris
    assert rows(urgent, Channel.PUSH).get().status == DeliveryStatus.PENDING
    assert fanout.release_held(NOON) == 0
    assert fanout.release_held(NOON + datetime.timedelta(hours=1)) == 1


def test_quiet_hours_across_midnight(auch: Territory, resident: User) -> None:
    NotificationSettings.objects.create(user=resident, quiet_start=datetime.time(22, 0), quiet_end=datetime.time(7, 0))
    night = datetime.datetime(2026, 11, 24, 22, 30, tzinfo=datetime.UTC)  # 23:30 in Paris
    assert fanout.quiet_until([resident.pk], night) == {
        resident.pk: datetime.datetime(2026, 11, 25, 6, 0, tzinfo=datetime.UTC),
    }
    assert fanout.quiet_until([resident.pk], NOON) == {}


def test_a_personal_notification_reaches_its_recipient_only(auch: Territory, resident: User) -> None:
    other = make_user("voisin@example.org", home_commune=auch)
    notification = notify(auch, Topic.MY_REPORTS, recipient=resident)
    fanout.plan(notification, NOON)
    assert set(Delivery.objects.values_list("user_id", flat=True)) == {resident.pk}
    assert other.pk not in set(Delivery.objects.values_list("user_id", flat=True))


def test_two_senders_never_claim_the_same_delivery(auch: Territory, resident: User) -> None:
    for name in ("a", "b", "c"):
        subscribe(resident, name)
    notification = notify(auch)
    fanout.plan(notification, NOON)
    pushes = rows(notification, Channel.PUSH)
    first = fanout.claim(pushes, limit=2)
    second = fanout.claim(pushes, limit=2)
    assert len(first) == 2 and len(second) == 1
    assert not {d.pk for d in first} & {d.pk for d in second}
    assert fanout.claim(pushes) == []


def test_announcing_a_key_twice_is_one_notification_fanned_out_after_the_commit(
    auch: Territory, resident: User, django_capture_on_commit_callbacks: Any, settings: Any,
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    announcement = Announcement(key="news.alert:7:started", topic=Topic.ALERTS, title="Crue",
                                url="/alertes/7/", territory=auch)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = announce(announcement)
        second = announce(announcement)
    assert first.pk == second.pk and Notification.objects.count() == 1
    assert len(callbacks) == 1
    with pytest.raises(ValueError):
        announce(Announcement(key="x", topic="gossip", title="?", url="/", territory=auch))


def test_an_event_of_several_categories_reaches_who_follows_any_of_them(auch: Territory, resident: User) -> None:
    TopicPreference.objects.create(user=resident, topic=Topic.EVENTS, inbox=True, categories=["festival"])
    both = notify(auch, Topic.EVENTS, "e:both", category="concert,festival")
    neither = notify(auch, Topic.EVENTS, "e:neither", category="concert,sport")
    fanout.plan(both, NOON)
    fanout.plan(neither, NOON)
    assert rows(both, Channel.INBOX).exists() and not rows(neither, Channel.INBOX).exists()



def test_deliveries_a_dead_worker_left_sending_are_sent_again_later(auch: Territory, resident: User) -> None:
    subscribe(resident, "phone")
    notification = notify(auch)
    fanout.plan(notification, NOON)
    claimed = fanout.claim(rows(notification, Channel.PUSH))
    assert len(claimed) == 1 and fanout.claim(rows(notification, Channel.PUSH)) == []
    claimed_at = claimed[0].claimed_at
    assert claimed_at is not None
    later = claimed_at + fanout.STUCK_AFTER
    assert fanout.recover_stuck(later - datetime.timedelta(seconds=1)) == 0
    assert fanout.recover_stuck(later) == 1
    assert [d.pk for d in fanout.claim(rows(notification, Channel.PUSH))] == [claimed[0].pk]


def test_words_written_by_code_are_kept_in_every_language_and_staff_words_as_written(auch: Territory) -> None:
    from django.utils import translation
    from django.utils.translation import gettext as _

    coded = announce(Announcement(key="coded", topic=Topic.ALERTS, territory=auch, url="/",
                                  title=lambda: _("Mes notifications"), body="Rue Gambetta"))
    assert coded.title == "Mes notifications"
    assert coded.text("en") == ("My notifications", "Rue Gambetta")
    with translation.override("en"):
        assert coded.shown_title == "My notifications"
    assert coded.text("fr") == ("Mes notifications", "Rue Gambetta")
    written = announce(Announcement(key="written", topic=Topic.ALERTS, territory=auch, url="/", title="Crue"))
    assert written.translations == {} and written.text("en") == ("Crue", "")


def test_an_english_speaking_resident_reads_the_email_and_inbox_in_english(
    auch: Territory, resident: User, gers_portal: Any,
) -> None:
    from django.core import mail
    from django.utils.translation import gettext as _

    from clocher.notifications import sending

    resident.language = "en"
    resident.save(update_fields=["language"])
    notification = announce(Announcement(key="mine", topic=Topic.MY_REPORTS, territory=auch, url="/", recipient=resident,
                                         title=lambda: _("Mes notifications"), body=lambda: _("Mes notifications")))
    fanout.plan(notification, NOON)
    sending.send_pending(notification)
    [message] = mail.outbox
    assert "My notifications" in message.subject and "My notifications" in message.body
    assert "Mes notifications" not in message.subject
