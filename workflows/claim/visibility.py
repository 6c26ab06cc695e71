"""What ops see of a running claim in the Temporal UI: its search attributes and its one-line summary."""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from contracts.claims import ClaimStatus
    from workflows import search_attributes as sa


def show(s: ClaimStatus) -> None:
    """Upsert every search attribute from the claim as it is, and the summary line ops read in the list."""
    updates: list[SearchAttributeUpdate[Any]] = [
        sa.CLAIM_STATE.value_set(s.state.value),
        sa.SERVICE_CENTRE_ID.value_set(s.centre_id) if s.centre_id else sa.SERVICE_CENTRE_ID.value_unset(),
        sa.PRODUCT_SKU.value_set(s.sku) if s.sku else sa.PRODUCT_SKU.value_unset(),
        sa.RETAILER_ID.value_set(s.retailer_id) if s.retailer_id else sa.RETAILER_ID.value_unset(),
        sa.SLA_BREACHED.value_set(s.sla_breached),
        sa.SLA_DUE_AT.value_set(s.sla_due_at) if s.sla_due_at else sa.SLA_DUE_AT.value_unset(),
        sa.RESOLUTION.value_set(s.resolution.value) if s.resolution else sa.RESOLUTION.value_unset(),
    ]
    if s.risk_flags:  # never set on claims from before the review patch: their histories keep their commands
        updates.append(sa.RISK_FLAGS.value_set(sorted({f.code for f in s.risk_flags})))
    workflow.upsert_search_attributes(updates)
    centre = s.centre_id or "unassigned"
    workflow.set_current_details(
        f"**{s.rma}** · {s.sku or '?'} · {s.state.value} · centre {centre}"
        + (" · SLA BREACHED" if s.sla_breached else "")
        + (f" · flags {', '.join(sorted({f.code for f in s.risk_flags}))}" if s.risk_flags else "")
    )
