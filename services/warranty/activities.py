"""Temporal activities the warranty service hosts on task queue "warranty"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio import activity

from services.warranty import entitlements
from services.warranty.contracts import CHECK_ENTITLEMENT, EntitlementDecision, EntitlementQuery
from services.warranty.domain.sales import canonical_serial
from services.warranty.persistence.repository import WarrantyRepository


class WarrantyActivities:
    def __init__(self, repo: WarrantyRepository):
        self.repo = repo

    @activity.defn(name=CHECK_ENTITLEMENT)
    async def check_entitlement(self, query: EntitlementQuery) -> EntitlementDecision:
        try:
            serial = canonical_serial(query.serial)
        except ValueError:
            return EntitlementDecision(found=False, covered=False, coverage_kind="NONE", reason="INVALID_SERIAL")
        checked = await entitlements.check(self.repo, serial, query.incident_at, query.fault_category)
        if checked is None:
            return EntitlementDecision(found=False, covered=False, coverage_kind="NONE", reason="UNKNOWN_SERIAL")
        product = await self.repo.product(checked.row.sku)
        e = checked.entitlement
        return EntitlementDecision(
            found=True,
            covered=e.covered,
            coverage_kind=e.kind.value,
            reason=e.reason.value,
            coverage_end=e.coverage_end,
            sku=checked.row.sku,
            product_category=product.category if product else "",
            retailer_id=checked.row.retailer_id,
            customer_id=checked.row.customer_id,
            repair_sla_days=checked.repair_sla_days,
        )

    def all(self) -> list[Callable[..., Any]]:
        return [self.check_entitlement]
