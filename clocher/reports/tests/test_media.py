"""Report media: photos come out re-encoded without any metadata, videos pass only when their content
is really MP4, QuickTime or WebM under 50 MB, and every bad file is a MediaRefused with a French sentence."""

from __future__ import annotations

import io
import random
import struct
import zlib
from typing import IO, cast

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from PIL import Image, PngImagePlugin

from clocher.reports import media
from clocher.reports.media import (
    MAX_VIDEO_BYTES,
    MediaRefused,
    check_counts,
    clean_photo,
    clean_video,
    strip_jpeg_metadata,
)
from clocher.territories import images
from clocher.territories.services import ActionRefused

GPS_IFD = 0x8825
GPS_TAGS = {1: "N", 2: (43.0, 38.0, 47.0), 3: "E", 4: (0.0, 35.0, 8.0)}


def _jpeg_with_gps(size: tuple[int, int] = (800, 600)) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    exif[0x0112] = 1  # Orientation
    exif[GPS_IFD] = GPS_TAGS
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 40)).save(buffer, format="JPEG", exif=exif, comment=b"secret note")
    return buffer.getvalue()


def _png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares width × height pixels: the pixels are never written out."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    rows = zlib.compress(b"\x00" * (1 + (width + 7) // 8) * 16, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


# Photos


def test_a_jpeg_with_gps_exif_comes_out_with_no_exif_at_all():
    source = _jpeg_with_gps()
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(GPS_IFD)  # the test photo does carry a position

    photo = clean_photo(SimpleUploadedFile("IMG_0001.jpg", source, "image/jpeg"))

    output = Image.open(io.BytesIO(photo.content))
    assert output.format == "JPEG" and photo.extension == "jpg"
    assert len(output.getexif()) == 0
    assert not output.getexif().get_ifd(GPS_IFD)
    assert "exif" not in output.info and "comment" not in output.info
    for trace in (b"Exif", b"MM\x00*", b"II*\x00", b"PhoneMaker", b"Phone 12", b"secret note"):
        assert trace not in photo.content
    # No APP1…APP15 nor comment segment is left before the image data.
    assert strip_jpeg_metadata(photo.content) == photo.content


def test_metadata_segments_are_stripped_even_when_the_encoder_would_write_them():
    with_exif = _jpeg_with_gps((40, 30))
    stripped = strip_jpeg_metadata(with_exif)
    assert b"Exif" not in stripped and b"PhoneMaker" not in stripped and b"secret note" not in stripped
    picture = Image.open(io.BytesIO(stripped))
    picture.load()  # still a valid JPEG
    assert picture.size == (40, 30) and len(picture.getexif()) == 0


def _exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = GPS_TAGS
    return exif


@pytest.mark.parametrize("image_format", ["PNG", "WEBP"])
def test_a_png_or_webp_with_gps_exif_and_text_comes_out_as_a_jpeg_with_no_metadata(image_format):
    buffer = io.BytesIO()
    extra: dict[str, object] = {"exif": _exif_with_gps()}
    if image_format == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", "secret note")
        extra["pnginfo"] = text
    Image.new("RGB", (300, 200), (1, 2, 3)).save(buffer, format=image_format, **extra)
    assert Image.open(io.BytesIO(buffer.getvalue())).getexif().get_ifd(GPS_IFD)

    photo = clean_photo(buffer.getvalue())

    output = Image.open(io.BytesIO(photo.content))
    assert output.format == "JPEG" and len(output.getexif()) == 0
    for trace in (b"Exif", b"PhoneMaker", b"secret note"):
        assert trace not in photo.content


# Pillow warns about the damaged EXIF blocks it skips: expected here.
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_random_damage_to_a_photo_is_refused_or_cleaned_never_a_crash():
    rng = random.Random(20261124)
    original = _jpeg_with_gps((64, 48))
    for _ in range(150):
        damaged = bytearray(original)
        for _ in range(rng.randint(1, 12)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        cut = rng.choice([len(damaged), rng.randrange(1, len(damaged))])
        try:
            photo = clean_photo(bytes(damaged[:cut]))
        except MediaRefused:
            continue
        assert b"PhoneMaker" not in photo.content and b"Exif" not in photo.content


def test_an_oversized_photo_is_resized_to_2048_pixels_at_most():
    buffer = io.BytesIO()
    Image.new("RGB", (3000, 4000), (200, 10, 10)).save(buffer, format="PNG")
    photo = clean_photo(buffer.getvalue())
    assert (photo.width, photo.height) == (1536, 2048)
    assert Image.open(io.BytesIO(photo.content)).size == (1536, 2048)


def test_a_small_photo_keeps_its_size():
    photo = clean_photo(io.BytesIO(_jpeg_with_gps((640, 480))))
    assert (photo.width, photo.height) == (640, 480)


def test_a_decompression_bomb_of_40000_by_40000_pixels_is_refused():
    bomb = _png_bomb(40_000, 40_000)
    assert len(bomb) < 10_000
    with pytest.raises(MediaRefused, match="trop grande"):
        clean_photo(SimpleUploadedFile("bomb.png", bomb, "image/png"))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("scan.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", "pas une image"),
        ("photo.jpg", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "pas une image"),
        ("photo.jpg", b"", "vide"),
        ("setup.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100, "pas une image"),
    ],
    ids=["pdf", "html-named-jpg", "empty", "exe"],
)
def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(name, content, message):
    with pytest.raises(MediaRefused, match=message):
        clean_photo(SimpleUploadedFile(name, content, "image/jpeg"))


def test_a_truncated_jpeg_is_refused():
    data = _jpeg_with_gps((300, 300))
    with pytest.raises(MediaRefused, match="abîmée ou incomplète"):
        clean_photo(io.BytesIO(data[: len(data) // 2]))


def test_a_jpeg_cut_inside_its_header_is_refused():
    with pytest.raises(MediaRefused):
        clean_photo(_jpeg_with_gps((300, 300))[:40])


def test_a_photo_is_refused_only_with_media_refused_never_another_exception(monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk gone")

    monkeypatch.setattr(images, "reencode", broken)
    with pytest.raises(MediaRefused, match="pas pu être lue") as refused:
        clean_photo(_jpeg_with_gps((10, 10)))
    assert isinstance(refused.value, ActionRefused)


# Videos


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    return _box(b"ftyp", major + struct.pack(">I", 0x200) + b"".join(compatible))


def _mp4() -> bytes:
    return _ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41") + _box(b"free", b"") + _box(b"mdat", b"\x00" * 64)


def _quicktime() -> bytes:
    return _ftyp(b"qt  ", b"qt  ") + _box(b"wide", b"") + _box(b"mdat", b"\x00" * 64)


def _old_quicktime() -> bytes:
    return _box(b"moov", _box(b"mvhd", b"\x00" * 100)) + _box(b"mdat", b"\x00" * 64)


def _ebml(element: int, payload: bytes) -> bytes:
    """An EBML element: its id as written, then its size as a one-byte variable-length integer."""
    assert len(payload) < 127
    return element.to_bytes((element.bit_length() + 7) // 8, "big") + bytes([0x80 | len(payload)]) + payload


def _matroska(doctype: bytes) -> bytes:
    header = (
        _ebml(0x4286, b"\x01")  # EBMLVersion
        + _ebml(0x42F7, b"\x01")  # EBMLReadVersion
        + _ebml(0x42F2, b"\x04")  # EBMLMaxIDLength
        + _ebml(0x42F3, b"\x08")  # EBMLMaxSizeLength
        + _ebml(0x4282, doctype)  # DocType
        + _ebml(0x4287, b"\x04")  # DocTypeVersion
        + _ebml(0x4285, b"\x02")  # DocTypeReadVersion
    )
    segment = b"\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff"  # Segment of unknown size
    return _ebml(0x1A45DFA3, header) + segment + b"\x00" * 64


@pytest.mark.parametrize(
    ("name", "content", "content_type", "extension"),
    [
        ("clip.mp4", _mp4(), "video/mp4", "mp4"),
        ("IMG_0002.MOV", _quicktime(), "video/quicktime", "mov"),
        ("old.mov", _old_quicktime(), "video/quicktime", "mov"),
        ("clip.webm", _matroska(b"webm"), "video/webm", "webm"),
        ("phone.mp4", _ftyp(b"mp42", b"mp42", b"isom") + _box(b"mdat", b"\x00" * 8), "video/mp4", "mp4"),
        ("camera.mp4", _ftyp(b"XAVC", b"XAVC", b"mp42", b"iso2") + _box(b"mdat", b""), "video/mp4", "mp4"),
    ],
    ids=["mp4", "quicktime", "quicktime-without-ftyp", "webm", "mp42", "mp4-by-compatible-brand"],
)
def test_a_real_video_header_is_accepted_with_the_right_content_type(name, content, content_type, extension):
    video = clean_video(SimpleUploadedFile(name, content, "application/octet-stream"))
    assert video.content_type == content_type
    assert video.extension == extension
    assert video.size == len(content)
    assert video.source.read() == content  # handed back from its start, whole


def test_an_mp4_renamed_webm_is_still_detected_as_mp4():
    video = clean_video(SimpleUploadedFile("clip.webm", _mp4(), "video/webm"))
    assert video.content_type == "video/mp4"
    assert video.as_file().name == "video.mp4"


def test_a_webm_named_mp4_is_detected_as_webm():
    assert clean_video(SimpleUploadedFile("clip.mp4", _matroska(b"webm"), "video/mp4")).content_type == "video/webm"


def test_a_video_given_as_bytes_is_accepted():
    video = clean_video(_mp4())
    assert video.content_type == "video/mp4" and video.size == len(_mp4())


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.mp4", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200),
        ("clip.mp4", b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"),
        ("film.mkv", _matroska(b"matroska")),
        ("photo.mp4", _ftyp(b"heic", b"mif1", b"heic") + _box(b"mdat", b"")),
        ("photo.mov", _ftyp(b"avif", b"avif", b"mif1", b"miaf") + _box(b"mdat", b"")),
        ("clip.mp4", b"\x00\x00\x00\x04ftyp"),
        ("clip.webm", b"\x1a\x45\xdf\xa3\x9f\x42\x86"),
        ("clip.mov", b"\x00\x00\x00\x03moov"),
        ("clip.mp4", _jpeg_with_gps((10, 10))),
        ("clip.mp4", b"%PDF-1.7\n"),
    ],
    ids=["exe", "html-named-mp4", "matroska", "heic", "avif", "broken-ftyp", "truncated-ebml",
         "broken-atom", "jpeg", "pdf"],
)
def test_a_file_that_is_not_an_accepted_video_is_refused_with_the_formats_we_take(name, content):
    with pytest.raises(MediaRefused, match="MP4, WebM ou QuickTime"):
        clean_video(SimpleUploadedFile(name, content, "video/mp4"))


def test_an_empty_video_is_refused():
    with pytest.raises(MediaRefused, match="vide"):
        clean_video(SimpleUploadedFile("clip.mp4", b"", "video/mp4"))


def test_a_51_mb_video_is_refused():
    content = _mp4() + b"\x00" * (51 * 1024 * 1024)
    with pytest.raises(MediaRefused, match="trop lourde"):
        clean_video(SimpleUploadedFile("clip.mp4", content, "video/mp4"))
    with pytest.raises(MediaRefused, match="trop lourde"):
        clean_video(content)


def test_a_video_at_exactly_50_mb_is_accepted():
    content = _mp4()
    content += b"\x00" * (MAX_VIDEO_BYTES - len(content))
    assert clean_video(io.BytesIO(content)).size == MAX_VIDEO_BYTES


class _Stream(io.RawIOBase):
    """A stream that cannot seek, may lie about its size, and records how much was read from it."""

    def __init__(self, head: bytes, total: int, declared: int | None = None) -> None:
        self.head, self.total, self.position, self.largest_read = head, total, 0, 0
        if declared is not None:
            self.size = declared

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        left = self.total - self.position
        count = left if size < 0 else min(size, left)
        self.largest_read = max(self.largest_read, count)
        start, self.position = self.position, self.position + count
        data = self.head[start : start + count]
        return data + b"\x00" * (count - len(data))


def test_a_huge_stream_that_lies_about_its_size_is_refused_without_reading_it_all():
    stream = _Stream(_mp4(), total=2 * 1024 * 1024 * 1024, declared=1000)  # says 1 kB, is 2 GB
    with pytest.raises(MediaRefused, match="trop lourde"):
        clean_video(cast(IO[bytes], stream))
    assert stream.position <= MAX_VIDEO_BYTES + media._CHUNK
    assert stream.largest_read <= media._CHUNK


def test_a_declared_size_over_50_mb_is_refused_before_reading():
    stream = _Stream(_mp4(), total=100, declared=MAX_VIDEO_BYTES + 1)
    with pytest.raises(MediaRefused, match="trop lourde"):
        clean_video(cast(IO[bytes], stream))
    assert stream.position == 0


def test_a_stream_that_cannot_seek_is_copied_and_accepted():
    stream = _Stream(_mp4(), total=3 * 1024 * 1024)
    video = clean_video(cast(IO[bytes], stream))
    assert video.content_type == "video/mp4" and video.size == 3 * 1024 * 1024
    assert video.source.read(len(_mp4())) == _mp4()


def test_an_uploaded_video_on_disk_is_stored_under_the_sniffed_extension(tmp_path, settings):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    upload = TemporaryUploadedFile("clip.webm", "video/webm", 0, None)
    upload.write(_mp4())
    upload.flush()
    upload.seek(0)
    video = clean_video(upload)
    name = FileSystemStorage(location=tmp_path / "media").save("reports/x.mp4", video.as_file())
    assert (tmp_path / "media" / name).read_bytes() == _mp4()
    assert video.as_file().name == "video.mp4"
    upload.close()


def test_a_video_that_cannot_be_read_is_refused_not_a_crash():
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            raise OSError("connection reset")

    with pytest.raises(MediaRefused, match="pas pu être lue"):
        clean_video(cast(IO[bytes], Broken()))


def test_random_bytes_and_damaged_headers_are_refused_or_sniffed_never_a_crash():
    rng = random.Random(6)
    samples = [_mp4(), _quicktime(), _old_quicktime(), _matroska(b"webm")]
    for _ in range(300):
        damaged = bytearray(rng.choice(samples))
        for _ in range(rng.randint(1, 6)):
            damaged[rng.randrange(min(len(damaged), 48))] = rng.randrange(256)
        for content in (bytes(damaged), bytes(damaged[: rng.randrange(1, 40)]), rng.randbytes(rng.randint(1, 64))):
            try:
                video = clean_video(content)
            except MediaRefused:
                continue
            assert video.content_type in ("video/mp4", "video/quicktime", "video/webm")


# Counts


def test_a_report_takes_five_photos_and_one_video_at_most():
    check_counts(5, 1)
    check_counts(0, 0)
    with pytest.raises(MediaRefused, match="5 photos au plus"):
        check_counts(6, 0)
    with pytest.raises(MediaRefused, match="une seule vidéo"):
        check_counts(0, 2)
