"""Opaque page tokens (AIP-158): the last key seen, bound to the filters it was issued for."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from services.kit.errors import FieldViolation, InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
R = TypeVar("R")


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


@dataclass(frozen=True)
class Page(Generic[R]):
    items: list[R]
    next_page_token: str  # "" on the last page


async def page(
    requested_size: int,
    token: str,
    filters: dict[str, Any],
    fetch: Callable[[Any, int], Awaitable[list[R]]],
    key: Callable[[R], Any],
) -> Page[R]:
    """One page of a list: `fetch(cursor, limit)` reads up to `limit` rows after the cursor (None: from the
    start), in key order; `key(row)` is the cursor the next page starts after. One row more than the page is
    read to know whether another page follows."""
    size = page_size(requested_size)
    rows = await fetch(decode(token, filters), size + 1)
    items = rows[:size]
    return Page(items, encode(key(items[-1]), filters) if len(rows) > size else "")
