"""Service centres: what a valid one is, and which one a claim goes to. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from services.kit.errors import Violations

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")  # the id part of a principal: centre:<id>, retailer:<id>
_REGION = re.compile(r"^[A-Z]{2}$")
_CATEGORY = re.compile(r"^[a-z0-9][a-z0-9-]{1,47}$")  # as a product's category
MAX_CAPACITY = 100_000


@dataclass(frozen=True)
class Centre:
    id: str
    display_name: str
    region: str
    categories: tuple[str, ...]
    daily_capacity: int


@dataclass(frozen=True)
class Load:
    """A candidate centre and the open claims it holds."""

    centre: Centre
    open_claims: int


def is_party_id(text: str) -> bool:
    """Whether `text` is the id part of a retailer's or a centre's principal (retailer:<id>)."""
    return _ID.match(text) is not None


def check_centre_id(v: Violations, field: str, raw: str) -> str:
    centre_id = raw.strip().lower()
    if not _ID.match(centre_id):
        v.add(field, "must be 1 to 63 of a-z, 0-9 and '-', as in the centre's principal centre:<id>")
    return centre_id


def check_region(v: Violations, field: str, raw: str) -> str:
    region = raw.strip().upper()
    if not _REGION.match(region):
        v.add(field, "must be an ISO 3166-1 alpha-2 country code, e.g. DE")
    return region


def check_centre(
    v: Violations, *, id: str, display_name: str, region: str, categories: Iterable[str], daily_capacity: int
) -> Centre:
    cats = tuple(sorted({c.strip().lower() for c in categories}))
    if not cats:
        v.add("centre.categories", "name at least one product category the centre repairs")
    for c in cats:
        if not _CATEGORY.match(c):
            v.add("centre.categories", f"{c!r} is not a category (2 to 48 of a-z, 0-9 and '-')")
    name = display_name.strip()
    if not 1 <= len(name) <= 200:
        v.add("centre.display_name", "is required, at most 200 characters")
    if not 1 <= daily_capacity <= MAX_CAPACITY:
        v.add("centre.daily_capacity", f"must be from 1 to {MAX_CAPACITY}")
    return Centre(
        id=check_centre_id(v, "centre.id", id),
        display_name=name,
        region=check_region(v, "centre.region", region),
        categories=cats,
        daily_capacity=daily_capacity,
    )


def fits(centre: Centre, region: str, category: str) -> bool:
    return centre.region == region and (not category or category in centre.categories)


def choose(loads: Iterable[Load], region: str, category: str) -> Centre | None:
    """The fitting centre with the fewest open claims relative to its daily capacity (ties: by id), or None
    when none fits and the claim must wait for ops."""
    candidates = [x for x in loads if fits(x.centre, region, category)]
    if not candidates:
        return None
    best = min(candidates, key=lambda x: (x.open_claims / x.centre.daily_capacity, x.centre.id))
    return best.centre
