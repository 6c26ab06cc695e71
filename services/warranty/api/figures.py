"""Figures over many sales, for ops' reports: the units sold per SKU, which failure rates divide by."""

from __future__ import annotations

from typing import Any

import grpc
from aftercare.warranty.v1 import warranty_pb2 as pb

from services.kit.auth import Role, current_principal
from services.kit.errors import Violations
from services.kit.timestamps import checked
from services.warranty.api.base import WarrantyApi
from services.warranty.domain.products import check_sku

MAX_SKUS = 1000


class FiguresApi(WarrantyApi):
    async def CountSales(
        self, request: pb.CountSalesRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.CountSalesResponse:
        current_principal().require(Role.OPS, Role.SERVICE)
        v = Violations()
        if len(request.skus) > MAX_SKUS:
            v.add("skus", f"at most {MAX_SKUS}")
        skus = [check_sku(v, f"skus[{i}]", sku) for i, sku in enumerate(request.skus[:MAX_SKUS])]
        start = checked(v, "start_time", request.start_time) if request.HasField("start_time") else None
        end = checked(v, "end_time", request.end_time) if request.HasField("end_time") else None
        if start is not None and end is not None and end <= start:
            v.add("end_time", "must be after start_time")
        v.raise_if_any()
        return pb.CountSalesResponse(units=await self.repo.units_sold(skus, start, end))
