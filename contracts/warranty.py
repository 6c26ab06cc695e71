"""What the warranty service offers workflows: activity names and their typed inputs and outputs.
Pure pydantic, safe to import from workflow code."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

CHECK_ENTITLEMENT = "warranty.check_entitlement"
MOVE_TO_REPLACEMENT = "warranty.move_to_replacement"
FIND_EXPIRING = "warranty.find_expiring"
REMINDER_WINDOW = timedelta(days=30)  # the expiry reminder goes out when the coverage ends within this


class ClaimTimerSeconds(BaseModel):
    """The product policy's claim timers, in seconds (ClaimTimers in warranty.proto), SLA resolved."""

    ship_reminder: int = 3 * 86_400
    shipment_deadline: int = 14 * 86_400
    quote_reminder: int = 2 * 86_400
    quote_deadline: int = 7 * 86_400
    survey_delay: int = 2 * 86_400
    survey_window: int = 14 * 86_400
    repair_sla: int = 10 * 86_400
    review_sla: int = 2 * 86_400
    info_reminder: int = 3 * 86_400
    info_deadline: int = 10 * 86_400


class EntitlementQuery(BaseModel):
    serial: str
    incident_at: datetime
    fault_category: str | None = None  # a FAULT_CATEGORIES name
    retailer_id: str = ""  # when set, another retailer's serial is not found (as in CheckEntitlement)


class EntitlementDecision(BaseModel):
    found: bool  # False: no warranty for this serial
    covered: bool
    coverage_kind: str  # RETURN_WINDOW | STANDARD | EXTENDED | NONE
    reason: str
    coverage_end: datetime | None = None
    sku: str = ""
    product_category: str = ""
    retailer_id: str = ""
    customer_id: str = ""
    repair_sla_days: int = 0
    timers: ClaimTimerSeconds = Field(default_factory=lambda: ClaimTimerSeconds())
    paid_repair_currency: str = ""  # with paid_repair_minor > 0: a quote is offered when not covered
    paid_repair_minor: int = 0
    # review (the product's approval policy, resolved for the sale's retailer)
    approval_mode: str = "AUTO"  # AUTO | MANUAL | RULES
    review_above_minor: int = 0  # a paid quote above this waits for review; 0: no limit
    unit_value_minor: int = 0  # what a unit is worth, for the risk rules; 0: unknown
    repeat_repair_days: int = 0  # a repaired fault that comes back within this is covered again; 0: not
    purchased_at: datetime | None = None


class ReplacementMove(BaseModel):
    """Move a warranty to the replacement unit a repair centre sent instead of the faulty one."""

    serial: str
    replacement_serial: str
    reason: str  # e.g. "RMA-7KQ2M4" - a reference, never personal data


class ReplacementMoved(BaseModel):
    serial: str
    replacement_serial: str


class ExpiringQuery(BaseModel):
    """One page of the warranties whose coverage ends within `within_seconds` of `now`.

    `by_coverage_end` (the scan since the coverage-end index): pages in (coverage end, id) order, the cursor
    being (`after_end`, `after_id`), so a page reads only due warranties through the index. Without it (a scan
    started before): id order, the cursor `after_id`."""

    now: datetime
    within_seconds: int
    after_id: int = 0  # the cursor: the last id of the previous page
    limit: int = 500
    by_coverage_end: bool = False
    after_end: datetime | None = None  # by_coverage_end: the coverage end of the previous page's last warranty


class Expiring(BaseModel):
    serial: str
    sku: str
    coverage_end: datetime
    key: str  # the reminder's business key (once per warranty and coverage end)


class ExpiringPage(BaseModel):
    warranties: list[Expiring]
    scanned: int
    next_after_id: int  # 0: that was the last page
    next_after_end: datetime | None = None  # by_coverage_end: the cursor's coverage end
