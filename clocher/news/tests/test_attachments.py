"""PDF attachments: only real PDFs of at most 10 MB, stored under a random name, in order."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clocher.news import services
from clocher.news.models import Attachment
from clocher.news.services import NewsRejected
from clocher.territories.models import AuditEntry

from .conftest import PDF, publish

pytestmark = pytest.mark.django_db


def upload(name="Bulletin_mars 2026.pdf", content=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_pdf_is_stored_under_a_random_name_with_its_title_from_the_file_name(bob, auch):
    article = publish(bob, auch, "Bulletin de mars", kind="bulletin")
    attachment = services.add_attachment(bob, article, upload("../../etc/Bulletin_mars 2026.pdf"))
    assert attachment.title == "Bulletin mars 2026"
    assert attachment.size == len(PDF)
    stored = str(attachment.file.name)
    assert "Bulletin" not in stored and ".." not in stored
    assert stored.startswith(f"news/{article.pk}/pieces/") and stored.endswith(".pdf")
    assert attachment.file.read() == PDF
    assert AuditEntry.objects.filter(action="news.attachment.add").exists()


def test_a_file_that_is_not_a_pdf_is_refused_whatever_its_name(bob, auch):
    article = publish(bob, auch)
    for content in (b"MZ\x90\x00 executable", b"<html><script>", b"", b"  %PDF-1.4 late magic"):
        with pytest.raises(NewsRejected) as refused:
            services.add_attachment(bob, article, upload("bulletin.pdf", content))
        assert "PDF" in str(refused.value)
    assert not Attachment.objects.exists()


def test_a_pdf_over_ten_megabytes_is_refused(bob, auch):
    article = publish(bob, auch)
    big = PDF + b"0" * (services.PDF_MAX_BYTES + 1 - len(PDF))
    with pytest.raises(NewsRejected) as refused:
        services.add_attachment(bob, article, upload("gros.pdf", big))
    assert "10 Mo" in str(refused.value)


def test_only_editors_of_the_publisher_attach_or_remove(bob, mona, auch):
    article = publish(bob, auch)
    with pytest.raises(NewsRejected):
        services.add_attachment(mona, article, upload())
    attachment = services.add_attachment(bob, article, upload(), title="Compte rendu")
    with pytest.raises(NewsRejected):
        services.remove_attachment(mona, attachment)


def test_attachments_move_up_and_down_and_removal_deletes_the_file(bob, auch, django_capture_on_commit_callbacks):
    article = publish(bob, auch)
    first, second, third = (services.add_attachment(bob, article, upload(f"{n}.pdf")) for n in ("un", "deux", "trois"))
    services.move_attachment(bob, third, -1)
    assert [a.title for a in article.attachments.all()] == ["un", "trois", "deux"]
    services.move_attachment(bob, first, -1)  # already first: nothing moves
    services.move_attachment(bob, first, 1)
    assert [a.title for a in article.attachments.all()] == ["trois", "un", "deux"]
    name = str(second.file.name)
    storage = second.file.storage
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_attachment(bob, second)
    assert not storage.exists(name)
    assert [a.title for a in article.attachments.all()] == ["trois", "un"]


def test_an_article_holds_at_most_twenty_documents(bob, auch, monkeypatch):
    monkeypatch.setattr(services, "MAX_ATTACHMENTS", 2)
    article = publish(bob, auch)
    services.add_attachment(bob, article, upload())
    services.add_attachment(bob, article, upload())
    with pytest.raises(NewsRejected):
        services.add_attachment(bob, article, upload())
