"""The warranty gRPC API: authenticate, validate, call the domain and the repository, map the answer.
Errors are raised as domain errors; the server's interceptor turns them into statuses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import grpc
from aftercare.warranty.v1 import warranty_pb2 as pb
from aftercare.warranty.v1 import warranty_pb2_grpc
from google.rpc import code_pb2
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kit import grants, pagination
from services.kit.auth import Principal, Role, current_principal
from services.kit.batching import GroupCommitter
from services.kit.errors import (
    AlreadyExists,
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Violations,
)
from services.kit.grants import Purpose, Subject
from services.kit.grpc_server import to_status
from services.kit.idempotency import check_request_id, fingerprint, reused, run_once
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
from services.warranty import ERROR_DOMAIN, entitlement_lookup, mapping
from services.warranty.domain.entitlement import Terms, check_can_extend, coverage_end
from services.warranty.domain.products import check_product, check_sku
from services.warranty.domain.sales import check_purchase_time, customer_id
from services.warranty.persistence.repository import VOIDED, NewSale, SaleOutcome, SaleStatus, WarrantyRepository
from services.warranty.persistence.tables import ExtendedPlanRow, WarrantyRow

MAX_SALES_PER_CHUNK = 1000
MAX_SALES_PER_STREAM = 20_000
_READERS = (Role.RETAILER, Role.OPS, Role.SERVICE)

Clock = Callable[[], datetime]
# A chunk on its way to the database: the write, its valid sales with their results, and all its results.
_Written = tuple[asyncio.Future[list[SaleOutcome]], list[tuple[pb.SaleResult, NewSale]], list[pb.SaleResult]]
Change = Callable[[AsyncSession, WarrantyRow], Awaitable[None]]
R = TypeVar("R", pb.PurchaseExtendedPlanResponse, pb.TransferOwnershipResponse, pb.VoidWarrantyResponse)
_SerialRequest = pb.PurchaseExtendedPlanRequest | pb.TransferOwnershipRequest | pb.VoidWarrantyRequest


def _utcnow() -> datetime:
    return datetime.now(UTC)


class WarrantyServicer(warranty_pb2_grpc.WarrantyServiceServicer):
    def __init__(
        self,
        repo: WarrantyRepository,
        sales: GroupCommitter[NewSale, SaleOutcome],
        customer_key: bytes,
        clock: Clock = _utcnow,
    ):
        self.repo = repo
        self.sales = sales
        self.customer_key = customer_key
        self.clock = clock

    # -- products --------------------------------------------------------------------------------------

    async def CreateProduct(
        self, request: pb.CreateProductRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.CreateProductResponse:
        principal, v = opening(request.request_id, Role.OPS)
        p, policy = request.product, request.product.policy
        product = check_product(
            v,
            sku=p.sku,
            display_name=p.display_name,
            category=p.category,
            launch_at=checked(v, "product.launch_time", p.launch_time) if p.HasField("launch_time") else None,
            coverage_months=policy.coverage_months,
            return_window_days=policy.return_window_days,
            repair_sla_days=policy.repair_sla_days,
            covered_categories=mapping.fault_names(
                v, "product.policy.covered_fault_categories", policy.covered_fault_categories
            ),
            claim_timers=mapping.given_timers(policy.claim_timers),
            paid_repair=(policy.paid_repair_price.currency_code, policy.paid_repair_price.amount_minor),
            plan=(
                policy.extended_plan_offer.months,
                policy.extended_plan_offer.price.currency_code,
                policy.extended_plan_offer.price.amount_minor,
            ),
            approval=mapping.given_approval(v, "product.policy.approval", policy.approval),
        )
        v.raise_if_any()
        now = self.clock()

        async def create(session: AsyncSession) -> pb.CreateProductResponse:
            created = await self.repo.create_product(session, product, now)
            return pb.CreateProductResponse(product=mapping.product(created))

        return await run_once(self.repo.db, str(principal), request, "CreateProduct", pb.CreateProductResponse, create)

    async def GetProduct(
        self, request: pb.GetProductRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.GetProductResponse:
        current_principal().require(*_READERS, Role.PORTAL)  # the catalogue is public: the portal shows offers
        v = Violations()
        sku = check_sku(v, "sku", request.sku)
        v.raise_if_any()
        product = await self.repo.product(sku)
        if product is None:
            raise NotFound(f"no product {sku}", reason="PRODUCT_NOT_FOUND")
        return pb.GetProductResponse(product=mapping.product(product))

    async def ListProducts(
        self, request: pb.ListProductsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ListProductsResponse:
        current_principal().require(*_READERS)
        page = await pagination.page(
            request.page_size, request.page_token, {}, self.repo.list_products, lambda product: product.sku
        )
        return pb.ListProductsResponse(
            products=[mapping.product(p) for p in page.items], next_page_token=page.next_page_token
        )

    # -- sales -----------------------------------------------------------------------------------------

    async def _new_sale(self, principal: Principal, request: pb.RegisterSaleRequest, now: datetime) -> NewSale:
        v = Violations()
        check_request_id(v, request.request_id)
        serial = check_serial(v, "serial", request.serial)
        known = len(v.items)
        sku = check_sku(v, "sku", request.sku)
        product = await self.repo.product(sku) if len(v.items) == known else None
        if product is None and len(v.items) == known:
            v.add("sku", "is not a known product")
        purchased_at, zone = check_purchase_time(
            v, "purchase_time", mapping.civil_time(request.purchase_time), product.launch_at if product else None, now
        )
        reference = check_text(v, "sale_reference", request.sale_reference, max_len=128)
        retailer = principal.id
        if principal.role is Role.SERVICE:  # repairs, registering the sale on an approved receipt
            retailer = check_text(v, "retailer_id", request.retailer_id, min_len=1, max_len=63)
        elif request.retailer_id not in ("", principal.id):
            v.add("retailer_id", "a retailer registers its own sales only")
        c = request.contact
        contact = check_contact(v, "contact", c.email, c.phone, c.locale)
        v.raise_if_any()
        assert product is not None
        policy = product.policy
        terms = Terms(purchased_at, zone, policy.coverage_months, policy.return_window_days)
        return NewSale(
            serial=serial,
            sku=sku,
            policy_version=policy.version,
            retailer_id=retailer,
            sale_reference=reference,
            purchased_at=purchased_at,
            purchase_time_zone=zone,
            customer_id=customer_id(self.customer_key, contact),
            contact=contact,
            request_id=request.request_id,
            request_hash=fingerprint("RegisterSale", request),
            created_at=now,
            coverage_end=coverage_end(terms),
        )

    async def _sale_answer(self, sale: NewSale, outcome: SaleOutcome) -> pb.Warranty:
        if outcome.status is SaleStatus.ALREADY_EXISTS:
            raise AlreadyExists(f"serial {sale.serial} is already registered", reason="SERIAL_ALREADY_REGISTERED")
        if outcome.status is SaleStatus.REQUEST_ID_REUSED:
            raise reused()
        return mapping.warranty(await self.repo.view(outcome.warranty(sale)))

    async def _checked(
        self, principal: Principal, chunk: pb.BatchRegisterSalesRequest, first: int
    ) -> tuple[list[pb.SaleResult], list[tuple[pb.SaleResult, NewSale]]]:
        """A chunk's results, numbered from `first` (the refused ones say why), and its valid sales."""
        now = self.clock()
        results: list[pb.SaleResult] = []
        valid: list[tuple[pb.SaleResult, NewSale]] = []
        for index, request in enumerate(chunk.sales, start=first):
            result = pb.SaleResult(index=index, serial=request.serial)
            results.append(result)
            try:
                sale = await self._new_sale(principal, request, now)
            except InvalidArgument as error:
                result.status.CopyFrom(to_status(error, ERROR_DOMAIN))
                continue
            result.serial = sale.serial
            valid.append((result, sale))
        return results, valid

    async def _settle(
        self,
        written: asyncio.Future[list[SaleOutcome]],
        valid: list[tuple[pb.SaleResult, NewSale]],
        results: list[pb.SaleResult],
    ) -> list[pb.SaleResult]:
        """A chunk's results once it is written: each sale OK, or why not (the refused ones already say)."""
        for (result, sale), outcome in zip(valid, await written, strict=True):
            if outcome.status in (SaleStatus.CREATED, SaleStatus.REPLAYED):
                result.status.SetInParent()  # code 0: OK
            else:
                try:
                    await self._sale_answer(sale, outcome)
                except DomainError as error:
                    result.status.CopyFrom(to_status(error, ERROR_DOMAIN))
        return results

    async def RegisterSale(
        self, request: pb.RegisterSaleRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.RegisterSaleResponse:
        principal = current_principal()
        principal.require(Role.RETAILER, Role.SERVICE)
        sale = await self._new_sale(principal, request, self.clock())
        outcome = await self.sales.submit(sale)
        return pb.RegisterSaleResponse(warranty=await self._sale_answer(sale, outcome))

    async def BatchRegisterSales(
        self, request_iterator: AsyncIterator[pb.BatchRegisterSalesRequest], context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.BatchRegisterSalesResponse:
        principal = current_principal()
        principal.require(Role.RETAILER)
        response = pb.BatchRegisterSalesResponse()
        index = 0
        # One chunk is written while the next is checked: the insert's SQLite work leaves the loop free.
        writing: _Written | None = None
        try:
            async for chunk in request_iterator:
                if len(chunk.sales) > MAX_SALES_PER_CHUNK:
                    raise ResourceExhausted(
                        f"a chunk may hold at most {MAX_SALES_PER_CHUNK} sales", reason="CHUNK_TOO_LARGE"
                    )
                if index + len(chunk.sales) > MAX_SALES_PER_STREAM:
                    raise ResourceExhausted(
                        f"a stream may hold at most {MAX_SALES_PER_STREAM} sales; split the load into several streams",
                        reason="STREAM_TOO_LARGE",
                    )
                results, valid = await self._checked(principal, chunk, index)
                index += len(results)
                if writing is not None:
                    response.results.extend(await self._settle(*writing))
                writing = asyncio.ensure_future(self.sales.submit_many([sale for _, sale in valid])), valid, results
        except Exception:
            if writing is not None:  # what was accepted before the refusal is written before it is answered
                await asyncio.gather(writing[0], return_exceptions=True)
            raise
        if writing is not None:
            response.results.extend(await self._settle(*writing))
        response.registered_count = sum(1 for r in response.results if r.status.code == code_pb2.OK)
        response.failed_count = len(response.results) - response.registered_count
        return response

    # -- warranties ------------------------------------------------------------------------------------

    async def _visible(
        self,
        principal: Principal,
        raw_serial: str,
        row: WarrantyRow | None = None,
    ) -> WarrantyRow:
        """The warranty if this caller may see it. Another retailer's serial reads as unknown."""
        v = Violations()
        serial = check_serial(v, "serial", raw_serial)
        v.raise_if_any()
        if row is None:
            row = await self.repo.get(serial)
        hidden = (principal.role is Role.RETAILER and row is not None and row.retailer_id != principal.id) or (
            principal.role is Role.PORTAL and not grants.grants(Subject.WARRANTY, serial, Purpose.WARRANTY)
        )
        if row is None or hidden:
            raise NotFound(f"no warranty for serial {serial}", reason="WARRANTY_NOT_FOUND")
        return row

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
        principal.require(*_READERS, Role.PORTAL)
        row = await self._visible(principal, request.serial)
        view = await self.repo.view(row)
        return pb.GetWarrantyResponse(warranty=mapping.warranty(view, with_contact=principal.role is Role.SERVICE))

    async def ListWarranties(
        self, request: pb.ListWarrantiesRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ListWarrantiesResponse:
        principal = current_principal()
        principal.require(*_READERS)
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
        principal.require(*_READERS)
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
