"""RMA numbers: short, readable over the phone, and not guessable.

`RMA-` and two groups of four from Crockford's base32 alphabet (no I, L, O, U), 40 random bits. Typed
in lower case, with O for 0 or I/L for 1, an RMA number still reads as the one printed."""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RMA = re.compile(rf"^RMA-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$")
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
RMA_RULE = "RMA- and two groups of four letters or digits, e.g. RMA-7KQM-X3TD"


def new_rma(random_bits: int | None = None) -> str:
    """A new RMA number; `random_bits` (40 bits) makes it reproducible in tests."""
    n = secrets.randbits(40) if random_bits is None else random_bits
    chars = "".join(ALPHABET[(n >> shift) & 31] for shift in range(35, -1, -5))
    return f"RMA-{chars[:4]}-{chars[4:]}"


def canonical_rma(raw: str) -> str:
    """The RMA number as printed, from what a person typed; ValueError if it cannot be one."""
    text = raw.strip().upper().replace(" ", "")
    if text.startswith("RMA") and not text.startswith("RMA-"):
        text = "RMA-" + text[3:]
    body = text.removeprefix("RMA-").replace("-", "").translate(_READ_AS)
    rma = f"RMA-{body[:4]}-{body[4:]}"
    if not _RMA.match(rma):
        raise ValueError(RMA_RULE)
    return rma
