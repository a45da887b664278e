"""Saves a report's cleaned photos and video through Django storage, as ReportMedia rows.

Callers clean the files first (clocher.reports.media) and call these inside the transaction that
created the report, so a refused or failed file leaves no report half-written.
"""

from __future__ import annotations

from django.core.files.base import ContentFile

from clocher.territories.images import ProcessedImage

from .media import CleanVideo
from .models import MediaKind, Report, ReportEvent, ReportMedia


def attach_photo(report: Report, processed_image: ProcessedImage, event: ReportEvent | None = None) -> ReportMedia:
    """Stores an already re-encoded JPEG (no metadata) for the report, or for one of its updates."""
    media = ReportMedia(
        report=report, kind=MediaKind.PHOTO, content_type="image/jpeg",
        size=len(processed_image.content), event=event,
    )
    media.file.save("photo.jpg", ContentFile(processed_image.content), save=False)
    media.save()
    return media


def attach_video(report: Report, clean_video: CleanVideo) -> ReportMedia:
    """Stores a sniffed video; its extension comes from its content, never from the upload's name."""
    media = ReportMedia(
        report=report, kind=MediaKind.VIDEO, content_type=clean_video.content_type, size=clean_video.size,
    )
    media.file.save(f"video.{clean_video.extension}", clean_video.as_file(), save=False)
    media.save()
    return media
