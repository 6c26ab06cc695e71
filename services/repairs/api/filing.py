"""Filing a claim: the customer's report, checked, stored, and started as a workflow with Update-with-Start,
which answers with the entitlement decision and the RMA number in one call."""

from __future__ import annotations

from datetime import date
from typing import Any

import grpc
from aftercare.repairs.v1 import repairs_pb2 as pb
from google.protobuf import json_format

from contracts.claims import ClaimInput, ClaimState, Receipt
from lifecycle.transitions import TERMINAL
from services.kit.errors import FailedPrecondition
from services.kit.idempotency import fingerprint, reused
from services.kit.rpc import opening
from services.kit.timestamps import checked
from services.kit.validation import MAX_CLOCK_SKEW, check_contact, check_serial, check_text
from services.repairs import mapping
from services.repairs.access import CUSTOMER_CHANNELS, retailer_of
from services.repairs.api.base import ClaimsApi
from services.repairs.domain.centres import check_region
from services.repairs.domain.receipts import check_receipt
from services.repairs.domain.rma import new_rma
from services.repairs.persistence.repository import Filed, NewClaim
from services.repairs.persistence.tables import ClaimRow
from services.repairs.sales import receipt_of


def stored_receipt(given: pb.ProofOfPurchase, checked: Receipt) -> str:
    """The receipt as kept with the claim: as given, with the retailer and product as checked."""
    kept = pb.ProofOfPurchase()
    kept.CopyFrom(given)
    kept.retailer_id, kept.sku = checked.retailer_id, checked.sku
    return json_format.MessageToJson(kept, indent=None)


def receipt_input(row: ClaimRow) -> Receipt | None:
    """The receipt as the workflow carries it (no personal data), from the stored one."""
    receipt = receipt_of(row)
    if receipt is None:
        return None
    t = receipt.purchase_time
    return Receipt(
        sku=receipt.sku.upper(), retailer_id=receipt.retailer_id, purchase_date=date(t.year, t.month, t.day).isoformat()
    )


class Filing(ClaimsApi):
    async def FileClaim(
        self, request: pb.FileClaimRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.FileClaimResponse:
        principal, v = opening(request.request_id, *CUSTOMER_CHANNELS)
        now = self.clock()
        serial = check_serial(v, "serial", request.serial)
        fault = mapping.fault_name(v, "fault_category", request.fault_category)
        description = check_text(v, "description", request.description, min_len=1, max_len=2000)
        c = request.contact
        contact = check_contact(v, "contact", c.email, c.phone, c.locale)
        address = request.return_address
        region = check_region(v, "return_address.region_code", address.region_code)
        if not any(line.strip() for line in address.address_lines):
            v.add("return_address.address_lines", "needs at least one line")
        if not address.locality.strip():
            v.add("return_address.locality", "is required")
        incident_at = checked(v, "incident_time", request.incident_time) if request.HasField("incident_time") else now
        if incident_at is not None and incident_at > now + MAX_CLOCK_SKEW:
            v.add("incident_time", "must not be in the future")
        receipt = (
            check_receipt(v, mapping.given_receipt(request.proof_of_purchase), retailer_of(principal), now)
            if request.HasField("proof_of_purchase")
            else None
        )
        v.raise_if_any()
        assert incident_at is not None
        filed = await self.repo.file(
            NewClaim(
                rma=new_rma(),
                serial=serial,
                fault_category=fault,
                region=region,
                incident_at=incident_at,
                retailer_id=retailer_of(principal),
                filed_by=str(principal),
                request_id=request.request_id,
                request_hash=fingerprint("FileClaim", request),
                description=description,
                email=contact.email,
                phone=contact.phone,
                locale=contact.locale,
                return_address=json_format.MessageToJson(address, indent=None),
                receipt=stored_receipt(request.proof_of_purchase, receipt) if receipt else "",
                created_at=now,
            )
        )
        if filed.status is Filed.REQUEST_ID_REUSED:
            raise reused()
        if filed.status is Filed.OPEN_CLAIM:
            raise FailedPrecondition(
                f"serial {serial} already has an open claim, {filed.rma}",
                reason="OPEN_CLAIM_EXISTS",
                metadata={"rma": filed.rma},
            )
        row = await self.repo.claim(filed.rma)
        assert row is not None
        if row.seq == 0 or ClaimState(row.state) not in TERMINAL:
            # Start the workflow, or, for a retry, join it and wait for the same intake answer (the update id
            # dedupes): a retry while the intake is still assigning a centre and a label must not answer early.
            answer = await self.workflows.file(
                ClaimInput(
                    rma=row.rma,
                    serial=row.serial,
                    fault_category=row.fault_category,
                    incident_at=row.incident_at,
                    retailer_id=row.retailer_id,
                    region=row.region,
                    filed_by=row.filed_by,
                    receipt=receipt_input(row),
                ),
                update_id=f"{principal}/{request.request_id}",
            )
            await self._write(answer)
        return pb.FileClaimResponse(claim=await self._claim(principal, row.rma))
