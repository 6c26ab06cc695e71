"""The portal's texts in its five languages, and the reader's language: the one they chose on the switcher (a
cookie that sticks), else the language of the message whose link they opened last, else the best of their
browser's Accept-Language, else English (Frame.locale)."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

LOCALES = ("en", "fr", "ru", "ko", "ms")
NAMES = {"en": "English", "fr": "Français", "ru": "Русский", "ko": "한국어", "ms": "Bahasa Melayu"}
DEFAULT = "en"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locales"


@cache
def catalog(locale: str) -> dict[str, str]:
    """A locale's texts as flat "section.key" → text."""
    data = tomllib.loads((LOCALE_DIR / f"{locale}.toml").read_text(encoding="utf-8"))
    return {f"{section}.{key}": text for section, texts in data.items() for key, text in texts.items()}


def supported(tag: str) -> str | None:
    """The portal's locale for a BCP 47 tag ("fr-CA" → "fr"), or None."""
    language = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return language if language in LOCALES else None


def from_accept_language(header: str) -> str | None:
    """The supported language the browser prefers most (RFC 9110 quality values; q=0 means "not this")."""
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        locale = supported(tag)
        if locale is None or quality <= 0:
            continue
        candidate = (-quality, position, locale)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best else None


def texts(locale: str) -> Callable[..., str]:
    own, fallback = catalog(locale), catalog(DEFAULT)

    def t(key: str, **values: Any) -> str:
        text = own.get(key) or fallback.get(key) or key
        return text.format(**values) if values else text

    return t
