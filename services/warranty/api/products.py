"""Products and their warranty policies: created by ops (a new policy version each time), read by everyone."""

from __future__ import annotations

from typing import Any

import grpc
from aftercare.warranty.v1 import warranty_pb2 as pb
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kit import pagination
from services.kit.auth import Role, current_principal
from services.kit.errors import NotFound, Violations
from services.kit.idempotency import run_once
from services.kit.rpc import opening
from services.kit.timestamps import checked
from services.warranty import mapping
from services.warranty.api.base import READERS, WarrantyApi
from services.warranty.domain.products import check_product, check_sku


class ProductsApi(WarrantyApi):
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
        current_principal().require(*READERS, Role.PORTAL)  # the catalogue is public: the portal shows offers
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
        current_principal().require(*READERS)
        page = await pagination.page(
            request.page_size, request.page_token, {}, self.repo.list_products, lambda product: product.sku
        )
        return pb.ListProductsResponse(
            products=[mapping.product(p) for p in page.items], next_page_token=page.next_page_token
        )
