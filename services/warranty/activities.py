"""Temporal activities the warranty service hosts on task queue "warranty"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from contracts.warranty import (
    CHECK_ENTITLEMENT,
    FIND_EXPIRING,
    MOVE_TO_REPLACEMENT,
    ClaimTimerSeconds,
    EntitlementDecision,
    EntitlementQuery,
    Expiring,
    ExpiringPage,
    ExpiringQuery,
    ReplacementMove,
    ReplacementMoved,
)
from services.kit.errors import AlreadyExists, FailedPrecondition, NotFound
from services.kit.validation import canonical_serial
from services.warranty import entitlement_lookup
from services.warranty.domain.reminders import expiring_on, reminder_key
from services.warranty.persistence.repository import WarrantyRepository, terms_of


class WarrantyActivities:
    def __init__(self, repo: WarrantyRepository):
        self.repo = repo

    @activity.defn(name=CHECK_ENTITLEMENT)
    async def check_entitlement(self, query: EntitlementQuery) -> EntitlementDecision:
        try:
            serial = canonical_serial(query.serial)
        except ValueError:
            return EntitlementDecision(found=False, covered=False, coverage_kind="NONE", reason="INVALID_SERIAL")
        checked = await entitlement_lookup.lookup(self.repo, serial, query.incident_at, query.fault_category)
        if checked is None or (query.retailer_id and checked.row.retailer_id != query.retailer_id):
            return EntitlementDecision(found=False, covered=False, coverage_kind="NONE", reason="UNKNOWN_SERIAL")
        product = await self.repo.product(checked.row.sku)
        e, approval = checked.entitlement, checked.policy.approval
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
            repair_sla_days=checked.policy.repair_sla_days,
            timers=ClaimTimerSeconds(
                **(asdict(checked.policy.claim_timers) | {"repair_sla": checked.policy.repair_sla_seconds})
            ),
            paid_repair_currency=checked.policy.paid_repair_currency,
            paid_repair_minor=checked.policy.paid_repair_minor,
            approval_mode=approval.mode_for(checked.row.retailer_id),
            review_above_minor=approval.review_above[1],
            unit_value_minor=approval.unit_value[1],
            repeat_repair_days=approval.repeat_repair_days,
            purchased_at=checked.row.purchased_at,
        )

    @activity.defn(name=MOVE_TO_REPLACEMENT)
    async def move_to_replacement(self, move: ReplacementMove) -> ReplacementMoved:
        """Idempotent; a serial that cannot move (unknown, voided, taken) fails without retries."""
        try:
            serial = canonical_serial(move.serial)
            replacement = canonical_serial(move.replacement_serial)
            row = await self.repo.move_to_replacement(serial, replacement, move.reason, datetime.now(UTC))
        except ValueError as exc:
            raise ApplicationError(f"not a serial: {exc}", type="INVALID_SERIAL", non_retryable=True) from None
        except (NotFound, FailedPrecondition, AlreadyExists) as exc:
            raise ApplicationError(exc.message, type=exc.reason, non_retryable=True) from None
        return ReplacementMoved(serial=serial, replacement_serial=row.serial)

    @activity.defn(name=FIND_EXPIRING)
    async def find_expiring(self, query: ExpiringQuery) -> ExpiringPage:
        """One page of the reminder's scan: serials and coverage ends only (the contact stays here)."""
        until = query.now + timedelta(seconds=query.within_seconds)
        if query.by_coverage_end:
            after = (query.after_end, query.after_id) if query.after_end is not None else None
            rows = await self.repo.ending_page(query.now, until, after, query.limit)
        else:
            rows = await self.repo.ending_page_by_id(query.now, until, query.after_id, query.limit)
        found = []
        for row in rows:
            policy = await self.repo.policy(row.sku, row.policy_version)  # cached per (sku, version)
            end = expiring_on(terms_of(row, policy), query.now, timedelta(seconds=query.within_seconds))
            if end is not None:
                found.append(
                    Expiring(serial=row.serial, sku=row.sku, coverage_end=end, key=reminder_key(row.serial, end))
                )
        more = len(rows) == query.limit
        return ExpiringPage(
            warranties=found,
            scanned=len(rows),
            next_after_id=rows[-1].id if more and rows[-1].id else 0,
            next_after_end=rows[-1].coverage_end if more and query.by_coverage_end else None,
        )

    def all(self) -> list[Callable[..., Any]]:
        return [self.check_entitlement, self.move_to_replacement, self.find_expiring]
