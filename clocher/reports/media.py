"""Media safety for reports: what a resident uploads is checked before anything is stored.

A photo is decoded and saved again by Pillow (clocher.territories.images.reencode: at most 2048 px,
decompression bombs refused) and the JPEG that comes out is walked once more so that no metadata
segment (EXIF with the GPS position first, XMP, comments) can reach the storage, whatever Pillow's
version does. A video cannot be re-encoded here, so its content is sniffed from its first bytes:
only real MP4, QuickTime and WebM containers pass, whatever the file's name or declared type say,
and only up to MAX_VIDEO_BYTES, counted while reading in chunks so that a huge upload is never held
in memory. Every refusal is a MediaRefused whose message is a French sentence for the resident.
"""

from __future__ import annotations

import io
import logging
import struct
import tempfile
from dataclasses import dataclass
from typing import IO, Literal

from django.core.files.base import File
from django.utils.translation import gettext as _

from clocher.territories import images
from clocher.territories.images import ImageRejected, ProcessedImage
from clocher.territories.services import ActionRefused

logger = logging.getLogger(__name__)

MAX_PHOTOS = 5
MAX_VIDEOS = 1
PHOTO_MAX_SIDE = 2048
MAX_VIDEO_BYTES = 50 * 1024 * 1024
# Enough for the ftyp box (with its list of compatible brands) or the EBML header.
SNIFF_BYTES = 4096
_CHUNK = 64 * 1024
# Past this, a copied stream goes from memory to a temporary file.
_SPOOL_BYTES = 2 * 1024 * 1024

VideoType = Literal["video/mp4", "video/quicktime", "video/webm"]
_EXTENSIONS: dict[str, str] = {"video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm"}

# ISO base media brands of MP4 files as phones and editors write them (iso2…iso9 are matched apart).
_MP4_BRANDS = frozenset({b"isom", b"mp41", b"mp42", b"avc1", b"M4V ", b"M4VH", b"M4VP", b"mp4v"})
_QUICKTIME_BRAND = b"qt  "
# Atoms an old QuickTime file (written before the ftyp box existed) may start with.
_QUICKTIME_LEADING_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free"})
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_EBML_DOCTYPE = 0x4282


class MediaRefused(ActionRefused):
    """A photo or a video we do not store; str(exc) is a French sentence for the resident."""


@dataclass(frozen=True)
class CleanVideo:
    """A video whose content was sniffed as MP4, QuickTime or WebM and whose size is within the cap.

    `source` is positioned at its start; the extension comes from the content, never from the
    name the resident's device gave it.
    """

    source: IO[bytes]
    content_type: VideoType
    size: int

    @property
    def extension(self) -> str:
        return _EXTENSIONS[self.content_type]

    def as_file(self) -> File[bytes]:
        self.source.seek(0)
        return File(self.source, name=f"video.{self.extension}")


def check_counts(photos: int, videos: int) -> None:
    """Refuses more than MAX_PHOTOS photos or more than MAX_VIDEOS videos on one report."""
    if photos > MAX_PHOTOS:
        raise MediaRefused(
            _("Un signalement a %(max)d photos au plus : retirez-en quelques-unes.") % {"max": MAX_PHOTOS}
        )
    if videos > MAX_VIDEOS:
        raise MediaRefused(_("Un signalement a une seule vidéo au plus : retirez-en une."))


# Photos


def clean_photo(upload: IO[bytes] | bytes) -> ProcessedImage:
    """The photo decoded and saved again as a JPEG of at most PHOTO_MAX_SIDE pixels, with no metadata.

    Refuses (MediaRefused, never another exception) empty files, non-images whatever their name,
    formats other than JPEG, PNG, WebP and GIF, files over 15 MB, decompression bombs, and
    truncated or corrupt images.
    """
    stream = io.BytesIO(upload) if isinstance(upload, (bytes, bytearray)) else upload
    try:
        if _size_of(stream) == 0:
            raise MediaRefused(_("Cette photo est vide ; choisissez un autre fichier."))
        stream.seek(0)
        processed = images.reencode(stream, max_side=PHOTO_MAX_SIDE, output="JPEG")
        content = strip_jpeg_metadata(processed.content)
    except MediaRefused:
        raise
    except ImageRejected as exc:
        raise MediaRefused(str(exc)) from exc
    except Exception as exc:
        # Whatever a file system or decoder raises, the resident gets a sentence, not a 500.
        logger.info("Photo refused: %r", exc)
        raise MediaRefused(_("Cette photo n'a pas pu être lue ; essayez un autre fichier.")) from exc
    return ProcessedImage(content, processed.format, processed.width, processed.height)


def _size_of(upload: IO[bytes]) -> int:
    declared = getattr(upload, "size", None)
    if isinstance(declared, int):
        return declared
    upload.seek(0, io.SEEK_END)
    return upload.tell()


def strip_jpeg_metadata(content: bytes) -> bytes:
    """`content` without its APP1…APP15 and comment segments (EXIF, XMP, ICC, Photoshop, text).

    Only the segments before the image data are walked; APP0 (JFIF) and the tables the decoder
    needs are kept. Raises ValueError on something that is not a well-formed JPEG.
    """
    if content[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    kept = [content[:2]]
    position = 2
    while True:
        if position + 4 > len(content) or content[position] != 0xFF:
            raise ValueError("malformed JPEG segment")
        marker = content[position + 1]
        if marker == 0xDA:  # start of scan: the compressed pixels follow, no more metadata
            kept.append(content[position:])
            return b"".join(kept)
        (length,) = struct.unpack(">H", content[position + 2 : position + 4])
        end = position + 2 + length
        if length < 2 or end > len(content):
            raise ValueError("malformed JPEG segment length")
        if not (0xE1 <= marker <= 0xEF or marker == 0xFE):
            kept.append(content[position:end])
        position = end


# Videos


def _refused_format() -> MediaRefused:
    return MediaRefused(
        _("Ce fichier n'est pas une vidéo acceptée. Envoyez une vidéo MP4, WebM ou QuickTime (.mov).")
    )


def _too_heavy() -> MediaRefused:
    return MediaRefused(
        _("La vidéo est trop lourde (%(size)d Mo au maximum).") % {"size": MAX_VIDEO_BYTES // (1024 * 1024)}
    )


def clean_video(upload: IO[bytes] | bytes) -> CleanVideo:
    """The video with the content type sniffed from its first bytes, when it is MP4, QuickTime or WebM.

    Refuses (MediaRefused) an empty file, a file over MAX_VIDEO_BYTES (counted while reading, the
    declared size is not trusted) and any content that is not one of the three containers, whatever
    the file is named or declared as.
    """
    try:
        if isinstance(upload, (bytes, bytearray)):
            source: IO[bytes] = io.BytesIO(upload)
            size = len(upload)
            if size > MAX_VIDEO_BYTES:
                raise _too_heavy()
        else:
            source, size = _measured(upload)
        if size == 0:
            raise MediaRefused(_("Cette vidéo est vide ; choisissez un autre fichier."))
        source.seek(0)
        head = source.read(SNIFF_BYTES)
        source.seek(0)
        content_type = sniff_video(head)
    except MediaRefused:
        raise
    except Exception as exc:
        logger.info("Video refused: %r", exc)
        raise MediaRefused(_("Cette vidéo n'a pas pu être lue ; essayez un autre fichier.")) from exc
    if content_type is None:
        raise _refused_format()
    return CleanVideo(source, content_type, size)


def _measured(upload: IO[bytes]) -> tuple[IO[bytes], int]:
    """The upload (or a copy of it when it cannot seek) and its real size, read in chunks.

    A declared size over the cap is refused before reading; otherwise at most MAX_VIDEO_BYTES + one
    chunk is read, and no more than one chunk is held in memory (the copy spools to disk).
    """
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > MAX_VIDEO_BYTES:
        raise _too_heavy()
    seekable = _seekable(upload)
    # The copy is handed to the caller (it becomes CleanVideo.source), so no `with` block here.
    copy: IO[bytes] | None = (
        None if seekable else tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115
    )
    if seekable:
        upload.seek(0)
    size = 0
    while chunk := upload.read(_CHUNK):
        size += len(chunk)
        if size > MAX_VIDEO_BYTES:
            if copy is not None:
                copy.close()
            raise _too_heavy()
        if copy is not None:
            copy.write(chunk)
    if copy is not None:
        copy.seek(0)
        return copy, size
    upload.seek(0)
    return upload, size


def _seekable(upload: IO[bytes]) -> bool:
    try:
        return bool(upload.seekable())
    except (AttributeError, ValueError, OSError):
        return False


def sniff_video(head: bytes) -> VideoType | None:
    """The container of a file from its first bytes: MP4, QuickTime, WebM, or None for anything else."""
    if len(head) >= 8 and head[4:8] == b"ftyp":
        return _iso_brand(head)
    if head[:4] == _EBML_MAGIC:
        return "video/webm" if _ebml_doctype(head) == b"webm" else None
    if len(head) >= 8 and head[4:8] in _QUICKTIME_LEADING_ATOMS:
        (atom_size,) = struct.unpack(">I", head[:4])
        # 0 means "up to the end of the file" and 1 "a 64-bit size follows"; 2…7 is no atom.
        if atom_size in (0, 1) or atom_size >= 8:
            return "video/quicktime"
    return None


def _is_mp4_brand(brand: bytes) -> bool:
    return brand in _MP4_BRANDS or (brand[:3] == b"iso" and brand[3:4] in b"23456789" and len(brand) == 4)


def _iso_brand(head: bytes) -> VideoType | None:
    """MP4 or QuickTime from the ftyp box: the major brand decides, then the compatible ones."""
    (box_size,) = struct.unpack(">I", head[:4])
    if box_size < 16 or len(head) < 12:
        return None
    major = head[8:12]
    if major == _QUICKTIME_BRAND:
        return "video/quicktime"
    if _is_mp4_brand(major):
        return "video/mp4"
    compatible = head[16 : min(box_size, len(head))]
    brands = [compatible[i : i + 4] for i in range(0, len(compatible) - 3, 4)]
    if any(_is_mp4_brand(brand) for brand in brands):
        return "video/mp4"
    if _QUICKTIME_BRAND in brands:
        return "video/quicktime"
    # HEIF and AVIF pictures, 3GPP without an ISO brand, audio-only brands: not a video we accept.
    return None


def _read_vint(data: bytes, position: int, *, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at `position`: (value, position after it)."""
    if position >= len(data):
        raise ValueError("EBML truncated")
    first = data[position]
    if first == 0:
        raise ValueError("EBML integer too long")
    length = 8 - first.bit_length() + 1
    if position + length > len(data):
        raise ValueError("EBML truncated")
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[position + 1 : position + length]:
        value = (value << 8) | byte
    return value, position + length


def _ebml_doctype(head: bytes) -> bytes | None:
    """The DocType of the EBML header at the start of `head` ("webm", "matroska"), or None."""
    try:
        element, position = _read_vint(head, 0, keep_marker=True)
        size, position = _read_vint(head, position, keep_marker=False)
        if element != int.from_bytes(_EBML_MAGIC, "big"):
            return None
        end = min(position + size, len(head))
        while position < end:
            element, position = _read_vint(head, position, keep_marker=True)
            size, position = _read_vint(head, position, keep_marker=False)
            if position + size > len(head):
                return None
            if element == _EBML_DOCTYPE:
                return head[position : position + size].rstrip(b"\x00")
            position += size
    except ValueError:
        return None
    return None
