from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import grpc
import pytest
from aftercare.common.v1 import money_pb2
from aftercare.warranty.v1 import warranty_pb2 as pb
from aftercare.warranty.v1 import warranty_pb2_grpc
from google.type import datetime_pb2

from services.kit import timestamps
from services.warranty.server import WarrantyApp
from services.warranty.settings import WarrantySettings

LAUNCH = datetime(2024, 1, 1, tzinfo=UTC)
SKU = "KETTLE-2000"


@dataclass
class Api:
    """A running warranty service and a client for it, acting as any principal."""

    app: WarrantyApp
    channel: grpc.aio.Channel
    stub: warranty_pb2_grpc.WarrantyServiceAsyncStub
    keys: dict[str, str]

    def as_(self, principal: str) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.keys[principal]}"),)

    @property
    def ops(self) -> tuple[tuple[str, str], ...]:
        return self.as_("ops")

    @property
    def retailer(self) -> tuple[tuple[str, str], ...]:
        return self.as_("retailer:demo-retailer")

    @property
    def other_retailer(self) -> tuple[tuple[str, str], ...]:
        return self.as_("retailer:other-retailer")

    async def create_product(self, sku: str = SKU, **policy: int) -> pb.Product:
        product = pb.Product(
            sku=sku,
            display_name="Kettle 2000",
            category="small-appliance",
            policy=pb.WarrantyPolicy(
                coverage_months=policy.get("coverage_months", 24),
                return_window_days=policy.get("return_window_days", 30),
                repair_sla_days=10,
                covered_fault_categories=[pb.FAULT_CATEGORY_ELECTRICAL, pb.FAULT_CATEGORY_MECHANICAL],
            ),
        )
        product.launch_time.FromDatetime(LAUNCH)
        response = await self.stub.CreateProduct(
            pb.CreateProductRequest(request_id=new_id(), product=product), metadata=self.ops
        )
        return response.product

    async def register(self, serial: str, **fields: Any) -> pb.Warranty:
        response = await self.stub.RegisterSale(sale(serial, **fields), metadata=self.retailer)
        return response.warranty


def new_id() -> str:
    return str(uuid.uuid4())


def civil(moment: datetime, offset_minutes: int = 60) -> datetime_pb2.DateTime:
    """The moment as a till `offset_minutes` east of UTC records it."""
    return timestamps.civil(moment.astimezone(timezone(timedelta(minutes=offset_minutes))))


def sale(
    serial: str,
    *,
    sku: str = SKU,
    request_id: str | None = None,
    email: str = "jo@example.com",
    purchased: datetime | None = None,
    **contact: str,
) -> pb.RegisterSaleRequest:
    moment = purchased or datetime.now(UTC) - timedelta(days=3)
    return pb.RegisterSaleRequest(
        request_id=request_id or new_id(),
        serial=serial,
        sku=sku,
        purchase_time=civil(moment),
        sale_reference="R-1",
        contact=pb.Contact(email=email, phone=contact.get("phone", ""), locale=contact.get("locale", "en")),
    )


@pytest.fixture
async def api(tmp_path: Path, database_url: str, dev_keys: dict[str, str]) -> AsyncIterator[Api]:
    settings = WarrantySettings.for_service(
        "warranty", 50051, var_dir=tmp_path, database_url=database_url, grpc_port=0, customer_id_key="test-key"
    )
    app = WarrantyApp(settings)
    port = await app.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield Api(app, channel, warranty_pb2_grpc.WarrantyServiceStub(channel), dev_keys)
    await app.stop()


@pytest.fixture
async def product(api: Api) -> pb.Product:
    return await api.create_product()


def plan(serial: str, months: int, reference: str = "", amount_minor: int = 100) -> pb.PurchaseExtendedPlanRequest:
    """A PurchaseExtendedPlan request with a new request_id (EUR)."""
    return pb.PurchaseExtendedPlanRequest(
        request_id=new_id(),
        serial=serial,
        plan_reference=reference or f"PLAN-{months}",
        months=months,
        price=money_pb2.Money(currency_code="EUR", amount_minor=amount_minor),
    )
