"""What a customer's link or session lets the portal do, carried on each of the portal's calls.

The portal (principal `portal`) acts for one customer at a time. With each call it sends the grant of the link
or session being served, signed with the digest of its own API key (HMAC-SHA256), in the `x-aftercare-grant`
metadata. The services verify it with the digest of the key the call presented and serve the portal only what
the grant names: one claim or one warranty, for the purposes it lists, until it expires. A portal bug that
passed another RMA, or a call without a grant, reads as "not found"."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from services.kit.errors import NotFound, PermissionDenied

METADATA_KEY = "x-aftercare-grant"


class Subject(StrEnum):
    CLAIM = "claim"
    WARRANTY = "warranty"


class Purpose(StrEnum):
    """What a link may be used for."""

    CLAIM = "claim"  # follow the claim, print the label, decide the quote, cancel, add photos
    SURVEY = "survey"  # answer the survey
    WARRANTY = "warranty"  # see the coverage
    PLAN = "plan"  # buy the extended plan
    PREFERENCES = "preferences"  # the customer's message preferences (every link has it)


@dataclass(frozen=True)
class Grant:
    subject: Subject
    ref: str  # the RMA or the serial
    purposes: frozenset[Purpose]
    expires_at: datetime
    customer_id: str = ""  # the claim's or warranty's owner, when known

    def encode(self) -> dict[str, object]:
        return {
            "s": self.subject.value,
            "r": self.ref,
            "p": sorted(p.value for p in self.purposes),
            "e": int(self.expires_at.timestamp()),
            "c": self.customer_id,
        }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(grant: Grant, key_digest: bytes) -> str:
    body = _b64(json.dumps(grant.encode(), separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(key_digest, body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def verify(text: str, key_digest: bytes, now: datetime) -> Grant | None:
    """The grant if `text` is one signed with `key_digest` and not yet expired; else None."""
    body, _, mac = text.partition(".")
    try:
        expected = hmac.new(key_digest, body.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            return None
        raw = json.loads(_unb64(body))
        grant = Grant(
            subject=Subject(raw["s"]),
            ref=str(raw["r"]),
            purposes=frozenset(Purpose(p) for p in raw["p"]),
            expires_at=datetime.fromtimestamp(int(raw["e"]), UTC),
            customer_id=str(raw.get("c", "")),
        )
    except (ValueError, KeyError, TypeError):
        return None
    return grant if grant.expires_at > now else None


_current: ContextVar[Grant | None] = ContextVar("aftercare_grant", default=None)


def set_grant(grant: Grant | None) -> None:
    _current.set(grant)


def current_grant() -> Grant | None:
    return _current.get()


def grants(subject: Subject, ref: str, purpose: Purpose = Purpose.CLAIM) -> bool:
    """Whether the portal's current call may touch `subject` `ref` for `purpose`."""
    grant = _current.get()
    return grant is not None and grant.subject is subject and grant.ref == ref and purpose in grant.purposes


def require(subject: Subject, ref: str, purpose: Purpose, what: str) -> None:
    """Refuse a portal call outside its grant: an ungranted subject reads as unknown, a granted one used for
    another purpose is denied."""
    grant = _current.get()
    if grant is None or grant.subject is not subject or grant.ref != ref:
        raise NotFound(f"no {what}", reason=f"{subject.value.upper()}_NOT_FOUND")
    if purpose not in grant.purposes:
        raise PermissionDenied(f"this link does not allow {purpose.value}", reason="PURPOSE_NOT_GRANTED")
