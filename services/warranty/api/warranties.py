"""Warranties: checking a contact, reading and listing them, entitlement, and the changes to one (a plan
bought, a transfer, a void), each once per request id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc
from aftercare.warranty.v1 import warranty_pb2 as pb
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kit import grants, pagination
from services.kit.auth import Principal, Role, current_principal
from services.kit.errors import FailedPrecondition, PermissionDenied, Violations
from services.kit.grants import Purpose, Subject
from services.kit.idempotency import run_once
from services.kit.rpc import opening
from services.kit.timestamps import checked
from services.kit.validation import (
    MAX_CLOCK_SKEW,
    check_contact,
    check_money,
    check_serial,
    check_text,
    contact_matches,
)
from services.warranty import entitlement_lookup, mapping
from services.warranty.api.base import READERS, WarrantyApi
from services.warranty.domain.entitlement import check_can_extend
from services.warranty.domain.sales import customer_id
from services.warranty.persistence.repository import VOIDED
from services.warranty.persistence.tables import ExtendedPlanRow, WarrantyRow

Change = Callable[[AsyncSession, WarrantyRow], Awaitable[None]]
R = TypeVar("R", pb.PurchaseExtendedPlanResponse, pb.TransferOwnershipResponse, pb.VoidWarrantyResponse)
_SerialRequest = pb.PurchaseExtendedPlanRequest | pb.TransferOwnershipRequest | pb.VoidWarrantyRequest


class WarrantiesApi(WarrantyApi):
    async def VerifyWarrantyContact(
        self, request: pb.VerifyWarrantyContactRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.VerifyWarrantyContactResponse:
        current_principal().require(Role.PORTAL, Role.SERVICE)
        v = Violations()
        serial = check_serial(v, "serial", request.serial[:128])
        if v or len(request.contact) > 254:
            return pb.VerifyWarrantyContactResponse()
        row = await self.repo.get(serial)
        if row is None or row.state != "ACTIVE" or not contact_matches(request.contact, row.email, row.phone):
            return pb.VerifyWarrantyContactResponse()
        return pb.VerifyWarrantyContactResponse(matches=True, serial=row.serial, customer_id=row.customer_id)

    async def GetWarranty(
        self, request: pb.GetWarrantyRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.GetWarrantyResponse:
        principal = current_principal()
        principal.require(*READERS, Role.PORTAL)
        row = await self._visible(principal, request.serial)
        view = await self.repo.view(row)
        return pb.GetWarrantyResponse(warranty=mapping.warranty(view, with_contact=principal.role is Role.SERVICE))

    async def ListWarranties(
        self, request: pb.ListWarrantiesRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ListWarrantiesResponse:
        principal = current_principal()
        principal.require(*READERS)
        v = Violations()  # free-text filters: a NUL or a control character is a caller's mistake, not a query
        retailer = check_text(v, "retailer_id", request.retailer_id, max_len=63) or None
        customer = check_text(v, "customer_id", request.customer_id, max_len=64) or None
        v.raise_if_any()
        if principal.role is Role.RETAILER:
            if retailer not in (None, principal.id):
                raise PermissionDenied("a retailer can list only its own sales", reason="OTHER_RETAILER")
            retailer = principal.id
        filters = {"retailer_id": retailer, "customer_id": customer}
        page = await pagination.page(
            request.page_size,
            request.page_token,
            filters,
            lambda before, limit: self.repo.list(**filters, before_id=before, limit=limit),
            lambda row: row.id,
        )
        views = await self.repo.views(page.items)
        return pb.ListWarrantiesResponse(
            warranties=[mapping.warranty(view) for view in views], next_page_token=page.next_page_token
        )

    async def CheckEntitlement(
        self, request: pb.CheckEntitlementRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.CheckEntitlementResponse:
        principal = current_principal()
        principal.require(*READERS)
        now = self.clock()
        v = Violations()
        serial = check_serial(v, "serial", request.serial)
        incident_at = checked(v, "incident_time", request.incident_time) if request.HasField("incident_time") else now
        if incident_at is not None and incident_at > now + MAX_CLOCK_SKEW:
            v.add("incident_time", "must not be in the future")
        fault = mapping.fault_name(v, "fault_category", request.fault_category)
        v.raise_if_any()
        assert incident_at is not None
        found = await entitlement_lookup.lookup(self.repo, serial, incident_at, fault)
        await self._visible(principal, serial, found.row if found else None)
        assert found is not None
        return mapping.entitlement(found.entitlement)

    async def _mutate_warranty(
        self, principal: Principal, request: _SerialRequest, method: str, response_type: type[R], change: Change
    ) -> R:
        """Lock the caller's warranty, refuse a voided one, apply `change`, answer with the warranty."""

        async def mutate(session: AsyncSession) -> R:
            row = await self._visible(principal, request.serial, await self.repo.lock(session, request.serial))
            if row.state == VOIDED:
                raise FailedPrecondition("the warranty is voided", reason="WARRANTY_VOIDED")
            await change(session, row)
            return response_type(warranty=mapping.warranty(await self.repo.view(row, session)))

        return await run_once(self.repo.db, str(principal), request, method, response_type, mutate)

    async def PurchaseExtendedPlan(
        self, request: pb.PurchaseExtendedPlanRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.PurchaseExtendedPlanResponse:
        principal, v = opening(request.request_id, Role.RETAILER, Role.OPS, Role.PORTAL)
        serial = check_serial(v, "serial", request.serial)
        if principal.role is Role.PORTAL:
            grants.require(Subject.WARRANTY, serial, Purpose.PLAN, f"warranty for serial {serial}")
        reference = check_text(v, "plan_reference", request.plan_reference, min_len=1, max_len=128)
        if not 1 <= request.months <= 60:
            v.add("months", "must be from 1 to 60")
        price = request.price
        check_money(v, "price", price.currency_code, price.amount_minor, required=True)
        v.raise_if_any()
        request.serial = serial
        now = self.clock()

        async def extend(session: AsyncSession, row: WarrantyRow) -> None:
            view = await self.repo.view(row, session)
            check_can_extend(view.terms(), request.months, now)
            await self.repo.add_plan(
                session,
                row,
                view.policy,
                ExtendedPlanRow(
                    serial=row.serial,
                    plan_reference=reference,
                    months=request.months,
                    price_minor=price.amount_minor,
                    currency_code=price.currency_code,
                    purchased_at=now,
                ),
            )

        return await self._mutate_warranty(
            principal, request, "PurchaseExtendedPlan", pb.PurchaseExtendedPlanResponse, extend
        )

    async def TransferOwnership(
        self, request: pb.TransferOwnershipRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.TransferOwnershipResponse:
        principal, v = opening(request.request_id, Role.RETAILER, Role.OPS)
        serial = check_serial(v, "serial", request.serial)
        c = request.new_owner_contact
        contact = check_contact(v, "new_owner_contact", c.email, c.phone, c.locale)
        v.raise_if_any()
        request.serial = serial
        new_owner = customer_id(self.customer_key, contact)
        now = self.clock()

        async def transfer(session: AsyncSession, row: WarrantyRow) -> None:
            if row.customer_id == new_owner:
                raise FailedPrecondition("the new owner already owns this unit", reason="SAME_OWNER")
            await self.repo.transfer(session, row, contact, new_owner, now)

        return await self._mutate_warranty(
            principal, request, "TransferOwnership", pb.TransferOwnershipResponse, transfer
        )

    async def VoidWarranty(
        self, request: pb.VoidWarrantyRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.VoidWarrantyResponse:
        principal, v = opening(request.request_id, Role.OPS)
        serial = check_serial(v, "serial", request.serial)
        reason = check_text(v, "reason", request.reason, min_len=3, max_len=500)
        v.raise_if_any()
        request.serial = serial
        now = self.clock()

        async def void(session: AsyncSession, row: WarrantyRow) -> None:
            await self.repo.void(session, row, reason, now)

        return await self._mutate_warranty(principal, request, "VoidWarranty", pb.VoidWarrantyResponse, void)
