"""The inbox (/notifications/boite/): the person's own entries, newest first, paginated, unread ones
said in words; opening one marks it read and goes to its page on this portal only; the header's
unread count costs one query. Bob's entries are a 404 for Alice."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from clocher.accounts.models import User
from clocher.notifications.models import Channel, Delivery, DeliveryStatus, Notification, Topic
from clocher.territories.models import Territory
from conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def entry(user: User, territory: Territory, n: int, url: str = "/actualites/1/", **changes: Any) -> Delivery:
    notification = Notification.objects.create(
        key=f"test:{user.pk}:{n}", topic=Topic.NEWS, territory=territory, title=f"Nouvelle {n}", url=url,
    )
    return Delivery.objects.create(notification=notification, channel=Channel.INBOX, user=user,
                                   status=DeliveryStatus.SENT, **changes)


def signed_in(client: Client, user: User) -> Client:
    assert client.login(email=user.email, password=PASSWORD)
    return client


def test_it_lists_my_entries_newest_first_with_unread_said_in_words(
    gers_client: Client, resident: User, auch: Territory,
) -> None:
    entry(resident, auch, 1)
    entry(resident, auch, 2)
    other = make_user("autre@example.org", home_commune=auch)
    entry(other, auch, 3)
    response = signed_in(gers_client, resident).get("/notifications/boite/")
    page = response.content.decode()
    assert page.index("Nouvelle 2") < page.index("Nouvelle 1")
    assert "Nouvelle 3" not in page
    assert page.count("Non lue") >= 2
    assert "2 notifications non lues" in page


def test_the_inbox_needs_an_account(gers_client: Client) -> None:
    assert gers_client.get("/notifications/boite/").status_code == 302


def test_it_pages_twenty_at_a_time(gers_client: Client, resident: User, auch: Territory) -> None:
    for n in range(25):
        entry(resident, auch, n)
    client = signed_in(gers_client, resident)
    first = client.get("/notifications/boite/")
    assert len(first.context["entries"]) == 20
    assert "Page 1 sur 2" in first.content.decode()
    second = client.get("/notifications/boite/", {"page": 2})
    assert len(second.context["entries"]) == 5
    assert client.get("/notifications/boite/", {"page": "x"}).status_code == 200


def test_opening_an_entry_marks_it_read_and_goes_to_its_page(
    gers_client: Client, resident: User, auch: Territory,
) -> None:
    delivery = entry(resident, auch, 1, url="/actualites/7/")
    response = signed_in(gers_client, resident).get(f"/notifications/boite/{delivery.pk}/")
    assert response.status_code == 302
    assert response["Location"] == "/actualites/7/"
    delivery.refresh_from_db()
    assert delivery.read_at is not None


@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"])
def test_an_entry_never_sends_anyone_to_another_site(
    gers_client: Client, resident: User, auch: Territory, url: str,
) -> None:
    delivery = entry(resident, auch, 1, url=url)
    response = signed_in(gers_client, resident).get(f"/notifications/boite/{delivery.pk}/")
    assert response["Location"] == "/notifications/boite/"


def test_someone_elses_entry_is_not_found_and_stays_unread(
    gers_client: Client, resident: User, auch: Territory, bob: User,
) -> None:
    bobs = entry(bob, auch, 1)
    push = Delivery.objects.create(notification=bobs.notification, channel=Channel.EMAIL, user=resident)
    client = signed_in(gers_client, resident)
    assert client.get(f"/notifications/boite/{bobs.pk}/").status_code == 404
    # An e-mail delivery of mine is not an inbox entry either.
    assert client.get(f"/notifications/boite/{push.pk}/").status_code == 404
    bobs.refresh_from_db()
    assert bobs.read_at is None


def test_mark_all_read_reads_only_mine(gers_client: Client, resident: User, auch: Territory, bob: User) -> None:
    entry(resident, auch, 1)
    entry(resident, auch, 2)
    bobs = entry(bob, auch, 3)
    client = signed_in(gers_client, resident)
    assert client.get("/notifications/boite/tout-lu/").status_code == 405
    response = client.post("/notifications/boite/tout-lu/")
    assert response.status_code == 302
    assert not Delivery.objects.filter(user=resident, read_at__isnull=True).exists()
    bobs.refresh_from_db()
    assert bobs.read_at is None


def test_the_header_shows_the_unread_count_in_words(gers_client: Client, resident: User, auch: Territory) -> None:
    entry(resident, auch, 1)
    entry(resident, auch, 2, read_at="2026-01-01T00:00:00Z")
    page = signed_in(gers_client, resident).get("/notifications/").content.decode()
    assert '<span class="badge">1<span class="visually-hidden"> non lue</span></span>' in page


def test_the_inbox_costs_the_same_few_queries_however_many_entries(
    gers_client: Client, resident: User, auch: Territory, django_assert_max_num_queries: Any,
) -> None:
    client = signed_in(gers_client, resident)
    client.get("/notifications/boite/")  # portal and session warm
    for n in range(20):
        entry(resident, auch, n)
    # Session, user, the page COUNT and rows, the header unread COUNT, the commune and its menu:
    # 8 measured, with 20 entries as with one.
    with django_assert_max_num_queries(8):
        response = client.get("/notifications/boite/")
    assert len(response.context["entries"]) == 20


def test_the_unread_count_is_one_query_per_page(
    gers_client: Client, resident: User, auch: Territory, django_assert_num_queries: Any,
) -> None:
    from django.template import Context, Template
    from django.test import RequestFactory

    from clocher.notifications.context_processors import inbox

    entry(resident, auch, 1)
    request = RequestFactory().get("/")
    request.user = resident
    context = inbox(request)
    with django_assert_num_queries(1):
        rendered = Template("{{ inbox_unread }} {{ inbox_unread }}").render(Context(context))
    assert rendered == "1 1"
    anonymous = RequestFactory().get("/")
    from django.contrib.auth.models import AnonymousUser

    anonymous.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert inbox(anonymous)["inbox_unread"]() == 0
