"""AIP-155: a retried request gets the first answer and changes nothing; a reused id with another body is
rejected; identical requests raced in parallel make one row."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
from aftercare.warranty.v1 import warranty_pb2 as pb
from sqlalchemy import func
from sqlmodel import select

from services.kit.idempotency import RequestLog
from services.warranty.persistence.tables import ExtendedPlanRow, WarrantyRow
from tests.rpc import failure
from tests.warranty.conftest import Api, new_id, plan, sale


async def count(api: Api, table: type, *where: Any) -> int:
    async with api.app.db.read() as session:
        return int((await session.exec(select(func.count()).select_from(table).where(*where))).one())


async def test_same_sale_twice_gives_same_answer_and_one_row(api: Api, product: pb.Product) -> None:
    request = sale("SN-IDEM")
    first = await api.stub.RegisterSale(request, metadata=api.retailer)
    second = await api.stub.RegisterSale(request, metadata=api.retailer)
    assert first == second
    assert await count(api, WarrantyRow, WarrantyRow.serial == "SN-IDEM") == 1


async def test_identical_sales_raced_in_parallel_make_one_row(api: Api, product: pb.Product) -> None:
    request = sale("SN-RACE")
    answers = await asyncio.gather(*(api.stub.RegisterSale(request, metadata=api.retailer) for _ in range(20)))
    assert len({a.SerializeToString() for a in answers}) == 1
    assert await count(api, WarrantyRow) == 1


async def test_different_sales_for_one_serial_raced_make_one_row_and_the_rest_already_exist(
    api: Api, product: pb.Product
) -> None:
    calls = [api.stub.RegisterSale(sale("SN-CONTEST"), metadata=api.retailer) for _ in range(10)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    wins = [r for r in results if isinstance(r, pb.RegisterSaleResponse)]
    losses = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(wins) == 1 and len(losses) == 9
    assert {loss.code() for loss in losses} == {grpc.StatusCode.ALREADY_EXISTS}
    assert await count(api, WarrantyRow) == 1


async def test_request_id_reused_with_another_body_is_rejected(api: Api, product: pb.Product) -> None:
    request_id = new_id()
    await api.stub.RegisterSale(sale("SN-ONE", request_id=request_id), metadata=api.retailer)
    failed = await failure(api.stub.RegisterSale(sale("SN-TWO", request_id=request_id), metadata=api.retailer))
    assert (failed.code, failed.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "REQUEST_ID_REUSED")
    assert "request_id" in failed.fields
    assert await count(api, WarrantyRow) == 1


async def test_request_ids_are_per_retailer(api: Api, product: pb.Product) -> None:
    request_id = new_id()
    await api.stub.RegisterSale(sale("SN-R1", request_id=request_id), metadata=api.retailer)
    await api.stub.RegisterSale(sale("SN-R2", request_id=request_id), metadata=api.other_retailer)
    assert await count(api, WarrantyRow) == 2


async def test_retried_plan_purchase_is_applied_once(api: Api, product: pb.Product) -> None:
    await api.register("SN-PLAN")
    request = plan("SN-PLAN", 6, "P-1", 999)
    answers = await asyncio.gather(*(api.stub.PurchaseExtendedPlan(request, metadata=api.retailer) for _ in range(5)))
    assert len({a.SerializeToString() for a in answers}) == 1
    assert await count(api, ExtendedPlanRow) == 1
    assert await count(api, RequestLog) == 2  # the product's creation, and the plan
    changed = pb.PurchaseExtendedPlanRequest()
    changed.CopyFrom(request)
    changed.months = 7
    assert (await failure(api.stub.PurchaseExtendedPlan(changed, metadata=api.retailer))).reason == "REQUEST_ID_REUSED"


async def test_a_replay_answers_with_the_first_response_even_after_later_changes(api: Api, product: pb.Product) -> None:
    await api.register("SN-REPLAY")
    first_plan = plan("SN-REPLAY", 12, "PLAN-A")
    first = await api.stub.PurchaseExtendedPlan(first_plan, metadata=api.retailer)
    later_plan = pb.PurchaseExtendedPlanRequest()
    later_plan.CopyFrom(first_plan)
    later_plan.request_id, later_plan.plan_reference, later_plan.months = new_id(), "PLAN-B", 6
    later = await api.stub.PurchaseExtendedPlan(later_plan, metadata=api.retailer)
    assert len(later.warranty.extended_plans) == 2  # the warranty has changed since the first request
    again = await api.stub.PurchaseExtendedPlan(first_plan, metadata=api.retailer)
    assert again == first and [p.plan_reference for p in again.warranty.extended_plans] == ["PLAN-A"]
    now = await api.stub.GetWarranty(pb.GetWarrantyRequest(serial="SN-REPLAY"), metadata=api.retailer)
    assert now.warranty == later.warranty  # and the replay changed nothing


async def test_failed_request_does_not_burn_its_id(api: Api, product: pb.Product) -> None:
    request_id = new_id()
    await failure(api.stub.RegisterSale(sale("SN-NOPE", request_id=request_id, sku="NO-SUCH"), metadata=api.retailer))
    warranty = (await api.stub.RegisterSale(sale("SN-NOPE", request_id=request_id), metadata=api.retailer)).warranty
    assert warranty.serial == "SN-NOPE"
