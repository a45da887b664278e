"""Re-encoding of images that staff upload (collectivity logos and banners).

An uploaded file is never stored as sent: it is decoded by Pillow, checked, resized and saved again
in a fixed format from its pixels alone. This drops every metadata block (EXIF with GPS position and
camera serial, XMP, comments, PNG text chunks), any payload appended after the image data, and
turns an unexpected format into a clear form error instead of a file served back to residents.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass
from typing import IO, Literal

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

# What a phone camera produces, with a margin; anything larger is refused before decoding.
MAX_UPLOAD_BYTES = 15 * 1024 * 1024
# A 12-megapixel photo is about 12 million pixels. A small file that declares far more pixels is a
# decompression bomb: decoding it would take gigabytes of memory.
MAX_PIXELS = 50_000_000
LOGO_MAX_SIDE = 512
BANNER_MAX_SIDE = 2048
# Formats phones and office software produce. Restricting the decoders keeps Pillow's rarely used
# parsers (and their bugs) away from uploads.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")

OutputFormat = Literal["PNG", "JPEG", "WEBP"]
_EXTENSIONS: dict[str, str] = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}


class ImageRejected(ValueError):
    """The upload is not an image we accept; the message is for the person who sent it."""


@dataclass(frozen=True)
class ProcessedImage:
    """An image decoded and saved again by Pillow: the only kind the services accept."""

    content: bytes
    format: OutputFormat
    width: int
    height: int

    @property
    def extension(self) -> str:
        return _EXTENSIONS[self.format]

    def as_file(self) -> ContentFile[bytes]:
        return ContentFile(self.content, name=f"image.{self.extension}")


def reencode(upload: IO[bytes], *, max_side: int, output: OutputFormat) -> ProcessedImage:
    """Decode `upload`, refuse what is not a sane image, fit it in max_side and save it as `output`.

    Raises ImageRejected with a French message for: files too large, non-images, formats outside
    ACCEPTED_FORMATS, decompression bombs, and truncated or corrupt images.
    """
    size = _size_of(upload)
    if size > MAX_UPLOAD_BYTES:
        raise ImageRejected(
            _("Le fichier est trop lourd (%(size)d Mo au maximum).")
            % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; treat the warning as a refusal.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload, formats=ACCEPTED_FORMATS) as source:
                width, height = source.size
                # Checked from the header, before any pixel is decoded.
                if width * height > MAX_PIXELS:
                    raise ImageRejected(_too_many_pixels())
                source.seek(0)  # the first frame of an animated GIF or WebP
                if source.format == "JPEG":
                    # The decoder scales by 1/2, 1/4 or 1/8 while it reads (DCT scaling): a phone's
                    # 4000 x 3000 photo comes out at 2000 x 1500 in a quarter of the time, with no
                    # resampling left to do. Never below 15/16 of max_side, so nothing looks smaller.
                    source.draft(source.mode, _draft_box(width, height, max_side))
                source.load()
                picture = _pixels_only(source)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(_too_many_pixels()) from exc
    except UnidentifiedImageError as exc:
        raise ImageRejected(
            _("Ce fichier n'est pas une image reconnue. Envoyez une photo JPEG, PNG ou WebP.")
        ) from exc
    except Exception as exc:
        # Pillow reports truncated and corrupt files with OSError, ValueError, SyntaxError,
        # EOFError, struct.error and more; whatever a decoder raises, the file is refused.
        logger.info("Image refused: %r", exc)
        raise ImageRejected(_("Cette image est abîmée ou incomplète ; essayez un autre fichier.")) from exc

    picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if output == "PNG":
        picture.save(buffer, format="PNG", optimize=True)
    elif output == "JPEG":
        _flatten(picture).save(buffer, format="JPEG", quality=85, optimize=True, progressive=True)
    else:
        picture.save(buffer, format="WEBP", quality=82, method=4)
    return ProcessedImage(buffer.getvalue(), output, picture.width, picture.height)


def reencode_logo(upload: IO[bytes]) -> ProcessedImage:
    """A logo: at most LOGO_MAX_SIDE pixels a side, PNG so that transparency survives."""
    return reencode(upload, max_side=LOGO_MAX_SIDE, output="PNG")


def reencode_banner(upload: IO[bytes]) -> ProcessedImage:
    """A banner photo: at most BANNER_MAX_SIDE pixels a side, JPEG (what the storage path names)."""
    return reencode(upload, max_side=BANNER_MAX_SIDE, output="JPEG")


def _draft_box(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The smallest size, aspect kept, that a JPEG may be decoded to and still fill 15/16 of max_side."""
    longest = max(width, height, 1)
    floor = max_side * 15 / 16
    if longest <= floor:
        return (width, height)
    ratio = floor / longest
    return (max(1, round(width * ratio)), max(1, round(height * ratio)))


def _size_of(upload: IO[bytes]) -> int:
    declared = getattr(upload, "size", None)
    if isinstance(declared, int):
        return declared
    upload.seek(0, io.SEEK_END)
    return upload.tell()


def _too_many_pixels() -> str:
    return _("Cette image est trop grande (plus de %(count)d millions de pixels).") % {
        "count": MAX_PIXELS // 1_000_000
    }


def _pixels_only(source: Image.Image) -> Image.Image:
    """A new image holding the pixels of `source`, upright, with no metadata at all."""
    # A phone stores portrait photos sideways with an orientation tag; apply it before the tag goes.
    try:
        upright = ImageOps.exif_transpose(source)
    except Exception:  # Pillow raises struct.error and others on damaged EXIF
        # A damaged EXIF block must not cost the picture: keep it as it was stored.
        upright = source
    if upright.mode not in ("RGB", "RGBA"):
        has_alpha = upright.mode in ("LA", "PA") or (
            upright.mode == "P" and "transparency" in upright.info
        )
        upright = upright.convert("RGBA" if has_alpha else "RGB")
    clean = Image.new(upright.mode, upright.size)
    clean.paste(upright)
    return clean


def _flatten(picture: Image.Image) -> Image.Image:
    """JPEG has no transparency: lay the picture on white."""
    if picture.mode != "RGBA":
        return picture.convert("RGB")
    background = Image.new("RGB", picture.size, (255, 255, 255))
    background.paste(picture, mask=picture.getchannel("A"))
    return background
