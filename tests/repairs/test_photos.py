"""Photos of the fault (services/repairs/domain/photos.py): judged by content, kept re-encoded, upright, with no
EXIF or GPS; anything else refused with a reason, including a file that would expand to gigabytes."""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image

from services.repairs.domain import photos
from services.repairs.domain.photos import PhotoRefused


def jpeg_with_gps(width: int = 64, height: int = 32, orientation: int = 6) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0112] = orientation  # Orientation: 6 = rotate 90° clockwise to show
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"taken at home")
    return out.getvalue()


def png_with_text() -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "52.5200 N, 13.4050 E")
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 255, 128)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def png_bomb(side: int = 20_000) -> bytes:
    """A valid PNG header for a side×side grey image whose compressed data is tiny."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = side.to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    rows = zlib.compress(b"\x00" * (side + 1) * 64, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def test_a_jpeg_is_kept_upright_without_exif_gps_or_comment() -> None:
    raw = jpeg_with_gps()
    kept = photos.clean(raw)
    assert kept.content_type == "image/jpeg" and (kept.width, kept.height) == (32, 64)  # turned upright
    again = Image.open(io.BytesIO(kept.content))
    assert again.format == "JPEG" and not again.getexif() and "comment" not in again.info
    assert b"SpyCam" in raw and b"SpyCam" not in kept.content and b"taken at home" not in kept.content


def test_a_png_loses_its_text_chunks() -> None:
    kept = photos.clean(png_with_text())
    assert kept.content_type == "image/png" and b"Location" not in kept.content
    assert Image.open(io.BytesIO(kept.content)).mode == "RGBA"


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "empty"),
        (b"#!/bin/sh\nrm -rf /\n", "not a JPEG or PNG"),  # a script named photo.jpg
        (b"GIF89a" + b"\x00" * 100, "not a JPEG or PNG"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "not a readable JPEG"),  # truncated
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "not a readable PNG"),
        (b"\xff\xd8\xff" + b"\x00" * (photos.MAX_BYTES + 1), "larger than 10 MB"),
    ],
)
def test_what_is_not_a_photo_is_refused_with_its_reason(data: bytes, why: str) -> None:
    with pytest.raises(PhotoRefused, match=why):
        photos.clean(data)


def test_a_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    bomb = png_bomb()
    assert len(bomb) < 100_000  # tiny on the wire, 400 megapixels once decoded
    with pytest.raises(PhotoRefused, match="megapixels"):
        photos.clean(bomb)
