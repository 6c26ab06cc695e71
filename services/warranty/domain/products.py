"""Products and their warranty policies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from services.kit.errors import Violations
from services.kit.validation import check_money, check_text

_SKU = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,47}$")
_CATEGORY = re.compile(r"^[a-z0-9][a-z0-9-]{1,47}$")
FAULT_CATEGORIES = frozenset(
    {"ELECTRICAL", "MECHANICAL", "DISPLAY", "BATTERY", "SOFTWARE", "COSMETIC", "ACCIDENTAL_DAMAGE"}
)


DAY = 86_400
MAX_TIMER_SECONDS = 366 * DAY


@dataclass(frozen=True)
class ClaimTimers:
    """How long each step of a claim may wait, in seconds (see ClaimTimers in warranty.proto)."""

    ship_reminder: int = 3 * DAY
    shipment_deadline: int = 14 * DAY
    quote_reminder: int = 2 * DAY
    quote_deadline: int = 7 * DAY
    survey_delay: int = 2 * DAY
    survey_window: int = 14 * DAY
    repair_sla: int = 0  # 0: the policy's repair_sla_days
    review_sla: int = 2 * DAY
    info_reminder: int = 3 * DAY
    info_deadline: int = 10 * DAY


TIMER_NAMES = tuple(ClaimTimers.__dataclass_fields__)
APPROVAL_MODES = ("AUTO", "MANUAL", "RULES")
DEFAULT_REPEAT_REPAIR_DAYS = 90


@dataclass(frozen=True)
class Approval:
    """Who approves a claim (ApprovalPolicy in warranty.proto): the mode, per-retailer modes over it, the quote
    above which a person looks, a unit's value for the risk rules, and the repeat-repair cover in days."""

    mode: str = "AUTO"
    retailer_modes: tuple[tuple[str, str], ...] = ()
    review_above: tuple[str, int] = ("", 0)  # (currency, minor units); 0: no limit
    unit_value: tuple[str, int] = ("", 0)
    repeat_repair_days: int = DEFAULT_REPEAT_REPAIR_DAYS

    def mode_for(self, retailer_id: str) -> str:
        """The mode for a unit this retailer sold: its own when the policy names it, else the product's."""
        return dict(self.retailer_modes).get(retailer_id, self.mode)


def check_approval(
    v: Violations,
    field: str,
    *,
    mode: str,
    retailer_modes: dict[str, str],
    review_above: tuple[str, int],
    unit_value: tuple[str, int],
    repeat_repair_days: int,
) -> Approval:
    """The approval policy; `mode` and the retailers' modes are APPROVAL_MODES names ("" for unset: AUTO)."""
    for retailer, retailer_mode in sorted(retailer_modes.items()):
        check_text(v, f"{field}.retailer_modes", retailer, min_len=1, max_len=63)
        if retailer_mode not in APPROVAL_MODES:
            v.add(f"{field}.retailer_modes[{retailer[:63]}]", "must be AUTO, MANUAL or RULES")
    if not 0 <= repeat_repair_days <= 365:
        v.add(f"{field}.repeat_repair_days", "must be from 0 to 365")
    above = check_money(v, f"{field}.review_above", *review_above)
    value = check_money(v, f"{field}.unit_value", *unit_value)
    return Approval(mode or "AUTO", tuple(sorted(retailer_modes.items())), above, value, repeat_repair_days)


@dataclass(frozen=True)
class Policy:
    version: int
    coverage_months: int
    return_window_days: int
    repair_sla_days: int
    covered_categories: frozenset[str]
    claim_timers: ClaimTimers = ClaimTimers()
    paid_repair_currency: str = ""  # with paid_repair_minor > 0: a quote is offered when not covered
    paid_repair_minor: int = 0
    plan_months: int = 0  # with plan_months > 0: the extended plan offered to owners, at its price
    plan_currency: str = ""
    plan_minor: int = 0
    approval: Approval = Approval()

    @property
    def repair_sla_seconds(self) -> int:
        return self.claim_timers.repair_sla or self.repair_sla_days * DAY


def check_timers(v: Violations, field: str, given: dict[str, int]) -> ClaimTimers:
    """Timers from the ones given (name -> seconds); the others keep their defaults."""
    for name, seconds in given.items():
        if name not in TIMER_NAMES:
            v.add(f"{field}.{name}", "is not a claim timer")
        elif not 1 <= seconds <= MAX_TIMER_SECONDS:
            v.add(f"{field}.{name}", "must be from 1 second to 366 days")
    if v.items:
        return ClaimTimers()
    timers = ClaimTimers(**given)
    if timers.ship_reminder >= timers.shipment_deadline:
        v.add(f"{field}.ship_reminder", "must come before shipment_deadline")
    if timers.quote_reminder >= timers.quote_deadline:
        v.add(f"{field}.quote_reminder", "must come before quote_deadline")
    if timers.info_reminder >= timers.info_deadline:
        v.add(f"{field}.info_reminder", "must come before info_deadline")
    return timers


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
    claim_timers: dict[str, int] | None = None,
    paid_repair: tuple[str, int] = ("", 0),
    plan: tuple[int, str, int] = (0, "", 0),
    approval: Approval = Approval(),
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
    timers = check_timers(v, "product.policy.claim_timers", claim_timers or {})
    currency, amount = check_money(v, "product.policy.paid_repair_price", *paid_repair)
    plan_months, plan_currency, plan_minor = plan
    if plan_months and not 1 <= plan_months <= 60:
        v.add("product.policy.extended_plan_offer.months", "must be from 1 to 60")
    plan_currency, plan_minor = check_money(
        v, "product.policy.extended_plan_offer.price", plan_currency, plan_minor, required=bool(plan_months)
    )
    policy = Policy(
        1,
        coverage_months,
        return_window_days,
        repair_sla_days,
        categories,
        timers,
        currency,
        amount,
        plan_months,
        plan_currency,
        plan_minor,
        approval,
    )
    return Product(clean_sku, name, category, launch_at or datetime.min, policy)
