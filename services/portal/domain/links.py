"""Links, one-time codes and sessions: the rules, without I/O.

A link is a capability: a random token of 192 bits, of which only the SHA-256 is stored, bound to one claim
or warranty, a set of purposes and an expiry. It stops working when it expires, when it is revoked, when the
claim has been over for longer than the grace period, or when the unit changed hands since it was made.
Opening it starts a session (its own random id, also stored hashed) with the same grant, for a shorter time.

A customer without a link asks for a one-time code with the RMA (or serial) and the e-mail or phone on file:
six digits, valid ten minutes, five tries, a few per subject and per client address an hour."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.kit.grants import Grant, Purpose, Subject

TOKEN_BYTES = 24  # 192 bits
CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
CODE_TRIES = 5
CODES_PER_SUBJECT_PER_HOUR = 3
CODES_PER_CLIENT_PER_HOUR = 10


class Page(StrEnum):
    CLAIM = "claim"
    LABEL = "label"
    PHOTOS = "photos"
    SURVEY = "survey"
    WARRANTY = "warranty"
    PREFERENCES = "preferences"
    INFO = "info"


CLAIM_PURPOSES = frozenset({Purpose.CLAIM, Purpose.SURVEY, Purpose.PREFERENCES})
WARRANTY_PURPOSES = frozenset({Purpose.WARRANTY, Purpose.PLAN, Purpose.PREFERENCES})


def purposes_for(subject: Subject) -> frozenset[Purpose]:
    return CLAIM_PURPOSES if subject is Subject.CLAIM else WARRANTY_PURPOSES


def grant(subject: Subject, ref: str, expires_at: datetime, customer_id: str = "") -> Grant:
    """What a link, a session or a code lets the portal do on its subject: every purpose of its kind."""
    return Grant(subject, ref, purposes_for(subject), expires_at, customer_id)


def landing(subject: Subject, page: Page | None) -> Page:
    """The page a link opens: the one asked for if it fits the subject, else the subject's main page."""
    main = Page.CLAIM if subject is Subject.CLAIM else Page.WARRANTY
    fits = {
        Subject.CLAIM: {Page.CLAIM, Page.LABEL, Page.PHOTOS, Page.SURVEY, Page.PREFERENCES, Page.INFO},
        Subject.WARRANTY: {Page.WARRANTY, Page.PREFERENCES},
    }[subject]
    return page if page in fits else main


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(text: str) -> bool:
    """Cheap shape check before any lookup (a 192-bit token is 32 URL-safe characters)."""
    return len(text) == 32 and all(c.isascii() and (c.isalnum() or c in "-_") for c in text)


class Dead(StrEnum):
    """Why a link or session no longer opens anything. Never shown: every denial is the same page."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    CLOSED = "closed"  # the claim ended longer than the grace period ago
    NEW_OWNER = "new_owner"  # the unit changed hands since the link was made


@dataclass(frozen=True)
class LinkFacts:
    """What decides whether a stored link still works."""

    expires_at: datetime
    revoked: bool
    customer_id: str  # the owner when the link was made


def why_dead(
    link: LinkFacts | None,
    now: datetime,
    *,
    owner_now: str,
    ended_at: datetime | None,
    grace: timedelta,
) -> Dead | None:
    """None if the link still works. `owner_now`: the subject's owner today ("" when unknown);
    `ended_at`: when the claim reached a terminal state, if it has."""
    if link is None:
        return Dead.UNKNOWN
    if link.revoked:
        return Dead.REVOKED
    if now >= link.expires_at:
        return Dead.EXPIRED
    if ended_at is not None and now >= ended_at + grace:
        return Dead.CLOSED
    if link.customer_id and owner_now and owner_now != link.customer_id:
        return Dead.NEW_OWNER
    return None


# -- one-time codes ---------------------------------------------------------------------------------------


def subject_of(reference: str) -> Subject:
    """What a customer typed to find their case: an RMA number ("RMA-7KQM-X3TD") is a claim, anything else a
    serial (its warranty)."""
    return Subject.CLAIM if reference.strip().upper().startswith("RMA-") else Subject.WARRANTY


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(code: str, salt: str) -> str:
    """Keyed by a per-code salt: six digits alone are too few to store as a bare hash."""
    return hmac.new(salt.encode(), code.encode(), hashlib.sha256).hexdigest()


def normal_code(text: str) -> str | None:
    """The code as typed ("123 456", "123-456") in canonical form, or None if it is not six digits."""
    digits = "".join(c for c in text if not c.isspace() and c != "-")
    return digits if len(digits) == CODE_DIGITS and digits.isascii() and digits.isdigit() else None


@dataclass(frozen=True)
class CodeFacts:
    expires_at: datetime
    tries: int
    used: bool


def code_usable(code: CodeFacts, now: datetime) -> bool:
    return not code.used and code.tries < CODE_TRIES and now < code.expires_at


def may_send_code(sent_for_subject: int, sent_for_client: int) -> bool:
    """Within the hourly limits (counts of the past hour)."""
    return sent_for_subject < CODES_PER_SUBJECT_PER_HOUR and sent_for_client < CODES_PER_CLIENT_PER_HOUR
