"""Carriers behind one interface. The local carrier issues labels itself and ships by default; a real
carrier (its API client) plugs in by implementing `Carrier` and being named in AFTERCARE_CARRIER."""

from __future__ import annotations

import asyncio
import io
import secrets
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Protocol

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas


@dataclass(frozen=True)
class LabelSpec:
    """What a label shows. Addresses are personal data: they go to the carrier and onto the PDF only."""

    rma: str
    direction: str  # TO_CENTRE | TO_CUSTOMER
    sender: list[str]  # address lines
    recipient: list[str]


@dataclass(frozen=True)
class IssuedLabel:
    tracking_number: str
    pdf: bytes


class Carrier(Protocol):
    name: str

    async def create_label(self, spec: LabelSpec) -> IssuedLabel: ...


def check_digit(digits: str) -> int:
    """The mod-10 (Luhn) check digit of `digits`."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


FONT = "AftercareSans"


@cache
def _font() -> str:
    """A font for every customer's script, embedded (subset) in each PDF: WenQuanYi Micro Hei (SIL OFL 1.1),
    a TrueType font with Latin, Cyrillic, Hangul and CJK glyphs, installed as a package dependency so the
    wheel and the image carry it. Helvetica (Latin-1) printed Cyrillic and Hangul as boxes."""
    path = resources.files("paperang_p2_fonts_cjk") / "fonts" / "wqy-microhei.ttc"
    with resources.as_file(path) as file:
        pdfmetrics.registerFont(TTFont(FONT, str(file), subfontIndex=0))
    return FONT


def render_label(spec: LabelSpec, tracking_number: str, carrier: str) -> bytes:
    """An A6 shipping label: sender, recipient, RMA, and the tracking number as a Code 128 barcode."""
    buffer = io.BytesIO()
    width, height = A6
    font = _font()
    # invariant: the same input gives the same bytes; the initial font too, or Helvetica is declared unused
    pdf = Canvas(buffer, pagesize=A6, invariant=True, initialFontName=font, initialFontSize=9)  # type: ignore[arg-type]  # types-reportlab types the name as a float
    pdf.setTitle(f"Shipping label {tracking_number}")
    pdf.setFont(font, 11)
    pdf.drawString(8 * mm, height - 10 * mm, f"{carrier.upper()} · {spec.rma} · {spec.direction.replace('_', ' ')}")
    y = height - 18 * mm
    for title, lines in (("FROM", spec.sender), ("TO", spec.recipient)):
        pdf.setFont(font, 8)
        pdf.drawString(8 * mm, y, title)
        pdf.setFont(font, 9)
        for line in lines:
            y -= 4 * mm
            pdf.drawString(12 * mm, y, line[:60])
        y -= 7 * mm
    barcode = Code128(tracking_number, barHeight=18 * mm, barWidth=0.3 * mm)
    barcode.drawOn(pdf, (width - barcode.width) / 2, 16 * mm)
    pdf.setFont(font, 9)
    pdf.drawCentredString(width / 2, 10 * mm, tracking_number)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


class LocalCarrier:
    """Issues tracking numbers `LC` + 11 random digits + a check digit, and renders the label itself."""

    name = "local"

    async def create_label(self, spec: LabelSpec) -> IssuedLabel:
        digits = f"{secrets.randbelow(10**11):011d}"
        tracking = f"LC{digits}{check_digit(digits)}"
        pdf = await asyncio.to_thread(render_label, spec, tracking, self.name)
        return IssuedLabel(tracking_number=tracking, pdf=pdf)


CARRIERS: dict[str, type[LocalCarrier]] = {"local": LocalCarrier}


def carrier(name: str) -> Carrier:
    try:
        return CARRIERS[name]()
    except KeyError:
        raise ValueError(f"unknown carrier {name!r}; known: {', '.join(CARRIERS)}") from None
