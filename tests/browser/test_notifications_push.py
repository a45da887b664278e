"""Notifications on a phone, end to end: a resident presses "Recevoir les notifications sur cet
appareil", the page subscribes through the service worker and the server keeps the subscription;
an alert is announced and fanned out; the local push service decrypts exactly that alert.

Chromium's real PushManager.subscribe would call Google's push service (no internet here): an init
script replaces it with one that answers a subscription at the local push receiver, with keys the
receiver made, so everything after the browser's own call is real (CSRF, JSON, encryption, VAPID).
An iPhone outside the home screen is shown how to add the app instead of a button; a browser that
blocked notifications is told how to allow them. axe-core checks every page."""

import json
import re

import pytest
from playwright.sync_api import expect

from clocher.notifications import tasks
from clocher.notifications.announce import Announcement, announce
from clocher.notifications.models import PushSubscription, Topic
from clocher.notifications.tests.push_receiver import PushReceiver
from conftest import PASSWORD

from .conftest import check, sign_in, visit

FAKE_SUBSCRIBE = """(subscription) => {
  if (!window.PushManager) { return; }
  // As a browser does, the subscription outlives the page (here in sessionStorage).
  function made() {
    return {
      endpoint: subscription.endpoint,
      toJSON: function () { return subscription; },
      unsubscribe: function () { sessionStorage.removeItem("fake-push"); return Promise.resolve(true); }
    };
  }
  PushManager.prototype.subscribe = function () {
    sessionStorage.setItem("fake-push", "1");
    return Promise.resolve(made());
  };
  PushManager.prototype.getSubscription = function () {
    return Promise.resolve(sessionStorage.getItem("fake-push") ? made() : null);
  };
  Notification.requestPermission = function () { return Promise.resolve("granted"); };
}"""


@pytest.fixture
def receiver(settings, monkeypatch):
    with PushReceiver() as started:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(started.ca_path))
        settings.PUSH_SERVICE_HOSTS = ["127.0.0.1"]
        yield started


def _init_script(context, source, argument):
    context.add_init_script(script=f"({source})({json.dumps(argument)});")


def test_a_resident_allows_notifications_and_the_phone_decrypts_the_alert(page, context, resident, auch, receiver):
    subscription = receiver.subscription("chromium")
    context.grant_permissions(["notifications"])
    _init_script(context, FAKE_SUBSCRIBE, subscription)
    sign_in(page, resident.email, PASSWORD)
    check(page)
    visit(page, "/notifications/appareil/")
    button = page.get_by_role("button", name="Recevoir les notifications sur cet appareil")
    expect(button).to_be_visible()
    button.click()
    expect(page.get_by_role("status")).to_have_text("Cet appareil recevra vos notifications.")
    expect(page.get_by_role("button", name="Ne plus recevoir de notifications sur cet appareil")).to_be_focused()
    check(page)
    stored = PushSubscription.objects.get()
    assert stored.user == resident and stored.endpoint == subscription["endpoint"]
    assert stored.p256dh == subscription["keys"]["p256dh"]

    notification = announce(Announcement(
        key="news.alert:77:started", topic=Topic.ALERTS, title="Orages violents sur Auch",
        body="Vigilance orange jusqu'à 22 h.", url="/alertes/77/", territory=auch, urgent=True,
    ))
    result = tasks.fan_out_task.call(notification.pk)
    assert result["pushes"] == 1
    [received] = receiver.for_subscription("chromium")
    assert received.payload == {
        "title": "Orages violents sur Auch", "body": "Vigilance orange jusqu'à 22 h.",
        "url": "/alertes/77/", "tag": "news.alert:77:started", "urgent": True,
    }
    assert received.vapid_valid and received.headers["urgency"] == "high"

    # Reloaded, the page knows this device is subscribed; turning it off forgets it on the server.
    visit(page, "/notifications/appareil/")
    expect(page.get_by_role("status")).to_have_text("Les notifications sont activées sur cet appareil.")
    page.get_by_role("button", name="Ne plus recevoir de notifications sur cet appareil").click()
    expect(page.get_by_role("status")).to_have_text("Cet appareil ne recevra plus de notifications.")
    check(page)
    assert not PushSubscription.objects.exists()


def test_a_visitor_without_account_subscribes_to_their_communes_alerts(page, context, auch, receiver):
    subscription = receiver.subscription("visitor")
    context.grant_permissions(["notifications"])
    _init_script(context, FAKE_SUBSCRIBE, subscription)
    visit(page, f"/notifications/appareil/?commune={auch.code}")
    page.get_by_role("button", name="Recevoir les notifications sur cet appareil").click()
    expect(page.get_by_role("status")).to_have_text("Cet appareil recevra les alertes de Auch.")
    check(page)
    assert PushSubscription.objects.get().commune == auch


def test_an_iphone_outside_the_home_screen_is_shown_how_to_add_the_app(page, context, resident):
    _init_script(context, """(agent) => {
      Object.defineProperty(navigator, "userAgent", { get: function () { return agent; } });
    }""", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.5 Mobile/15E148 Safari/604.1")
    sign_in(page, resident.email, PASSWORD)
    check(page)
    visit(page, "/notifications/appareil/")
    expect(page.get_by_text(re.compile("seulement quand l’app est ajoutée à l’écran d’accueil"))).to_be_visible()
    expect(page.get_by_text("Choisissez « Sur l’écran d’accueil », puis « Ajouter ».")).to_be_visible()
    expect(page.get_by_role("button", name="Recevoir les notifications sur cet appareil")).to_be_hidden()


def test_a_browser_that_blocked_notifications_is_told_how_to_allow_them(page, context, resident):
    _init_script(context, """() => {
      Object.defineProperty(Notification, "permission", { get: function () { return "denied"; } });
    }""", None)
    sign_in(page, resident.email, PASSWORD)
    check(page)
    visit(page, "/notifications/appareil/")
    expect(page.get_by_text(re.compile("Les notifications sont bloquées pour ce site"))).to_be_visible()
    expect(page.get_by_role("button", name="Recevoir les notifications sur cet appareil")).to_be_hidden()
