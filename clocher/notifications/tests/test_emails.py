"""Immediate e-mails (emails.send_email_deliveries through sending.send_pending): one per delivery,
plain text and HTML, in the recipient's language, an absolute link on the portal covering the
item, a one-click unsubscribe link and headers; and the unsubscribe page (GET confirms, POST and
RFC 8058 one-click turn that topic's e-mails off, a bad or old token is a 400)."""

from __future__ import annotations

import datetime
import smtplib
from typing import Any

import pytest
import time_machine
from django.core import mail, signing
from django.core.mail import EmailMultiAlternatives
from django.test import Client

from clocher.accounts.models import User
from clocher.notifications import emails, sending
from clocher.notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    EmailFrequency,
    Notification,
    Topic,
    TopicPreference,
)
from clocher.territories.models import Portal, Territory
from conftest import make_user

pytestmark = pytest.mark.django_db


def email_for(user: User, territory: Territory | None, key: str = "news:1", topic: str = Topic.NEWS,
              url: str = "/actualites/1/", title: str = "Marché de Noël") -> Delivery:
    notification = Notification.objects.create(key=key, topic=topic, territory=territory, title=title,
                                               body="Place de la Libération, dimanche.", url=url)
    return Delivery.objects.create(notification=notification, channel=Channel.EMAIL, user=user)


def html_of(message: Any) -> str:
    assert isinstance(message, EmailMultiAlternatives)
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    return str(html)


def unsubscribe_path(message: Any) -> str:
    header = str(message.extra_headers["List-Unsubscribe"])
    assert header.startswith("<http://gers.test/notifications/desabonnement/")
    return header.strip("<>").removeprefix("http://gers.test")


def test_one_email_per_delivery_with_text_html_and_an_absolute_link(
    gers_portal: Portal, resident: User, auch: Territory,
) -> None:
    delivery = email_for(resident, auch)
    assert sending.send_pending() == {"pushes": 0, "emails": 1}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [resident.email]
    assert message.subject == "[Gers] Marché de Noël"
    assert "http://gers.test/actualites/1/" in message.body
    assert "Place de la Libération" in message.body
    html = html_of(message)
    assert 'href="http://gers.test/actualites/1/"' in html
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe_path(message) in message.body
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.sent_at is not None


def test_a_second_run_sends_nothing_twice(gers_portal: Portal, resident: User, auch: Territory) -> None:
    email_for(resident, auch)
    sending.send_pending()
    sending.send_pending()
    assert len(mail.outbox) == 1


def test_it_is_written_in_the_recipients_language(gers_portal: Portal, auch: Territory) -> None:
    english = make_user("en@example.org", home_commune=auch, language="en")
    french = make_user("fr@example.org", home_commune=auch, language="fr")
    email_for(english, auch, key="news:en")
    email_for(french, auch, key="news:fr")
    sending.send_pending()
    by_address = {message.to[0]: message for message in mail.outbox}
    # The topic's name in the footer comes from the catalogue; the HTML part says its language.
    assert "News." in by_address[english.email].body
    assert '<html lang="en">' in html_of(by_address[english.email])
    assert "Actualités." in by_address[french.email].body
    assert '<html lang="fr">' in html_of(by_address[french.email])


def test_a_personal_notification_links_through_the_recipients_portal(
    gers_portal: Portal, orne_portal: Portal, alencon: Territory,
) -> None:
    orne_resident = make_user("orne@example.org", home_commune=alencon)
    email_for(orne_resident, None, topic=Topic.MY_REPORTS, url="/signalements/3/", title="Votre signalement")
    sending.send_pending()
    assert "http://orne.test/signalements/3/" in mail.outbox[0].body
    assert mail.outbox[0].subject.startswith("[Orne] ")


def test_nothing_goes_to_who_turned_the_topic_off_meanwhile(gers_portal: Portal, resident: User, auch: Territory) -> None:
    delivery = email_for(resident, auch)
    TopicPreference.objects.create(user=resident, topic=Topic.NEWS, email=EmailFrequency.OFF)
    sending.send_pending()
    assert mail.outbox == []
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_a_refused_message_is_failed_not_left_sending(
    gers_portal: Portal, resident: User, auch: Territory, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(self: Any, messages: Any) -> int:
        raise smtplib.SMTPRecipientsRefused({resident.email: (550, b"no such user")})

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    delivery = email_for(resident, auch)
    sending.send_pending()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "no such user" in delivery.error


def test_the_unsubscribe_link_asks_then_turns_that_topics_emails_off(
    gers_client: Client, resident: User, auch: Territory,
) -> None:
    email_for(resident, auch)
    sending.send_pending()
    path = unsubscribe_path(mail.outbox[0])
    confirm = gers_client.get(path)
    assert confirm.status_code == 200
    assert "Actualités" in confirm.content.decode()
    assert not TopicPreference.objects.exists()  # GET changes nothing (link scanners follow links)
    done = gers_client.post(path)
    assert done.status_code == 200
    choice = TopicPreference.objects.get(user=resident, topic=Topic.NEWS)
    assert choice.email == EmailFrequency.OFF
    assert choice.inbox is True  # the other channels keep their defaults


def test_mail_clients_one_click_post_needs_no_cookie_nor_csrf(gers_portal: Portal, resident: User, auch: Territory) -> None:
    TopicPreference.objects.create(user=resident, topic=Topic.PARTICIPATION, push=False,
                                   email=EmailFrequency.IMMEDIATE)
    client = Client(HTTP_HOST="gers.test", enforce_csrf_checks=True)
    token = emails.unsubscribe_token(resident.pk, [Topic.PARTICIPATION])
    response = client.post(f"/notifications/desabonnement/{token}/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    choice = TopicPreference.objects.get(user=resident, topic=Topic.PARTICIPATION)
    assert (choice.email, choice.push) == (EmailFrequency.OFF, False)


@pytest.mark.parametrize("token", [
    "nimportequoi",
    signing.dumps({"u": 1, "t": ["news"]}, salt="another purpose"),
    signing.dumps({"u": "1", "t": "news"}, salt=emails.UNSUBSCRIBE_SALT),
])
def test_a_bad_token_is_a_400_that_says_so(gers_client: Client, resident: User, token: str) -> None:
    for response in (gers_client.get(f"/notifications/desabonnement/{token}/"),
                     gers_client.post(f"/notifications/desabonnement/{token}/")):
        assert response.status_code == 400
        assert "Lien de désabonnement invalide" in response.content.decode()
    assert not TopicPreference.objects.exists()


def test_an_old_token_is_a_400(gers_client: Client, resident: User) -> None:
    with time_machine.travel(datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)):
        token = emails.unsubscribe_token(resident.pk, [Topic.NEWS])
    response = gers_client.post(f"/notifications/desabonnement/{token}/")
    assert response.status_code == 400
    assert not TopicPreference.objects.exists()


def test_a_token_of_a_deleted_account_is_a_400(gers_client: Client, resident: User) -> None:
    token = emails.unsubscribe_token(resident.pk, [Topic.NEWS])
    resident.delete()
    assert gers_client.get(f"/notifications/desabonnement/{token}/").status_code == 400
