"""The staff pages of news: one form writes and publishes (or schedules) an article, documents are
attached, alerts raised and ended, proposals decided."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from clocher.news import proposals, services
from clocher.news.models import Alert, Article, Attachment
from clocher.territories.content import Status

from .conftest import PDF, alert, client_for, publish, with_totp

pytestmark = pytest.mark.django_db


def url(name, territory, **extra):
    return reverse(f"backoffice:{name}", kwargs={"territory_id": territory.pk, **extra})


def _png():
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), (0, 90, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def test_an_editor_publishes_an_article_in_one_post(bob, auch, gers_portal):
    client = client_for(bob)
    assert client.get(url("news", auch)).status_code == 200
    assert client.get(url("news_create", auch)).status_code == 200
    response = client.post(url("news_create", auch), {
        "kind": "news", "title": "Marché de Noël", "summary": "Place de la Libération",
        "body": "Du 10 au 24 **décembre**.", "publication": "now", "image": _png(), "image_alt": "Les chalets",
    })
    article = Article.objects.get(title="Marché de Noël")
    assert response.status_code == 302 and response["Location"] == url("news_edit", auch, article_id=article.pk)
    assert article.status == Status.PUBLISHED and str(article.image.name).endswith(".jpg")
    page = client.get(response["Location"]).content.decode()
    assert "est publié" in page and "Voir la page publique" in page


def test_scheduling_needs_a_future_date(bob, auch, gers_portal):
    client = client_for(bob)
    past = client.post(url("news_create", auch), {"kind": "news", "title": "Plus tard", "publication": "schedule",
                                                  "publish_at": "2020-01-01T10:00"})
    assert past.status_code == 200 and "doit être dans le futur" in past.content.decode()
    when = timezone.localtime(timezone.now() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    client.post(url("news_create", auch), {"kind": "news", "title": "Plus tard", "publication": "schedule",
                                           "publish_at": when})
    assert Article.objects.get(title="Plus tard").status == Status.SCHEDULED


def test_form_errors_show_next_to_their_field_and_nothing_is_written(bob, auch, gers_portal):
    client = client_for(bob)
    response = client.post(url("news_create", auch), {
        "kind": "works", "title": "Travaux", "publication": "draft", "works_starts_on": "2026-06-10",
        "works_ends_on": "2026-06-01",
    })
    assert response.status_code == 200
    assert "La fin des travaux ne peut pas précéder leur début." in response.content.decode()
    bad_image = client.post(url("news_create", auch), {
        "kind": "news", "title": "Image", "publication": "draft",
        "image": SimpleUploadedFile("x.png", b"not an image"), "image_alt": "x",
    })
    assert bad_image.status_code == 200 and "image" in bad_image.content.decode()
    geometry = client.post(url("news_create", auch), {
        "kind": "works", "title": "Tracé", "publication": "draft", "works_geometry": '{"type": "Point", "coordinates": [-74, 40]}',
    })
    assert "sort de la France" in geometry.content.decode()
    assert not Article.objects.exists()


def test_editing_to_draft_withdraws_and_archiving_confirms_first(bob, auch, gers_portal):
    article = publish(bob, auch)
    client = client_for(bob)
    assert client.get(url("news_edit", auch, article_id=article.pk)).status_code == 200
    client.post(url("news_edit", auch, article_id=article.pk), {"kind": "news", "title": "Renommé", "publication": "draft"})
    article.refresh_from_db()
    assert article.title == "Renommé" and article.status == Status.DRAFT
    assert client.get(url("news_archive", auch, article_id=article.pk)).status_code == 200
    client.post(url("news_archive", auch, article_id=article.pk))
    article.refresh_from_db()
    assert article.status == Status.ARCHIVED


def test_documents_are_attached_reordered_and_removed_from_the_article_page(bob, auch, gers_portal):
    article = publish(bob, auch, "Bulletin", kind="bulletin")
    client = client_for(bob)
    refused = client.post(url("news_attachment_add", auch, article_id=article.pk),
                          {"file": SimpleUploadedFile("bulletin.pdf", b"GIF89a")})
    assert refused.status_code == 200 and "pas un PDF" in refused.content.decode()
    for name in ("un.pdf", "deux.pdf"):
        client.post(url("news_attachment_add", auch, article_id=article.pk), {"file": SimpleUploadedFile(name, PDF)})
    first, second = Attachment.objects.order_by("position")
    client.post(url("news_attachment_move", auch, article_id=article.pk, attachment_id=second.pk), {"sens": "haut"})
    assert [a.title for a in article.attachments.all()] == ["deux", "un"]
    client.post(url("news_attachment_remove", auch, article_id=article.pk, attachment_id=first.pk))
    assert [a.title for a in article.attachments.all()] == ["deux"]


def test_an_editor_raises_and_ends_an_alert(bob, auch, gers_portal):
    client = client_for(bob)
    assert client.get(url("news_alerts", auch)).status_code == 200
    assert client.get(url("news_alert_create", auch)).status_code == 200
    ends = timezone.localtime(timezone.now() + datetime.timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M")
    too_long = timezone.localtime(timezone.now() + datetime.timedelta(days=40)).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(url("news_alert_create", auch), {"severity": "danger", "title": "Crue", "ends_at": too_long})
    assert "30 jours au plus" in refused.content.decode()
    client.post(url("news_alert_create", auch), {"severity": "danger", "title": "Crue", "ends_at": ends})
    raised = Alert.objects.get()
    assert raised.severity == "danger"
    assert "Crue" in client.get(url("news_alerts", auch)).content.decode()
    client.post(url("news_alert_end", auch, alert_id=raised.pk))
    raised.refresh_from_db()
    assert raised.expires_at is not None and raised.expires_at <= timezone.now()


def test_a_departement_admin_may_limit_an_alert_to_some_communes(dora, gers, auch, marciac, gers_portal):
    client = client_for(with_totp(dora))
    ends = timezone.localtime(timezone.now() + datetime.timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M")
    page = client.get(url("news_alert_create", gers)).content.decode()
    assert "Marciac" in page
    client.post(url("news_alert_create", gers), {"severity": "warning", "title": "Route coupée", "ends_at": ends,
                                                 "audience": [marciac.pk]})
    assert list(Alert.objects.get().audience.all()) == [marciac]


def test_the_moderator_decides_proposals_from_the_queue(erin, mona, foyer_rural, auch, gers_portal):
    article = proposals.propose_article(erin, gers_portal, foyer_rural, auch, {"title": "Loto"})
    client = client_for(mona)
    assert "Loto" in client.get(url("news_proposals", auch)).content.decode()
    empty = client.post(url("news_proposal", auch, article_id=article.pk), {"decision": "refuse", "message": ""})
    assert "pourquoi la proposition est refusée" in empty.content.decode()
    client.post(url("news_proposal", auch, article_id=article.pk), {"decision": "accept", "message": ""})
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED
    second = client.post(url("news_proposal", auch, article_id=article.pk), {"decision": "refuse", "message": "Non"})
    article.refresh_from_db()
    assert second.status_code == 200 and article.review_status == "accepted"


def test_a_pending_proposal_is_not_in_the_editors_list_nor_editable(erin, bob, foyer_rural, auch, gers_portal):
    article = proposals.propose_article(erin, gers_portal, foyer_rural, auch, {"title": "Loto"})
    client = client_for(bob)
    assert "Loto" not in client.get(url("news", auch)).content.decode()
    assert client.get(url("news_edit", auch, article_id=article.pk)).status_code == 404
    assert client.get(url("news_proposals", auch)).status_code == 404  # an editor does not moderate


def test_the_list_query_count_does_not_grow(bob, auch, gers_portal, django_assert_max_num_queries):
    client = client_for(bob)
    publish(bob, auch, "Un")
    with django_assert_max_num_queries(25) as few:
        client.get(url("news", auch))
    for index in range(20):
        publish(bob, auch, f"Article {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url("news", auch))


def test_an_alert_of_another_territory_cannot_be_ended(bob, dora, gers, auch, gers_portal):
    theirs = alert(dora, gers)
    assert client_for(bob).post(url("news_alert_end", auch, alert_id=theirs.pk)).status_code == 404
    services.end_alert(dora, theirs)


def test_saving_a_scheduled_article_again_does_not_schedule_it_twice(bob, auch, gers_portal):
    from clocher.territories.models import AuditEntry

    when = timezone.localtime(timezone.now() + datetime.timedelta(days=2)).replace(second=0, microsecond=0)
    article = publish(bob, auch, "Plus tard", at=when)
    client = client_for(bob)
    client.post(url("news_edit", auch, article_id=article.pk), {
        "kind": "news", "title": "Plus tard", "publication": "schedule", "publish_at": when.strftime("%Y-%m-%dT%H:%M"),
    })
    assert AuditEntry.objects.filter(action="news.article.schedule").count() == 1
