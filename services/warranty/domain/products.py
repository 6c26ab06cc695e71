"""Products and their warranty policies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from services.kit.errors import Violations
from services.warranty.domain.sales import check_text

_SKU = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,47}$")
_CATEGORY = re.compile(r"^[a-z0-9][a-z0-9-]{1,47}$")
FAULT_CATEGORIES = frozenset(
    {"ELECTRICAL", "MECHANICAL", "DISPLAY", "BATTERY", "SOFTWARE", "COSMETIC", "ACCIDENTAL_DAMAGE"}
)


@dataclass(frozen=True)
class Policy:
    version: int
    coverage_months: int
    return_window_days: int
    repair_sla_days: int
    covered_categories: frozenset[str]


@dataclass(frozen=True)
class Product:
    sku: str
    display_name: str
    category: str
    launch_at: datetime
    policy: Policy
    created_at: datetime | None = None


def canonical_sku(raw: str) -> str:
    return raw.strip().upper()


def check_sku(v: Violations, field: str, raw: str) -> str:
    sku = canonical_sku(raw)
    if not sku:
        v.add(field, "is required")
    elif not _SKU.match(sku):
        v.add(field, "must be 2 to 48 characters of A-Z, 0-9 and '-'")
    return sku


def check_product(
    v: Violations,
    *,
    sku: str,
    display_name: str,
    category: str,
    launch_at: datetime | None,
    coverage_months: int,
    return_window_days: int,
    repair_sla_days: int,
    covered_categories: list[str],
) -> Product:
    clean_sku = check_sku(v, "product.sku", sku)
    name = check_text(v, "product.display_name", display_name, min_len=1, max_len=200)
    if not _CATEGORY.match(category):
        v.add("product.category", "must be 2 to 48 characters of a-z, 0-9 and '-'")
    if launch_at is None:
        v.add("product.launch_time", "is required")
    if not 1 <= coverage_months <= 240:
        v.add("product.policy.coverage_months", "must be from 1 to 240")
    if not 0 <= return_window_days <= 365:
        v.add("product.policy.return_window_days", "must be from 0 to 365")
    if not 1 <= repair_sla_days <= 365:
        v.add("product.policy.repair_sla_days", "must be from 1 to 365")
    categories = frozenset(covered_categories)
    if not categories:
        v.add("product.policy.covered_fault_categories", "needs at least one category")
    elif not categories <= FAULT_CATEGORIES:
        v.add("product.policy.covered_fault_categories", "has an unknown category")
    policy = Policy(1, coverage_months, return_window_days, repair_sla_days, categories)
    return Product(clean_sku, name, category, launch_at or datetime.min, policy)
