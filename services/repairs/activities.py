"""Temporal activities the repairs service hosts on task queue "repairs". Each is safe to retry: the
timeline is keyed by (rma, seq), a label by (rma, direction), an escalation by rma."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from contracts.claims import ClaimState, Direction
from contracts.repairs import (
    ASSESS_RISK,
    ASSIGN_CENTRE,
    CREATE_LABEL,
    ESCALATE_SLA,
    RECORD_EVENT,
    REGISTER_FROM_RECEIPT,
    CentreChoice,
    CentreQuery,
    EventRecord,
    Label,
    LabelRequest,
    ReceiptRegistered,
    ReceiptRegistration,
    RiskAssessment,
    RiskQuery,
    SlaEscalation,
)
from services.repairs.carriers import Carrier, LabelSpec
from services.repairs.domain import centres, risk
from services.repairs.mapping import status_of
from services.repairs.persistence.repository import RepairsRepository
from services.repairs.persistence.tables import ClaimRow, LabelRow
from services.repairs.sales import ReceiptRefused, WarrantySales, WarrantyUnavailable

log = logging.getLogger("aftercare.repairs")


def address_lines(address_json: str) -> list[str]:
    """A stored google.type.PostalAddress (as JSON) as the lines a label prints."""
    a = json.loads(address_json or "{}")
    lines = [*a.get("recipients", []), a.get("organization", ""), *a.get("addressLines", [])]
    lines.append(" ".join(filter(None, (a.get("postalCode", ""), a.get("locality", "")))))
    lines.append(a.get("regionCode", ""))
    return [line for line in lines if line]


def prior_claim(row: ClaimRow) -> risk.PriorClaim:
    """Another claim on the serial, as the risk rules see it: a repair counts as closed once the unit is back."""
    s = status_of(row)
    done = s.state in (ClaimState.DELIVERED, ClaimState.CLOSED)
    return risk.PriorClaim(
        rma=row.rma,
        filed_at=row.created_at,
        fault_category=row.fault_category,
        resolution=s.resolution.value if s.resolution and done else "",
        closed_at=s.state_since if done else None,
    )


class RepairsActivities:
    def __init__(
        self,
        repo: RepairsRepository,
        carrier: Carrier,
        rules: risk.RuleSet | None = None,
        sales: WarrantySales | None = None,
    ):
        self.repo = repo
        self.carrier = carrier
        self.rules = rules or risk.RuleSet()
        self.sales = sales

    @activity.defn(name=REGISTER_FROM_RECEIPT)
    async def register_from_receipt(self, request: ReceiptRegistration) -> ReceiptRegistered:
        """Register the sale on the claim's receipt with the warranty service (ops approved it). A refusal is
        final (the update that asked fails, naming it); an unreachable warranty service is retried."""
        row = await self.repo.claim(request.rma)
        if row is None or self.sales is None:
            raise ApplicationError("no such claim, or no warranty service", type="RECEIPT_REFUSED", non_retryable=True)
        try:
            done = await self.sales.register(row)
        except ReceiptRefused as exc:
            raise ApplicationError(str(exc), type="RECEIPT_REFUSED", non_retryable=True) from None
        except WarrantyUnavailable as exc:
            raise ApplicationError(f"the warranty service did not answer: {exc}", type="WARRANTY_UNAVAILABLE") from None
        return ReceiptRegistered(serial=done.serial, already_registered=done.already_registered)

    @activity.defn(name=ASSESS_RISK)
    async def assess_risk(self, query: RiskQuery) -> RiskAssessment:
        """The risk rules' verdict on a claim at intake, and the closed repair it repeats (if any)."""
        prior = tuple(prior_claim(row) for row in await self.repo.others_on_serial(query.serial, query.rma))
        facts = risk.Facts(
            now=query.now,
            serial=query.serial,
            customer_id=query.customer_id,
            retailer_id=query.retailer_id,
            fault_category=query.fault_category,
            purchased_at=query.purchased_at,
            unit_value_minor=query.unit_value_minor,
            prior=prior,
        )
        repeat = risk.repeat_of(facts, query.repeat_repair_days) if query.repeat_repair_days else None
        return RiskAssessment(flags=risk.evaluate(self.rules, facts), repeat_of=repeat.rma if repeat else "")

    @activity.defn(name=RECORD_EVENT)
    async def record_event(self, event: EventRecord) -> None:
        await self.repo.record(event)

    @activity.defn(name=ASSIGN_CENTRE)
    async def assign_centre(self, query: CentreQuery) -> CentreChoice:
        chosen = centres.choose(await self.repo.loads(query.region), query.region, query.product_category)
        if chosen is None:
            log.warning("no centre fits; the claim waits for ops", extra={"rma": query.rma, "region": query.region})
        return CentreChoice(centre_id=chosen.id if chosen else "")

    @activity.defn(name=CREATE_LABEL)
    async def create_label(self, request: LabelRequest) -> Label:
        kept = await self.repo.label(request.rma, request.direction.value)
        if kept is not None:
            return Label(tracking_number=kept.tracking_number)
        claim = await self.repo.claim(request.rma)
        centre = await self.repo.centre(request.centre_id)
        if claim is None or centre is None:
            raise ApplicationError("no such claim or centre", type="LABEL_PARTIES_UNKNOWN", non_retryable=True)
        customer = address_lines(claim.return_address)
        site = [f"{centre.display_name} (service centre {centre.id})", f"re {claim.rma}", centre.region]
        to_centre = request.direction is Direction.TO_CENTRE
        spec = LabelSpec(
            rma=claim.rma,
            direction=request.direction.value,
            sender=customer if to_centre else site,
            recipient=site if to_centre else customer,
        )
        issued = await self.carrier.create_label(spec)
        saved = await self.repo.save_label(
            LabelRow(
                rma=claim.rma,
                direction=request.direction.value,
                carrier=self.carrier.name,
                tracking_number=issued.tracking_number,
                pdf=issued.pdf,
                created_at=datetime.now(UTC),
            )
        )
        return Label(tracking_number=saved.tracking_number)

    @activity.defn(name=ESCALATE_SLA)
    async def escalate_sla(self, escalation: SlaEscalation) -> None:
        if await self.repo.escalate(escalation, datetime.now(UTC)):
            log.warning(
                "repair SLA breached",
                extra={"rma": escalation.rma, "centre": escalation.centre_id, "state": escalation.state.value},
            )

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.record_event,
            self.assign_centre,
            self.create_label,
            self.escalate_sla,
            self.assess_risk,
            self.register_from_receipt,
        ]
