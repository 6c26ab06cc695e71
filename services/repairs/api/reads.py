"""Reading claims: one claim, a page of claims, a claim's label, and whether a contact is on file for one."""

from __future__ import annotations

from typing import Any

import grpc
from aftercare.repairs.v1 import repairs_pb2 as pb

from contracts.claims import Direction
from services.kit import grants, pagination
from services.kit.auth import Role, current_principal
from services.kit.errors import NotFound, PermissionDenied, Violations
from services.kit.grants import Purpose, Subject
from services.kit.validation import check_serial, check_text, contact_matches
from services.repairs import mapping
from services.repairs.access import READERS, as_seen_by
from services.repairs.api.base import ClaimsApi
from services.repairs.domain.rma import canonical_rma
from services.repairs.persistence.repository import ClaimFilters


class ClaimReads(ClaimsApi):
    async def GetClaim(
        self, request: pb.GetClaimRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.GetClaimResponse:
        principal = current_principal()
        principal.require(*READERS, Role.PORTAL)
        row = await self._visible(principal, request.rma)
        return pb.GetClaimResponse(claim=await self._claim(principal, row.rma))

    async def ListClaims(
        self, request: pb.ListClaimsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ListClaimsResponse:
        principal = current_principal()
        principal.require(*READERS, Role.PORTAL)
        v = Violations()
        serial = check_serial(v, "serial", request.serial) if request.serial else None
        if principal.role is Role.PORTAL:  # the claims on the granted warranty's unit, and nothing else
            v.raise_if_any()
            if serial is None or not grants.grants(Subject.WARRANTY, serial, Purpose.WARRANTY):
                raise PermissionDenied("the portal lists only the claims on its warranty", reason="ROLE_NOT_ALLOWED")
        centre = check_text(v, "centre_id", request.centre_id, max_len=63) or None
        retailer = check_text(v, "retailer_id", request.retailer_id, max_len=63) or None
        if principal.role is Role.CENTRE:
            if centre not in (None, principal.id):
                raise PermissionDenied("a centre can list only its own claims", reason="OTHER_CENTRE")
            centre = principal.id
        if principal.role is Role.RETAILER:
            if retailer not in (None, principal.id):
                raise PermissionDenied("a retailer can list only its own claims", reason="OTHER_RETAILER")
            retailer = principal.id
        state = mapping.checked_state(v, "state", request.state)
        sku = check_text(v, "sku", request.sku, max_len=48).upper() or None  # a NUL broke PostgreSQL's query
        v.raise_if_any()
        filters = ClaimFilters(
            state=state,
            centre_id=centre,
            retailer_id=retailer,
            sku=sku,
            sla_breached=True if request.sla_breached_only else None,
            serial=serial,
        )
        page = await pagination.page(
            request.page_size,
            request.page_token,
            filters.as_dict(),
            lambda before, limit: self.repo.list_claims(filters, before_id=before, limit=limit),
            lambda row: row.id,
        )
        service = principal.role is Role.SERVICE

        return pb.ListClaimsResponse(
            claims=[as_seen_by(principal, mapping.claim(row, with_contact=service)) for row in page.items],
            next_page_token=page.next_page_token,
        )

    async def GetShippingLabel(
        self, request: pb.GetShippingLabelRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.GetShippingLabelResponse:
        principal = current_principal()
        principal.require(*READERS, Role.CARRIER, Role.PORTAL)
        v = Violations()
        direction = mapping.direction(v, "direction", request.direction)
        if principal.role is Role.PORTAL and direction is not Direction.TO_CENTRE:
            v.add("direction", "the customer's label is the inbound one")
        row = await self._visible(principal, request.rma, v)
        label = await self.repo.label(row.rma, direction.value)
        if label is None:
            raise NotFound(f"claim {row.rma} has no {direction.value} label yet", reason="LABEL_NOT_FOUND")
        return pb.GetShippingLabelResponse(tracking_number=label.tracking_number, carrier=label.carrier, pdf=label.pdf)

    async def VerifyClaimContact(
        self, request: pb.VerifyClaimContactRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.VerifyClaimContactResponse:
        current_principal().require(Role.PORTAL, Role.SERVICE)
        if len(request.rma) > 64 or len(request.contact) > 254:
            return pb.VerifyClaimContactResponse()
        try:
            rma = canonical_rma(request.rma)
        except ValueError:
            return pb.VerifyClaimContactResponse()
        row = await self.repo.claim(rma)
        if row is None or not contact_matches(request.contact, row.email, row.phone):
            return pb.VerifyClaimContactResponse()
        status = mapping.claim(row)
        return pb.VerifyClaimContactResponse(matches=True, rma=row.rma, customer_id=status.customer_id)
