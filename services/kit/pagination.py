"""Opaque page tokens (AIP-158): the last key seen, bound to the filters it was issued for."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from services.kit.errors import FieldViolation, InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument([FieldViolation("page_size", "must not be negative")])
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _fingerprint(filters: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(filters, sort_keys=True).encode()).hexdigest()[:16]


def encode(last_key: Any, filters: dict[str, Any]) -> str:
    raw = json.dumps({"k": last_key, "f": _fingerprint(filters)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, filters: dict[str, Any]) -> Any:
    """The last key of the previous page, or None for the first page."""
    if not token:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        key, fingerprint = data["k"], data["f"]
    except (ValueError, KeyError, TypeError):
        raise InvalidArgument([FieldViolation("page_token", "not a token this service issued")]) from None
    if fingerprint != _fingerprint(filters):
        raise InvalidArgument([FieldViolation("page_token", "was issued for other filters; start again")])
    return key
