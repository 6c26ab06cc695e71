"""A label is read by a courier in the customer's script: Cyrillic and Hangul addresses come out of the PDF as
they went in (extracted with pypdf), in a font embedded in the file (issue 13, item 2)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from services.repairs.carriers import LabelSpec, render_label

ADDRESSES = {
    "ru": ["Иван Петров", "ул. Тверская, д. 7, кв. 12", "125009 Москва", "Россия"],
    "ko": ["김민준", "서울특별시 중구 세종대로 110", "04524 서울", "대한민국"],
    "fr": ["Zoë Lefèvre", "12, rue de l'Église", "75004 Paris", "France"],
    "ms": ["Nur Aisyah binti Ahmad", "No. 5, Jalan Ampang", "50450 Kuala Lumpur", "Malaysia"],
}


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("script", list(ADDRESSES))
def test_an_address_in_any_script_reads_back_from_the_label(script: str) -> None:
    spec = LabelSpec(rma="RMA-7KQM-X3TD", direction="TO_CENTRE", sender=ADDRESSES[script], recipient=["Berlin repairs"])
    pdf = render_label(spec, "LC123456789031", "local")
    text = text_of(pdf)
    for line in ADDRESSES[script]:
        assert line in text, (line, text)
    assert "RMA-7KQM-X3TD" in text and "LC123456789031" in text
    assert b"/FontFile2" in pdf  # the font travels inside the PDF: no reader needs it installed
    assert b"/Helvetica" not in pdf
