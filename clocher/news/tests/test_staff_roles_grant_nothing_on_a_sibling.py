"""A role on Auch opens no news page of Marciac (its sibling commune) nor of Alençon (another portal).

Every /gestion/ page of the news is listed in STAFF_URLS: for every role, on GET and on POST, it
answers 404 on a territory where the user holds no role, and nothing changes. The same pages open
for Marciac's own admin, which proves the 404s come from the missing role.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clocher.news import proposals, services
from clocher.news.models import Alert, Article, Attachment
from clocher.organisations.models import MemberRole, Membership, Organisation
from clocher.territories.models import AuditEntry, Collectivity, Role, Territory
from conftest import GERS_HOST, ORNE_HOST, grant, make_user

from .conftest import PDF, with_totp

pytestmark = pytest.mark.django_db


def _none(territory: Territory) -> dict[str, int]:
    return {}


def _an_article(territory: Territory) -> dict[str, int]:
    article = Article.objects.filter(territory=territory, review_status="").order_by("pk").first()
    assert article is not None
    return {"article_id": article.pk}


def _an_attachment(territory: Territory) -> dict[str, int]:
    attachment = Attachment.objects.filter(article__territory=territory).order_by("pk").first()
    assert attachment is not None
    return {"article_id": attachment.article_id, "attachment_id": attachment.pk}


def _an_alert(territory: Territory) -> dict[str, int]:
    alert = Alert.objects.filter(territory=territory).order_by("pk").first()
    assert alert is not None
    return {"alert_id": alert.pk}


def _a_proposal(territory: Territory) -> dict[str, int]:
    article = Article.objects.filter(territory=territory, review_status="pending").order_by("pk").first()
    assert article is not None
    return {"article_id": article.pk}


ARTICLE_DATA = {"kind": "news", "title": "Piraté", "publication": "now"}


@dataclass(frozen=True)
class StaffUrl:
    name: str
    more_kwargs: Callable[[Territory], dict[str, int]] = _none
    data: dict[str, Any] = field(default_factory=dict)

    def url(self, territory: Territory) -> str:
        return reverse(f"backoffice:{self.name}", kwargs={"territory_id": territory.pk, **self.more_kwargs(territory)})


STAFF_URLS = [
    StaffUrl("news"),
    StaffUrl("news_create", data=ARTICLE_DATA),
    StaffUrl("news_edit", _an_article, ARTICLE_DATA),
    StaffUrl("news_archive", _an_article),
    StaffUrl("news_attachment_add", _an_article),
    StaffUrl("news_attachment_remove", _an_attachment),
    StaffUrl("news_attachment_move", _an_attachment, {"sens": "bas"}),
    StaffUrl("news_alerts"),
    StaffUrl("news_alert_create", data={"severity": "danger", "title": "Piraté", "ends_at": "2099-01-01T10:00"}),
    StaffUrl("news_alert_end", _an_alert),
    StaffUrl("news_proposals"),
    StaffUrl("news_proposal", _a_proposal, {"decision": "accept", "message": "Piraté"}),
]


def _state() -> list[Any]:
    return [
        sorted(Article.objects.values_list("pk", "title", "status", "review_status")),
        sorted(Attachment.objects.values_list("pk", "position")),
        sorted((pk, title, str(expires)) for pk, title, expires in Alert.objects.values_list("pk", "title", "expires_at")),
        AuditEntry.objects.count(),
    ]


def _fill(territory: Territory, admin: Any, portal: Any) -> None:
    article = services.create_article(admin, territory, {"title": f"Nouvelles de {territory.name}"})
    services.add_attachment(admin, article, SimpleUploadedFile("a.pdf", PDF))
    services.add_attachment(admin, article, SimpleUploadedFile("b.pdf", PDF))
    services.raise_alert(admin, territory, "Coupure", "", "warning",
                         ends_at=timezone.now() + datetime.timedelta(days=1))
    organisation = Organisation.objects.create(name=f"Club de {territory.name}", territory=territory)
    organisation.communes.add(territory)
    member = make_user(f"membre-{territory.code}@example.org")
    Membership.objects.create(organisation=organisation, user=member, role=MemberRole.MEMBER)
    proposals.propose_article(member, portal, organisation, territory, {"title": "Loto"})


@pytest.fixture
def marc(gers_portal: Any, marciac: Territory) -> Any:
    Collectivity.objects.create(territory=marciac, portal=gers_portal)
    user = with_totp(make_user("marc@example.org"))
    grant(user, marciac, Role.ADMIN)
    return user


@pytest.fixture
def targets(marc: Any, marciac: Territory, charlie: Any, alencon: Territory, gers_portal: Any,
            orne_portal: Any) -> list[tuple[Territory, str]]:
    with_totp(charlie)
    _fill(marciac, marc, gers_portal)
    _fill(alencon, charlie, orne_portal)
    return [(marciac, GERS_HOST), (alencon, GERS_HOST), (alencon, ORNE_HOST)]


@pytest.fixture
def auch_staff(auch: Territory) -> list[Any]:
    """One person per role on Auch (admins with their second factor)."""
    people = []
    for role in Role.values:
        user = make_user(f"{role}@example.org")
        grant(user, auch, role)
        people.append(with_totp(user) if role == Role.ADMIN else user)
    return people


# The roles loop inside the test: the territories to reach cost more to build than the requests.
@pytest.mark.parametrize("staff_url", STAFF_URLS, ids=lambda u: u.name)
def test_a_role_on_auch_grants_no_news_page_on_a_sibling_or_another_portal(staff_url, auch_staff, targets):
    before = _state()
    for user in auch_staff:
        for territory, host in targets:
            client = Client(HTTP_HOST=host)
            client.force_login(user)
            address = staff_url.url(territory)
            data = dict(staff_url.data)
            if staff_url.name == "news_attachment_add":
                data["file"] = SimpleUploadedFile("c.pdf", PDF)
            assert client.get(address).status_code == 404, (user.email, address, host, "GET")
            assert client.post(address, data).status_code == 404, (user.email, address, host, "POST")
    assert _state() == before


@pytest.mark.parametrize("staff_url", STAFF_URLS, ids=lambda u: u.name)
def test_the_same_pages_answer_for_the_territorys_own_admin(staff_url, marc, targets):
    marciac = targets[0][0]
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(marc)
    # The move endpoint only answers POSTs with a redirect; every other page shows.
    assert client.get(staff_url.url(marciac)).status_code in (200, 302)
