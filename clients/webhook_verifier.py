"""Verify Aftercare's webhooks in your receiver (Standard Webhooks). Standard library only: copy this file.

    verifier = WebhookVerifier("whsec_...")
    payload = verifier.verify(request_body_bytes, request_headers)   # raises WebhookVerificationError

It checks the HMAC-SHA256 signature over "id.timestamp.body" against every secret you give (keep the old
one during a rotation), refuses timestamps more than five minutes from now, and refuses a webhook-id it has
already accepted. The replay check is in memory; give it a shared `SeenIds` when you run several replicas."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Mapping
from typing import Any, Protocol

TOLERANCE_SECONDS = 5 * 60


class WebhookVerificationError(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class SeenIds(Protocol):
    def add_if_new(self, msg_id: str, expires_at: float) -> bool:
        """Record the id; False if it was already recorded and has not expired."""
        ...


class MemorySeenIds:
    def __init__(self) -> None:
        self._ids: dict[str, float] = {}
        self._lock = threading.Lock()

    def add_if_new(self, msg_id: str, expires_at: float) -> bool:
        now = time.time()
        with self._lock:
            if len(self._ids) > 10_000:
                self._ids = {k: v for k, v in self._ids.items() if v > now}
            if self._ids.get(msg_id, 0) > now:
                return False
            self._ids[msg_id] = expires_at
            return True


class WebhookVerifier:
    def __init__(
        self,
        secrets: str | list[str],
        *,
        tolerance_seconds: int = TOLERANCE_SECONDS,
        seen: SeenIds | None = None,
    ):
        given = [secrets] if isinstance(secrets, str) else list(secrets)
        self._keys = [base64.b64decode(s.removeprefix("whsec_")) for s in given]
        self._tolerance = tolerance_seconds
        self._seen = seen if seen is not None else MemorySeenIds()

    def verify(self, body: bytes, headers: Mapping[str, str], *, now: float | None = None) -> dict[str, Any]:
        """The payload of a genuine, fresh, first-seen delivery; otherwise WebhookVerificationError."""
        msg_id, sent_at, signatures = _headers(headers)
        current = time.time() if now is None else now
        if abs(current - sent_at) > self._tolerance:
            raise WebhookVerificationError("STALE_TIMESTAMP", "webhook-timestamp is too far from now")
        signed = f"{msg_id}.{sent_at}.".encode() + body
        expected = [base64.b64encode(hmac.new(k, signed, hashlib.sha256).digest()) for k in self._keys]
        given = [s.partition(",")[2].encode() for s in signatures.split() if s.startswith("v1,")]
        if not any(hmac.compare_digest(e, g) for e in expected for g in given):
            raise WebhookVerificationError("BAD_SIGNATURE", "no signature matches")
        if not self._seen.add_if_new(msg_id, current + 2 * self._tolerance):
            raise WebhookVerificationError("REPLAYED", "this webhook-id was already accepted")
        payload: dict[str, Any] = json.loads(body)
        return payload


def _headers(headers: Mapping[str, str]) -> tuple[str, int, str]:
    """The delivery's id, its timestamp and its signatures, each required (header names in any case)."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id, stamp, signatures = (lower.get(h, "") for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not (msg_id and stamp and signatures):
        raise WebhookVerificationError("MISSING_HEADERS", "webhook-id, -timestamp and -signature are required")
    try:
        return msg_id, int(stamp), signatures
    except ValueError:
        raise WebhookVerificationError("BAD_TIMESTAMP", "webhook-timestamp is not a number") from None
