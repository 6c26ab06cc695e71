"""What the warranty service offers workflows: activity names and their typed inputs and outputs.
Pure pydantic, safe to import from workflow code."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

CHECK_ENTITLEMENT = "warranty.check_entitlement"


class EntitlementQuery(BaseModel):
    serial: str
    incident_at: datetime
    fault_category: str | None = None  # a FAULT_CATEGORIES name


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
