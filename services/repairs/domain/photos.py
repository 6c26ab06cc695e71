"""Photos of a fault: what is accepted and how it is kept. A photo is judged by its content, never by its name:
a JPEG or a PNG that decodes, of at most 40 megapixels (a small file that would expand to gigabytes is
refused before it is decoded). It is kept re-encoded, turned upright by its EXIF orientation, with no EXIF,
GPS, comments or other metadata. Pure: bytes in, bytes out."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1000 * 1000
MAX_PER_CLAIM = 5
MAX_PIXELS = 40_000_000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


class PhotoRefused(ValueError):
    """Not a photo we keep; the message says why, for the uploader."""


@dataclass(frozen=True)
class Photo:
    content: bytes
    content_type: str
    width: int
    height: int


def _sniffed(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    return None


def clean(data: bytes) -> Photo:
    """The photo re-encoded without metadata; PhotoRefused for anything else."""
    if not data:
        raise PhotoRefused("the file is empty")
    if len(data) > MAX_BYTES:
        raise PhotoRefused(f"the file is larger than {MAX_BYTES // 1_000_000} MB")
    kind = _sniffed(data)
    if kind is None:
        raise PhotoRefused("the file is not a JPEG or PNG image")
    too_big = PhotoRefused(f"the image is larger than {MAX_PIXELS // 1_000_000} megapixels")
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as opened:
            width, height = opened.size
            if width * height > MAX_PIXELS:
                raise too_big
            opened.load()
            upright = ImageOps.exif_transpose(opened)
    except Image.DecompressionBombError:
        raise too_big from None
    except PhotoRefused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise PhotoRefused(f"the file is not a readable {kind} image") from None
    return Photo(_pixels_only(upright, kind), FORMATS[kind], upright.width, upright.height)


def _pixels_only(image: Image.Image, kind: str) -> bytes:
    """The image's pixels in a new file: a fresh image carries none of the original's metadata."""
    mode = "RGB" if kind == "JPEG" else (image.mode if image.mode in ("RGB", "RGBA", "L", "LA") else "RGBA")
    source = image.convert(mode)
    bare = Image.new(mode, source.size)
    bare.paste(source)
    out = io.BytesIO()
    if kind == "JPEG":
        bare.save(out, "JPEG", quality=88, optimize=True)
    else:
        bare.save(out, "PNG", optimize=True)
    return out.getvalue()
