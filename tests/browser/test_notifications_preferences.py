"""A resident on a phone chooses their notifications (a topic's channels, quiet hours, one more
commune to follow), then reads their inbox: unread said in words, opening one marks it read and
leads to its page, "tout marquer comme lu". axe-core checks every page."""

import re

from playwright.sync_api import expect

from clocher.notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationSettings,
    Topic,
)
from clocher.notifications.selectors import preferences_of
from conftest import PASSWORD

from .conftest import check, sign_in, visit


def test_a_resident_chooses_notifications_and_reads_the_inbox(page, resident, auch, marciac):
    sign_in(page, resident.email, PASSWORD)
    check(page)
    visit(page, "/notifications/")
    news = page.get_by_role("group", name="Actualités")
    expect(news.get_by_label("E-mail")).to_have_value("weekly")
    news.get_by_label("E-mail").select_option("daily")
    page.get_by_role("group", name="Alertes").get_by_label("Notification sur l'appareil").uncheck()
    page.get_by_label("Début des heures calmes").fill("22:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer mes choix").click()
    check(page)
    # Only one end of the quiet hours: refused, said, nothing stored.
    expect(page.get_by_role("alert")).to_contain_text("corrigez ce qui est signalé")
    expect(page.get_by_text("Donnez le début et la fin des heures calmes")).to_be_visible()
    assert not NotificationSettings.objects.exists()
    page.get_by_label("Fin des heures calmes").fill("07:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer mes choix").click()
    check(page)
    expect(page.get_by_text("Vos choix de notifications sont enregistrés.")).to_be_visible()
    wanted = preferences_of(resident)
    assert wanted[Topic.NEWS].email == "daily"
    assert wanted[Topic.ALERTS].push is False
    quiet_end = NotificationSettings.objects.get(user=resident).quiet_end
    assert quiet_end is not None and quiet_end.hour == 7

    page.get_by_label(re.compile("^Suivre une autre commune")).fill("Marciac")
    with page.expect_navigation():
        page.get_by_role("button", name="Chercher").click()
    check(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Suivre Marciac").click()
    check(page)
    expect(page.get_by_text("Vous suivez maintenant Marciac.")).to_be_visible()
    assert list(resident.followed_communes.all()) == [marciac]
    page.screenshot(path="test-screenshots/notifications-preferences-phone.png", full_page=True)

    for n, title in enumerate(["Orages cet après-midi", "La médiathèque rouvre"]):
        notification = Notification.objects.create(key=f"b:{n}", topic=Topic.NEWS, territory=auch, title=title,
                                                   url="/notifications/")
        Delivery.objects.create(notification=notification, channel=Channel.INBOX, user=resident,
                                status=DeliveryStatus.SENT)
    visit(page, "/notifications/")
    expect(page.locator("header").get_by_role("link", name=re.compile("Notifications 2 non lues"))).to_be_visible()
    with page.expect_navigation():
        page.locator("header").get_by_role("link", name=re.compile("^Notifications")).click()
    check(page)
    expect(page.get_by_text("2 notifications non lues.")).to_be_visible()
    expect(page.get_by_text("Non lue", exact=True)).to_have_count(2)
    page.screenshot(path="test-screenshots/notifications-inbox-phone.png", full_page=True)
    with page.expect_navigation():
        page.get_by_role("link", name="La médiathèque rouvre").click()
    check(page)
    assert page.url.endswith("/notifications/")
    visit(page, "/notifications/boite/")
    expect(page.get_by_text("Non lue", exact=True)).to_have_count(1)
    with page.expect_navigation():
        page.get_by_role("button", name="Tout marquer comme lu").click()
    check(page)
    expect(page.get_by_text("Non lue", exact=True)).to_have_count(0)
    assert not Delivery.objects.filter(read_at__isnull=True).exists()

    # The narrowest phones: nothing wider than the screen on either page.
    page.set_viewport_size({"width": 320, "height": 800})
    for path in ("/notifications/", "/notifications/boite/"):
        visit(page, path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
    page.screenshot(path="test-screenshots/notifications-inbox-320.png", full_page=True)
