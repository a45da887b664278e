"""Cleaned photos and videos are stored through Django storage as the report's media."""

from __future__ import annotations

import io
import struct
from typing import Any

import pytest
from PIL import Image

from clocher.reports import media
from clocher.reports.media_store import attach_photo, attach_video
from clocher.reports.models import EventKind, MediaKind, Report, ReportCategory, ReportEvent


@pytest.fixture
def report(auch: Any) -> Report:
    category = ReportCategory.objects.create(territory=auch, code="voirie", name="Voirie")
    return Report.objects.create(territory=auch, commune=auch, category=category, lat=43.6, lon=0.58)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_a_photo_is_stored_as_a_jpeg_of_the_report(report):
    stored = attach_photo(report, media.clean_photo(_photo()))
    assert stored.kind == MediaKind.PHOTO and stored.content_type == "image/jpeg"
    assert (stored.file.name or "").endswith(".jpg") and stored.size == stored.file.size


def test_an_after_photo_belongs_to_its_public_update(report):
    event = ReportEvent.objects.create(report=report, kind=EventKind.PUBLIC_UPDATE, text="Réparé")
    stored = attach_photo(report, media.clean_photo(_photo()), event=event)
    assert stored.event == event


def test_a_video_takes_its_extension_from_its_content(report):
    content = _box(b"ftyp", b"isom" + struct.pack(">I", 0x200) + b"isom") + _box(b"mdat", b"\x00" * 32)
    stored = attach_video(report, media.clean_video(io.BytesIO(content)))
    assert stored.kind == MediaKind.VIDEO and stored.content_type == "video/mp4"
    assert (stored.file.name or "").endswith(".mp4")
