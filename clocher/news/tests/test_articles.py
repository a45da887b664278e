"""Writing articles: editors and admins create, change, publish, schedule and archive them, audited."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.utils import timezone
from PIL import Image

from clocher.news import services
from clocher.news.models import Article
from clocher.news.services import NewsRejected, clean_geometry
from clocher.territories.content import Status
from clocher.territories.images import reencode
from clocher.territories.models import AuditEntry

from .conftest import publish

pytestmark = pytest.mark.django_db


def _image():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buffer, format="PNG")
    buffer.seek(0)
    return reencode(buffer, max_side=1600, output="JPEG")


def test_an_editor_writes_a_draft_whose_markdown_is_sanitised(bob, auch):
    article = services.create_article(bob, auch, {
        "title": "  Fête   de la musique ", "body": "Venez **nombreux** <script>alert(1)</script>",
    })
    assert article.status == Status.DRAFT
    assert article.title == "Fête de la musique"
    assert "<strong>nombreux</strong>" in article.body_html
    assert "<script>" not in article.body_html
    assert AuditEntry.objects.filter(territory=auch, action="news.article.create").exists()


def test_a_resident_or_a_sibling_role_cannot_write_for_auch(resident, auch, marciac):
    with pytest.raises(NewsRejected):
        services.create_article(resident, auch, {"title": "Piraté"})
    from conftest import grant, make_user

    marc = make_user("marc@example.org")
    grant(marc, marciac, "editor")
    with pytest.raises(NewsRejected):
        services.create_article(marc, auch, {"title": "Piraté"})
    assert not Article.objects.exists()


def test_a_moderator_is_not_an_editor(mona, auch):
    with pytest.raises(NewsRejected):
        services.create_article(mona, auch, {"title": "Piraté"})


def test_a_title_is_required_and_unknown_fields_are_refused(bob, auch):
    with pytest.raises(NewsRejected) as missing:
        services.create_article(bob, auch, {"title": "  "})
    assert missing.value.field == "title"
    with pytest.raises(NewsRejected):
        services.create_article(bob, auch, {"title": "Ok", "status": "published"})
    with pytest.raises(NewsRejected):
        services.create_article(bob, auch, {"title": "Ok", "kind": "gossip"})


def test_publishing_now_sets_the_date_and_is_audited(bob, auch):
    article = publish(bob, auch)
    assert article.status == Status.PUBLISHED
    assert article.published_at is not None
    assert AuditEntry.objects.filter(action="news.article.publish", changes__article=article.pk).exists()


def test_a_scheduled_article_becomes_visible_when_due_without_a_worker(bob, auch, gers_portal):
    from clocher.news.selectors import visible_articles

    when = timezone.now() + datetime.timedelta(hours=2)
    article = publish(bob, auch, at=when)
    assert article.status == Status.SCHEDULED
    assert not visible_articles(gers_portal).filter(pk=article.pk).exists()
    with time_machine.travel(when + datetime.timedelta(minutes=1)):
        assert visible_articles(gers_portal).filter(pk=article.pk).exists()


def test_an_expired_article_leaves_the_portal(bob, auch, gers_portal):
    from clocher.news.selectors import visible_articles

    expiry = timezone.now() + datetime.timedelta(days=1)
    article = publish(bob, auch, expires_at=expiry)
    assert visible_articles(gers_portal).filter(pk=article.pk).exists()
    with time_machine.travel(expiry + datetime.timedelta(seconds=1)):
        assert not visible_articles(gers_portal).filter(pk=article.pk).exists()


def test_an_expiry_in_the_past_is_refused(bob, auch):
    with pytest.raises(NewsRejected) as refused:
        services.create_article(bob, auch, {"title": "Vieux", "expires_at": timezone.now() - datetime.timedelta(hours=1)})
    assert refused.value.field == "expires_at"


def test_an_expiry_before_a_scheduled_publication_is_refused(bob, auch):
    article = services.create_article(bob, auch, {"title": "Plus tard",
                                                   "expires_at": timezone.now() + datetime.timedelta(days=1)})
    with pytest.raises(NewsRejected):
        services.publish_article(bob, article, timezone.now() + datetime.timedelta(days=2))
    article.refresh_from_db()
    assert article.status == Status.DRAFT


def test_works_must_end_after_they_start(bob, auch):
    with pytest.raises(NewsRejected) as refused:
        services.create_article(bob, auch, {
            "title": "Rue Gambetta", "kind": "works",
            "works_starts_on": datetime.date(2026, 6, 10), "works_ends_on": datetime.date(2026, 6, 1),
        })
    assert refused.value.field == "works_ends_on"
    article = services.create_article(bob, auch, {"title": "Rue Gambetta", "kind": "works",
                                                  "works_starts_on": "2026-06-01"})
    with pytest.raises(NewsRejected):
        services.update_article(bob, article, {"works_ends_on": "2026-05-01"})


@pytest.mark.parametrize("geometry", [
    {"type": "Point", "coordinates": [0.5855, 43.6465]},
    '{"type": "LineString", "coordinates": [[0.58, 43.64], [0.59, 43.65]]}',
    {"type": "MultiLineString", "coordinates": [[[0.58, 43.64], [0.59, 43.65]], [[0.6, 43.6], [0.61, 43.61]]]},
    {"type": "MultiPoint", "coordinates": [[0.58, 43.64], [55.45, -20.88]]},
    {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [0.5855, 43.6465]}},
])
def test_works_geometries_in_france_are_kept(geometry):
    cleaned = clean_geometry(geometry)
    assert cleaned is not None and cleaned["type"] in ("Point", "LineString", "MultiLineString", "MultiPoint")


@pytest.mark.parametrize("geometry", [
    {"type": "Polygon", "coordinates": [[[0, 43], [1, 43], [1, 44], [0, 43]]]},
    {"type": "Point", "coordinates": [43.6465, 0.5855]},  # latitude first: in the Indian Ocean
    {"type": "Point", "coordinates": [-74.0, 40.7]},  # New York
    {"type": "LineString", "coordinates": [[0.58, 43.64]]},
    {"type": "Point", "coordinates": ["a", "b"]},
    {"type": "Point", "coordinates": [float("nan"), 43.6]},
    {"type": "Point"},
    "not json",
    [1, 2],
])
def test_other_or_broken_geometries_are_refused(geometry):
    with pytest.raises(NewsRejected) as refused:
        clean_geometry(geometry)
    assert refused.value.field == "works_geometry"


def test_an_image_needs_its_text_alternative_and_is_stored_re_encoded(bob, auch):
    with pytest.raises(NewsRejected):
        services.create_article(bob, auch, {"title": "Avec image"}, image=_image())
    article = services.create_article(bob, auch, {"title": "Avec image", "image_alt": "La halle"}, image=_image())
    assert str(article.image.name).endswith(".jpg")


def test_update_writes_only_what_changed_and_replacing_the_image_keeps_one_file(bob, auch, django_capture_on_commit_callbacks):
    article = services.create_article(bob, auch, {"title": "Avec image", "image_alt": "La halle"}, image=_image())
    first = str(article.image.name)
    before = AuditEntry.objects.count()
    services.update_article(bob, article, {"title": "Avec image"})
    assert AuditEntry.objects.count() == before
    with django_capture_on_commit_callbacks(execute=True):
        article = services.update_article(bob, article, {"summary": "Nouveau"}, image=_image())
    assert article.image.name != first
    assert not article.image.storage.exists(first)
    entry = AuditEntry.objects.filter(action="news.article.update").latest("pk")
    assert entry.changes["summary"] == ["", "Nouveau"]


def test_archive_and_back_to_draft(bob, auch, gers_portal):
    from clocher.news.selectors import visible_articles

    article = publish(bob, auch)
    services.archive_article(bob, article)
    assert not visible_articles(gers_portal).exists()
    article = services.unpublish_article(bob, article)
    assert article.status == Status.DRAFT
    article = services.publish_article(bob, article)
    assert visible_articles(gers_portal).filter(pk=article.pk).exists()


def test_an_audience_outside_the_publisher_is_refused(bob, auch, marciac, dora, gers):
    with pytest.raises(NewsRejected):
        services.create_article(bob, auch, {"title": "Pour Marciac"}, audience=[marciac])
    article = services.create_article(dora, gers, {"title": "Pour Marciac"}, audience=[marciac])
    assert list(article.audience.all()) == [marciac]
