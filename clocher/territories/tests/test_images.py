"""Uploaded images are decoded and saved again: no metadata survives, and bad files are refused."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import pytest
from PIL import Image

from clocher.territories import images
from clocher.territories.images import ImageRejected, reencode_banner, reencode_logo

GPS_IFD = 0x8825


def _jpeg_with_gps(size=(3000, 1500)) -> io.BytesIO:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    exif[GPS_IFD] = {1: "N", 2: (43.0, 38.0, 47.0), 3: "E", 4: (0.0, 35.0, 8.0)}
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 40)).save(buffer, format="JPEG", exif=exif, comment=b"secret")
    buffer.seek(0)
    return buffer


def test_a_photo_with_gps_comes_back_without_any_exif():
    source = _jpeg_with_gps()
    assert Image.open(source).getexif().get_ifd(GPS_IFD)  # the test photo does carry a position
    source.seek(0)
    result = reencode_banner(source)
    output = Image.open(io.BytesIO(result.content))
    assert output.format == "JPEG"
    assert len(output.getexif()) == 0
    assert "exif" not in output.info and "comment" not in output.info
    assert b"PhoneMaker" not in result.content


def test_a_banner_is_resized_to_2048_pixels_and_a_logo_to_512():
    banner = reencode_banner(_jpeg_with_gps((3000, 1500)))
    assert (banner.width, banner.height) == (2048, 1024)
    # A JPEG twice the size is halved by the decoder itself (DCT scaling): 500 px, not 512.
    logo = reencode_logo(_jpeg_with_gps((1000, 800)))
    assert (logo.width, logo.height) == (500, 400)
    assert Image.open(io.BytesIO(logo.content)).format == "PNG"


def test_a_logo_keeps_its_transparency():
    buffer = io.BytesIO()
    Image.new("RGBA", (50, 50), (0, 0, 0, 0)).save(buffer, format="PNG")
    buffer.seek(0)
    output = Image.open(io.BytesIO(reencode_logo(buffer).content))
    assert output.mode == "RGBA" and output.getchannel("A").getextrema() == (0, 0)


def test_a_portrait_photo_is_turned_upright_before_its_orientation_tag_goes():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90° clockwise
    buffer = io.BytesIO()
    Image.new("RGB", (400, 200)).save(buffer, format="JPEG", exif=exif)
    buffer.seek(0)
    result = reencode_banner(buffer)
    assert (result.width, result.height) == (200, 400)


def test_it_refuses_a_file_that_is_not_an_image():
    with pytest.raises(ImageRejected, match="pas une image"):
        reencode_logo(io.BytesIO(b"%PDF-1.4 not a picture"))


def test_it_refuses_a_format_it_does_not_accept():
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="BMP")
    buffer.seek(0)
    with pytest.raises(ImageRejected):
        reencode_logo(buffer)


def _png_bomb(width: int, height: int) -> io.BytesIO:
    """A tiny PNG that declares width × height pixels, all zero: megabytes of pixels in kilobytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return io.BytesIO(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def test_it_refuses_a_decompression_bomb_before_decoding_it():
    bomb = _png_bomb(20_000, 20_000)  # 400 million pixels
    assert len(bomb.getvalue()) < 100_000
    with pytest.raises(ImageRejected, match="trop grande"):
        reencode_banner(bomb)


def test_it_refuses_a_file_too_heavy(monkeypatch):
    monkeypatch.setattr(images, "MAX_UPLOAD_BYTES", 100)
    with pytest.raises(ImageRejected, match="trop lourd"):
        reencode_banner(_jpeg_with_gps((100, 100)))


def test_it_refuses_a_truncated_image():
    data = _jpeg_with_gps((300, 300)).getvalue()
    with pytest.raises(ImageRejected):
        reencode_banner(io.BytesIO(data[: len(data) // 2]))


# A 16-pixel JPEG whose EXIF block was damaged by a fuzzer: Pillow's exif_transpose raised
# struct.error on it, which was a 500 on upload.
DAMAGED_EXIF_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/4QAuRXhpZgAATU0AKgAAAAgAAgEVAAIAAAACePMAAAESAAMAAAABAAYAAAAAAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjL/wAARCAAQABADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhdEGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erxvvP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExdfHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDxyiiiv3E8w//Z"
)


def test_a_photo_with_damaged_exif_is_kept_and_cleaned_not_a_crash():
    processed = reencode_banner(io.BytesIO(DAMAGED_EXIF_JPEG))
    assert (processed.width, processed.height) == (16, 16)
    assert not Image.open(io.BytesIO(processed.content)).getexif()


def test_a_phone_photo_is_decoded_at_half_size_and_never_below_15_16_of_the_limit():
    photo = reencode_banner(_jpeg_with_gps((4000, 3000)))
    assert (photo.width, photo.height) == (2000, 1500)
    # 3000 px cannot be halved without falling under 1920: it is resampled to 2048 as before.
    wide = reencode_banner(_jpeg_with_gps((3000, 2000)))
    assert (wide.width, wide.height) == (2048, 1365)
