"""Issue 8's "done when", in a phone's browser: a resident of Marciac allows notifications on their
phone and follows Auch; Auch's editor raises an alert from the staff pages; the local push service
decrypts it and the resident's inbox shows it; the week's news of Auch arrive in the resident's
weekly digest e-mail. The worker's tasks are run here as the worker would run them. axe-core checks
every page (`check`).

As in test_notifications_push.py, Chromium's PushManager.subscribe is replaced by one that answers
a subscription at the local push receiver: everything after the browser's own call is real."""

import json
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from clocher.news import services as news_services
from clocher.news import tasks as news_tasks
from clocher.news.models import Alert
from clocher.notifications import digests, tasks
from clocher.notifications.models import EmailFrequency, Notification, PushSubscription, Topic
from clocher.notifications.tests.push_receiver import PushReceiver
from conftest import PASSWORD, make_user

from .conftest import check, sign_in, visit
from .test_notifications_push import FAKE_SUBSCRIBE


@pytest.fixture
def receiver(settings, monkeypatch):
    with PushReceiver() as started:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(started.ca_path))
        settings.PUSH_SERVICE_HOSTS = ["127.0.0.1"]
        yield started


def _fan_out(**lookup):
    for notification in Notification.objects.filter(**lookup):
        tasks.fan_out_task.call(notification.pk)


def test_an_alert_reaches_the_phone_and_the_inbox_and_the_weeks_news_the_digest(
    page, context, bob, auch, marciac, receiver,
):
    resident = make_user("lea@example.org", display_name="Léa", home_commune=marciac)
    subscription = receiver.subscription("lea-phone")
    context.grant_permissions(["notifications"])
    context.add_init_script(script=f"({FAKE_SUBSCRIBE})({json.dumps(subscription)});")

    # The resident allows notifications on this phone...
    sign_in(page, resident.email, PASSWORD)
    check(page)
    visit(page, "/notifications/")
    page.get_by_role("button", name="Recevoir les notifications sur cet appareil").click()
    expect(page.get_by_role("status")).to_have_text("Cet appareil recevra vos notifications.")
    check(page)
    assert PushSubscription.objects.get().user == resident

    # ... and follows Auch, found by its name.
    page.get_by_label("Suivre une autre commune : nom ou code postal").fill("Auch")
    with page.expect_navigation():
        page.get_by_role("button", name="Chercher").click()
    check(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Suivre Auch").click()
    check(page)
    expect(page.get_by_role("button", name="Ne plus suivre Auch")).to_be_visible()
    assert list(resident.followed_communes.all()) == [auch]

    # Auch's editor raises an alert from the staff pages.
    context.clear_cookies()
    sign_in(page, bob.email, PASSWORD)
    check(page)
    visit(page, f"/gestion/{auch.pk}/alertes/")
    with page.expect_navigation():
        page.get_by_role("link", name="Lancer une alerte").click()
    check(page)
    page.get_by_label("Danger").check()
    page.get_by_label(re.compile("^Titre")).fill("Coupure d'eau rue Gambetta")
    with page.expect_navigation():
        page.get_by_role("button", name="Lancer l'alerte").click()
    check(page)
    expect(page.get_by_text("est en cours")).to_be_visible()

    # The worker announces it and fans it out: the phone's push service decrypts it.
    alert = Alert.objects.get()
    assert news_tasks.announce_alert.call(alert.pk)["announced"]
    _fan_out(topic=Topic.ALERTS)
    [received] = receiver.for_subscription("lea-phone")
    assert received.payload["title"] == "Coupure d'eau rue Gambetta"
    assert received.payload["urgent"] is True and received.vapid_valid
    assert received.payload["url"].endswith(f"/alertes/{alert.pk}/")

    # The resident's inbox shows it, counted in the header until read.
    context.clear_cookies()
    sign_in(page, resident.email, PASSWORD)
    check(page)
    expect(page.locator(".site-header").get_by_role("link", name=re.compile("Notifications.*1"))).to_be_visible()
    visit(page, "/notifications/boite/")
    expect(page.get_by_role("link", name=re.compile("Coupure d'eau rue Gambetta"))).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("Coupure d'eau rue Gambetta")).click()
    check(page)
    expect(page.get_by_role("heading", name="Coupure d'eau rue Gambetta")).to_be_visible()

    # During the week, Auch publishes news; the worker announces them, for the weekly digest.
    for title in ("Travaux rue Dessoles", "Le marché déménage place de la Libération"):
        article = news_services.create_article(bob, auch, {"title": title, "summary": "À lire."})
        news_services.publish_article(bob, article)
        news_tasks.announce_article.call(article.pk)
    _fan_out(topic=Topic.NEWS)
    assert digests.send_digests(EmailFrequency.WEEKLY) == 1
    [digest] = [message for message in mail.outbox if message.to == [resident.email]]
    assert "Travaux rue Dessoles" in digest.body
    assert "Le marché déménage place de la Libération" in digest.body
    assert "Coupure d'eau" not in digest.body  # alerts are not e-mailed by default
