"""A claim's intake: the entitlement decision, the risk rules, review when the policy or a rule asks, and the
first move (a label, a quote, or a refusal). Also the approval of a claim filed with a receipt for a serial
nobody registered: the sale is registered, then the claim is decided as a registered one."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from contracts import queues
    from contracts.claims import Event, Quote, Refusal, Review
    from contracts.repairs import (
        ASSESS_RISK,
        REGISTER_FROM_RECEIPT,
        ReceiptRegistered,
        ReceiptRegistration,
        RiskAssessment,
        RiskQuery,
    )
    from contracts.warranty import CHECK_ENTITLEMENT, EntitlementDecision, EntitlementQuery
    from lifecycle.review import review_reasons

from workflows.claim import visibility
from workflows.claim.calls import REVIEW_PATCH, call
from workflows.claim.changes import Changes


class Intake(Changes):
    """From filing to the first move: the entitlement decision, the risk rules, review or the decision itself."""

    async def _intake(self) -> None:
        async with self.lock:
            decision = await self._entitlement(self.claim.retailer_id)
            if workflow.patched(REVIEW_PATCH):
                if not decision.found and self.claim.receipt is not None:
                    await self._review_receipt()
                    return
                if decision.found:
                    decision = await self._assess(decision)
                    if await self._to_review(decision):
                        return
            await self._decide(decision)

    async def _entitlement(self, retailer_id: str) -> EntitlementDecision:
        """Ask the warranty service and take the sale's facts and the product's timers into the status."""
        query = EntitlementQuery(
            serial=self.claim.serial,
            incident_at=self.claim.incident_at,
            fault_category=self.claim.fault_category,
            retailer_id=retailer_id,
        )
        decision = await call(CHECK_ENTITLEMENT, query, queues.WARRANTY, EntitlementDecision)
        s = self.status
        s.sku, s.retailer_id, s.customer_id = decision.sku, decision.retailer_id, decision.customer_id
        s.product_category = decision.product_category
        s.timers, s.sla_budget_seconds = decision.timers, decision.timers.repair_sla
        s.decision_reason, s.coverage_kind = decision.reason, decision.coverage_kind
        visibility.show(self.status)
        return decision

    async def _review_receipt(self) -> None:
        """A serial nobody registered, with a receipt: a person looks at it before anything else happens."""
        s, receipt = self.status, self.claim.receipt
        assert receipt is not None
        s.sku, s.retailer_id = receipt.sku, receipt.retailer_id
        s.review = Review(reasons=["UNREGISTERED_SERIAL"], registers=True)
        s.decision = "REVIEW"
        await self._apply(Event.REVIEW_REQUIRED, detail="UNREGISTERED_SERIAL")

    async def _register_receipt(self) -> EntitlementDecision:
        """Register the sale from the approved receipt, then decide the claim as a registered one."""
        try:
            done = await call(
                REGISTER_FROM_RECEIPT, ReceiptRegistration(rma=self.status.rma), queues.REPAIRS, ReceiptRegistered
            )
        except ActivityError as error:
            cause = error.cause.message if isinstance(error.cause, ApplicationError) else str(error)
            raise ApplicationError(f"the receipt cannot be registered: {cause}", type=Refusal.RECEIPT_REFUSED) from None
        receipt = self.claim.receipt
        bought = receipt.purchase_date if receipt else "?"
        seller = receipt.retailer_id if receipt else "?"
        how = "already registered by then" if done.already_registered else f"bought {bought} at {seller}"
        await self._record("WARRANTY_REGISTERED", detail=f"from the receipt: {how}")
        return await self._entitlement(self.claim.retailer_id)  # a retailer still finds only its own sales

    async def _decide(self, decision: EntitlementDecision, *, detail: str = "") -> None:
        """Carry out the entitlement decision: approve (and send a label), offer a quote, or reject."""
        s = self.status
        if decision.covered:
            s.exchange = decision.coverage_kind == "RETURN_WINDOW"
            s.decision = "EXCHANGE" if s.exchange else "APPROVED"
            await self._apply(Event.APPROVED, detail=detail)
            await self._assign_centre()
        elif decision.found and decision.paid_repair_minor > 0:
            s.decision = "QUOTE_OFFERED"
            await self._offer_quote(Event.QUOTE_OFFERED, decision.paid_repair_currency, decision.paid_repair_minor)
        else:
            s.decision = "REJECTED"
            await self._apply(Event.REJECTED, detail=decision.reason)

    async def _assess(self, decision: EntitlementDecision) -> EntitlementDecision:
        """Run the risk rules (each flag goes on the timeline, enforced or in shadow) and apply the product's
        repeat-repair cover: a fault repaired lately is covered again even after the warranty's end."""
        s = self.status
        query = RiskQuery(
            rma=s.rma,
            serial=s.serial,
            now=workflow.now(),
            fault_category=self.claim.fault_category,
            customer_id=s.customer_id,
            retailer_id=s.retailer_id,
            purchased_at=decision.purchased_at,
            unit_value_minor=decision.unit_value_minor,
            repeat_repair_days=decision.repeat_repair_days,
        )
        assessment = await call(ASSESS_RISK, query, queues.REPAIRS, RiskAssessment)
        s.risk_flags = assessment.flags
        for flag in assessment.flags:
            mode = "enforced" if flag.enforced else "shadow"
            await self._record("RISK_FLAGGED", detail=f"{flag.code} v{flag.version} ({mode}): {flag.sentence}"[:500])
        if assessment.repeat_of and not decision.covered:
            s.coverage_kind, s.decision_reason = "REPEAT_REPAIR", f"REPEAT_REPAIR_OF_{assessment.repeat_of}"
            return decision.model_copy(
                update={"covered": True, "coverage_kind": "REPEAT_REPAIR", "reason": s.decision_reason}
            )
        return decision

    async def _to_review(self, decision: EntitlementDecision) -> bool:
        """Send the claim to review when the policy or an enforced rule asks; False: it goes on at once."""
        s = self.status
        if decision.covered:
            pending = Event.APPROVED
        elif decision.paid_repair_minor > 0:
            pending = Event.QUOTE_OFFERED
        else:
            pending = Event.REJECTED
        reasons = review_reasons(
            decision.approval_mode,
            pending,
            s.risk_flags,
            quote_minor=decision.paid_repair_minor if pending is Event.QUOTE_OFFERED else 0,
            review_above_minor=decision.review_above_minor,
        )
        if not reasons:
            return False
        s.exchange = decision.coverage_kind == "RETURN_WINDOW"
        s.review = Review(reasons=reasons, pending=pending)
        if pending is Event.QUOTE_OFFERED:
            s.quote = Quote(currency_code=decision.paid_repair_currency, amount_minor=decision.paid_repair_minor)
        s.decision = "REVIEW"
        await self._apply(Event.REVIEW_REQUIRED, detail=", ".join(reasons))
        return True
