"""Registering sales, one at a time or streamed in bulk: each sale checked, then written in group commits
(one chunk written while the next is checked), a retried request answered with its first answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import grpc
from aftercare.warranty.v1 import warranty_pb2 as pb
from google.rpc import code_pb2

from services.kit.auth import Principal, Role, current_principal
from services.kit.errors import AlreadyExists, DomainError, InvalidArgument, ResourceExhausted, Violations
from services.kit.grpc_server import to_status
from services.kit.idempotency import check_request_id, fingerprint, reused
from services.kit.validation import check_contact, check_serial, check_text
from services.warranty import ERROR_DOMAIN, mapping
from services.warranty.api.base import WarrantyApi
from services.warranty.domain.entitlement import Terms, coverage_end
from services.warranty.domain.products import check_sku
from services.warranty.domain.sales import check_purchase_time, customer_id
from services.warranty.persistence.sales import NewSale, SaleOutcome, SaleStatus

MAX_SALES_PER_CHUNK = 1000
MAX_SALES_PER_STREAM = 20_000

# A chunk on its way to the database: the write, its valid sales with their results, and all its results.
_Written = tuple[asyncio.Future[list[SaleOutcome]], list[tuple[pb.SaleResult, NewSale]], list[pb.SaleResult]]


class SalesApi(WarrantyApi):
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
